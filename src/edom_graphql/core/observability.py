"""Per-operation bookkeeping: a fresh context per operation, coded and masked errors,
metrics and logs."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from strawberry.extensions import SchemaExtension

from edom_graphql.core.context import Context
from edom_graphql.core.errors import ApiError, ErrorCode
from edom_graphql.core.metrics import Metrics

log = logging.getLogger("edom_graphql.graphql")


def classify(error: GraphQLError, request_id: str | None) -> GraphQLError:
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
        return error
    if original is None or error.path is None:
        # Parse, validation and variable coercion errors: the request is malformed.
        code = ErrorCode.BAD_USER_INPUT
        if isinstance(error, GraphQLSyntaxError) and "tokens" in error.message:
            code = ErrorCode.QUERY_TOO_COMPLEX
        error.extensions = {**(error.extensions or {}), "code": code.value}
        return error
    return GraphQLError(
        "Internal server error.",
        nodes=error.nodes,
        path=error.path,
        extensions={"code": ErrorCode.INTERNAL_SERVER_ERROR.value, "requestId": request_id},
    )


def is_unexpected(error: GraphQLError) -> bool:
    return (
        error.original_error is not None
        and error.path is not None
        and not isinstance(error.original_error, ApiError)
        and not isinstance(error, ApiError)
    )


class OperationObserver(SchemaExtension):
    """Gives every operation its own context, and codes, masks, counts and logs its errors."""

    def __init__(self, *, metrics: Metrics) -> None:
        self.metrics = metrics

    def on_operation(self) -> Iterator[None]:
        execution = self.execution_context
        context = execution.context
        if isinstance(context, Context) and context.connection_params is not None:
            # A WebSocket connection shares one context: each operation gets a fresh one.
            execution.context = context.for_operation()
        started = time.perf_counter()
        yield
        request_id = context.request_id if isinstance(context, Context) else None
        result: Any = execution.result
        errors = getattr(result, "errors", None)
        outcome = "ok"
        if errors:
            outcome = "error"
            result.errors = [classify(error, request_id) for error in errors]
        try:
            kind = execution.operation_type.value
        except RuntimeError:
            kind = "unknown"
        self.metrics.observe(execution.operation_name, kind, outcome, time.perf_counter() - started)


def log_unexpected(errors: list[GraphQLError]) -> None:
    for error in errors:
        if is_unexpected(error):
            original = error.original_error
            log.error(
                "unexpected error in %s",
                ".".join(str(p) for p in error.path or ()),
                exc_info=(type(original), original, original.__traceback__) if original else None,
            )
