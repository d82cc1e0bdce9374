"""What is checked before an operation runs: every string it carries can be stored (no
NUL, no lone surrogate), and the limits: tokens, depth, aliases and a GitHub-style cost
(the number of nodes a query may return: the product of nested ``first`` values, summed).

Introspection is measured by its own rules: the type-reference chains of the standard
introspection query (``ofType { ofType { … } }``) do not count as depth, and the lists
of the introspection schema (``types``, ``fields``, ``args`` …) may be nested at most
three deep, which is what the standard query needs and bounds what others can ask."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    DefinitionNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql.execution.values import get_variable_values
from strawberry.extensions import ParserCache, SchemaExtension
from strawberry.types.graphql import OperationType

from edom_graphql.core.context import Context
from edom_graphql.core.errors import ApiError, BadUserInput, QueryTooComplex
from edom_graphql.core.text import unstorable, unstorable_path

if TYPE_CHECKING:
    from edom_graphql.settings import Settings

SIZE_ARGUMENTS = ("first", "last")
INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
INTROSPECTION_LISTS = frozenset(
    {
        "types",
        "fields",
        "inputFields",
        "interfaces",
        "possibleTypes",
        "enumValues",
        "args",
        "directives",
    }
)
MAX_INTROSPECTION_LISTS = 3
INT_RANGE = range(-(2**31), 2**31)
MAX_NESTING = 100
"""Selection sets nested deeper than this (through fragments too) are refused unmeasured."""


@dataclass(frozen=True, slots=True)
class Measure:
    depth: int
    aliases: int
    cost: int
    introspection_lists: int = 0


EMPTY = Measure(depth=0, aliases=0, cost=0, introspection_lists=0)


class _TooDeep(Exception):
    pass


def _combine(parts: list[Measure]) -> Measure:
    if not parts:
        return EMPTY
    return Measure(
        depth=max(part.depth for part in parts),
        aliases=sum(part.aliases for part in parts),
        cost=sum(part.cost for part in parts),
        introspection_lists=max(part.introspection_lists for part in parts),
    )


def _variable_defaults(operation: OperationDefinitionNode) -> dict[str, ValueNode]:
    return {
        definition.variable.name.value: definition.default_value
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }


def measure(
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> Measure:
    """Depth, alias count and node cost of one operation (fragments inlined).

    The cost of a field with ``first``/``last`` is that size times the product of the
    sizes above it; ``nodes(ids: …)`` counts the ids. Cost is linear in the multiplier,
    so each fragment is measured once (with multiplier 1) however often it is spread.
    """
    defaults = _variable_defaults(operation)
    memo: dict[tuple[str, bool], Measure] = {}
    in_progress: set[tuple[str, bool]] = set()

    def int_value(value: ValueNode) -> int | None:
        if isinstance(value, IntValueNode):
            return int(value.value)
        if isinstance(value, VariableNode):
            name = value.name.value
            if name in variables:
                given = variables[name]
                if isinstance(given, int) and not isinstance(given, bool) and given in INT_RANGE:
                    return given
                # Not an Int: variable coercion refuses it before anything runs.
                return None
            default = defaults.get(name)
            return int_value(default) if default is not None else None
        return None

    def list_length(value: ValueNode) -> int | None:
        if isinstance(value, ListValueNode):
            return len(value.values)
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            if isinstance(given, list):
                return len(given)
            default = defaults.get(value.name.value)
            return list_length(default) if default is not None else None
        return None

    def size_of(field: FieldNode) -> int | None:
        for argument in field.arguments or ():
            if argument.name.value in SIZE_ARGUMENTS:
                size = int_value(argument.value)
                if size is not None:
                    return max(size, 0)
        if field.name.value == "nodes":
            for argument in field.arguments or ():
                if argument.name.value == "ids":
                    return list_length(argument.value)
        return None

    def fragment(name: str, introspection: bool, nesting: int) -> Measure:
        key = (name, introspection)
        found = memo.get(key)
        if found is not None:
            return found
        definition = fragments.get(name)
        if definition is None or key in in_progress:
            # Unknown or cyclic fragments are validation errors, reported elsewhere.
            return EMPTY
        in_progress.add(key)
        try:
            found = selections(definition.selection_set, introspection, nesting + 1)
        finally:
            in_progress.discard(key)
        memo[key] = found
        return found

    def field(node: FieldNode, introspection: bool, nesting: int) -> Measure:
        name = node.name.value
        inside = introspection or name in INTROSPECTION_ROOTS
        children = (
            selections(node.selection_set, inside, nesting + 1)
            if node.selection_set is not None
            else EMPTY
        )
        step = 0 if introspection and name == "ofType" else 1
        size = size_of(node) if not inside else None
        cost = children.cost if size is None else size + size * children.cost
        return Measure(
            depth=step + children.depth,
            aliases=(1 if node.alias is not None else 0) + children.aliases,
            cost=cost,
            introspection_lists=(1 if introspection and name in INTROSPECTION_LISTS else 0)
            + children.introspection_lists,
        )

    def selections(selection_set: SelectionSetNode, introspection: bool, nesting: int) -> Measure:
        if nesting > MAX_NESTING:
            raise _TooDeep
        parts: list[Measure] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                parts.append(field(selection, introspection, nesting))
            elif isinstance(selection, InlineFragmentNode):
                parts.append(selections(selection.selection_set, introspection, nesting + 1))
            elif isinstance(selection, FragmentSpreadNode):
                parts.append(fragment(selection.name.value, introspection, nesting))
        return _combine(parts)

    try:
        return selections(operation.selection_set, False, 0)
    except _TooDeep:
        return Measure(depth=MAX_NESTING + 1, aliases=0, cost=0)


def select_operation(
    operations: list[OperationDefinitionNode], name: str | None
) -> OperationDefinitionNode | None:
    """The operation the request runs, as the GraphQL specification selects it."""
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((o for o in operations if o.name is not None and o.name.value == name), None)


MEASURE_CACHE_SIZE = 1024
_MEASURES: OrderedDict[tuple[str, str | None, tuple[tuple[str, int | None], ...]], Measure] = (
    OrderedDict()
)


def _sizes(variables: Mapping[str, Any]) -> tuple[tuple[str, int | None], ...]:
    """The parts of the variables a :class:`Measure` depends on: integers (page sizes)
    and list lengths (``nodes(ids:)``)."""
    return tuple(
        sorted(
            (
                name,
                value
                if isinstance(value, int) and not isinstance(value, bool)
                else len(value)
                if isinstance(value, list)
                else None,
            )
            for name, value in variables.items()
        )
    )


_LITERALS: OrderedDict[str, str | None] = OrderedDict()


def _literal_problem(query: str | None, definitions: Sequence[DefinitionNode]) -> str | None:
    """Why a string literal of the document could not be stored, or None (per text)."""
    if query is not None and query in _LITERALS:
        _LITERALS.move_to_end(query)
        return _LITERALS[query]
    found: str | None = None
    stack: list[Any] = list(definitions)
    while stack and found is None:
        node = stack.pop()
        if isinstance(node, StringValueNode):
            problem = unstorable(node.value)
            if problem is not None:
                found = f"a string in the document {problem}"
            continue
        for key in node.keys:
            if key == "loc":
                continue
            child = getattr(node, key, None)
            if isinstance(child, Node):
                stack.append(child)
            elif isinstance(child, tuple | list):
                stack.extend(item for item in child if isinstance(item, Node))
    if query is not None:
        _LITERALS[query] = found
        if len(_LITERALS) > MEASURE_CACHE_SIZE:
            _LITERALS.popitem(last=False)
    return found


@dataclass(frozen=True, slots=True)
class Limits:
    """The size limits of an operation, checked before any resolver runs."""

    max_depth: int
    max_aliases: int
    max_cost: int

    @classmethod
    def of(cls, settings: Settings) -> Limits:
        return cls(
            max_depth=settings.max_depth,
            max_aliases=settings.max_aliases,
            max_cost=settings.max_cost,
        )

    def refusal(
        self,
        schema: GraphQLSchema,
        query: str | None,
        requested: str | None,
        definitions: Sequence[DefinitionNode],
        variables: Mapping[str, Any],
    ) -> ApiError | None:
        """Why the operation ``requested`` (the name the client gave, if any) of a
        document may not run with these variables; None when it may."""
        fragments = {d.name.value: d for d in definitions if isinstance(d, FragmentDefinitionNode)}
        operations = [d for d in definitions if isinstance(d, OperationDefinitionNode)]
        operation = select_operation(operations, requested)
        if operation is None:
            if requested is None and len(operations) > 1:
                return BadUserInput(
                    "The document has several operations: name the one to run in `operationName`."
                )
            return None
        problem = unstorable_path(dict(variables), "variables") or _literal_problem(
            query, definitions
        )
        if problem is not None:
            return BadUserInput(f"{problem[0].upper()}{problem[1:]}; no text may hold one.")
        # Sizes count as the operation will see them: graphql-core coerces a variable
        # `first: 100.0` to the Int 100, so the raw JSON value is not what runs. Variables
        # that do not coerce are refused by execution itself.
        coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables))
        if isinstance(coerced, list):
            return None
        sizes = coerced.coerced
        key = (query, requested, _sizes(sizes)) if query else None
        found = _MEASURES.get(key) if key is not None else None
        if found is None:
            found = measure(operation, fragments, sizes)
            if key is not None:
                _MEASURES[key] = found
                if len(_MEASURES) > MEASURE_CACHE_SIZE:
                    _MEASURES.popitem(last=False)
        return self.check(found)

    def check(self, found: Measure) -> QueryTooComplex | None:
        if found.depth > self.max_depth:
            return QueryTooComplex(
                f"The query is {found.depth} levels deep; the limit is {self.max_depth}.",
                depth=found.depth,
                limit=self.max_depth,
            )
        if found.introspection_lists > MAX_INTROSPECTION_LISTS:
            return QueryTooComplex(
                f"The introspection query nests {found.introspection_lists} lists; the limit "
                f"is {MAX_INTROSPECTION_LISTS}.",
                introspectionLists=found.introspection_lists,
                limit=MAX_INTROSPECTION_LISTS,
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


class QueryLimits(SchemaExtension):
    """Refuses over-limit operations with ``QUERY_TOO_COMPLEX`` before any resolver runs."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            # Strawberry runs the first operation when none is named; the specification
            # requires a name when there are several. The name the client gave (if any)
            # is only kept privately on the execution context.
            error = self.limits.refusal(
                context.schema._schema,
                context.query,
                getattr(context, "_provided_operation_name", context.operation_name),
                document.definitions,
                context.variables or {},
            )
            if error is not None:
                if context.operation_type is OperationType.SUBSCRIPTION:
                    # Streams ignore a preset result; a raised error becomes their result.
                    raise error
                context.result = GraphQLExecutionResult(data=None, errors=[error])
            elif isinstance(context.context, Context):
                # The operation will run: read the viewer's access profile alongside its
                # first statements rather than after them.
                context.context.prefetch_profile()
        yield


class SafeParserCache(ParserCache):
    """Strawberry's parser cache, except that a document that does not parse is left to
    Strawberry's own parse step, which reports the syntax error as the operation's result.

    ``ParserCache`` raises syntax errors from its ``on_parse`` hook, outside Strawberry's
    error handling: over HTTP the error skips the operation hooks, and over WebSocket the
    client gets no error at all, only ``complete``. Failed parses are not cached, so this
    costs a second parse of invalid documents only. Documents over ``max_tokens`` are
    refused by the parser itself (``QUERY_TOO_COMPLEX``).
    """

    def __init__(self, maxsize: int | None = 512, *, max_tokens: int) -> None:
        super().__init__(maxsize=maxsize)
        self.max_tokens = max_tokens

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.max_tokens
        try:
            context.graphql_document = self.cached_parse_document(
                context.query, **context.parse_options
            )
        except GraphQLError:
            context.graphql_document = None
        yield
