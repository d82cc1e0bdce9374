"""Execution with a fast path for plain leaf fields.

Most fields of a response are scalars read straight off an object (``number``,
``area``, ``id``). graphql-core builds a resolve-info tuple, calls the resolver and
walks ``complete_value`` for each of them; for these fields the outcome is just
``coerce_output_value(getattr(source, name))``. The executor below computes that
directly and leaves every other case (nulls in non-null fields, failed coercions,
middleware, resolvers, objects, lists) to graphql-core unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    Undefined,
    get_named_type,
    is_leaf_type,
)
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter


@dataclass(frozen=True, slots=True)
class PlainLeaf:
    """How to produce a plain leaf field's value without graphql-core's machinery."""

    get: Callable[[Any], Any]
    coerce: Callable[[Any], Any]
    nullable: bool


def _attribute_resolver(name: str, leaf: PlainLeaf | None) -> Callable[..., Any]:
    get = attrgetter(name)

    def resolve(source: Any, info: Any) -> Any:
        return get(source)

    resolve.plain_leaf = leaf  # type: ignore[attr-defined]
    return resolve


def use_plain_attribute_resolvers(schema: GraphQLSchema) -> None:
    """Resolve fields that have no resolver by one attribute lookup.

    Strawberry routes such fields through three Python calls; this is the same
    ``getattr(source, python_name)`` in one. Leaf fields are also marked for
    :class:`PlainLeafExecutor`.
    """
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field in graphql_type.fields.values():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if not getattr(field.resolve, "_is_default", False) or definition is None:
                continue
            named = get_named_type(field.type)
            leaf = None
            if is_leaf_type(named) and not field.args:
                assert isinstance(named, GraphQLLeafType)
                leaf = PlainLeaf(
                    get=attrgetter(definition.python_name),
                    coerce=named.coerce_output_value,
                    nullable=not isinstance(field.type, GraphQLNonNull),
                )
            field.resolve = _attribute_resolver(definition.python_name, leaf)


class PlainLeafExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, completing plain leaf fields in one step."""

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Any,
        position_context: Any,
    ) -> Any:
        manager = self.middleware_manager
        if manager is None or not manager.middlewares:
            field: GraphQLField | None = parent_type.fields.get(
                field_details_list[0].node.name.value
            )
            leaf: PlainLeaf | None = getattr(field.resolve, "plain_leaf", None) if field else None
            if leaf is not None:
                try:
                    value = leaf.get(source)
                    if value is None:
                        if leaf.nullable:
                            return None
                    elif not isinstance(value, Exception):
                        coerced = leaf.coerce(value)
                        if coerced is not None and coerced is not Undefined:
                            return coerced
                except Exception:  # noqa: S110 — graphql-core reports it below
                    pass
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )
