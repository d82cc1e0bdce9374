"""The query lane: a query whose document the schema has validated before runs without
Strawberry's per-request machinery.

A query's answer depends on its document, variables and viewer; parsing and validating
the document are the same every time (:mod:`edom_graphql.core.validated` keeps the
documents that passed). For such a query the lane does what the full path does after
validation, and nothing else: the size limits (:class:`~edom_graphql.core.limits.Limits`),
the viewer's access profile read ahead, execution by the schema's executor (compiled
plans, graphql-core where they give way), the errors logged, coded and masked, the
operation counted and timed, and the HTTP answer made by the endpoint's own
``process_result``. What it does not answer exactly so (a document not validated yet, a
mutation, a request the limits refuse, an unexpected failure before execution) it
declines before running anything, and the full path answers.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable
from typing import TYPE_CHECKING

import orjson
from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, execute
from graphql.execution import MiddlewareManager
from starlette.requests import Request
from starlette.responses import Response
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.http import GraphQLRequestData
from strawberry.types import ExecutionResult
from strawberry.utils.operation import get_first_operation

from edom_graphql.core.execution import METRICS_KEY, PlainLeafExecutor
from edom_graphql.core.limits import Limits
from edom_graphql.core.observability import classify_all
from edom_graphql.core.validated import validated_queries_of
from edom_graphql.schema import Schema

if TYPE_CHECKING:
    from edom_graphql.server.http import GraphQLEndpoint

JSON = "application/json"


class QueryLane:
    """Answers validated queries of one endpoint (see the module's description)."""

    def __init__(self, endpoint: GraphQLEndpoint) -> None:
        self.endpoint = endpoint
        schema = endpoint.schema
        assert isinstance(schema, Schema)
        self.schema = schema
        self.graphql_schema = schema._schema
        self.validated = validated_queries_of(self.graphql_schema)
        self.metrics = (self.graphql_schema.extensions or {}).get(METRICS_KEY)
        self.limits = Limits.of(endpoint.services.settings)

    async def answer(self, request: Request, data: GraphQLRequestData) -> Response | None:
        """The answer to ``data`` (a single operation, parsed from the request), or None
        when the full path must answer it."""
        response = await self._answer(request, data)
        if self.metrics is not None:
            self.metrics.labelled(
                self.metrics.query_lane, "declined" if response is None else "answered"
            ).inc()
        return response

    async def _answer(self, request: Request, data: GraphQLRequestData) -> Response | None:
        validated = self.validated
        query = data.query
        if validated is None or not query:
            return None
        requested = data.operation_name
        document = validated.get(query, requested)
        if document is None:
            return None
        variables = data.variables or {}
        try:
            if (
                self.limits.refusal(
                    self.graphql_schema, query, requested, document.definitions, variables
                )
                is not None
            ):
                return None
            context = await self.endpoint.get_context(request, None)
        except Exception:  # the full path answers it, as it would have
            return None
        context.prefetch_profile()
        started = time.perf_counter()
        result: GraphQLExecutionResult
        try:
            outcome = execute(
                self.graphql_schema,
                document,
                root_value=None,
                context_value=context,
                variable_values=variables,
                operation_name=requested,
                middleware=MiddlewareManager(),
                executor_class=PlainLeafExecutor,
                is_awaitable=optimized_is_awaitable,  # type: ignore[arg-type]
                operation_extensions=data.extensions,
            )
            result = await outcome if isinstance(outcome, Awaitable) else outcome
        except Exception as error:  # graphql-core reports field errors; Strawberry this
            result = GraphQLExecutionResult(
                data=None, errors=[GraphQLError(str(error), original_error=error)]
            )
        errors = result.errors
        if errors:
            # As the schema's process_errors and the operation observer do, in order.
            self.schema.process_errors(errors)
            errors = classify_all(
                errors, context.request_id, hide_suggestions=self.endpoint.hide_suggestions
            )
        if self.metrics is not None:
            first = get_first_operation(document)
            self.metrics.observe(
                requested or (first.name.value if first and first.name else None),
                "query",
                "error" if errors else "ok",
                time.perf_counter() - started,
            )
        body = await self.endpoint.process_result(
            request, ExecutionResult(data=result.data, errors=errors or None)
        )
        return Response(orjson.dumps(body), media_type=JSON)
