"""Per-user rate limits on abusable mutations, counted in PostgreSQL so that every
server process sees the same counts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import BigInteger, DateTime, Index, String, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.errors import RateLimited
from edom_graphql.core.models import BigId


class RateLimitHit(Base):
    __tablename__ = "rate_limit_hits"
    __table_args__ = (Index("ix_rate_limit_hits_bucket_at", "bucket", "key", "at"),)

    id: Mapped[BigId]
    bucket: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int] = mapped_column(BigInteger)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True, slots=True)
class Window:
    limit: int
    period: timedelta


async def check_and_count(
    session: AsyncSession,
    *,
    bucket: str,
    key: str,
    user_id: int,
    windows: tuple[Window, ...],
    now: datetime,
) -> None:
    """Refuse with :class:`RateLimited` if any window is full; otherwise count this hit.

    Serialised per (bucket, key) by a transaction-scoped advisory lock, so two
    concurrent requests cannot both take the last slot.
    """
    await session.execute(
        select(func.pg_advisory_xact_lock(func.hashtextextended(f"{bucket}:{key}", 0)))
    )
    longest = max(w.period for w in windows)
    await session.execute(
        delete(RateLimitHit).where(
            RateLimitHit.bucket == bucket, RateLimitHit.key == key, RateLimitHit.at < now - longest
        )
    )
    # A request is allowed again once every full window has a free slot: the retry time
    # is the latest of the windows' waits, not the first full window's.
    wait = timedelta()
    for window in windows:
        hits = (
            select(RateLimitHit.at)
            .where(
                RateLimitHit.bucket == bucket,
                RateLimitHit.key == key,
                RateLimitHit.at > now - window.period,
            )
            .order_by(RateLimitHit.at.desc())
            .limit(window.limit)
            .subquery()
        )
        count, oldest = (await session.execute(select(func.count(), func.min(hits.c.at)))).one()
        if count >= window.limit:
            # The window frees a slot when the limit-th most recent hit leaves it.
            wait = max(wait, oldest + window.period - now)
    if wait > timedelta():
        raise RateLimited(retry_after_seconds=max(1, math.ceil(wait.total_seconds())))
    await session.execute(
        insert(RateLimitHit).values(bucket=bucket, key=key, user_id=user_id, at=now)
    )
