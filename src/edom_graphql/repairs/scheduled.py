"""The periodic job of repairs: the auto-close sweep (requests DONE for 72 hours without a
reaction of their author are closed, see :func:`edom_graphql.repairs.service.close_expired`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from edom_graphql.core.context import Services
from edom_graphql.core.periodic import repeat, running
from edom_graphql.repairs.service import AUTO_CLOSE_BATCH, close_expired

AUTO_CLOSE_INTERVAL_SECONDS = 60.0


def _sweep(services: Services) -> Callable[[], Awaitable[bool]]:
    """One auto-close pass; True while a backlog remains."""

    async def sweep() -> bool:
        return await close_expired(services.db, services.clock()) == AUTO_CLOSE_BATCH

    return sweep


async def run_auto_close(
    services: Services, *, interval_seconds: float = AUTO_CLOSE_INTERVAL_SECONDS
) -> None:
    """Sweep with :func:`close_expired` every ``interval_seconds``, until cancelled.

    Safe to run in every server process.
    """
    await repeat(_sweep(services), interval_seconds=interval_seconds, what="auto-close sweep")


@contextlib.asynccontextmanager
async def auto_close_task(
    services: Services, *, interval_seconds: float | None = None
) -> AsyncIterator[asyncio.Task[None] | None]:
    """The auto-close sweep running in the background for the duration of the block.

    Every ``interval_seconds`` (default: the ``repair_auto_close_interval_seconds``
    setting); 0 runs no sweep in this process. For the app's lifespan.
    """
    if interval_seconds is None:
        interval_seconds = services.settings.repair_auto_close_interval_seconds
    sweep = _sweep(services)
    async with running(sweep, interval_seconds=interval_seconds, what="auto-close sweep") as task:
        yield task
