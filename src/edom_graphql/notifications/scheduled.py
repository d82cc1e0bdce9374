"""The periodic job of notifications: push delivery to devices (see
:func:`edom_graphql.notifications.service.delivery.deliver_due`)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

import httpx

from edom_graphql.core.context import Services
from edom_graphql.core.periodic import running
from edom_graphql.notifications.models import PushPlatform
from edom_graphql.notifications.service.delivery import BATCH, deliver_due, providers_of
from edom_graphql.notifications.service.push import PushProvider


def sweep_of(
    services: Services, providers: Mapping[PushPlatform, PushProvider]
) -> Callable[[], Awaitable[bool]]:
    """One delivery pass; True while a backlog remains."""

    async def sweep() -> bool:
        sent = await deliver_due(
            services.db,
            providers,
            services.clock(),
            max_attempts=services.settings.push_max_attempts,
        )
        return sent == BATCH

    return sweep


@contextlib.asynccontextmanager
async def push_delivery_task(
    services: Services, *, interval_seconds: float | None = None
) -> AsyncIterator[asyncio.Task[None] | None]:
    """Push delivery in the background for the duration of the block, every
    ``interval_seconds`` (default: the ``push_delivery_interval_seconds`` setting; 0 runs
    none in this process). Safe in every server process."""
    settings = services.settings
    if interval_seconds is None:
        interval_seconds = settings.push_delivery_interval_seconds
    if interval_seconds <= 0:
        yield None
        return
    async with httpx.AsyncClient(timeout=settings.push_timeout_seconds) as client:
        sweep = sweep_of(services, providers_of(settings, client))
        async with running(sweep, interval_seconds=interval_seconds, what="push delivery") as task:
            yield task
