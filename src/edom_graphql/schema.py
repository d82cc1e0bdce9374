"""One Strawberry schema composed from the domains' roots."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ValidationCache
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

import edom_graphql.core.enum_types  # noqa: F401  (describes the Tier and StaffRole enums)
from edom_graphql.buildings.queries import BuildingQueries
from edom_graphql.chats.api import ChatMutations, ChatSubscriptions
from edom_graphql.core.context import AppInfo
from edom_graphql.core.errors import BadUserInput
from edom_graphql.core.execution import (
    PlainLeafExecutor,
    install_node_types,
    node_types_of,
    use_plain_attribute_resolvers,
)
from edom_graphql.core.limits import QueryLimits, SafeParserCache
from edom_graphql.core.metrics import Metrics
from edom_graphql.core.nodes import Node, NodeTypes
from edom_graphql.core.observability import OperationObserver, log_unexpected
from edom_graphql.core.permissions import RequiresDirective
from edom_graphql.core.ratelimit import RateLimitDirective
from edom_graphql.core.scalars import DATETIME
from edom_graphql.listings.api import ListingMutations
from edom_graphql.listings.types import KOPECKS_SCALAR, Kopecks
from edom_graphql.notifications.api import NotificationMutations, NotificationSubscriptions
from edom_graphql.polls.api import PollMutations, PollSubscriptions
from edom_graphql.repairs.api import (
    RepairRequestMutations,
    RepairRequestQueries,
    RepairRequestSubscriptions,
)
from edom_graphql.residents.api import ResidentMutations, ResidentQueries
from edom_graphql.settings import Settings
from edom_graphql.vehicles.api import VehicleMutations, VehicleQueries

MAX_NODES = 100


@strawberry.type
class NodeQueries:
    @strawberry.field(description="Any object by its global id; null if it is not visible to you.")
    async def node(
        self,
        info: AppInfo,
        id: Annotated[strawberry.ID, strawberry.argument(description="A global id.")],
    ) -> Node | None:
        info.context.require_viewer()
        (found,) = await node_types_of(info._raw_info.schema).fetch(info.context, [id])
        return found

    @strawberry.field(
        description=f"Objects by global ids (at most {MAX_NODES}), in the order asked; null for "
        "each one that is not visible to you."
    )
    async def nodes(
        self,
        info: AppInfo,
        ids: Annotated[list[strawberry.ID], strawberry.argument(description="Global ids.")],
    ) -> list[Node | None]:
        info.context.require_viewer()
        if len(ids) > MAX_NODES:
            raise BadUserInput(f"At most {MAX_NODES} ids at once.", field="ids")
        return await node_types_of(info._raw_info.schema).fetch(info.context, ids)


Query = merge_types(
    "Query",
    (ResidentQueries, BuildingQueries, VehicleQueries, RepairRequestQueries, NodeQueries),
)
Mutation = merge_types(
    "Mutation",
    (
        ResidentMutations,
        NotificationMutations,
        VehicleMutations,
        PollMutations,
        ListingMutations,
        ChatMutations,
        RepairRequestMutations,
    ),
)
Subscription = merge_types(
    "Subscription",
    (
        NotificationSubscriptions,
        PollSubscriptions,
        ChatSubscriptions,
        RepairRequestSubscriptions,
    ),
)
for root, text in (
    (Query, "Everything a signed-in user can read."),
    (
        Mutation,
        "Everything a signed-in user can change; business failures come back as `userErrors`.",
    ),
    (
        Subscription,
        "Live streams over graphql-transport-ws (token in the `connection_init` payload).",
    ),
):
    root.__strawberry_definition__.description = text  # type: ignore[attr-defined]


class Schema(strawberry.Schema):
    """Logs only unexpected errors (with the request id); expected ones are data."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors)


def build_schema(settings: Settings | None = None, metrics: Metrics | None = None) -> Schema:
    settings = settings or Settings()
    metrics = metrics or Metrics()
    extensions: list[Any] = [
        lambda: OperationObserver(metrics=metrics),
        lambda: QueryLimits(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_cost=settings.max_cost,
        ),
        lambda: SafeParserCache(maxsize=512, max_tokens=settings.max_tokens),
        lambda: ValidationCache(maxsize=512),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        execution_context_class=PlainLeafExecutor,
        schema_directives=[RequiresDirective, RateLimitDirective],
        scalar_overrides={datetime: DATETIME},
        config=StrawberryConfig(
            auto_camel_case=True,
            scalar_map={Kopecks: KOPECKS_SCALAR},
            # Suggestions ("Did you mean …") reveal the schema where introspection is off.
            disable_field_suggestions=not settings.introspection_enabled,
        ),
    )
    use_plain_attribute_resolvers(schema._schema)
    install_node_types(schema._schema, NodeTypes(_node_types(schema)))
    return schema


def _node_types(schema: Schema) -> list[type[Node]]:
    """Every object type of the schema that implements ``Node``."""
    found: list[type[Node]] = []
    for graphql_type in schema._schema.type_map.values():
        definition = (graphql_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        origin = getattr(definition, "origin", None)
        if isinstance(origin, type) and issubclass(origin, Node) and origin is not Node:
            found.append(origin)
    return found


__all__ = ["Schema", "build_schema"]
