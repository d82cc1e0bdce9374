"""Query limits: tokens, depth, aliases and a GitHub-style cost (the number of nodes a
query may return: the product of nested ``first`` values, summed)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
)
from strawberry.extensions import SchemaExtension

from edom_graphql.core.errors import QueryTooComplex

DEFAULT_LIST_SIZE = 1


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int
    aliases: int
    cost: int


def measure(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> Measure:
    """Depth, alias count and node cost of one operation (fragments inlined)."""
    aliases = 0
    max_depth = 0
    cost = 0

    def first_of(field: FieldNode) -> int | None:
        for argument in field.arguments or ():
            if argument.name.value not in ("first", "last"):
                continue
            value = argument.value
            if isinstance(value, IntValueNode):
                return int(value.value)
            if isinstance(value, VariableNode):
                given = variables.get(value.name.value)
                return given if isinstance(given, int) else None
        return None

    def walk(
        selection_set: SelectionSetNode, depth: int, multiplier: int, seen: frozenset[str]
    ) -> None:
        nonlocal aliases, max_depth, cost
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                if selection.alias is not None:
                    aliases += 1
                max_depth = max(max_depth, depth)
                if selection.selection_set is None:
                    continue
                size = first_of(selection)
                child_multiplier = multiplier
                if size is not None:
                    child_multiplier = multiplier * max(size, 0)
                    cost += child_multiplier
                walk(selection.selection_set, depth + 1, child_multiplier, seen)
            elif isinstance(selection, InlineFragmentNode):
                walk(selection.selection_set, depth, multiplier, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = fragments.get(name)
                if fragment is not None and name not in seen:
                    walk(fragment.selection_set, depth, multiplier, seen | {name})

    walk(operation.selection_set, 1, 1, frozenset())
    return Measure(depth=max_depth, aliases=aliases, cost=cost)


class QueryLimits(SchemaExtension):
    """Refuses over-limit operations with ``QUERY_TOO_COMPLEX`` before any resolver runs."""

    def __init__(self, *, max_tokens: int, max_depth: int, max_aliases: int, max_cost: int) -> None:
        self.max_tokens = max_tokens
        self.max_depth = max_depth
        self.max_aliases = max_aliases
        self.max_cost = max_cost

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options["max_tokens"] = self.max_tokens
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            fragments = {
                d.name.value: d
                for d in document.definitions
                if isinstance(d, FragmentDefinitionNode)
            }
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            operation = next(
                (
                    o
                    for o in operations
                    if context.operation_name is None
                    or (o.name is not None and o.name.value == context.operation_name)
                ),
                None,
            )
            if operation is not None:
                error = self.check(measure(operation, fragments, context.variables or {}))
                if error is not None:
                    context.result = GraphQLExecutionResult(data=None, errors=[error])
        yield

    def check(self, found: Measure) -> QueryTooComplex | None:
        if found.depth > self.max_depth:
            return QueryTooComplex(
                f"The query is {found.depth} levels deep; the limit is {self.max_depth}.",
                depth=found.depth,
                limit=self.max_depth,
            )
        if found.aliases > self.max_aliases:
            return QueryTooComplex(
                f"The query uses {found.aliases} aliases; the limit is {self.max_aliases}.",
                aliases=found.aliases,
                limit=self.max_aliases,
            )
        if found.cost > self.max_cost:
            return QueryTooComplex(
                f"The query may return {found.cost} nodes; the limit is {self.max_cost}. "
                "Ask for smaller pages (`first`).",
                cost=found.cost,
                limit=self.max_cost,
            )
        return None
