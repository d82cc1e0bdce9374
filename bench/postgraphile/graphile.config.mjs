// PostGraphile 5 over the bench database, in production settings: no GraphiQL, no
// schema watching, no plan explanations, one Node process.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { jsonPgSmartTags } from "postgraphile/utils";

const connectionString = process.env.DATABASE_URL;
if (!connectionString) {
  throw new Error("DATABASE_URL is not set");
}

/**
 * Enum types get an "Enum" suffix: this project names some enums like a table's row
 * (the enum `meeting_decision` and the table `meeting_decisions`), which would give
 * two GraphQL types the same name.
 * @type {GraphileConfig.Plugin}
 */
const EnumSuffixPlugin = {
  name: "EnumSuffixPlugin",
  version: "1.0.0",
  inflection: {
    replace: {
      enumType(previous, options, codec) {
        return `${previous(codec)}Enum`;
      },
    },
  },
};

/**
 * The project reads only current ownerships (`ended_at IS NULL`); the column has no
 * index of its own, so PostGraphile offers no condition on it unless told to.
 */
const OwnershipEndedAtConditionPlugin = jsonPgSmartTags({
  version: 1,
  config: {
    class: {
      ownerships: { attribute: { ended_at: { tags: { behavior: ["+filterBy"] } } } },
    },
  },
});

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [EnumSuffixPlugin, OwnershipEndedAtConditionPlugin],
  pgServices: [makePgService({ connectionString, schemas: ["public"] })],
  grafserv: {
    graphqlPath: "/graphql",
    graphiql: false,
    watch: false,
    websockets: false,
    maxRequestLength: 100_000,
  },
  grafast: { explain: false },
};

export default preset;
