"""The periodic job of the intercom: calls nobody answered become MISSED (see
:func:`edom_graphql.intercom.service.calls.sweep_missed`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable

from edom_graphql.core.context import Services
from edom_graphql.core.periodic import running
from edom_graphql.intercom.service.calls import SWEEP_BATCH, sweep_missed


def sweep_of(services: Services) -> Callable[[], Awaitable[bool]]:
    """One pass; True while a backlog may remain."""

    async def sweep() -> bool:
        return await sweep_missed(services.db, services.clock()) >= SWEEP_BATCH

    return sweep


@contextlib.asynccontextmanager
async def missed_calls_task(
    services: Services, *, interval_seconds: float | None = None
) -> AsyncIterator[asyncio.Task[None] | None]:
    """The missed-call sweep in the background for the duration of the block, every
    ``interval_seconds`` (default: the ``intercom_missed_call_interval_seconds`` setting;
    0 runs none in this process). Safe in every server process: rows are claimed with
    SKIP LOCKED."""
    if interval_seconds is None:
        interval_seconds = services.settings.intercom_missed_call_interval_seconds
    async with running(
        sweep_of(services), interval_seconds=interval_seconds, what="intercom missed calls"
    ) as task:
        yield task
