"""The ``UserError`` interface that every mutation's error type implements."""

from __future__ import annotations

import enum
from typing import Annotated, Any, TypeVar

import strawberry

from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.errors import ServiceError


@strawberry.interface(description="A business rule refused the mutation; nothing was changed.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path of the offending value in the mutation's `input`, if one is at fault."
    )
    message: str = strawberry.field(description="What went wrong, for people.")


E = TypeVar("E")


def user_errors(error_type: type[E], code_enum: type[enum.Enum], error: ServiceError) -> list[E]:
    """Map a :class:`ServiceError` to a one-element list of the mutation's error type."""
    factory: Any = error_type
    return [factory(code=code_enum(error.code), field=error.field, message=error.message)]


InputT = TypeVar("InputT")
MutationInput = Annotated[InputT, strawberry.argument(description="What to change.")]
"""The one ``input:`` argument of a mutation, described."""


def error_codes(name: str, description: str, values: dict[str, str]) -> type[enum.Enum]:
    """A mutation's error-code enum, each code described: ``{"CODE": "what it means"}``."""
    codes = enum.Enum(name, {code: code for code in values})  # type: ignore[misc]
    return graphql_enum(codes, description, {codes[c]: text for c, text in values.items()})


def errors_of(result: object, error_type: type[E], code_enum: type[enum.Enum]) -> list[E]:
    """A payload's ``userErrors``: the refusal if ``result`` is one, otherwise none."""
    if isinstance(result, ServiceError):
        return user_errors(error_type, code_enum, result)
    return []
