"""The standing of the subscribers of one server process, read for all of them at once.

One chat message wakes every subscriber of the chat; each must be decided again with its
viewer's profile as it is now. :meth:`Standings.of` batches the profiles and buildings'
organisations asked for in the same turn of the event loop into one statement each, so
5,000 subscribers cost two statements per message, not 10,000. Nothing is cached:
every batch reads the database as it is now, and batching by user id cannot mix users
up (each key gets its own user's profile).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

from aiodataloader import DataLoader

from edom_graphql.access.profiles import load_profiles
from edom_graphql.buildings.reads import ORGANISATIONS_OF_BUILDINGS
from edom_graphql.core.db import Database
from edom_graphql.core.profile import AccessProfile

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
            self._db.fetch(ORGANISATIONS_OF_BUILDINGS, keys=buildings),
        )
        organisations = {row[0]: row[1] for row in rows}
        return [(profiles[user], organisations.get(building)) for user, building in keys]


class Standings:
    """Created once per process; its loader is made inside the running event loop."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self._db = db
        self._clock = clock
        self._loader: _Standings | None = None

    def of(self, user_id: int, building_id: int) -> asyncio.Future[Standing]:
        """The user's access profile and the building's organisation, as they are now;
        the callers of one turn of the event loop share two statements. Each call gets a
        future of its own (the loader caches nothing), so no asker's cancellation reaches
        another's."""
        if self._loader is None:
            self._loader = _Standings(self._db, self._clock)
        return self._loader.load((user_id, building_id))
