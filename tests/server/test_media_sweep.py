"""The sweep of stored files that nothing references (left by a crash between storing
an upload and committing the row that names it)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
from pathlib import Path

from edom_graphql.core.storage import PARTIAL_PREFIX, LocalStorage
from edom_graphql.server.media import ORPHAN_GRACE, PHOTOS, orphan_sweep_task, sweep_orphans
from tests.factories import Api, Clock, make_world
from tests.listings.operations import JPEG, PNG, listing_input, upload


def age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


async def test_old_unreferenced_files_go_and_everything_else_stays(api: Api, clock: Clock) -> None:
    world = await make_world(api)
    storage = LocalStorage(api.settings.uploads_path)
    created = await upload(api, world["owner"], {"input": listing_input(world)}, [("a", JPEG, "")])
    url = created.ok()["listingCreate"]["listing"]["photos"][0]["url"]
    referenced = url.removeprefix("/media/")
    orphan = await storage.save(PNG, "image/png")  # its transaction never committed
    young_orphan = await storage.save(PNG, "image/png")  # may still be committing
    partial = storage.root / f"{PARTIAL_PREFIX}crashed"
    partial.write_bytes(b"half a photo")
    old = ORPHAN_GRACE.total_seconds() + 60
    for name in (referenced, orphan):
        age(storage.root / name, old)
    age(partial, old)

    assert await sweep_orphans(api.db, storage, PHOTOS, now=clock()) == 1
    assert not (storage.root / orphan).exists()
    assert not partial.exists()
    assert (storage.root / referenced).exists()
    assert (storage.root / young_orphan).exists()
    served = await api.client.get(url, headers=world["owner"].headers)
    assert served.status_code == 200
    assert served.content == JPEG
    # a second sweep (another process, or the next round) finds nothing more
    assert await sweep_orphans(api.db, storage, PHOTOS, now=clock()) == 0


async def test_the_sweep_runs_in_the_background(api: Api, clock: Clock) -> None:
    storage = LocalStorage(api.settings.uploads_path)
    orphan = await storage.save(PNG, "image/png")
    age(storage.root / orphan, ORPHAN_GRACE.total_seconds() + 60)
    services = api.app.state.services
    settings = services.settings.model_copy(update={"media_sweep_interval_seconds": 0.02})
    background = dataclasses.replace(services, settings=settings, clock=clock)
    async with orphan_sweep_task(background, PHOTOS) as task:
        assert task is not None
        for _ in range(200):
            if not (storage.root / orphan).exists():
                break
            await asyncio.sleep(0.01)
    assert not (storage.root / orphan).exists()
    assert task.cancelled() or task.done()
