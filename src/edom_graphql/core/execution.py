"""Execution with a fast path for plain leaf fields, and the gatekeeper of every object.

Every object of a node type that a field returns passes its type's gatekeeper
(:meth:`edom_graphql.core.nodes.Node.is_visible`) before its fields are executed: one
the viewer may not see is completed as null (a FORBIDDEN error where the field is
non-null), through whatever path it came (``node``, lists, connections, nested fields,
mutation payloads, subscription events).

Most fields of a response are read straight off an object: scalars (``number``,
``area``, ``id``) and nested objects (an edge's ``node``, an ownership's ``share``).
graphql-core builds a resolve-info tuple, calls the resolver and walks
``complete_value`` for each of them; for these fields the outcome is just
``coerce_output_value(getattr(source, name))``, or the sub-selection executed on
``getattr(source, name)``. The executor below does that directly and leaves every
other case (nulls in non-null fields, failed coercions, objects of the wrong type,
middleware, resolvers, lists, abstract types) to graphql-core unchanged.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLField,
    GraphQLLeafType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    GraphQLSchema,
    OperationType,
    Undefined,
    is_leaf_type,
)
from graphql.execution.executor import CollectedErrors, to_nodes
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.schema_converter import GraphQLCoreConverter

from edom_graphql.core.compiled import (
    MODE_KEY,
    ExecutionMode,
    PlainLeaf,
    PlainObject,
    Plans,
    Run,
    compilable,
    enter_shadow,
    leave_shadow,
    output_coercion,
)
from edom_graphql.core.errors import Forbidden
from edom_graphql.core.nodes import Gate, NodeTypes
from edom_graphql.core.permissions import Prefetched

NODE_TYPES_KEY = "edom_graphql.node_types"
"""Where the schema keeps its :class:`NodeTypes` (``GraphQLSchema.extensions``)."""
PLANS_KEY = "edom_graphql.plans"
"""Where the schema keeps its compiled :class:`~edom_graphql.core.compiled.Plans`."""
METRICS_KEY = "edom_graphql.metrics"
"""Where the schema keeps the :class:`~edom_graphql.core.metrics.Metrics` it counts in."""

log = logging.getLogger(__name__)

NEEDLESS: list[dict[str, Any]] = []
"""Differential mode: every compiled run that gave way although graphql-core answered
without an error (a shape plans should cover)."""

MISMATCHES: list[dict[str, Any]] = []
"""Differential mode: every compiled answer that differed from graphql-core's (the test
suite fails a test that adds one)."""


def install_execution(schema: GraphQLSchema, mode: ExecutionMode, metrics: Any = None) -> None:
    schema.extensions = {
        **(schema.extensions or {}),
        MODE_KEY: mode,
        PLANS_KEY: Plans(),
        METRICS_KEY: metrics,
    }


def install_node_types(schema: GraphQLSchema, node_types: NodeTypes) -> None:
    schema.extensions = {**(schema.extensions or {}), NODE_TYPES_KEY: node_types}


_NO_NODE_TYPES = NodeTypes(())


def node_types_of(schema: GraphQLSchema) -> NodeTypes:
    """The node types installed in ``schema`` (none in a schema built without them)."""
    node_types: NodeTypes = (schema.extensions or {}).get(NODE_TYPES_KEY, _NO_NODE_TYPES)
    return node_types


def _not_visible(type_name: str) -> GraphQLError:
    return Forbidden(f"This {type_name} is not visible to you.")


def _attribute_resolver(name: str, plain: PlainLeaf | PlainObject | None) -> Callable[..., Any]:
    get = attrgetter(name)

    def resolve(source: Any, info: Any) -> Any:
        return get(source)

    resolve.plain = plain  # type: ignore[attr-defined]
    resolve.get = get  # type: ignore[attr-defined]
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
            nullable = not isinstance(field.type, GraphQLNonNull)
            bare = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            get = attrgetter(definition.python_name)
            plain: PlainLeaf | PlainObject | None = None
            if field.args:
                plain = None
            elif is_leaf_type(bare):
                assert isinstance(bare, GraphQLLeafType)
                plain = PlainLeaf(get=get, coerce=output_coercion(bare), nullable=nullable)
            elif isinstance(bare, GraphQLObjectType):
                plain = PlainObject(get=get, type=bare, nullable=nullable)
            field.resolve = _attribute_resolver(definition.python_name, plain)
    for graphql_type in schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for field in graphql_type.fields.values():
            definition = (field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            resolver = getattr(definition, "base_resolver", None)
            prefetched = getattr(getattr(resolver, "wrapped_func", None), "prefetched", None)
            if prefetched is not None and field.resolve is not None:
                field.resolve.prefetched = prefetched


_SLOW = object()


def _plain_leaf_value(plain: PlainLeaf, source: Any) -> Any:
    """The completed value of a plain leaf, or ``_SLOW`` when graphql-core must decide
    (a null in a non-null field, a failed coercion: it reports those as errors)."""
    try:
        value = plain.get(source)
    except Exception:
        return _SLOW
    if value is None:
        return None if plain.nullable else _SLOW
    if isinstance(value, Exception):
        return _SLOW
    try:
        coerced = plain.coerce(value)
    except Exception:
        return _SLOW
    return _SLOW if coerced is None or coerced is Undefined else coerced


def _plain_object_value(plain: PlainObject, source: Any) -> Any:
    """The object whose sub-selection to execute, None for an allowed null, or ``_SLOW``."""
    try:
        value = plain.get(source)
    except Exception:
        return _SLOW
    if value is None:
        return None if plain.nullable else _SLOW
    is_type_of = plain.type.is_type_of
    # Strawberry's is_type_of looks only at the value, not at the info.
    if is_type_of is not None and is_type_of(value, None) is not True:  # type: ignore[arg-type]
        return _SLOW
    return value


class PlainLeafExecutor(StrawberryGraphQLCoreExecutionContext):
    """Strawberry's executor, completing plain attribute fields in one step and passing
    every object of a node type through its gatekeeper."""

    _gates: dict[type, Gate] | None = None

    def build_per_event_executor(self, payload: Any) -> Any:
        """graphql-core's per-event copy, with memos of its own.

        graphql-core shares the memo of collected sub-fields (keyed by the identity of
        each event's fresh field lists, which it keeps alive) between a subscription and
        all its events: a stream would hold on to a little of every event it delivered,
        for as long as it is open. Each event starts from empty memos instead.
        """
        # What graphql-core's ``copy(self)`` does, without copy's generic protocol.
        executor = object.__new__(type(self))
        executor.__dict__.update(self.__dict__)
        executor.root_value = payload
        executor.collected_errors = CollectedErrors()
        executor._relevant_sub_fields = {}
        executor._stream_usages = type(self._stream_usages)()
        return executor

    def execute_operation(self, serially: bool | None = None) -> Any:
        """The operation's result; once it is in, the executor lets go of itself.

        graphql-core's executor holds helpers bound to its own methods, a reference cycle
        that would keep the operation's context (its loaders with every row and object
        they read) alive until the cycle collector finds it: under load a pass of tens of
        milliseconds every few hundred requests. Broken here, all of it is freed as soon
        as the operation is done."""
        result = self._execute_operation(serially)
        if not self.is_awaitable(result):
            self.async_helpers = None  # type: ignore[assignment]
            return result

        async def then_let_go() -> Any:
            try:
                return await result
            finally:
                self.async_helpers = None  # type: ignore[assignment]

        return then_let_go()

    def _execute_operation(self, serially: bool | None) -> Any:
        """Queries and subscription events run their compiled plan; graphql-core runs
        the rest, and any whose plan gives way."""
        extensions = self.schema.extensions or {}
        mode = extensions.get(MODE_KEY, ExecutionMode.GRAPHQL_CORE)
        if mode is not ExecutionMode.GRAPHQL_CORE and compilable(self, serially):
            plans: Plans = extensions[PLANS_KEY]
            plan = plans.of(self)
            if plan is not None:
                return self._execute_compiled(plan, mode, extensions.get(METRICS_KEY), serially)
        if self.operation.operation is not OperationType.MUTATION:
            self._count(extensions.get(METRICS_KEY), "graphql_core")
        return super().execute_operation(serially)

    @staticmethod
    def _count(metrics: Any, path: str) -> None:
        if metrics is not None:
            metrics.labelled(metrics.query_execution, path).inc()

    async def _execute_compiled(
        self, plan: Any, mode: ExecutionMode, metrics: Any, serially: bool | None
    ) -> Any:
        try:
            data = await Run(self).execute(plan)
        except Exception as error:  # GiveWay, or a resolver raised: graphql-core decides
            self._count(metrics, "gave_way")
            result = await self._execute_by_graphql_core(serially)
            if mode is ExecutionMode.DIFFERENTIAL and not result.errors:
                # graphql-core answered without an error: the plan gave way for nothing.
                self._count(metrics, "gave_way_needlessly")
                source = self.operation.loc.source.body if self.operation.loc else ""
                NEEDLESS.append({"query": source, "error": repr(error.__cause__ or error)})
            return result
        response = self.finish(self.build_response(data))
        self._count(metrics, "compiled")
        if mode is ExecutionMode.DIFFERENTIAL:
            token = enter_shadow()
            try:
                reference = await self._execute_by_graphql_core(serially)
            finally:
                leave_shadow(token)
            self._compare(response, reference, metrics)
        return response

    async def _execute_by_graphql_core(self, serially: bool | None) -> Any:
        result = super().execute_operation(serially)
        return await result if self.is_awaitable(result) else result

    def _compare(self, response: Any, reference: Any, metrics: Any) -> None:
        failed = [
            error.original_error
            for error in reference.errors or ()
            if error.original_error is not None
            and not isinstance(error.original_error, GraphQLError)
        ]
        if failed:
            # The check itself met a fault (the database went away meanwhile): it says
            # nothing about the compiled answer.
            log.warning("differential check not made: %r", failed[0])
            return
        compiled = json.dumps({"data": response.data, "errors": response.errors}, default=str)
        expected = json.dumps({"data": reference.data, "errors": reference.errors}, default=str)
        if compiled == expected:
            return
        self._count(metrics, "mismatch")
        source = self.operation.loc.source.body if self.operation.loc else ""
        MISMATCHES.append({"query": source, "compiled": compiled, "graphql_core": expected})
        log.error(
            "compiled execution differs from graphql-core",
            extra={"query": source, "compiled": compiled, "graphql_core": expected},
        )

    @property
    def gates(self) -> dict[type, Gate]:
        gates = self._gates
        if gates is None:
            gates = self._gates = node_types_of(self.schema).gates
        return gates

    def complete_value(
        self,
        return_type: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        gate = self.gates.get(result.__class__)
        if gate is None:
            return super().complete_value(
                return_type, field_details_list, info, path, result, position_context
            )
        nullable = not isinstance(return_type, GraphQLNonNull)
        inner: GraphQLOutputType = (
            return_type.of_type if isinstance(return_type, GraphQLNonNull) else return_type
        )
        verdict = gate(self.context_value, result)
        if verdict is True:
            return super().complete_value(
                inner, field_details_list, info, path, result, position_context
            )
        if verdict is False:
            if nullable:
                return None
            raise _not_visible(result.__class__.__name__)
        return self._complete_once_visible(
            verdict, nullable, inner, field_details_list, info, path, result, position_context
        )

    async def _complete_once_visible(
        self,
        verdict: Awaitable[bool],
        nullable: bool,
        inner: GraphQLOutputType,
        field_details_list: Any,
        info: GraphQLResolveInfo[Any],
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        if not await verdict:
            if nullable:
                return None
            raise _not_visible(result.__class__.__name__)
        completed = super().complete_value(
            inner, field_details_list, info, path, result, position_context
        )
        return await completed if self.is_awaitable(completed) else completed

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Any,
        grouped_field_set: dict[str, Any],
        position_context: Any,
    ) -> Any:
        """Complete plain leaves in place; hand the other fields to graphql-core."""
        manager = self.middleware_manager
        if manager is not None and manager.middlewares:
            return super().execute_fields(
                parent_type, source_value, path, grouped_field_set, position_context
            )
        fields = parent_type.fields
        leaves: dict[str, Any] = {}
        others: dict[str, Any] = {}
        for response_name, field_details_list in grouped_field_set.items():
            field = fields.get(field_details_list[0].node.name.value)
            plain = getattr(field.resolve, "plain", None) if field is not None else None
            if isinstance(plain, PlainLeaf):
                value = _plain_leaf_value(plain, source_value)
                if value is not _SLOW:
                    leaves[response_name] = value
                    continue
            others[response_name] = field_details_list
        if not others:
            return leaves
        rest: Any = super().execute_fields(
            parent_type, source_value, path, others, position_context
        )
        if not leaves:
            return rest

        def merged(completed: dict[str, Any]) -> dict[str, Any]:
            # Keep the response's keys in the order the query asked for them.
            return {
                name: leaves[name] if name in leaves else completed[name]
                for name in grouped_field_set
                if name in leaves or name in completed
            }

        if not self.is_awaitable(rest):
            return merged(rest)

        async def merged_later() -> dict[str, Any]:
            return merged(await rest)

        return merged_later()

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
            plain = getattr(field.resolve, "plain", None) if field is not None else None
            if isinstance(plain, PlainObject):
                value = _plain_object_value(plain, source)
                if value is None:
                    return None
                if value is not _SLOW:
                    gate = self.gates.get(value.__class__)
                    verdict = True if gate is None else gate(self.context_value, value)
                    if verdict is True:
                        return self.collect_and_execute_subfields(
                            plain.type, field_details_list, path, value, position_context
                        )
                    if verdict is False:
                        if plain.nullable:
                            return None
                        # else graphql-core reports it (FORBIDDEN, through the gatekeeper)
                    else:
                        assert field is not None
                        return self._subfields_once_visible(
                            verdict,
                            plain,
                            field,
                            field_details_list,
                            path,
                            value,
                            position_context,
                        )
            prefetched: Prefetched | None = (
                getattr(field.resolve, "prefetched", None) if field is not None else None
            )
            if prefetched is not None:
                value = prefetched.get(source)
                target = prefetched.scope(source, {}) if value is not None else None
                if target is not None and self.context_value.decided(prefetched.capability, target):
                    assert field is not None
                    return self._complete_prefetched(
                        parent_type, field, field_details_list, path, value, position_context
                    )
        return super().execute_field(
            parent_type, source, field_details_list, path, position_context
        )

    async def _subfields_once_visible(
        self,
        verdict: Awaitable[bool],
        plain: PlainObject,
        field: GraphQLField,
        field_details_list: Any,
        path: Any,
        value: Any,
        position_context: Any,
    ) -> Any:
        """The plain object's sub-selection once its gatekeeper has let it through."""
        try:
            if not await verdict:
                if plain.nullable:
                    return None
                raise _not_visible(value.__class__.__name__)
            completed = self.collect_and_execute_subfields(
                plain.type, field_details_list, path, value, position_context
            )
            return await completed if self.is_awaitable(completed) else completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, field.type, field_details_list, path)
            return None

    def _complete_prefetched(
        self,
        parent_type: GraphQLObjectType,
        field: GraphQLField,
        field_details_list: Any,
        path: Any,
        value: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's ``execute_field`` with the resolver's result already known."""
        return_type = field.type
        info = self.build_resolve_info(field, to_nodes(field_details_list), parent_type, path)
        try:
            completed = self.complete_value(
                return_type, field_details_list, info, path, value, position_context
            )
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        if not self.is_awaitable(completed):
            return completed

        async def await_completed() -> Any:
            try:
                return await completed
            except Exception as raw_error:
                self.handle_field_error(raw_error, return_type, field_details_list, path)
                return None

        return await_completed()
