"""Scalars of the schema that check what they are given.

``DateTime`` takes an ISO 8601 instant with a UTC offset and hands resolvers an aware
UTC datetime. An instant without an offset, or outside the years 1900 to 2999 (the
platform has nothing to say about others, and date arithmetic near the ends of the
calendar overflows: ``9999-12-31T23:59:59-23:59`` is in the year 10000 in UTC) is
refused as malformed input, before any resolver runs.

``Kopecks`` is money: a whole number of kopecks, which may exceed the 32-bit ``Int``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import NewType

import orjson
import strawberry
from strawberry.exceptions import StrawberryInputCoercionError
from strawberry.types.scalar import ScalarDefinition

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)


def parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise StrawberryInputCoercionError(
            f"DateTime cannot represent {value!r}: give an ISO 8601 string."
        )
    try:
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        raise StrawberryInputCoercionError(
            f'DateTime cannot represent "{value[:64]}": not an ISO 8601 date and time.'
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise StrawberryInputCoercionError(
            f'DateTime "{value[:64]}" has no UTC offset: add one, e.g. "Z" or "+03:00".'
        )
    try:
        instant = parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        instant = None
    if instant is None or not EARLIEST <= instant < LATEST:
        raise StrawberryInputCoercionError(
            f'DateTime "{value[:64]}" is outside the years 1900 to 2999 (UTC).'
        )
    return instant


def serialize_datetime(value: datetime) -> str:
    if value.tzinfo is UTC:
        # The same text as isoformat() (they differ only on offsets with seconds), in a
        # third of its time: every answer's instants are in UTC.
        return orjson.dumps(value)[1:-1].decode()
    return value.isoformat()


DATETIME = ScalarDefinition(
    name="DateTime",
    description="An instant: an ISO 8601 date and time with a UTC offset "
    '(e.g. "2026-03-01T09:00:00+03:00"), in the years 1900 to 2999; answers are in UTC.',
    specified_by_url=None,
    serialize=serialize_datetime,
    parse_value=parse_datetime,
    parse_literal=None,
    origin=datetime,
)


def _parse_kopecks(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("Kopecks must be a whole number.")
    return value


Kopecks = NewType("Kopecks", int)
KOPECKS_SCALAR = strawberry.scalar(
    name="Kopecks",
    description="An amount of money in kopecks (1/100 rouble): a whole JSON number, which "
    "may exceed the 32-bit range of `Int`.",
    serialize=int,
    parse_value=_parse_kopecks,
)


__all__ = ["DATETIME", "KOPECKS_SCALAR", "Kopecks", "parse_datetime"]
