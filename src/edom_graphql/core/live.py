"""Reads shared by the live subscribers of one server process.

One chat message wakes every subscriber of that chat at once. Each must read the new
rows and decide again whether its viewer may still see them; done one by one, 5,000
subscribers cost 10,000 statements per message. Here the subscribers woken by one event
share their reads:

- :meth:`LiveReads.once` runs identical reads asked for before the first of them has
  started only once (the rows after the same cursor of the same stream);
- :meth:`LiveReads.standing` batches the access profiles and buildings' organisations
  asked for in the same turn of the event loop into one statement each.

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


Standing = tuple[AccessProfile, int | None]
"""A user's access profile and the organisation managing a building, read just now."""


class _Standings(DataLoader[tuple[int, int], Standing]):
    """Keys ``(user_id, building_id)``; one statement for the users' profiles and one for
    the buildings' organisations, run side by side."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        super().__init__(cache=False, max_batch_size=5000)
        self._db = db
        self._clock = clock

    async def batch_load_fn(self, keys: Sequence[tuple[int, int]]) -> list[Standing]:
        users = list({user for user, _ in keys})
        buildings = list({building for _, building in keys})
        profiles, rows = await asyncio.gather(
            load_profiles(self._db, user_ids=users, now=self._clock()),
            self._db.fetch(_ORGANISATIONS, keys=buildings),
        )
        organisations = {row[0]: row[1] for row in rows}
        return [(profiles[user], organisations.get(building)) for user, building in keys]


class _SharedRead:
    __slots__ = ("started", "waiters")

    def __init__(self) -> None:
        self.started: int | None = None
        """When the read began (a tick of :class:`LiveReads`); None until then."""
        self.waiters: list[asyncio.Future[Any]] = []
        """One future per caller: a caller that is cancelled cancels only its own."""

    def settle(self, task: asyncio.Task[Any]) -> None:
        """Hand the read's outcome to every caller still waiting."""
        cancelled = task.cancelled()
        error = None if cancelled else task.exception()  # retrieved even if nobody waits
        for waiter in self.waiters:
            if waiter.done():  # that caller was cancelled
                continue
            if cancelled:
                waiter.cancel()
            elif error is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(task.result())


class LiveReads:
    """Created once per process; its loaders are made inside the running event loop."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock
        self._in_flight: dict[Hashable, _SharedRead] = {}
        self._ticks = 0
        self._standings: _Standings | None = None

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
            shared = self._in_flight[key] = _SharedRead()
            task = asyncio.ensure_future(self._run(shared, read))
            task.add_done_callback(lambda done: self._finish(key, shared, done))
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        shared.waiters.append(waiter)
        return await waiter

    async def _run(self, shared: _SharedRead, read: Callable[[], Awaitable[T]]) -> T:
        self._ticks += 1
        shared.started = self._ticks
        return await read()

    def _finish(self, key: Hashable, shared: _SharedRead, task: asyncio.Task[Any]) -> None:
        if self._in_flight.get(key) is shared:
            del self._in_flight[key]
        shared.settle(task)

    async def standing(self, user_id: int, building_id: int) -> Standing:
        """The user's access profile and the building's organisation, as they are now;
        the callers of one turn of the event loop share two statements."""
        if self._standings is None:
            self._standings = _Standings(self._db, self._clock)
        return await self._standings.load((user_id, building_id))
