"""Reads shared by the live subscribers of one server process.

One chat message wakes every subscriber of that chat at once. Each must read the new
rows and decide again whether its viewer may still see them; done one by one, 5,000
subscribers cost 10,000 statements per message. Here the subscribers woken by one event
share their reads:

- :meth:`LiveReads.once` runs identical reads asked for before the first of them has
  started only once (the rows after the same cursor of the same stream);
- :meth:`LiveReads.profile` and :meth:`LiveReads.organisation_of` batch the access
  profiles and buildings asked for in the same turn of the event loop into one
  statement each.

Nothing is cached: every call reads the database as it is now, so a grant revoked a
moment ago is seen by the next event. Batching by user id cannot mix users up: each key
gets its own user's profile.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from aiodataloader import DataLoader
from sqlalchemy import select

from edom_graphql.buildings.models import Building
from edom_graphql.core.access import AccessProfile, load_profiles
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import keys_param

T = TypeVar("T")

_ORGANISATIONS = Prepared(
    select(Building.id, Building.organisation_id).where(Building.id == keys_param())
)


class _Profiles(DataLoader[int, AccessProfile]):
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        super().__init__(cache=False, max_batch_size=5000)
        self._db = db
        self._clock = clock

    async def batch_load_fn(self, keys: Sequence[int]) -> list[AccessProfile]:
        profiles = await load_profiles(self._db, user_ids=keys, now=self._clock())
        return [profiles[key] for key in keys]


class _Organisations(DataLoader[int, int | None]):
    def __init__(self, db: Database) -> None:
        super().__init__(cache=False, max_batch_size=1000)
        self._db = db

    async def batch_load_fn(self, keys: Sequence[int]) -> list[int | None]:
        found = {row[0]: row[1] for row in await self._db.fetch(_ORGANISATIONS, keys=list(keys))}
        return [found.get(key) for key in keys]


class _SharedRead:
    __slots__ = ("future", "started")

    def __init__(self) -> None:
        self.future: asyncio.Future[Any]
        self.started: int | None = None
        """When the read began (a tick of :class:`LiveReads`); None until then."""


class LiveReads:
    """Created once per process; its loaders are made inside the running event loop."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock
        self._in_flight: dict[Hashable, _SharedRead] = {}
        self._ticks = 0
        self._profiles: _Profiles | None = None
        self._organisations: _Organisations | None = None

    async def once(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """The result of ``read()``, shared with the callers asking for ``key`` before it
        has started.

        A read that is already running is never joined: it may have taken its snapshot
        before the caller was woken by a commit, and would hide that commit from it.
        Callers woken by the same event all ask before the first of them gets to start
        the read, so they still share it.
        """
        self._ticks += 1
        asked = self._ticks
        shared = self._in_flight.get(key)
        if shared is None or (shared.started is not None and shared.started < asked):
            shared = _SharedRead()
            shared.future = asyncio.ensure_future(self._run(shared, read))
            self._in_flight[key] = shared
            shared.future.add_done_callback(lambda _: self._forget(key, shared))
        result: T = await asyncio.shield(shared.future)
        return result

    async def _run(self, shared: _SharedRead, read: Callable[[], Awaitable[T]]) -> T:
        self._ticks += 1
        shared.started = self._ticks
        return await read()

    def _forget(self, key: Hashable, shared: _SharedRead) -> None:
        if self._in_flight.get(key) is shared:
            del self._in_flight[key]

    async def profile(self, user_id: int) -> AccessProfile:
        if self._profiles is None:
            self._profiles = _Profiles(self._db, self._clock)
        return await self._profiles.load(user_id)

    async def organisation_of(self, building_id: int) -> int | None:
        if self._organisations is None:
            self._organisations = _Organisations(self._db)
        return await self._organisations.load(building_id)
