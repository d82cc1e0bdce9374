// The graphql-ws example of docs/clients.md. Usage (the test passes these in env):
//   EDOM_WS_URL=ws://host/graphql EDOM_TOKEN=… EDOM_BUILDING_ID=… node graphql-ws.mjs
// Prints one JSON line per result: the query's, then the first chat event's.
// With --refused it prints the close code a refused token ends with.
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const { EDOM_WS_URL, EDOM_TOKEN, EDOM_BUILDING_ID } = process.env;

// --- graphql-ws client ---
const client = createClient({
  url: EDOM_WS_URL, // wss://…/graphql
  webSocketImpl: WebSocket, // browsers have their own; Node needs `ws`
  // The token travels in connection_init, not as an HTTP header of the upgrade.
  connectionParams: () => ({ authorization: `Bearer ${EDOM_TOKEN}` }),
  retryAttempts: 5,
  // 4403: the token is missing, invalid or expired. Retrying with it is pointless:
  // get a new token first. (graphql-ws retries every close code it does not know.)
  shouldRetry: (event) => event?.code !== 4403,
  on: { closed: (event) => console.error("closed", event?.code, event?.reason) },
});
// --- end ---

function first(query, variables) {
  return new Promise((resolve, reject) => {
    const dispose = client.subscribe(
      { query, variables },
      {
        next: (result) => {
          dispose();
          resolve(result);
        },
        error: reject,
        complete: () => {},
      },
    );
  });
}

if (process.argv.includes("--refused")) {
  try {
    await first("query { viewer { user { id } } }");
    console.log(JSON.stringify({ refused: false }));
  } catch (event) {
    console.log(JSON.stringify({ refused: true, code: event.code }));
  }
  process.exit(0);
}

const chat = await first(
  "query ($id: ID!) { building(id: $id) { chat { id eventsCursor } } }",
  { id: EDOM_BUILDING_ID },
);
console.log(JSON.stringify(chat));
const { id, eventsCursor } = chat.data.building.chat;
// --- graphql-ws subscription ---
const events = client.iterate({
  query: `subscription ($chatId: ID!, $after: String) {
    chatMessageEvents(chatId: $chatId, after: $after) { cursor kind message { body } }
  }`,
  // Messages sent after eventsCursor are replayed first: nothing is missed.
  variables: { chatId: id, after: eventsCursor },
});
for await (const result of events) {
  console.log(JSON.stringify(result));
  break; // ends the subscription (sends "complete")
}
// --- end ---
await client.dispose();
