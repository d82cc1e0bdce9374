"""Resumable live streams: replay what was persisted after a cursor, then follow live.

A stream is a sequence of rows with increasing integer ids (a user's notifications,
a chat's message events, a repair request's history). Its writers take
:func:`serialise_writers` in their transaction before drawing the row's id, so within
one stream id order is commit order, and announce the new id on the stream's pub/sub
channel after commit (the :class:`~edom_graphql.core.db.Outbox`).

:func:`follow` subscribes *before* it reads, then reads ``id > last`` from the
database whenever an announcement (or ``RESYNC``) could mean something newer exists.
Announcements only wake it; the rows come from the database. So a subscriber that
resumes with the id it last saw misses nothing written meanwhile, by any process,
and receives nothing twice.

A subscription resolver does not call :func:`follow` itself: :func:`live_events` (a
stream of rows) and :func:`live_state` (a value recomputed on every wake-up, like a
poll's results) own what every subscription needs around it: the client's cursor, the
token's expiry, and a fresh context, with every access decision made again, for each
event.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.context import Context
from edom_graphql.core.errors import Unauthenticated
from edom_graphql.core.pagination import INT64, decode_cursor
from edom_graphql.core.pubsub import RESYNC, PubSub

Row = TypeVar("Row")
T = TypeVar("T")

REPLAY_BATCH = 100


async def serialise_writers(session: AsyncSession, lock_class: int, stream_key: int) -> None:
    """Order this transaction's writes to one stream after every earlier writer's commit.

    Take it before inserting the stream's row: the transaction-scoped advisory lock is
    held until commit, so a row with a smaller id can never commit after a larger one.
    """
    await session.execute(select(func.pg_advisory_xact_lock(lock_class, stream_key)))


async def follow(
    pubsub: PubSub,
    channel: str,
    *,
    after: int | None,
    latest: Callable[[], Awaitable[int]],
    rows_after: Callable[[int, int], Awaitable[Sequence[Row]]],
    id_of: Callable[[Row], int],
    batch: int = REPLAY_BATCH,
) -> AsyncGenerator[Row, None]:
    """Rows of one stream with id greater than ``after`` (or than ``latest()``), forever.

    ``rows_after(last_id, limit)`` reads at most ``limit`` rows with ``id > last_id`` in
    id order. Announcements on ``channel`` carry ``{"id": n}``; one that is not newer
    than what was delivered is skipped without a query.
    """
    async with pubsub.subscribe(channel) as events:
        last_id = after if after is not None else await latest()
        while True:
            rows = await rows_after(last_id, batch)
            for row in rows:
                last_id = id_of(row)
                yield row
            if len(rows) == batch:
                continue
            while True:  # wait for something newer than what was delivered
                event = await events.get()
                if event is RESYNC or int(event.get("id", 0)) > last_id:
                    break


def _first_id(row: Any) -> int:
    return int(row[0])


def _next_event(context: Context) -> None:
    """Before an event is sent: refuse an expired token, then start over (fresh loaders,
    profile and decisions), so that access is decided on as it is now."""
    if context.token_expired():
        raise Unauthenticated("The access token has expired; sign in again.")
    context.renew()


async def live_events(
    context: Context,
    channel: str,
    *,
    after: str | None,
    latest: Callable[[], Awaitable[int]],
    rows_after: Callable[[int, int], Awaitable[Sequence[Row]]],
    admit: Callable[[Context, Row], Awaitable[T | None]],
    id_of: Callable[[Row], int] = _first_id,
) -> AsyncGenerator[T, None]:
    """A subscription's events: those after the client's cursor ``after`` (the ``cursor``
    of an event it has seen), then live, forever (see :func:`follow`).

    For each row, with the context renewed, ``admit(context, row)`` decides again whether
    the viewer may see it and makes the value to send: None skips the row; raising
    ``Forbidden`` ends the stream (the viewer has lost access). An expired token ends it
    with ``UNAUTHENTICATED``.
    """
    start = decode_cursor(after, types=(INT64,))[0] if after is not None else None
    async for row in follow(
        context.services.pubsub,
        channel,
        after=start,
        latest=latest,
        rows_after=rows_after,
        id_of=id_of,
    ):
        _next_event(context)
        value = await admit(context, row)
        if value is not None:
            yield value


async def live_state(
    context: Context,
    channel: str,
    read: Callable[[Context], Awaitable[tuple[T | None, datetime | None]]],
) -> AsyncGenerator[T, None]:
    """A value sent now and again whenever it changes: recomputed, with the context
    renewed, when ``channel`` announces a change (a burst counts once) and at the time
    ``read`` asks to be woken at (a poll's closing, when its results may show).

    ``read(context)`` returns the value to send (None: nothing to show now) and when to
    wake up without an announcement (None: only on one); raising ``Forbidden`` ends the
    stream.
    """
    async with context.services.pubsub.subscribe(channel) as events:
        last: T | None = None
        while True:
            _next_event(context)
            value, wake_at = await read(context)
            if value is not None and value != last:
                last = value
                yield value
            timeout = None if wake_at is None else max(0.0, (wake_at - context.now).total_seconds())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(events.get(), timeout=timeout)
            events.drain()
