"""What every mutation shares: its one ``input``, its typed ``userErrors``, and its tail.

A mutation resolver checks its input, runs the domain's service in one transaction
(:func:`commit`), and answers with its payload: the objects it changed, read again as
things are now, or the business rule that refused it (``userErrors``), in which case
nothing was changed::

    result = await commit(context, work)
    if isinstance(result, ServiceError):
        return PollClosePayload.refused(result)
    return PollClosePayload(poll=await PollByIdLoader.of(context).load(result))

A payload type derives from :class:`Payload` and declares ``user_errors`` with
:func:`user_errors_field`; its error type derives from :class:`UserError` and declares
``code`` as the mutation's error-code enum (a static ``@strawberry.enum`` in the domain's
``errors.py``). The payload's other fields default to null.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Self, TypeVar, cast

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.context import Context
from edom_graphql.core.db import Outbox, run_in_transaction
from edom_graphql.core.errors import ServiceError

T = TypeVar("T")
InputT = TypeVar("InputT")

MutationInput = Annotated[InputT, strawberry.argument(description="What to change.")]
"""The one ``input:`` argument of a mutation, described."""

Work = Callable[[AsyncSession, Outbox], Awaitable[T]]
"""A service call in a transaction: ``(session, outbox) -> result``."""


@strawberry.interface(description="A business rule refused the mutation; nothing was changed.")
class UserError:
    field: list[str] | None = strawberry.field(
        description="Path of the offending value in the mutation's `input`, if one is at fault."
    )
    message: str = strawberry.field(description="What went wrong, for people.")

    @classmethod
    def of(cls, error: ServiceError) -> Self:
        """This error type's value for a refusal (its code must be one of the enum's)."""
        make: Any = cls
        return cast(
            Self, make(code=_code_enum(cls)(error.code), field=error.field, message=error.message)
        )


_CODE_ENUMS: dict[type, type[enum.Enum]] = {}
_ERROR_TYPES: dict[type, type[UserError]] = {}


def _code_enum(error_type: type[UserError]) -> type[enum.Enum]:
    found = _CODE_ENUMS.get(error_type)
    if found is None:
        code = typing.get_type_hints(error_type)["code"]
        if not (isinstance(code, type) and issubclass(code, enum.Enum)):
            raise TypeError(f"{error_type.__name__}.code must be an error-code enum")
        found = _CODE_ENUMS[error_type] = code
    return found


def user_errors_field() -> Any:
    """The ``userErrors`` field of a payload: ``user_errors: list[XError] =
    user_errors_field()``."""
    return strawberry.field(default_factory=list, description="Business errors; empty on success.")


class Payload:
    """Base of mutation payloads (see the module's docstring)."""

    @classmethod
    def refused(cls, error: ServiceError, **fields: Any) -> Self:
        """The payload of a refusal; ``fields`` are those still worth showing (the object
        as it stands, say); the others are null."""
        make: Any = cls
        return cast(Self, make(user_errors=[_error_type(cls).of(error)], **fields))

    @classmethod
    def of(cls, result: object, **fields: Any) -> Self:
        """The payload with ``fields``, and ``result``'s refusal if it is one."""
        if isinstance(result, ServiceError):
            return cls.refused(result, **fields)
        make: Any = cls
        return cast(Self, make(**fields))


def _error_type(payload_type: type[Payload]) -> type[UserError]:
    found = _ERROR_TYPES.get(payload_type)
    if found is None:
        hint = typing.get_type_hints(payload_type)["user_errors"]
        (error_type,) = typing.get_args(hint)
        if not (isinstance(error_type, type) and issubclass(error_type, UserError)):
            raise TypeError(f"{payload_type.__name__}.user_errors must be a list of a UserError")
        found = _ERROR_TYPES[payload_type] = error_type
    return found


async def commit(context: Context, work: Work[T]) -> T | ServiceError:
    """Run ``work`` in one transaction; a :class:`ServiceError` rolls it back and is
    returned. Either way the context is renewed (:meth:`Context.after_write`): the
    payload is read and decided on as things are now (after this change, or after the
    concurrent one that refused it), never with an access profile or a loader's answer
    from before."""
    result = await run_in_transaction(context.db, work)
    context.after_write()
    return result


__all__ = [
    "MutationInput",
    "Payload",
    "UserError",
    "Work",
    "commit",
    "user_errors_field",
]
