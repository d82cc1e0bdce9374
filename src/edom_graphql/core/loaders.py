"""Batch loaders: the one way relationships are resolved.

Each loader issues one statement per batch, with a constant SQL text
(``= ANY(:keys)``) so that asyncpg reuses its prepared statement. Loaders live
for one operation (see :class:`edom_graphql.core.context.Context`), so nothing is
cached across users or across subscription events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar, cast

from aiodataloader import DataLoader
from sqlalchemy import BigInteger, ColumnElement, Text, any_, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY

from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.pagination import AnySelect, Column, PageRequest, page_params

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")


def keys_param(name: str = "keys", *, text: bool = False) -> Any:
    """``= ANY($name)`` of an array of ids (or of strings, with ``text``)."""
    return any_(bindparam(name, type_=ARRAY(Text if text else BigInteger)))


async def fetch_by_keys(db: Database, query: KeyedQuery[V], keys: Sequence[int]) -> list[V | None]:
    """The value of each key, in order (None where there is none): one statement."""
    rows = await db.fetch(query.prepared, keys=list(keys))
    convert = query.convert
    found = {row[-1]: convert(row) for row in rows}
    return [found.get(key) for key in keys]


class RowByKeyLoader(DataLoader[int, V | None], Generic[V]):
    """Loads one value per key with one prepared ``… where key = any($keys)``."""

    def __init__(self, db: Database, query: KeyedQuery[V]) -> None:
        super().__init__(max_batch_size=1000)
        self._db = db
        self._query = query

    async def batch_load_fn(self, keys: list[int]) -> list[V | None]:
        return await fetch_by_keys(self._db, self._query, keys)


class RowsByKeyLoader(DataLoader[int, list[V]], Generic[V]):
    """Loads a (small, bounded) list of values per key."""

    def __init__(self, db: Database, query: KeyedQuery[V]) -> None:
        super().__init__(max_batch_size=1000)
        self._db = db
        self._query = query

    async def batch_load_fn(self, keys: list[int]) -> list[list[V]]:
        query = self._query
        rows = await self._db.fetch(query.prepared, keys=keys)
        grouped: dict[int, list[V]] = defaultdict(list)
        convert = query.convert
        for row in rows:
            grouped[row[-1]].append(convert(row))
        return [grouped.get(key, []) for key in keys]


class KeyedQuery(Generic[V]):
    """``statement`` filtered by ``key_column = any($keys)``, with the key as last column."""

    def __init__(
        self, statement: AnySelect, key_column: Column, convert: Callable[[Sequence[Any]], V]
    ) -> None:
        self.prepared = Prepared(
            statement.where(key_column == keys_param()).add_columns(key_column.label("_key"))
        )
        self.convert = convert


PageKey = tuple[int, PageRequest, tuple[Any, ...]]
PageBuilder = Callable[[ColumnElement[int], bool, tuple[bool, ...]], AnySelect]


class PagedChildren(Generic[V]):
    """A keyset page of children per parent, as prepared ``JOIN LATERAL`` statements.

    ``build(parent_id, has_after, filters_present)`` returns the page statement for
    one parent, using ``bindparam``s named ``after_0…`` (see :func:`keyset`) and one
    per filter; a statement is prepared once per shape.
    """

    def __init__(
        self,
        build: PageBuilder,
        convert: Callable[[Sequence[Any]], V],
        filter_names: tuple[str, ...] = (),
    ) -> None:
        self._build = build
        self.convert = convert
        self.filter_names = filter_names
        self._prepared: dict[tuple[bool, tuple[bool, ...]], Prepared] = {}

    def prepared(self, has_after: bool, present: tuple[bool, ...]) -> Prepared:
        key = (has_after, present)
        prepared = self._prepared.get(key)
        if prepared is None:
            parents = select(
                func.unnest(bindparam("parents", type_=ARRAY(BigInteger))).label("parent_id")
            ).subquery("parents")
            inner = self._build(parents.c.parent_id, has_after, present).lateral("page")
            prepared = Prepared(
                select(parents.c.parent_id, *inner.c).select_from(parents.join(inner, true()))
            )
            self._prepared[key] = prepared
        return prepared


class PageByParentLoader(DataLoader[PageKey, list[V]], Generic[V]):
    """Loads one keyset page of children for many parents in one statement.

    Keys are ``(parent_id, page, filters)``; keys that share ``page`` and
    ``filters`` (the usual case: one field with the same arguments under many
    parents) are served by a single statement.
    """

    def __init__(self, db: Database, children: PagedChildren[V]) -> None:
        super().__init__(max_batch_size=500)
        self._db = db
        self._children = children

    async def batch_load_fn(self, keys: list[PageKey]) -> list[list[V]]:
        groups: dict[tuple[PageRequest, tuple[Any, ...]], list[int]] = defaultdict(list)
        for parent_id, page, filters in keys:
            groups[(page, filters)].append(parent_id)
        children = self._children
        convert = children.convert
        results: dict[PageKey, list[V]] = {}
        for (page, filters), parent_ids in groups.items():
            present = tuple(value is not None for value in filters)
            params = page_params(page)
            params.update(
                (name, value)
                for name, value in zip(children.filter_names, filters, strict=True)
                if value is not None
            )
            prepared = children.prepared(page.after is not None, present)
            rows = await self._db.fetch(prepared, parents=list(dict.fromkeys(parent_ids)), **params)
            grouped: dict[int, list[V]] = defaultdict(list)
            for row in rows:
                grouped[row[0]].append(convert(row[1:]))
            for parent_id in parent_ids:
                results[(parent_id, page, filters)] = grouped.get(parent_id, [])
        return [results[key] for key in keys]


def later(awaitable: Awaitable[T | None]) -> T:
    """A loader's future, returned as a resolver's value: graphql-core awaits it.

    Lets a resolver stay synchronous when its value is usually at hand already and
    only sometimes has to be loaded. For keys that exist (a foreign key guarantees
    the row), so the value is typed without ``None``.
    """
    return cast(T, awaitable)
