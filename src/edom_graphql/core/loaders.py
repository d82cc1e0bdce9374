"""Batch loaders: the one way relationships are resolved.

A loader lives for one operation and is found by its class: ``BuildingByIdLoader.of(
context)`` makes it on first use and returns the same one for the rest of the operation
(as Saleor's ``graphql/core/dataloaders.py`` does); nothing is cached across users, or
across the events of a subscription (which renews its context for each).

Each loader issues one statement per batch, with a constant SQL text (``= ANY(:keys)``),
so that asyncpg reuses its prepared statement. The statements are a domain's reads
(``<domain>/reads.py``); a loader of objects says how a row becomes one (``convert``).
"""

from __future__ import annotations

import asyncio
import inspect
from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Self, TypeVar, cast

from aiodataloader import DataLoader, dispatch_queue
from aiodataloader import Loader as QueuedLoad
from sqlalchemy import BigInteger, ColumnElement, Text, any_, bindparam, func, select, true
from sqlalchemy.dialects.postgresql import ARRAY

from edom_graphql.core.context import weakly
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.pagination import AnySelect, Column, PageRequest, page_params

if TYPE_CHECKING:
    from edom_graphql.core.context import Context

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
T = TypeVar("T")
Row = Sequence[Any]


def keys_param(name: str = "keys", *, text: bool = False) -> Any:
    """``= ANY($name)`` of an array of ids (or of strings, with ``text``)."""
    return any_(bindparam(name, type_=ARRAY(Text if text else BigInteger)))


class Loader(DataLoader[K, V], Generic[K, V]):
    """A batch loader of one operation, memoised in its context by class.

    A request makes several: each is made without :class:`DataLoader`'s per-instance
    checks (its ``batch_load_fn`` is checked once, when the class is defined), and a
    batch is dispatched by two plain callbacks where ``DataLoader`` runs a task of its own
    to start the batch's task: the same two turns of the event loop for other fields to
    add keys to the batch, one task fewer.
    """

    batch_size: ClassVar[int] = 1000

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        batch_load_fn = cls.__dict__.get("batch_load_fn")
        if batch_load_fn is not None and not inspect.iscoroutinefunction(batch_load_fn):
            raise TypeError(f"{cls.__name__}.batch_load_fn must be a coroutine function")

    def __init__(self, context: Context) -> None:
        # What DataLoader.__init__ sets, for batching and caching by key.
        self.loop = asyncio.get_running_loop()
        self.max_batch_size = self.batch_size
        self._cache: dict[Any, asyncio.Future[V]] = {}
        self._queue: list[QueuedLoad] = []
        self.context = weakly(context)
        self.db: Database = context.db

    @staticmethod
    def get_cache_key(key: K) -> K:
        return key

    def do_resolve_reject(self, key: K, future: asyncio.Future[V]) -> None:
        queue = self._queue
        queue.append(QueuedLoad(key=key, future=future))
        if len(queue) == 1:
            loop = self.loop
            loop.call_soon(loop.call_soon, dispatch_queue, self)

    def load(self, key: K) -> asyncio.Future[V]:
        """The value of ``key``, shared by every field that asks for it in this operation.

        Each caller gets its own shield of the shared future: when graphql-core gives up
        on part of a result (an error nulls a list, and the rest of its items are
        cancelled), cancelling one caller must not cancel the value the others await. A
        compiled run (:mod:`edom_graphql.core.compiled`) cancels all of an operation or
        nothing, so its loads go without.
        """
        future = super().load(key)
        return asyncio.shield(future) if getattr(self.context, "shield_loads", True) else future

    async def load_many(self, keys: Iterable[K]) -> list[V]:  # type: ignore[override]
        """The values of ``keys``, in order: :class:`DataLoader`'s ``gather`` of their
        loads without its gathering future and a callback per key (:func:`settled`)."""
        return await settled([self.load(key) for key in keys])

    @classmethod
    def of(cls, context: Context) -> Self:
        loaders = context.loaders
        loader = loaders.get(cls)
        if loader is None:
            loader = loaders[cls] = cls(context)
        return cast(Self, loader)


def prime_related(
    rows: Sequence[Row],
    loader: Loader[int, V | None],
    columns: slice,
    convert: Callable[[Row], V],
) -> None:
    """Give ``loader`` the objects that ``rows`` carry at ``columns`` (a join, in the
    column order of the loader's own statement, the key first), so that loading them
    takes no statement of its own. Rows whose key there is null carry none."""
    seen: set[Any] = set()
    for row in rows:
        related = row[columns]
        key = related[0]
        if key is None or key in seen:
            continue
        seen.add(key)
        loader.prime(key, convert(related))


class KeyedQuery:
    """``statement`` filtered by ``key_column = any($keys)``, with the key as last column.

    One key (the usual batch: one building, one request) is read by ``key_column = $key``
    instead: PostgreSQL plans that once, where for ``= ANY($keys)`` its generic plan
    must guess ten keys and, judging it dearer than a custom plan for the one it is
    given, it plans anew on every execution.
    """

    def __init__(self, statement: AnySelect, key_column: Column) -> None:
        key = key_column.label("_key")
        self.prepared = Prepared(statement.where(key_column == keys_param()).add_columns(key))
        self.one = Prepared(
            statement.where(key_column == bindparam("key", type_=BigInteger)).add_columns(key)
        )

    async def rows(self, db: Database, keys: Sequence[int]) -> Sequence[Row]:
        """The rows of ``keys`` (each row's last column is its key), in no set order."""
        if len(keys) == 1:
            return await db.fetch(self.one, key=keys[0])
        return await db.fetch(self.prepared, keys=list(keys))


async def fetch_by_keys(
    db: Database, query: KeyedQuery, keys: Sequence[int], convert: Callable[[Row], V]
) -> list[V | None]:
    """The value of each key, in order (None where there is none): one statement."""
    rows = await query.rows(db, keys)
    found = {row[-1]: convert(row) for row in rows}
    return [found.get(key) for key in keys]


class ByIdLoader(Loader[int, V | None], Generic[V]):
    """One object per id (None for none), by ``query``; ``convert`` makes it of a row."""

    query: ClassVar[KeyedQuery]
    convert: ClassVar[Callable[..., Any]]

    async def batch_load_fn(self, keys: list[int]) -> list[V | None]:
        return await fetch_by_keys(self.db, self.query, keys, type(self).convert)


class ListByKeyLoader(Loader[int, list[V]], Generic[V]):
    """A (small, bounded) list of objects per key, in the query's order."""

    query: ClassVar[KeyedQuery]
    convert: ClassVar[Callable[..., Any]]

    async def batch_load_fn(self, keys: list[int]) -> list[list[V]]:
        rows = await self.query.rows(self.db, keys)
        grouped: dict[int, list[V]] = defaultdict(list)
        convert = type(self).convert
        for row in rows:
            grouped[row[-1]].append(convert(row))
        return [grouped.get(key, []) for key in keys]


PageKey = tuple[int, PageRequest, tuple[Any, ...]]
PageBuilder = Callable[[ColumnElement[int], bool, tuple[bool, ...]], AnySelect]


class PagedChildren:
    """A keyset page of children per parent, as prepared ``JOIN LATERAL`` statements.

    ``build(parent_id, has_after, filters_present)`` returns the page statement for
    one parent, using ``bindparam``s named ``after_0…`` (see :func:`keyset`) and one
    per filter; a statement is prepared once per shape.

    A page of one parent (a building's premises, the usual screen) is the page statement
    itself with the parent a parameter: PostgreSQL plans that once, where for the lateral
    join over ``unnest($parents)`` its generic plan must guess ten parents and, judging it
    dearer than a custom plan for the one it is given, it plans anew on every execution.
    """

    def __init__(self, build: PageBuilder, filter_names: tuple[str, ...] = ()) -> None:
        self._build = build
        self.filter_names = filter_names
        self._prepared: dict[tuple[bool, tuple[bool, ...], bool], Prepared] = {}

    def with_columns(self, *columns: Any) -> PagedChildren:
        """The same pages with ``columns`` after the children's own (a correlated
        subquery of what another domain reads for each child: see
        :class:`~edom_graphql.core.composition.JoinedReadAhead`)."""
        build = self._build

        def build_with(
            parent: ColumnElement[int], has_after: bool, present: tuple[bool, ...]
        ) -> AnySelect:
            return build(parent, has_after, present).add_columns(*columns)

        return PagedChildren(build_with, self.filter_names)

    def prepared(
        self, has_after: bool, present: tuple[bool, ...], *, one: bool = False
    ) -> Prepared:
        """The statement for many parents (``$parents``; rows start with the parent's
        id) or, with ``one``, for one (``$parent``; rows are the page's alone)."""
        key = (has_after, present, one)
        prepared = self._prepared.get(key)
        if prepared is None:
            if one:
                parent = bindparam("parent", type_=BigInteger)
                prepared = Prepared(self._build(parent, has_after, present))
            else:
                parents = select(
                    func.unnest(bindparam("parents", type_=ARRAY(BigInteger))).label("parent_id")
                ).subquery("parents")
                inner = self._build(parents.c.parent_id, has_after, present).lateral("page")
                prepared = Prepared(
                    select(parents.c.parent_id, *inner.c).select_from(parents.join(inner, true()))
                )
            self._prepared[key] = prepared
        return prepared


class PageLoader(Loader[PageKey, list[V]], Generic[V]):
    """One keyset page of children for many parents in one statement.

    Keys are ``(parent_id, page, filters)``; keys that share ``page`` and ``filters``
    (the usual case: one field with the same arguments under many parents) are served by
    a single statement.
    """

    batch_size = 500
    children: ClassVar[PagedChildren]
    convert: ClassVar[Callable[..., Any]]

    def converter(self) -> Callable[[Row], V]:
        """What makes a child of each row: ``convert``, unless a loader that reads more in
        the same statement (columns joined on) hands that on as well."""
        return cast(Callable[[Row], V], type(self).convert)

    async def batch_load_fn(self, keys: list[PageKey]) -> list[list[V]]:
        groups: dict[tuple[PageRequest, tuple[Any, ...]], list[int]] = defaultdict(list)
        for parent_id, page, filters in keys:
            groups[(page, filters)].append(parent_id)
        children = self.children
        convert = self.converter()
        results: dict[PageKey, list[V]] = {}
        for (page, filters), parent_ids in groups.items():
            present = tuple(value is not None for value in filters)
            params = page_params(page)
            params.update(
                (name, value)
                for name, value in zip(children.filter_names, filters, strict=True)
                if value is not None
            )
            parents = list(dict.fromkeys(parent_ids))
            has_after = page.after is not None
            grouped: dict[int, list[V]] = defaultdict(list)
            if len(parents) == 1:
                prepared = children.prepared(has_after, present, one=True)
                rows = await self.db.fetch(prepared, parent=parents[0], **params)
                grouped[parents[0]] = [convert(row) for row in rows]
            else:
                prepared = children.prepared(has_after, present)
                rows = await self.db.fetch(prepared, parents=parents, **params)
                for row in rows:
                    grouped[row[0]].append(convert(row[1:]))
            for parent_id in parent_ids:
                results[(parent_id, page, filters)] = grouped.get(parent_id, [])
        return [results[key] for key in keys]


def later(awaitable: Awaitable[T | None]) -> T:
    """A loader's future, returned as a resolver's value: graphql-core awaits it.

    Lets a resolver stay synchronous when its value is usually at hand already and
    only sometimes has to be loaded. For keys that exist (a foreign key guarantees
    the row), so the value is typed without ``None``. A value already loaded (primed
    from a joined row, or read by an earlier field) is returned as it is: the field
    completes at once instead of waiting for the executor's next wave.
    """
    if (
        isinstance(awaitable, asyncio.Future)
        and awaitable.done()
        and not awaitable.cancelled()
        and awaitable.exception() is None
    ):
        return cast(T, awaitable.result())
    return cast(T, awaitable)


async def settled(futures: Sequence[asyncio.Future[T]]) -> list[T]:
    """The results of loader futures asked for in one turn, in order: what
    ``asyncio.gather`` returns for them, without its task and callbacks (they are under
    way already, so waiting for each in turn waits no longer). On a failure, or if the
    caller is cancelled (which cancels the future it was waiting for, as in any task),
    the others are left to whoever else holds them (a loader may share one future
    between fields), their outcome retrieved."""
    results: list[T] = []
    try:
        for future in futures:
            results.append(await future)
    except BaseException:
        for future in futures:
            future.add_done_callback(_retrieve)
        raise
    return results


def _retrieve(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


__all__ = [
    "ByIdLoader",
    "KeyedQuery",
    "ListByKeyLoader",
    "Loader",
    "PageKey",
    "PageLoader",
    "PagedChildren",
    "fetch_by_keys",
    "keys_param",
    "later",
    "settled",
]
