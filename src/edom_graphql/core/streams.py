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
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.pubsub import RESYNC, PubSub

Row = TypeVar("Row")

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
