"""The periodic job of meters: reminders that a reading window has opened (see
:func:`edom_graphql.meters.service.reminders.send_reminders`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from edom_graphql.core.context import Services
from edom_graphql.core.periodic import running
from edom_graphql.meters.service.reminders import REMINDER_BATCH, send_reminders


def sweep_of(services: Services) -> Callable[[], Awaitable[bool]]:
    """One reminder pass; True while a backlog may remain."""

    async def sweep() -> bool:
        return await send_reminders(services.db, services.clock()) >= REMINDER_BATCH

    return sweep


@contextlib.asynccontextmanager
async def reminders_task(
    services: Services, *, interval_seconds: float | None = None
) -> AsyncIterator[asyncio.Task[None] | None]:
    """The reminder sweep in the background for the duration of the block, every
    ``interval_seconds`` (default: the ``meter_reminder_interval_seconds`` setting; 0 runs
    none in this process). Safe in every server process."""
    if interval_seconds is None:
        interval_seconds = services.settings.meter_reminder_interval_seconds
    async with running(
        sweep_of(services), interval_seconds=interval_seconds, what="meter reminders"
    ) as task:
        yield task
