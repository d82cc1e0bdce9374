"""The periodic job of meetings: voting opens and ends on time (see
:func:`edom_graphql.meetings.service.closing.advance`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from edom_graphql.core.context import Services
from edom_graphql.core.periodic import running
from edom_graphql.meetings.service.closing import advance


def sweep_of(services: Services) -> Callable[[], Awaitable[bool]]:
    """One pass over the meetings that are due; True while a backlog remains."""

    async def sweep() -> bool:
        return await advance(services.db, services.storage, services.clock())

    return sweep


@contextlib.asynccontextmanager
async def meetings_task(
    services: Services, *, interval_seconds: float | None = None
) -> AsyncIterator[asyncio.Task[None] | None]:
    """The meetings sweep in the background for the duration of the block, every
    ``interval_seconds`` (default: the ``meeting_sweep_interval_seconds`` setting; 0 runs
    none in this process). Safe in every server process."""
    if interval_seconds is None:
        interval_seconds = services.settings.meeting_sweep_interval_seconds
    async with running(
        sweep_of(services), interval_seconds=interval_seconds, what="meetings sweep"
    ) as task:
        yield task
