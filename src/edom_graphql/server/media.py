"""Stored photos: which one a viewer may fetch at ``/media/{key}``, and the sweep of
files that nothing references.

A photo is visible exactly when what it belongs to is, by that type's gatekeeper (a
listing, a repair request: the domains declare their photo tables). One statement finds
the owner of a key.

A file is stored before the transaction that references it commits, and deleted again
when that transaction refuses or fails (:func:`edom_graphql.core.photos.with_stored_photos`);
a process that dies in between leaves an orphan. :func:`sweep_orphans` deletes files
older than :data:`ORPHAN_GRACE` that no row references; younger ones may belong to a
mutation still running, and no mutation runs that long (statements time out in seconds).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta

from sqlalchemy import bindparam, literal, select, union_all

from edom_graphql.core.composition import PhotoTable
from edom_graphql.core.context import Context, Services
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import keys_param
from edom_graphql.core.nodes import visible
from edom_graphql.core.periodic import running
from edom_graphql.core.storage import Storage
from edom_graphql.schema import DOMAINS

log = logging.getLogger("edom_graphql.server.media")


class Photos:
    """The photo tables of the schema's domains, read as one: the owner of a key, and which
    of a batch of keys some row references (one statement each)."""

    def __init__(self, tables: Sequence[PhotoTable]) -> None:
        self.owner_types = {table.owner_type.__name__: table.owner_type for table in tables}
        self.owner_by_key = Prepared(
            union_all(
                *(
                    select(
                        literal(table.owner_type.__name__).label("owner_type"),
                        table.owner_id.label("owner_id"),
                        table.content_type.label("content_type"),
                    ).where(table.key == bindparam("key"))
                    for table in tables
                )
            )
        )
        self.referenced = Prepared(
            union_all(
                *(select(table.key).where(table.key == keys_param(text=True)) for table in tables)
            )
        )


PHOTOS = Photos([table for domain in DOMAINS for table in domain.photos])
"""The photo tables of the schema."""


async def visible_photo_type(context: Context, photos: Photos, key: str) -> str | None:
    """The media type of the photo stored under ``key``, if the viewer may see what it
    belongs to (a listing, a repair request); None otherwise (unknown key, or not theirs
    to see)."""
    row = await context.db.fetch_one(photos.owner_by_key, key=key)
    if row is None:
        return None
    owner_type, owner_id, content_type = row
    (owner,) = await photos.owner_types[owner_type].load_nodes(context, [owner_id])
    return str(content_type) if await visible(context, owner) is not None else None


ORPHAN_GRACE = timedelta(hours=1)
SWEEP_BATCH = 1000


async def sweep_orphans(db: Database, storage: Storage, photos: Photos, *, now: datetime) -> int:
    """Delete the stored files older than :data:`ORPHAN_GRACE` that no photo row
    references; how many. Safe in several processes at once (deleting twice is a no-op)."""
    keys = await storage.saved_before(now - ORPHAN_GRACE)
    deleted = 0
    for first in range(0, len(keys), SWEEP_BATCH):
        batch = keys[first : first + SWEEP_BATCH]
        referenced = {row[0] for row in await db.fetch(photos.referenced, keys=batch)}
        for key in batch:
            if key not in referenced:
                await storage.delete(key)
                deleted += 1
    if deleted:
        log.info("deleted %d unreferenced stored files", deleted)
    return deleted


@contextlib.asynccontextmanager
async def orphan_sweep_task(
    services: Services, photos: Photos
) -> AsyncIterator[asyncio.Task[None] | None]:
    """:func:`sweep_orphans` every ``media_sweep_interval_seconds`` (0: never), for the
    app's lifespan."""

    async def sweep() -> bool:
        await sweep_orphans(services.db, services.storage, photos, now=services.clock())
        return False

    async with running(
        sweep,
        interval_seconds=services.settings.media_sweep_interval_seconds,
        what="sweep of unreferenced files",
    ) as task:
        yield task
