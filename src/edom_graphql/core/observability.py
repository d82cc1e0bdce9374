"""Per-operation bookkeeping: a fresh context per operation, coded and masked errors,
metrics and logs."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

from graphql import ExecutionResult as GraphQLExecutionResult
from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import StreamResultContextManager, WrappedHook
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.utils.await_maybe import await_maybe

from edom_graphql.core.context import Context
from edom_graphql.core.db import is_unavailable
from edom_graphql.core.errors import ApiError, ErrorCode, Unauthenticated
from edom_graphql.core.metrics import Metrics
from edom_graphql.core.validated import validated_queries_of

if TYPE_CHECKING:
    from strawberry.types import StreamExecutionResult

    from edom_graphql.settings import Settings

log = logging.getLogger("edom_graphql.graphql")

INTERNAL_MESSAGE = "Internal server error."
UNAVAILABLE_MESSAGE = "The database cannot be reached just now; try again shortly."
RETRY_AFTER_SECONDS = 2
SUGGESTION = re.compile(r"\s*Did you mean\b.*\Z", re.DOTALL)
# Syntax errors that are about the size of the document, not its grammar.
TOO_COMPLEX_SYNTAX = ("tokens", "nested too deeply")
# graphql-core's own validation limit (MaxIntrospectionDepthRule).
TOO_COMPLEX_VALIDATION = "Maximum introspection depth exceeded"


def hides_suggestions(settings: Settings) -> bool:
    """Whether "Did you mean …" hints are cut from error messages: they reveal the
    schema, so they are shown only where introspection is allowed, and never in
    production."""
    return settings.environment == "production" or not settings.introspection_enabled


def is_internal(error: GraphQLError) -> bool:
    """True for an error that comes from a bug or an outage rather than from the request:
    an exception in a resolver (it has a path), or one raised outside the evaluation of
    the document (no path and no document location, e.g. in a schema extension)."""
    original = error.original_error
    if isinstance(error, ApiError) or isinstance(original, ApiError):
        return False
    if original is None:
        return False
    if error.path is not None:
        return True
    if isinstance(original, GraphQLError):
        return False
    # Variable coercion errors wrap a scalar's ValueError/TypeError and point at the
    # variable definition; errors from outside graphql-core point nowhere.
    return not error.nodes


def classify(
    error: GraphQLError, request_id: str | None, *, hide_suggestions: bool = False
) -> GraphQLError:
    """The error as the client should see it: with ``extensions.code``, details masked."""
    original = error.original_error
    if isinstance(error, ApiError) or isinstance(original, ApiError):
        source = original if isinstance(original, ApiError) else error
        if original is not None and error.path is not None:
            return GraphQLError(
                source.message,
                nodes=error.nodes,
                path=error.path,
                extensions=source.extensions,
            )
        return (
            error
            if isinstance(error, ApiError)
            else GraphQLError(
                source.message, nodes=error.nodes, path=error.path, extensions=source.extensions
            )
        )
    if error.extensions and "code" in error.extensions:
        # Coded already (by this function, or deliberately where it was raised).
        return error
    if is_internal(error) and is_unavailable(original):
        return GraphQLError(
            UNAVAILABLE_MESSAGE,
            nodes=error.nodes,
            path=error.path,
            extensions={
                "code": ErrorCode.SERVICE_UNAVAILABLE.value,
                "requestId": request_id,
                "retryAfter": RETRY_AFTER_SECONDS,
            },
        )
    if is_internal(error):
        return GraphQLError(
            INTERNAL_MESSAGE,
            nodes=error.nodes,
            path=error.path,
            extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
        )
    if hide_suggestions:
        error.message = SUGGESTION.sub("", error.message)
    # Parse, validation, variable coercion and operation selection errors: the request
    # is malformed.
    code = ErrorCode.BAD_USER_INPUT
    if isinstance(error, GraphQLSyntaxError):
        if any(marker in error.message for marker in TOO_COMPLEX_SYNTAX):
            code = ErrorCode.QUERY_TOO_COMPLEX
    elif error.message.startswith(TOO_COMPLEX_VALIDATION):
        code = ErrorCode.QUERY_TOO_COMPLEX
    error.extensions = {**(error.extensions or {}), "code": code.value}
    return error


def classify_all(
    errors: list[GraphQLError], request_id: str | None, *, hide_suggestions: bool = False
) -> list[GraphQLError]:
    """An operation's errors as the client should see them (see :func:`classify`)."""
    return [classify(error, request_id, hide_suggestions=hide_suggestions) for error in errors]


def classify_in_place(
    error: GraphQLError, request_id: str | None, *, hide_suggestions: bool = False
) -> None:
    """Like :func:`classify`, for an error object that the caller cannot replace."""
    classified = classify(error, request_id, hide_suggestions=hide_suggestions)
    if classified is not error:
        error.message = classified.message
        error.extensions = classified.extensions


def is_unexpected(error: GraphQLError) -> bool:
    return is_internal(error)


class OperationObserver(SchemaExtension):
    """Gives every operation its own context, and codes, masks, counts and logs its errors."""

    def __init__(self, *, metrics: Metrics) -> None:
        self.metrics = metrics

    def _request_id(self) -> str | None:
        context = self.execution_context.context
        return context.request_id if isinstance(context, Context) else None

    def _hide_suggestions(self) -> bool:
        context = self.execution_context.context
        return isinstance(context, Context) and hides_suggestions(context.services.settings)

    def _classify_all(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        return classify_all(errors, self._request_id(), hide_suggestions=self._hide_suggestions())

    def _observe(self, outcome: str, started: float) -> None:
        execution = self.execution_context
        try:
            kind = execution.operation_type.value
        except RuntimeError:
            kind = "unknown"
        self.metrics.observe(execution.operation_name, kind, outcome, time.perf_counter() - started)

    async def on_execute(self) -> AsyncIterator[None]:
        execution = self.execution_context
        context = execution.context
        # Parsed and validated: a later request for the same query may skip both.
        validated = validated_queries_of(execution.schema._schema)
        document = execution.graphql_document
        if (
            validated is not None
            and document is not None
            and execution.query
            and execution.operation_type is OperationType.QUERY
        ):
            requested = getattr(execution, "_provided_operation_name", execution.operation_name)
            validated.add(execution.query, requested, document)
        if isinstance(context, Context) and execution.result is None:
            error = await self._refusal(context, execution.operation_type)
            if error is not None:
                if execution.operation_type is OperationType.SUBSCRIPTION:
                    raise error  # streams ignore a preset result; a raised error is theirs
                execution.result = GraphQLExecutionResult(data=None, errors=[error])
        yield

    @staticmethod
    async def _refusal(context: Context, operation_type: OperationType) -> ApiError | None:
        if context.connection_params is not None and context.token_expired():
            # A socket outlives its token: every operation over it checks the expiry (over
            # HTTP, the request itself is refused with 401). Clients renew by reconnecting.
            return Unauthenticated("The access token has expired; reconnect with a fresh token.")
        if operation_type is OperationType.MUTATION and context.viewer_id is not None:
            # A change is made for a user who exists: read the viewer's standing first
            # (every mutation decides with it anyway).
            try:
                await context.profile()
            except Unauthenticated as refused:
                return refused
        return None

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        if isinstance(context, Context) and context.connection_params is not None:
            # A WebSocket connection shares one context: each operation gets a fresh one.
            execution.context = context.for_operation()
        started = time.perf_counter()
        try:
            yield
        except GraphQLError as error:
            # An extension hook raised it (the parser cache raises syntax errors from
            # ``on_parse``): Strawberry makes the result from this very object after
            # the operation hooks have unwound, so it is coded here, in place.
            classify_in_place(error, self._request_id(), hide_suggestions=self._hide_suggestions())
            self._observe("error", started)
            raise
        except Exception:
            # Request-level refusals (unknown operation, mutation over GET) and failures
            # of other hooks; the HTTP layer codes what reaches the client.
            self._observe("error", started)
            raise
        result: Any = execution.result
        errors = getattr(result, "errors", None)
        outcome = "ok"
        if errors:
            outcome = "error"
            result.errors = self._classify_all(errors)
        self._observe(outcome, started)

    def on_stream_result(self, result: StreamExecutionResult) -> Iterator[None]:
        # Operations over WebSocket yield their results one by one, before the
        # operation hook ends: each is coded and masked on its way out.
        if isinstance(result, ExecutionResult) and result.errors:
            result.errors = self._classify_all(result.errors)
        yield


def log_unexpected(errors: list[GraphQLError]) -> None:
    for error in errors:
        if is_unexpected(error) and is_unavailable(error.original_error):
            log.warning(
                "database unavailable in %s: %r",
                ".".join(str(p) for p in error.path or ()) or "the operation",
                error.original_error,
            )
        elif is_unexpected(error):
            original = error.original_error
            log.error(
                "unexpected error in %s",
                ".".join(str(p) for p in error.path or ()) or "the operation",
                exc_info=(type(original), original, original.__traceback__) if original else None,
            )


class ExtensionsRunner(SchemaExtensionsRunner):
    """Strawberry's runner of an operation's extensions, which finds a stream's
    per-result hooks once for the operation, not once for every event, and asks only the
    extensions that have results for them."""

    _stream_hooks: list[WrappedHook] | None = None
    _with_results: list[SchemaExtension] | None = None

    def on_stream_result(self, result: StreamExecutionResult) -> StreamResultContextManager:
        hooks = self._stream_hooks
        if hooks is None:
            manager = StreamResultContextManager(self.extensions, result)
            self._stream_hooks = manager.hooks
            return manager
        # Strawberry's manager as its __init__ leaves it, from the hooks found before.
        manager = StreamResultContextManager.__new__(StreamResultContextManager)
        manager.result = result
        manager.hooks = hooks
        return manager

    async def get_extensions_results(self, ctx: Any) -> dict[str, Any]:
        extensions = self._with_results
        if extensions is None:
            extensions = self._with_results = [
                extension
                for extension in self.extensions
                if type(extension).get_results is not SchemaExtension.get_results
            ]
        data: dict[str, Any] = {}
        for extension in extensions:
            data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data
