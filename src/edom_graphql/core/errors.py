"""Errors: top-level GraphQL errors with ``extensions.code`` and the business errors
that mutations return as typed ``userErrors``."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError


class ErrorCode(enum.Enum):
    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    NOT_FOUND = "NOT_FOUND"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"


class ApiError(GraphQLError):
    """A top-level error that is safe to show to the client."""

    code: ErrorCode = ErrorCode.INTERNAL_SERVER_ERROR

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message, extensions={"code": self.code.value, **extensions})


class Unauthenticated(ApiError):
    code = ErrorCode.UNAUTHENTICATED

    def __init__(self, message: str = "Sign in to use this API.") -> None:
        super().__init__(message)


class Forbidden(ApiError):
    code = ErrorCode.FORBIDDEN

    def __init__(self, message: str = "You may not do this here.", **extensions: Any) -> None:
        super().__init__(message, **extensions)


class NotFound(ApiError):
    code = ErrorCode.NOT_FOUND


class BadUserInput(ApiError):
    code = ErrorCode.BAD_USER_INPUT


class QueryTooComplex(ApiError):
    code = ErrorCode.QUERY_TOO_COMPLEX


class RateLimited(ApiError):
    code = ErrorCode.RATE_LIMITED

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(
            f"Too many attempts; try again in {retry_after_seconds} s.",
            retryAfter=retry_after_seconds,
        )


class ServiceError(Exception):
    """An expected business failure: becomes a ``userError`` of the mutation's payload."""

    def __init__(self, code: str, message: str, field: Sequence[str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = list(field) if field is not None else None
