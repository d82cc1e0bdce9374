"""Housekeeping that every server process runs in the background while it serves.

Each sweep must be safe to run in several processes at once (they do, one per process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

log = logging.getLogger("edom_graphql.periodic")


async def repeat(
    sweep: Callable[[], Awaitable[bool]], *, interval_seconds: float, what: str
) -> None:
    """Run ``sweep`` every ``interval_seconds`` until cancelled; again at once while it
    reports a backlog (returns True). A failure is logged and retried next time."""
    while True:
        try:
            while await sweep():
                pass
        except Exception:
            log.exception("%s failed", what)
        await asyncio.sleep(interval_seconds)


@contextlib.asynccontextmanager
async def running(
    sweep: Callable[[], Awaitable[bool]], *, interval_seconds: float, what: str
) -> AsyncIterator[asyncio.Task[None] | None]:
    """``sweep`` repeated in the background for the duration of the block (for the app's
    lifespan); an interval of 0 runs nothing."""
    if interval_seconds <= 0:
        yield None
        return
    task = asyncio.create_task(repeat(sweep, interval_seconds=interval_seconds, what=what))
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
