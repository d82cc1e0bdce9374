"""The ``UserError`` interface that every mutation's error type implements."""

from __future__ import annotations

import enum
from typing import Any, TypeVar

from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.mutation import MutationInput, UserError

__all__ = ["MutationInput", "UserError", "error_codes", "errors_of", "user_errors"]


E = TypeVar("E")


def user_errors(error_type: type[E], code_enum: type[enum.Enum], error: ServiceError) -> list[E]:
    """Map a :class:`ServiceError` to a one-element list of the mutation's error type."""
    factory: Any = error_type
    return [factory(code=code_enum(error.code), field=error.field, message=error.message)]


def error_codes(name: str, description: str, values: dict[str, str]) -> type[enum.Enum]:
    """A mutation's error-code enum, each code described: ``{"CODE": "what it means"}``."""
    codes = enum.Enum(name, {code: code for code in values})  # type: ignore[misc]
    return graphql_enum(codes, description, {codes[c]: text for c, text in values.items()})


def errors_of(result: object, error_type: type[E], code_enum: type[enum.Enum]) -> list[E]:
    """A payload's ``userErrors``: the refusal if ``result`` is one, otherwise none."""
    if isinstance(result, ServiceError):
        return user_errors(error_type, code_enum, result)
    return []
