"""One Strawberry schema composed from the domains' roots."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension, ValidationCache
from strawberry.extensions.disable_introspection import DisableIntrospection
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from edom_graphql.core.compiled import ExecutionMode
from edom_graphql.core.composition import READ_AHEAD_KEY, Domain, extend_type, read_ahead_of
from edom_graphql.core.context import AppInfo
from edom_graphql.core.errors import BadUserInput
from edom_graphql.core.execution import (
    PlainLeafExecutor,
    install_execution,
    install_node_types,
    node_types_of,
    use_plain_attribute_resolvers,
)
from edom_graphql.core.limits import Limits, QueryLimits, SafeParserCache
from edom_graphql.core.metrics import Metrics
from edom_graphql.core.nodes import Node, NodeTypes
from edom_graphql.core.observability import ExtensionsRunner, OperationObserver, log_unexpected
from edom_graphql.core.permissions import RequiresDirective
from edom_graphql.core.ratelimit import RateLimitDirective
from edom_graphql.core.scalars import DATETIME, KOPECKS_SCALAR, Kopecks
from edom_graphql.core.validated import install_validated_queries
from edom_graphql.settings import Settings

DOMAIN_NAMES = (
    "residents",
    "buildings",
    "notifications",
    "vehicles",
    "events",
    "polls",
    "listings",
    "chats",
    "repairs",
    "meetings",
    "points",
    "meters",
    "billing",
    "intercom",
    "notices",
)
"""The domains of the schema, in the order their root fields and the fields they add to
each other's types are listed. A new domain adds its name here (and to the models
registry, :data:`edom_graphql.models.DOMAINS_WITH_TABLES`, if it has tables)."""


def _face(name: str) -> Domain:
    """The ``DOMAIN`` of ``edom_graphql.<name>.schema``: the domain's face."""
    domain = importlib.import_module(f"edom_graphql.{name}.schema").DOMAIN
    if not isinstance(domain, Domain) or domain.name != name:
        raise TypeError(f"edom_graphql.{name}.schema.DOMAIN is not the Domain named {name!r}")
    return domain


DOMAINS: tuple[Domain, ...] = tuple(_face(name) for name in DOMAIN_NAMES)


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


def _root(name: str, description: str, parts: list[type]) -> type:
    root = merge_types(name, tuple(parts))
    root.__strawberry_definition__.description = description  # type: ignore[attr-defined]
    return root


for _domain in DOMAINS:
    for _target, _additions in _domain.extends.items():
        for _addition in _additions:
            extend_type(_target, _addition)

Query = _root(
    "Query",
    "Everything a signed-in user can read.",
    [*(q for d in DOMAINS for q in d.queries), NodeQueries],
)
Mutation = _root(
    "Mutation",
    "Everything a signed-in user can change; business failures come back as `userErrors`.",
    [m for d in DOMAINS for m in d.mutations],
)
Subscription = _root(
    "Subscription",
    "Live streams over graphql-transport-ws (token in the `connection_init` payload).",
    [s for d in DOMAINS for s in d.subscriptions],
)
NODE_TYPES: tuple[type[Node], ...] = tuple(t for d in DOMAINS for t in d.node_types)


class Schema(strawberry.Schema):
    """Logs only unexpected errors (with the request id); expected ones are data."""

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        log_unexpected(errors)

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        return ExtensionsRunner(execution_context=execution_context, extensions=extensions)


def build_schema(settings: Settings | None = None, metrics: Metrics | None = None) -> Schema:
    settings = settings or Settings()
    metrics = metrics or Metrics()
    extensions: list[Any] = [
        lambda: OperationObserver(metrics=metrics),
        lambda: QueryLimits(Limits.of(settings)),
        lambda: SafeParserCache(maxsize=512, max_tokens=settings.max_tokens),
        lambda: ValidationCache(maxsize=512),
    ]
    if not settings.introspection_enabled:
        extensions.append(DisableIntrospection)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=NODE_TYPES,
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
    install_node_types(schema._schema, NodeTypes(list(NODE_TYPES)))
    install_execution(schema._schema, ExecutionMode(settings.execution), metrics)
    install_validated_queries(schema._schema)
    schema._schema.extensions[READ_AHEAD_KEY] = read_ahead_of(DOMAINS)
    return schema


__all__ = ["DOMAINS", "NODE_TYPES", "Schema", "build_schema"]
