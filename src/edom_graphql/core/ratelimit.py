"""Per-user rate limits on abusable mutations, counted in PostgreSQL so that every
server process sees the same counts.

A limited mutation says so in the SDL (``@rateLimit(max: 10, seconds: 3600)``, one per
window) and is refused with ``RATE_LIMITED`` (and ``retryAfter``) before it runs once a
window is full; see :class:`RateLimit`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

import strawberry
from sqlalchemy import BigInteger, DateTime, Index, String, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from strawberry.schema_directive import Location

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


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="rateLimit",
    repeatable=True,
    description="Each user may call this at most `max` times in any `seconds`; beyond, it "
    "is refused with RATE_LIMITED and `retryAfter` (seconds).",
)
class RateLimitDirective:
    max: int = strawberry.field(description="Calls allowed in the window.")
    seconds: int = strawberry.field(description="Length of the window, seconds.")


F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class RateLimit:
    """The windows of one abusable operation, counted per user under ``bucket``.

    ``directives`` go on the field (the SDL shows the limit); the instance wraps the
    resolver, which must take ``info``, so that a call over the limit is refused before
    it does anything (every attempt counts, refused or not).
    """

    bucket: str
    windows: tuple[Window, ...]

    @property
    def directives(self) -> list[RateLimitDirective]:
        return [
            RateLimitDirective(max=window.limit, seconds=int(window.period.total_seconds()))
            for window in self.windows
        ]

    def __call__(self, resolver: F) -> F:
        limit = self

        @functools.wraps(resolver)
        async def limited(*args: Any, **kwargs: Any) -> Any:
            context = kwargs["info"].context
            user_id = context.require_viewer()
            async with context.db.transaction() as (session, _):
                await check_and_count(
                    session,
                    bucket=limit.bucket,
                    key=str(user_id),
                    user_id=user_id,
                    windows=limit.windows,
                    now=context.now,
                )
            return await resolver(*args, **kwargs)

        return limited  # type: ignore[return-value]


async def check_and_count(
    session: AsyncSession,
    *,
    bucket: str,
    key: str,
    user_id: int,
    windows: tuple[Window, ...],
    now: datetime,
    hits: int = 1,
) -> None:
    """Refuse with :class:`RateLimited` if ``hits`` more would overflow a window;
    otherwise count them.

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
        counted = (
            select(RateLimitHit.at)
            .where(
                RateLimitHit.bucket == bucket,
                RateLimitHit.key == key,
                RateLimitHit.at > now - window.period,
            )
            .limit(window.limit)
            .subquery()
        )
        count = (await session.execute(select(func.count()).select_from(counted))).scalar_one()
        if count + hits > window.limit:
            if hits > window.limit:  # never fits: wait out the whole window
                wait = max(wait, window.period)
            else:
                wait = max(wait, await _frees(session, bucket, key, window, hits, now))
    if wait > timedelta():
        raise RateLimited(retry_after_seconds=max(1, math.ceil(wait.total_seconds())))
    await session.execute(
        insert(RateLimitHit),
        [{"bucket": bucket, "key": key, "user_id": user_id, "at": now}] * hits,
    )


async def _frees(
    session: AsyncSession, bucket: str, key: str, window: Window, hits: int, now: datetime
) -> timedelta:
    """How long until ``hits`` more fit in the full window: until the
    (limit - hits + 1)-th most recent hit has left it."""
    recent = (
        select(RateLimitHit.at)
        .where(
            RateLimitHit.bucket == bucket,
            RateLimitHit.key == key,
            RateLimitHit.at > now - window.period,
        )
        .order_by(RateLimitHit.at.desc())
        .offset(window.limit - hits)
        .limit(1)
    )
    leaving = (await session.execute(recent)).scalar_one_or_none()
    if leaving is None:
        return timedelta()
    wait: timedelta = leaving + window.period - now
    return wait
