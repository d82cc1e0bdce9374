"""Relay connections over keyset pagination.

A cursor is the opaque encoding of the sort key of the row it points at, so
pages stay stable under inserts. Every connection takes ``first`` (1–100) and
an optional ``after``.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeAlias, TypeVar

import orjson
import strawberry
from sqlalchemy import ColumnElement, Integer, Select, bindparam, tuple_
from sqlalchemy.orm import QueryableAttribute

from edom_graphql.core.errors import BadUserInput
from edom_graphql.core.text import unstorable

T = TypeVar("T")
MAX_PAGE_SIZE = 100
MAX_CURSOR_LENGTH = 500
CursorKey = tuple[Any, ...]
First = Annotated[int, strawberry.argument(description="Page size, 1–100.")]
"""The ``first`` argument of a connection field."""
After = Annotated[str | None, strawberry.argument(description="Cursor to continue after.")]
"""The ``after`` argument of a connection field."""
AnySelect: TypeAlias = Select[*tuple[Any, ...]]
Column: TypeAlias = ColumnElement[Any] | QueryableAttribute[Any]


@strawberry.type(description="Where a page of a connection sits in the whole list.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow this page.")
    has_previous_page: bool = strawberry.field(
        description="Items precede this page (true whenever `after` was given)."
    )
    start_cursor: str | None = strawberry.field(description="Cursor of the first item.")
    end_cursor: str | None = strawberry.field(
        description="Cursor of the last item: pass it as `after` for the next page."
    )


@strawberry.type(description="An item of a connection with its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="Opaque position of this item.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(description="A page of a list.")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page with cursors.")
    page_info: PageInfo = strawberry.field(description="Paging state.")

    @strawberry.field(description="The items of this page.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def encode_cursor(key: CursorKey) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode("ascii")


@dataclass(frozen=True, slots=True)
class IntColumn:
    """A cursor value stored in an integer column of this range."""

    minimum: int
    maximum: int


INT32 = IntColumn(-(2**31), 2**31 - 1)
INT64 = IntColumn(-(2**63), 2**63 - 1)
CursorType = type | IntColumn
"""What a cursor value must be: ``int`` (a BIGINT column), ``str``, or an :class:`IntColumn`."""


def _cursor_value(value: Any, kind: CursorType) -> Any:
    """``value`` if it can stand for ``kind`` in SQL; ValueError otherwise. A cursor is
    client input: a forged one may hold numbers past any column's range, NUL characters
    or lone surrogates, none of which may reach PostgreSQL."""
    if kind is int:
        kind = INT64
    if isinstance(kind, IntColumn):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError
        if not kind.minimum <= value <= kind.maximum:
            raise ValueError
        return value
    if kind is str:
        if not isinstance(value, str) or unstorable(value) is not None:
            raise ValueError
        return value
    raise TypeError(f"no cursor values of type {kind!r}")


def decode_cursor(cursor: str, *, types: Sequence[CursorType]) -> CursorKey:
    """The key a cursor encodes, checked against the expected column types."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        values = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError
        return tuple(_cursor_value(value, kind) for value, kind in zip(values, types, strict=True))
    except (ValueError, binascii.Error, UnicodeError, RecursionError) as exc:
        raise BadUserInput("`after` is not a valid cursor for this list.", field="after") from exc


@dataclass(frozen=True, slots=True)
class PageRequest:
    first: int
    after: CursorKey | None


def page_request(first: int, after: str | None, *, types: Sequence[CursorType]) -> PageRequest:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise BadUserInput(f"`first` must be between 1 and {MAX_PAGE_SIZE}.", field="first")
    return PageRequest(first, decode_cursor(after, types=types) if after is not None else None)


def row_limit() -> Any:
    """A page's ``LIMIT``: the ``$limit`` parameter, written into the statement's text as
    a number (``literal_execute``), so that PostgreSQL can plan the statement once
    (``core.db.Prepared``)."""
    return bindparam("limit", type_=Integer, literal_execute=True)


def keyset(statement: AnySelect, order: Sequence[Column], *, has_after: bool) -> AnySelect:
    """Order ascending by ``order``; continue after ``$after_0…``; at most ``$limit`` rows."""
    if has_after:
        statement = statement.where(tuple_(*order) > tuple_(*_after_params(order)))
    return statement.order_by(*order).limit(row_limit())


def keyset_desc(statement: AnySelect, order: Sequence[Column], *, has_after: bool) -> AnySelect:
    """Like :func:`keyset`, newest first."""
    if has_after:
        statement = statement.where(tuple_(*order) < tuple_(*_after_params(order)))
    return statement.order_by(*(column.desc() for column in order)).limit(row_limit())


def _after_params(order: Sequence[Column]) -> list[Any]:
    return [bindparam(f"after_{i}", type_=column.type) for i, column in enumerate(order)]


def page_params(page: PageRequest) -> dict[str, Any]:
    """Parameters of a :func:`keyset` statement for ``page`` (one extra row: has next)."""
    params: dict[str, Any] = {"limit": page.first + 1}
    if page.after is not None:
        params.update((f"after_{i}", value) for i, value in enumerate(page.after))
    return params


def build_connection(
    items: Sequence[T],
    page: PageRequest,
    key: Callable[[T], CursorKey],
) -> Connection[T]:
    """A connection from up to ``first + 1`` items fetched by :func:`keyset`."""
    has_next = len(items) > page.first
    shown = items[: page.first]
    edges = [Edge(cursor=encode_cursor(key(item)), node=item) for item in shown]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=page.after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )
