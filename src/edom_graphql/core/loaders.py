"""Batch loaders: the one way relationships are resolved.

Each loader issues one statement per batch, with a constant SQL text
(``= ANY(:keys)``) so that asyncpg reuses its prepared statement. Loaders live
for one operation (see :class:`edom_graphql.core.context.Context`), so nothing is
cached across users or across subscription events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import BigInteger, ColumnElement, any_, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY

from edom_graphql.core.db import Database
from edom_graphql.core.pagination import AnySelect, Column, PageRequest

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


def keys_param(name: str = "keys") -> Any:
    return any_(bindparam(name, type_=ARRAY(BigInteger)))


class RowByKeyLoader(DataLoader[int, V | None], Generic[V]):
    """Loads one value per key: ``select … where key = any(:keys)``."""

    def __init__(
        self,
        db: Database,
        statement: AnySelect,
        key_column: Column,
        convert: Callable[[Sequence[Any]], V],
    ) -> None:
        super().__init__(max_batch_size=1000)
        self._db = db
        self._statement = statement.where(key_column == keys_param())
        self._key_index = len(statement.selected_columns)
        self._statement = self._statement.add_columns(key_column.label("_key"))
        self._convert = convert

    async def batch_load_fn(self, keys: list[int]) -> list[V | None]:
        rows = await self._db.fetch(self._statement.params(keys=list(keys)))
        found = {row[self._key_index]: self._convert(row) for row in rows}
        return [found.get(key) for key in keys]


class RowsByKeyLoader(DataLoader[int, list[V]], Generic[V]):
    """Loads a (small, bounded) list of values per key."""

    def __init__(
        self,
        db: Database,
        statement: AnySelect,
        key_column: Column,
        convert: Callable[[Sequence[Any]], V],
    ) -> None:
        super().__init__(max_batch_size=1000)
        self._db = db
        self._key_index = len(statement.selected_columns)
        self._statement = statement.where(key_column == keys_param()).add_columns(
            key_column.label("_key")
        )
        self._convert = convert

    async def batch_load_fn(self, keys: list[int]) -> list[list[V]]:
        rows = await self._db.fetch(self._statement.params(keys=list(keys)))
        grouped: dict[int, list[V]] = defaultdict(list)
        for row in rows:
            grouped[row[self._key_index]].append(self._convert(row))
        return [grouped.get(key, []) for key in keys]


PageKey = tuple[int, PageRequest, tuple[Any, ...]]


class PageByParentLoader(DataLoader[PageKey, list[V]], Generic[V]):
    """Loads one keyset page of children for many parents in one statement.

    Keys are ``(parent_id, page, filters)``; keys that share ``page`` and
    ``filters`` (the usual case: one field with the same arguments under many
    parents) are served by a single ``JOIN LATERAL`` statement.
    """

    def __init__(
        self,
        db: Database,
        build: Callable[[ColumnElement[int], PageRequest, tuple[Any, ...]], AnySelect],
        convert: Callable[[Sequence[Any]], V],
    ) -> None:
        super().__init__(max_batch_size=500)
        self._db = db
        self._build = build
        self._convert = convert

    async def batch_load_fn(self, keys: list[PageKey]) -> list[list[V]]:
        groups: dict[tuple[PageRequest, tuple[Any, ...]], list[int]] = defaultdict(list)
        for parent_id, page, filters in keys:
            groups[(page, filters)].append(parent_id)
        results: dict[PageKey, list[V]] = {}
        for (page, filters), parent_ids in groups.items():
            parents = select(
                func.unnest(bindparam("parents", type_=ARRAY(BigInteger))).label("parent_id")
            ).subquery("parents")
            inner = self._build(parents.c.parent_id, page, filters).lateral("page")
            statement = select(parents.c.parent_id, *inner.c).select_from(
                parents.join(inner, true())
            )
            rows = await self._db.fetch(statement.params(parents=list(dict.fromkeys(parent_ids))))
            children: dict[int, list[V]] = defaultdict(list)
            for row in rows:
                children[row[0]].append(self._convert(tuple(row)[1:]))
            for parent_id in parent_ids:
                results[(parent_id, page, filters)] = children.get(parent_id, [])
        return [results[key] for key in keys]
