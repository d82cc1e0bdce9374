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
    for window in windows:
        since = now - window.period
        row = (
            await session.execute(
                select(func.count(), func.min(RateLimitHit.at)).where(
                    RateLimitHit.bucket == bucket, RateLimitHit.key == key, RateLimitHit.at >= since
                )
            )
        ).one()
        count, oldest = row
        if count >= window.limit:
            retry_after = math.ceil(((oldest + window.period) - now).total_seconds())
            raise RateLimited(retry_after_seconds=max(1, retry_after))
    await session.execute(
        insert(RateLimitHit).values(bucket=bucket, key=key, user_id=user_id, at=now)
    )
