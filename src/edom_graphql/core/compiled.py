"""Compiled execution of queries.

A validated query is compiled once into a plan: for every selection set the fields it
collects, in response order, each with its resolver, its arguments coerced (once, where
they hold no variable), and how its value is completed (a leaf's coercion, a list, an
object's own plan, an abstract type's plans by runtime type). Running a plan walks the
response breadth-first by waves: everything that can be completed now is completed in
place; every awaitable (a resolver's coroutine, a loader's future, a gatekeeper's
verdict) goes into the wave, and the wave is awaited at once, so the loads of one level
of the response are batched together as graphql-core batches them.

A compiled run never decides an error. At the first sign of one (a resolver raises, a
null reaches a non-null field, a coercion fails, an object is not visible where the
field is non-null, a value is of an unexpected shape) it gives way, and graphql-core
executes the operation from the start, with its errors, paths and null propagation; a
query has no effects to repeat, and the operation's loaders keep what was already read.
Each event of a subscription is compiled the same way (its root field resolves to the
event); mutations, a subscription's source stream, introspection, ``@defer``/``@stream``
and field middleware are never compiled.

Every object of a node type still passes its type's gatekeeper before its fields are
completed (:meth:`edom_graphql.core.nodes.Node.is_visible`), as in graphql-core's path
(:mod:`edom_graphql.core.execution`).
"""

from __future__ import annotations

import asyncio
import builtins
import contextvars
import functools
import inspect
import keyword
import operator
import re
from asyncio import isfuture
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from math import isfinite
from types import CoroutineType, GeneratorType
from typing import TYPE_CHECKING, Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLAbstractType,
    GraphQLBoolean,
    GraphQLField,
    GraphQLID,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLString,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    Undefined,
    VariableNode,
    is_abstract_type,
    is_leaf_type,
)
from graphql.execution.collect_fields import collect_fields, collect_subfields
from graphql.execution.values import get_argument_values
from graphql.pyutils import Path
from graphql.type.scalars import (
    GRAPHQL_MAX_INT,
    GRAPHQL_MIN_INT,
    serialize_float,
    serialize_int,
)
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.schema.schema import (
    StrawberryGraphQLCoreExecutionContext,
    _OperationContextAwareGraphQLResolveInfo,
)
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.arguments import convert_arguments
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE
from strawberry.types.info import Info

if TYPE_CHECKING:
    from edom_graphql.core.execution import PlainLeafExecutor
    from edom_graphql.core.nodes import Gate


class ExecutionMode(Enum):
    """How queries are executed (``EDOM_EXECUTION``)."""

    COMPILED = "compiled"
    """Compiled plans, graphql-core where a plan gives way."""
    GRAPHQL_CORE = "graphql-core"
    """graphql-core only."""
    DIFFERENTIAL = "differential"
    """Compiled plans, each answer checked against graphql-core's (for tests)."""


MODE_KEY = "edom_graphql.execution_mode"
"""Where the schema keeps its :class:`ExecutionMode` (``GraphQLSchema.extensions``)."""


class GiveWay(Exception):
    """The compiled run stops; graphql-core executes the operation instead."""


_SHADOW: contextvars.ContextVar[bool] = contextvars.ContextVar("edom_shadow_run", default=False)


def in_shadow_run() -> bool:
    """Whether the current code runs in a differential check's second execution (the
    statement counters of the tests leave its statements out)."""
    return _SHADOW.get()


# --- plans -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlainLeaf:
    """How to produce a plain leaf field's value without graphql-core's machinery."""

    get: Callable[[Any], Any]
    coerce: Callable[[Any], Any]
    nullable: bool


@dataclass(frozen=True, slots=True)
class PlainObject:
    """A plain attribute whose value is an object: its sub-selection runs directly."""

    get: Callable[[Any], Any]
    type: GraphQLObjectType
    nullable: bool


@dataclass(eq=False, slots=True)
class Leaf:
    coerce: Callable[[Any], Any]
    nullable: bool


@dataclass(eq=False, slots=True)
class ListOf:
    item: Completion
    nullable: bool


@dataclass(eq=False, slots=True)
class Object:
    type: GraphQLObjectType
    plan: ObjectPlan
    nullable: bool


@dataclass(eq=False, slots=True)
class Abstract:
    type: GraphQLAbstractType
    nullable: bool
    plans: dict[str, ObjectPlan]
    """A plan for each possible type, compiled with the rest (a plan keeps nothing of
    the request it was compiled in)."""


Completion = Leaf | ListOf | Object | Abstract

# Kinds of steps, in the order the run tests for them.
PLAIN_LEAF, PLAIN_VALUE, RESOLVED, TYPENAME = range(4)


@dataclass(eq=False, slots=True)
class Step:
    """One response key of a selection set."""

    kind: int
    key: str
    get: Callable[[Any], Any] | None = None
    coerce: Callable[[Any], Any] | None = None
    exact: type | None = None
    """A class whose values the leaf's coercion returns unchanged (str for String)."""
    nullable: bool = True
    completion: Completion | None = None
    field: GraphQLField | None = None
    nodes: list[FieldNode] | None = None
    node: FieldNode | None = None
    args: dict[str, Any] | None = None
    """Coerced arguments, or None where they depend on variables (coerced per run)."""
    direct: DirectCall | None = None
    """How to call the resolver's own function, where Strawberry's wrapper would only
    pass it ``self`` and ``info``."""
    prefetched: Any = None
    """The guarded resolver's :class:`~edom_graphql.core.permissions.Prefetched`: a value
    a parent attached, usable without the resolver once its capability is decided."""
    info_head: tuple[Any, ...] = ()
    """The resolve info's fields that are the same wherever the step runs (its name,
    nodes, return and parent types); the rest are the run's and the path."""
    needs_info: bool = True
    """Whether the resolver or the completion reads the resolve info at all."""
    lazy_info: bool = False
    """Whether the resolver alone reads it, through Strawberry's own ``Info``: it gets a
    :class:`PlanInfo`, which makes graphql-core's resolve info only if it is asked for
    more than the context."""


@dataclass(eq=False, slots=True)
class DirectCall:
    """A resolver without field extensions, called as Strawberry would."""

    function: Callable[..., Any]
    with_self: bool
    info_name: str | None
    info_class: Callable[..., Any]
    definition: Any
    convert: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None
    """Strawberry's conversion of the field's coerced arguments to the resolver's keyword
    arguments (None for a field without arguments)."""
    constant: dict[str, Any] | None = None
    """The converted arguments, where they hold no variable and only immutable values:
    converted once, at compile time."""
    info_positional: bool = False
    """The resolver takes no arguments but its info, which it may be given by position
    (``def field(self, info)``)."""

    def kwargs(self, args: dict[str, Any], info: Any) -> dict[str, Any]:
        if self.convert is None:
            kwargs: dict[str, Any] = {}
        elif self.constant is not None:
            kwargs = dict(self.constant)
        else:
            kwargs = self.convert(args, info)
        if self.info_name is not None:
            kwargs[self.info_name] = info
        return kwargs


_IMMUTABLE = (str, int, float, bool, Enum, type(None))


@dataclass(eq=False, slots=True)
class ObjectPlan:
    type: GraphQLObjectType
    steps: tuple[Step, ...]
    is_type_of: Callable[..., Any] | None
    own_class: builtins.type | None = None
    """The Strawberry type's own class, whose instances (not cast to another type) are
    of the type without asking ``is_type_of``: where the type has none, or where
    Strawberry's would answer True for them (see :func:`_own_class`)."""
    build: Callable[[Run, Any, Path | None], dict[str, Any]] = None  # type: ignore[assignment]
    """The object's response: :func:`object_builder`'s function of the steps."""


def object_builder(plan: ObjectPlan) -> Callable[[Run, Any, Path | None], dict[str, Any]]:
    """The function that makes an object's response, its steps written out one after the
    other (as graphql-jit writes a plan's JavaScript): no loop over the steps nor tests of
    their kinds, each step's values bound as names, a plain attribute read by its name.

    A plain leaf is its value when of the scalar's exact class (``exact``), else its
    coercion (graphql-core decides a null in a non-null field, a failed coercion or an
    error as a value: the run gives way); a plain value is completed (``Run.complete``);
    a resolved field is resolved (``Run.resolve``, which may leave it for the next wave);
    ``__typename`` is the type's name. The text is made of the plan's shape alone: keys,
    functions and values reach it as bound names, never as text."""
    bound: dict[str, Any] = {
        "GiveWay": GiveWay,
        "Undefined": Undefined,
        "new_path": new_path,
        "plan": plan,
        "type_name": plan.type.name,
    }
    lines = ["def build(run, source, path):", "    out = {}"]
    for index, step in enumerate(plan.steps):
        key, got = f"k{index}", f"g{index}(source)"
        bound[key] = step.key
        attribute = _attribute_name(step.get)
        if attribute is not None:
            got = f"source.{attribute}"
        else:
            bound[f"g{index}"] = step.get
        if step.kind == PLAIN_LEAF:
            bound[f"c{index}"] = step.coerce
            lines.append(f"    value = {got}")
            if step.exact is not None:
                bound[f"e{index}"] = step.exact
                lines += [
                    f"    if value.__class__ is e{index}:",
                    f"        out[{key}] = value",
                    "    elif value is None:",
                ]
            else:
                lines.append("    if value is None:")
            lines.append(f"        out[{key}] = None" if step.nullable else "        raise GiveWay")
            lines += [
                "    else:",
                f"        coerced = c{index}(value)",
                "        if coerced is None or coerced is Undefined"
                " or isinstance(value, Exception):",
                "            raise GiveWay",
                f"        out[{key}] = coerced",
            ]
        elif step.kind == PLAIN_VALUE and isinstance(step.completion, Object):
            # What Run.complete does for an object, without the call.
            null = (
                f"        out[{key}] = None"
                if step.completion.nullable
                else "        raise GiveWay"
            )
            bound[f"m{index}"] = step.completion
            bound[f"p{index}"] = step.completion.plan
            lines += [
                f"    value = {got}",
                "    if value is None:",
                null,
                "    else:",
                f"        out[{key}] = run.visible_object(m{index}, p{index}, value, "
                f"new_path((path, {key}, type_name)), out, {key})",
            ]
        elif step.kind == PLAIN_VALUE:
            bound[f"m{index}"] = step.completion
            lines.append(
                f"    out[{key}] = run.complete(m{index}, {got}, "
                f"new_path((path, {key}, type_name)), None, out, {key})"
            )
        elif step.kind == RESOLVED:
            bound[f"s{index}"] = step
            lines.append(f"    run.resolve(plan, s{index}, source, path, out)")
        else:
            lines.append(f"    out[{key}] = {got}")
    lines.append("    return out")
    code = compile("\n".join(lines), f"<plan of {plan.type.name}>", "exec")
    exec(code, bound)  # noqa: S102 - the text is made above, of no outside input
    build: Callable[[Run, Any, Path | None], dict[str, Any]] = bound["build"]
    return build


_ATTRGETTER = re.compile(r"operator\.attrgetter\('([A-Za-z_][A-Za-z0-9_]*)'\)")


def _attribute_name(get: Callable[[Any], Any] | None) -> str | None:
    """The attribute an ``operator.attrgetter`` of one plain name reads, else None."""
    if not isinstance(get, operator.attrgetter):
        return None
    match = _ATTRGETTER.fullmatch(repr(get))
    if match is None or keyword.iskeyword(match[1]) or match[1].startswith("__"):
        return None
    return match[1]


@dataclass(eq=False, slots=True)
class Plan:
    root: ObjectPlan
    operation: Any
    """The operation the plan is of (kept alive, as its identity is the cache key)."""


class Uncompilable(Exception):
    """The operation uses something plans do not cover."""


class Compiler:
    """Compiles one operation, with the variable values of one request (only those of
    ``@skip``/``@include`` shape the plan, and they are part of its cache key)."""

    def __init__(self, executor: PlainLeafExecutor) -> None:
        self.executor = executor
        self.schema = executor.schema

    def root(self) -> ObjectPlan:
        executor = self.executor
        root_type = self.schema.get_root_type(executor.operation.operation)
        if root_type is None:
            raise Uncompilable
        grouped, defer_usages, _ = collect_fields(
            self.schema,
            executor.fragments,
            executor.variable_values,
            root_type,
            executor.operation,
            executor.hide_suggestions,
        )
        if defer_usages:
            raise Uncompilable
        return self.object_plan(root_type, grouped)

    def subplan(self, object_type: GraphQLObjectType, details: Any) -> ObjectPlan:
        executor = self.executor
        grouped, defer_usages, _ = collect_subfields(
            self.schema,
            executor.fragments,
            executor.variable_values,
            executor.operation,
            object_type,
            details,
            executor.hide_suggestions,
        )
        if defer_usages:
            raise Uncompilable
        return self.object_plan(object_type, grouped)

    def object_plan(self, object_type: GraphQLObjectType, grouped: dict[str, Any]) -> ObjectPlan:
        steps = [self.step(object_type, key, details) for key, details in grouped.items()]
        own_class = _own_class(object_type)
        if own_class is not None and _never_awaitable(own_class):
            _NEVER_AWAITABLE.add(own_class)
        plan = ObjectPlan(object_type, tuple(steps), object_type.is_type_of, own_class)
        plan.build = object_builder(plan)
        return plan

    def step(self, parent_type: GraphQLObjectType, key: str, details: Any) -> Step:
        first = details[0]
        if first.defer_usage is not None or any(
            d.fragment_variable_values is not None for d in details
        ):
            raise Uncompilable
        node: FieldNode = first.node
        name = node.name.value
        if name == "__typename":
            type_name = parent_type.name
            return Step(TYPENAME, key, get=lambda _source: type_name)
        if name.startswith("__"):
            raise Uncompilable  # __schema, __type: introspection stays with graphql-core
        graphql_field = parent_type.fields.get(name)
        if graphql_field is None:
            raise Uncompilable
        plain = getattr(graphql_field.resolve, "plain", None)
        if isinstance(plain, PlainLeaf) and not node.arguments:
            bare = graphql_field.type
            if isinstance(bare, GraphQLNonNull):
                bare = bare.of_type
            return Step(
                PLAIN_LEAF,
                key,
                get=plain.get,
                coerce=plain.coerce,
                exact=_UNCHANGED.get(bare),
                nullable=plain.nullable,
            )
        if parent_type is self.schema.subscription_type and _resolves_to_event(graphql_field):
            completion = self.completion(graphql_field.type, details)
            if not _needs_info(completion):
                # The event is the field's value: no arguments, info or call needed.
                return Step(PLAIN_VALUE, key, get=_the_event, completion=completion)
        get = getattr(graphql_field.resolve, "get", None)
        if get is not None and not node.arguments:
            completion = self.completion(graphql_field.type, details)
            if not _needs_info(completion):
                return Step(PLAIN_VALUE, key, get=get, completion=completion)
        if graphql_field.resolve is None:
            raise Uncompilable
        args: dict[str, Any] | None = {}
        if graphql_field.args or node.arguments:
            args = (
                None
                if _has_variables(node)
                else get_argument_values(
                    graphql_field, node, None, None, self.executor.hide_suggestions
                )
            )
        completion = self.completion(graphql_field.type, details)
        # An event's root field resolves to the event itself: its own resolver (the
        # stream's generator) must not be called, nor a value read ahead on the event.
        event_root = parent_type is self.schema.subscription_type
        prefetched = getattr(graphql_field.resolve, "prefetched", None)
        direct = None if event_root else self.direct_call(graphql_field, args)
        nodes = [d.node for d in details]
        return Step(
            RESOLVED,
            key,
            completion=completion,
            field=graphql_field,
            nodes=nodes,
            node=node,
            args=args,
            direct=direct,
            prefetched=(
                None if event_root or node.arguments or _needs_info(completion) else prefetched
            ),
            info_head=(name, nodes, graphql_field.type, parent_type),
            lazy_info=(
                direct is not None
                and direct.info_name is not None
                and direct.info_class is Info
                and (direct.convert is None or direct.constant is not None)
                and not _needs_info(completion)
            ),
            needs_info=(
                direct is None
                or direct.info_name is not None
                or (direct.convert is not None and direct.constant is None)
                or _needs_info(completion)
            ),
        )

    def direct_call(
        self, graphql_field: GraphQLField, args: dict[str, Any] | None
    ) -> DirectCall | None:
        """What Strawberry's resolver wrapper does for a field with no field extensions or
        exception handlers: convert its arguments, call the function with them, ``self``
        and ``info``."""
        definition = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
        strawberry_schema = getattr(self.schema, "_strawberry_schema", None)
        if (
            definition is None
            or strawberry_schema is None
            or definition.base_resolver is None
            or definition.extensions
            or strawberry_schema.schema_converter._exception_handler_specs
        ):
            return None
        resolver = definition.base_resolver
        if resolver.parent_parameter is not None or resolver.root_parameter is not None:
            return None
        info = resolver.info_parameter
        direct = DirectCall(
            function=resolver.wrapped_func,
            with_self=resolver.self_parameter is not None,
            info_name=None if info is None else info.name,
            info_class=strawberry_schema.config.info_class,
            definition=definition,
        )
        if info is not None and not definition.arguments:
            parameters = list(
                inspect.signature(resolver.wrapped_func, follow_wrapped=False).parameters.values()
            )
            position = 1 if direct.with_self else 0
            direct.info_positional = (
                len(parameters) == position + 1
                and parameters[position].name == info.name
                and parameters[position].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
            )
        if definition.arguments:
            arguments = definition.arguments
            registry = strawberry_schema.schema_converter.scalar_registry
            config = strawberry_schema.config

            def convert(values: dict[str, Any], info: Any) -> dict[str, Any]:
                return convert_arguments(
                    values, arguments, scalar_registry=registry, config=config, info=info
                )

            direct.convert = convert
            if args is not None:
                try:
                    converted = convert(args, None)
                except Exception:  # Strawberry's own path reports it, each time
                    return None
                if all(isinstance(value, _IMMUTABLE) for value in converted.values()):
                    direct.constant = converted
        return direct

    def completion(self, graphql_type: GraphQLOutputType, details: Any) -> Completion:
        nullable = True
        if isinstance(graphql_type, GraphQLNonNull):
            nullable = False
            graphql_type = graphql_type.of_type
        if is_leaf_type(graphql_type):
            return Leaf(output_coercion(graphql_type), nullable)
        if isinstance(graphql_type, GraphQLList):
            return ListOf(self.completion(graphql_type.of_type, details), nullable)
        if isinstance(graphql_type, GraphQLObjectType):
            return Object(graphql_type, self.subplan(graphql_type, details), nullable)
        if is_abstract_type(graphql_type):
            return Abstract(
                graphql_type,
                nullable,
                {
                    possible.name: self.subplan(possible, details)
                    for possible in self.schema.get_possible_types(graphql_type)
                },
            )
        raise Uncompilable


def output_coercion(leaf_type: Any) -> Callable[[Any], Any]:
    """A leaf type's output coercion; an enum's by one dictionary lookup per value.

    Strawberry's enum coercion compares the value with each of the enum's values in turn
    (an enum property read each): the names here are its own answers, computed once.
    """
    coerce: Callable[[Any], Any] = leaf_type.coerce_output_value
    if coerce is serialize_int:
        return _coerce_int
    if coerce is serialize_float:
        return _coerce_float
    wrapped = getattr(leaf_type, "wrapped_cls", None)
    if not (isinstance(wrapped, type) and issubclass(wrapped, Enum)):
        return coerce
    names: dict[Any, Any] = {}
    for member in wrapped:
        try:
            names[member] = coerce(member)
        except Exception:  # noqa: S112 - left to the coercion itself, which reports it
            continue

    def coerce_enum(value: Any) -> Any:
        if value.__class__ is wrapped:
            name = names.get(value)
            if name is not None:
                return name
        return coerce(value)

    return coerce_enum


def _coerce_int(value: Any) -> Any:
    """graphql-core's Int output coercion, an int in range returned at once (its own
    path tests the value against five kinds before it gets there)."""
    if value.__class__ is int and GRAPHQL_MIN_INT <= value <= GRAPHQL_MAX_INT:
        return value
    return serialize_int(value)


def _coerce_float(value: Any) -> Any:
    """graphql-core's Float output coercion, a finite float returned at once."""
    if value.__class__ is float and isfinite(value):
        return value
    return serialize_float(value)


_UNCHANGED: dict[Any, type] = {GraphQLString: str, GraphQLID: str, GraphQLBoolean: bool}
"""Scalars whose coercion returns a value of exactly this class as it is."""


def _own_class(object_type: GraphQLObjectType) -> type | None:
    """The class whose instances are values of ``object_type`` as they are.

    Strawberry's ``is_type_of`` (a type with interfaces) answers True for an instance of
    the type's class unless the instance was cast (``strawberry.cast``, an attribute in
    its ``__dict__``); so an instance of exactly that class, with a ``__dict__`` and no
    cast in it, needs no call. Not for a type with an ``is_type_of`` of its own, a
    generic specialisation, or a class whose instances have no ``__dict__``."""
    definition = (object_type.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
    origin = getattr(definition, "origin", None)
    if (
        not isinstance(origin, type)
        or getattr(definition, "is_type_of", None) is not None
        or getattr(definition, "concrete_of", None) is not None
        or origin.__dictoffset__ == 0
        or issubclass(origin, BaseException)
        or hasattr(origin, TYPE_CAST_ATTRIBUTE)
    ):
        return None
    return origin


def _never_awaitable(cls: type) -> bool:
    """Whether an instance of ``cls`` with no ``__await__`` of its own is not awaitable."""
    return not (
        hasattr(cls, "__await__")
        or hasattr(cls, "__getattr__")
        or issubclass(cls, CoroutineType | GeneratorType)
    )


_NEVER_AWAITABLE: set[type] = set()
"""Classes of object types whose instances Strawberry's ``optimized_is_awaitable`` finds
not awaitable by its slowest path (two isinstance checks and a failed ``hasattr``): no
``__await__`` or ``__getattr__`` of the class, nor a coroutine's or generator's class."""


def _is_awaitable(value: Any) -> bool:
    """Strawberry's ``optimized_is_awaitable``, answered at once for an instance of an
    object type's class (with no ``__await__`` of its own)."""
    if value.__class__ in _NEVER_AWAITABLE and "__await__" not in value.__dict__:
        return False
    return optimized_is_awaitable(value)


def _resolves_to_event(graphql_field: GraphQLField) -> bool:
    """Whether a subscription field's resolver is Strawberry's, which returns the event
    as it is (``lambda event, *_, **__: event``)."""
    resolve = graphql_field.resolve
    return (
        graphql_field.subscribe is not None
        and GraphQLCoreConverter.DEFINITION_BACKREF in (graphql_field.extensions or {})
        and resolve is not None
        and resolve.__module__ == GraphQLCoreConverter.__module__
        and resolve.__name__ == "<lambda>"
    )


def _the_event(event: Any) -> Any:
    return event


def _needs_info(completion: Completion) -> bool:
    """Whether completing needs the field's resolve info (an abstract type's
    ``resolve_type`` reads it)."""
    while isinstance(completion, ListOf):
        completion = completion.item
    return isinstance(completion, Abstract)


def _has_variables(node: FieldNode) -> bool:
    stack: list[Any] = [argument.value for argument in node.arguments or ()]
    while stack:
        value = stack.pop()
        if isinstance(value, VariableNode):
            return True
        stack.extend(getattr(value, "values", ()))
        stack.extend(f.value for f in getattr(value, "fields", ()))
    return False


def _directive_variables(executor: PlainLeafExecutor) -> tuple[str, ...] | None:
    """Names of the variables the operation's ``@skip``/``@include`` read; None where it
    uses a directive plans do not cover."""
    names: set[str] = set()
    seen: set[str] = set()
    stack: list[SelectionSetNode] = [executor.operation.selection_set]
    fragments = executor.fragment_definitions
    while stack:
        selection_set = stack.pop()
        for selection in selection_set.selections:
            for directive in selection.directives or ():
                if directive.name.value not in ("skip", "include"):
                    return None
                for argument in directive.arguments or ():
                    if isinstance(argument.value, VariableNode):
                        names.add(argument.value.name.value)
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen and name in fragments:
                    seen.add(name)
                    stack.append(fragments[name].selection_set)
            elif (
                isinstance(selection, InlineFragmentNode | FieldNode)
                and selection.selection_set is not None
            ):
                stack.append(selection.selection_set)
    return tuple(sorted(names))


class Plans:
    """The compiled plans of one schema, by operation (least recently used dropped)."""

    def __init__(self, maxsize: int = 512) -> None:
        self.maxsize = maxsize
        self._directive_variables: dict[int, tuple[Any, tuple[str, ...] | None]] = {}
        self._plans: OrderedDict[tuple[Any, ...], Plan | None] = OrderedDict()

    def of(self, executor: PlainLeafExecutor) -> Plan | None:
        operation = executor.operation
        known = self._directive_variables.get(id(operation))
        if known is None or known[0] is not operation:
            known = (operation, _directive_variables(executor))
            self._directive_variables[id(operation)] = known
            if len(self._directive_variables) > self.maxsize:
                self._directive_variables.pop(next(iter(self._directive_variables)))
        names = known[1]
        if names is None:
            return None
        coerced = executor.variable_values.coerced
        key = (id(operation), *(coerced.get(name) for name in names))
        plans = self._plans
        if key in plans:
            plans.move_to_end(key)
            plan = plans[key]
            if plan is None or plan.operation is operation:
                return plan
        try:
            plan = Plan(Compiler(executor).root(), operation)
        except Uncompilable:
            plan = None
        plans[key] = plan
        if len(plans) > self.maxsize:
            plans.popitem(last=False)
        return plan


def compilable(executor: PlainLeafExecutor, serially: bool | None) -> bool:
    """A query, or one event of a subscription (graphql-core executes each event with
    ``serially=False`` on a per-event copy of the executor, the event as root value)."""
    manager = executor.middleware_manager
    kind = executor.operation.operation
    return (
        (
            (kind is OperationType.QUERY and serially is None)
            or (kind is OperationType.SUBSCRIPTION and serially is False)
        )
        and (manager is None or not manager.middlewares)
        and executor.abort_signal is None
    )


# --- runs ------------------------------------------------------------------------------


_STRAWBERRY_BUILD_RESOLVE_INFO = StrawberryGraphQLCoreExecutionContext.build_resolve_info
_STRAWBERRY_INFO = _OperationContextAwareGraphQLResolveInfo
_INFO_FIELDS = (
    "field_name",
    "field_nodes",
    "return_type",
    "parent_type",
    "path",
    "schema",
    "fragments",
    "root_value",
    "operation",
    "variable_values",
    "context",
    "is_awaitable",
    "abort_signal",
    "async_helpers",
    "operation_extensions",
)
assert _STRAWBERRY_INFO._fields == _INFO_FIELDS, "Strawberry's resolve info has changed shape"

new_path: Callable[[tuple[Any, Any, Any]], Path] = functools.partial(tuple.__new__, Path)
"""``Path(prev, key, typename)`` without the generated ``__new__`` of a NamedTuple."""

Pending = tuple[Awaitable[Any], Callable[[Any, Any], None], Any]
"""What a run waits for, the function that resumes with its result, and that state."""


class Run:
    """One execution of a plan."""

    __slots__ = (
        "args",
        "context",
        "executor",
        "gates",
        "info_class",
        "info_tail",
        "is_awaitable",
        "pending",
    )

    def __init__(self, executor: PlainLeafExecutor) -> None:
        self.executor = executor
        self.context = executor.context_value
        self.gates: dict[type, Gate] = executor.gates
        self.is_awaitable = (
            _is_awaitable
            if executor.is_awaitable is optimized_is_awaitable
            else executor.is_awaitable
        )
        self.pending: list[Pending] = []
        self.args: dict[Step, dict[str, Any]] = {}
        # Strawberry's resolve info is a named tuple of the step's fields, the path and
        # the run's: made here by one tuple.__new__ where the executor's is Strawberry's.
        self.info_class: Any = None
        self.info_tail: tuple[Any, ...] = ()
        if type(executor).build_resolve_info is _STRAWBERRY_BUILD_RESOLVE_INFO:
            self.info_class = _STRAWBERRY_INFO
            self.info_tail = (
                executor.schema,
                executor.fragment_definitions,
                executor.root_value,
                executor.operation,
                executor.variable_values.coerced,
                executor.context_value,
                executor.is_awaitable,
                executor.abort_signal,
                executor.async_helpers,
                executor.operation_extensions,
            )

    async def execute(self, plan: Plan) -> dict[str, Any]:
        ours = hasattr(self.context, "shield_loads")  # an edom_graphql Context
        if ours:
            self.context.shield_loads = False
        try:
            data = plan.root.build(self, self.executor.root_value, None)
            while self.pending:
                wave, self.pending = self.pending, []
                if len(wave) == 1:  # awaited here: no task to run it in
                    awaitable, resume, state = wave[0]
                    try:
                        result = await awaitable
                    except Exception as error:
                        raise GiveWay from error
                    resume(result, state)
                    continue
                if all(isfuture(entry[0]) for entry in wave):
                    await self.settle_one_by_one(wave)
                    continue
                results = await asyncio.gather(
                    *(entry[0] for entry in wave), return_exceptions=True
                )
                for (_, resume, state), result in zip(wave, results, strict=True):
                    if isinstance(result, BaseException):
                        raise GiveWay from result
                    resume(result, state)
            return data
        finally:
            await self.abandon()
            if ours:
                self.context.shield_loads = True

    async def settle_one_by_one(self, wave: list[Pending]) -> None:
        """Resume each entry of a wave of futures (already under way) in turn: no task
        or gather callback, and no longer a wait than a gather's."""
        current = 0
        try:
            for current, (awaitable, resume, state) in enumerate(wave):  # noqa: B007
                try:
                    result = await awaitable
                except Exception as error:
                    raise GiveWay from error
                resume(result, state)
        except BaseException:
            # Giving way: abandon() settles what is left of the wave.
            self.pending = wave[current + 1 :] + self.pending
            raise

    async def abandon(self) -> None:
        """Settle what a run that gave way left in its next wave: coroutines are closed
        unstarted, futures awaited (their outcome is the operation's loaders')."""
        pending, self.pending = self.pending, []
        futures = []
        for awaitable, _, _ in pending:
            close = getattr(awaitable, "close", None)
            if close is not None and asyncio.iscoroutine(awaitable):
                close()
            else:
                futures.append(awaitable)
        if futures:
            await asyncio.gather(*futures, return_exceptions=True)

    # Objects -------------------------------------------------------------------------

    def resolve(
        self, plan: ObjectPlan, step: Step, source: Any, path: Path | None, out: dict[str, Any]
    ) -> None:
        executor = self.executor
        key = step.key
        field_path = new_path((path, key, plan.type.name))
        prefetched = step.prefetched
        if prefetched is not None:
            value = prefetched.get(source)
            if value is not None:
                target = prefetched.scope(source, {})
                if target is not None and self.context.decided(prefetched.capability, target):
                    out[key] = self.complete(step.completion, value, field_path, None, out, key)  # type: ignore[arg-type]
                    return
        direct = step.direct
        if step.lazy_info:
            # Strawberry's Info for the resolver, graphql-core's made only if it asks.
            result = self.call_with_plan_info(step, direct, source, field_path)  # type: ignore[arg-type]
            if self.is_awaitable(result):
                out[key] = None
                self.pending.append((result, self._resume_field, (step, field_path, None, out)))
                return
            out[key] = self.complete(step.completion, result, field_path, None, out, key)  # type: ignore[arg-type]
            return
        if not step.needs_info:
            info = None
        elif self.info_class is not None:
            info = tuple.__new__(self.info_class, (*step.info_head, field_path, *self.info_tail))
        else:
            info = executor.build_resolve_info(
                step.field,  # type: ignore[arg-type]
                step.nodes,  # type: ignore[arg-type]
                plan.type,
                field_path,
            )
        args = step.args
        if args is None:
            args = self.args.get(step)
            if args is None:
                args = self.args[step] = get_argument_values(
                    step.field,  # type: ignore[arg-type]
                    step.node,  # type: ignore[arg-type]
                    executor.variable_values,
                    None,
                    executor.hide_suggestions,
                )
        if direct is not None:
            kwargs = direct.kwargs(
                args,
                None
                if info is None
                else direct.info_class(_raw_info=info, _field=direct.definition),
            )
            result = (
                direct.function(source, **kwargs) if direct.with_self else direct.function(**kwargs)
            )
        else:
            result = step.field.resolve(source, info, **args)  # type: ignore[union-attr, misc]
        if self.is_awaitable(result):
            out[key] = None
            self.pending.append((result, self._resume_field, (step, field_path, info, out)))
            return
        out[key] = self.complete(step.completion, result, field_path, info, out, key)  # type: ignore[arg-type]

    def call_with_plan_info(self, step: Step, direct: DirectCall, source: Any, path: Path) -> Any:
        info = _new(PlanInfo)
        info.__dict__ = {"_run": self, "_step": step, "_path": path, "_field": direct.definition}
        if direct.info_positional:
            return direct.function(source, info) if direct.with_self else direct.function(info)
        kwargs = direct.kwargs(step.args, info)  # type: ignore[arg-type]
        return direct.function(source, **kwargs) if direct.with_self else direct.function(**kwargs)

    def raw_info(self, step: Step, path: Path) -> Any:
        """graphql-core's resolve info of ``step`` at ``path``."""
        if self.info_class is not None:
            return tuple.__new__(self.info_class, (*step.info_head, path, *self.info_tail))
        return self.executor.build_resolve_info(
            step.field,  # type: ignore[arg-type]
            step.nodes,  # type: ignore[arg-type]
            step.info_head[3],
            path,
        )

    def _resume_field(self, result: Any, state: Any) -> None:
        step, path, info, out = state
        out[step.key] = self.complete(step.completion, result, path, info, out, step.key)

    # Values --------------------------------------------------------------------------

    def complete(
        self,
        completion: Completion,
        value: Any,
        path: Path | None,
        info: Any,
        container: Any,
        key: Any,
    ) -> Any:
        """The completed value at ``container[key]`` (which a later wave may fill in)."""
        # Dispatched on the completion's exact class, not narrowed by isinstance: typed Any.
        of: Any = completion
        if value is None:
            if completion.nullable:
                return None
            raise GiveWay
        kind = completion.__class__
        if kind is Object:
            # An error as a value gives way in visible_object.
            return self.visible_object(of, of.plan, value, path, container, key)
        if kind is Leaf:
            if isinstance(value, Exception):
                raise GiveWay
            coerced = of.coerce(value)
            if coerced is None or coerced is Undefined:
                raise GiveWay
            return coerced
        if kind is ListOf:
            if value.__class__ is not list and not isinstance(value, list | tuple):
                raise GiveWay
            items: list[Any] = [None] * len(value)
            item = of.item
            is_awaitable = self.is_awaitable
            for index, element in enumerate(value):
                item_path = new_path((path, index, None))
                if is_awaitable(element):
                    self.pending.append(
                        (element, self._resume_item, (item, item_path, info, items, index))
                    )
                    continue
                items[index] = self.complete(item, element, item_path, info, items, index)
            return items
        if isinstance(value, Exception):
            raise GiveWay
        runtime = of.type.resolve_type(value, info, of.type)
        if not isinstance(runtime, str):
            raise GiveWay  # awaitable or missing: graphql-core decides
        runtime_type = self.executor.schema.get_type(runtime)
        if not isinstance(runtime_type, GraphQLObjectType) or not self.executor.schema.is_sub_type(
            of.type, runtime_type
        ):
            raise GiveWay
        return self.visible_object(of, of.plans[runtime_type.name], value, path, container, key)

    def _resume_item(self, result: Any, state: Any) -> None:
        item, path, info, items, index = state
        items[index] = self.complete(item, result, path, info, items, index)

    def visible_object(
        self,
        completion: Object | Abstract,
        plan: ObjectPlan,
        value: Any,
        path: Path | None,
        container: Any,
        key: Any,
    ) -> Any:
        if value.__class__ is not plan.own_class or TYPE_CAST_ATTRIBUTE in value.__dict__:
            if isinstance(value, Exception):
                raise GiveWay
            is_type_of = plan.is_type_of
            # Strawberry's is_type_of looks only at the value, not at the info.
            if is_type_of is not None and is_type_of(value, None) is not True:
                raise GiveWay
        gate = self.gates.get(value.__class__)
        if gate is not None:
            verdict = gate(self.context, value)
            if verdict is False:
                if completion.nullable:
                    return None
                raise GiveWay
            if verdict is not True:
                self.pending.append(
                    (verdict, self._resume_visible, (completion, plan, value, path, container, key))
                )
                return None
        return plan.build(self, value, path)

    def _resume_visible(self, verdict: Any, state: Any) -> None:
        completion, plan, value, path, container, key = state
        if not verdict:
            if completion.nullable:
                container[key] = None
                return
            raise GiveWay
        container[key] = plan.build(self, value, path)


_new = object.__new__


class PlanInfo(Info[Any, Any]):
    """Strawberry's ``Info`` for a resolver a compiled run calls: the same answers, with
    graphql-core's resolve info (fifteen fields and the path) made only when the resolver
    asks for more than the context, which most of them read alone."""

    _run: Run
    _step: Step
    _path: Path

    @property
    def context(self) -> Any:
        return self._run.context

    @property
    def _raw_info(self) -> Any:  # type: ignore[override]
        raw = self.__dict__.get("_raw")
        if raw is None:
            raw = self.__dict__["_raw"] = self._run.raw_info(self._step, self._path)
        return raw


def enter_shadow() -> contextvars.Token[bool]:
    return _SHADOW.set(True)


def leave_shadow(token: contextvars.Token[bool]) -> None:
    _SHADOW.reset(token)
