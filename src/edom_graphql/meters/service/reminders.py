"""Window reminders: when a reading window opens, the occupants of every premise with a
meter of that window in service (its owners, registered residents, residents and elevated
guests) are told, once per premise, window and period.

A pass claims up to :data:`REMINDER_BATCH` premises per open window by inserting their
reminder rows; the unique key (premise, window, period) decides who sends: a process
racing another for the same premise waits on the other's row and inserts nothing, so it
notifies nobody. The notifications are written in the same transaction as the claim, so
a reminder is sent exactly when its row commits. A premise whose meters are registered
while its window is open is reminded by the next pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Date, DateTime, exists, func, literal, select, union
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import Premise
from edom_graphql.core.db import Database, Outbox
from edom_graphql.meters.models import (
    WINDOW_OF_KIND,
    Meter,
    MeterWindowReminder,
    WindowKind,
    window_kind_enum,
)
from edom_graphql.meters.service.windows import MOSCOW, Window, current_window, period_label
from edom_graphql.notifications.service import messages, notify
from edom_graphql.residents.models import (
    GuestGrant,
    GuestLevel,
    Ownership,
    Registration,
    ResidencyConfirmation,
)

REMINDER_BATCH = 200
NOTIFICATION_KIND = "METER_READINGS_DUE"


def _due(window: Window, batch: int, *, caught_up: bool) -> Any:
    """Premises with a meter of the window in service not yet reminded, in premise order:
    after the last one reminded (a pass goes on where the last one stopped, so the
    windows' opening costs one walk over the meters), or, ``caught_up``, those whose
    meters were registered since the window opened (behind the walk)."""
    kinds = [kind for kind, of in WINDOW_OF_KIND.items() if of is window.kind]
    this_window = (
        MeterWindowReminder.window_kind == window.kind,
        MeterWindowReminder.period == window.period,
    )
    reminded = exists().where(MeterWindowReminder.premise_id == Meter.premise_id, *this_window)
    if caught_up:
        where = Meter.created_at >= window.opens_at
    else:
        walked = (
            select(func.coalesce(func.max(MeterWindowReminder.premise_id), 0))
            .where(*this_window)
            .scalar_subquery()
        )
        where = Meter.premise_id > walked
    return (
        select(Meter.premise_id, Meter.building_id)
        .where(where, Meter.retired_at.is_(None), Meter.kind.in_(kinds), ~reminded)
        .distinct()
        .order_by(Meter.premise_id)
        .limit(batch)
        .subquery("due")
    )


async def _claim(session: AsyncSession, window: Window, now: datetime, batch: int) -> list[int]:
    """Reminder rows for up to ``batch`` premises not yet reminded: their ids."""
    for caught_up in (False, True):
        due = _due(window, batch, caught_up=caught_up)
        claimed = await session.execute(
            pg_insert(MeterWindowReminder)
            .from_select(
                ["premise_id", "building_id", "window_kind", "period", "sent_at"],
                select(
                    due.c.premise_id,
                    due.c.building_id,
                    literal(window.kind, window_kind_enum),
                    literal(window.period, Date),
                    literal(now, DateTime(timezone=True)),
                ),
            )
            .on_conflict_do_nothing(index_elements=["premise_id", "window_kind", "period"])
            .returning(MeterWindowReminder.premise_id)
        )
        found = sorted(int(premise_id) for premise_id in claimed.scalars())
        if found:
            return found
    return []


async def occupants_of(
    session: AsyncSession, premise_ids: Sequence[int], now: datetime
) -> dict[int, list[int]]:
    """Per premise, who is told: its owners, registered residents, residents (current
    relations) and elevated guests whose grant runs now."""

    def current(table: Any) -> Any:
        return select(table.premise_id, table.user_id).where(
            table.premise_id.in_(list(premise_ids)), table.ended_at.is_(None)
        )

    rows = await session.execute(
        union(
            current(Ownership),
            current(Registration),
            current(ResidencyConfirmation),
            select(GuestGrant.premise_id, GuestGrant.grantee_id).where(
                GuestGrant.premise_id.in_(list(premise_ids)),
                GuestGrant.level == GuestLevel.ELEVATED,
                GuestGrant.revoked_at.is_(None),
                GuestGrant.starts_at <= now,
                GuestGrant.expires_at > now,
            ),
        )
    )
    found: dict[int, list[int]] = defaultdict(list)
    for premise_id, user_id in rows:
        found[int(premise_id)].append(int(user_id))
    return {premise: sorted(users) for premise, users in found.items()}


async def _remind(
    session: AsyncSession, outbox: Outbox, window: Window, premise_ids: Sequence[int], now: datetime
) -> None:
    numbers = {
        int(premise_id): number
        for premise_id, number in await session.execute(
            select(Premise.id, Premise.number).where(Premise.id.in_(list(premise_ids)))
        )
    }
    for premise_id, users in (await occupants_of(session, premise_ids, now)).items():
        for user_id in users:
            await notify(
                session,
                outbox,
                user_id=user_id,
                kind=NOTIFICATION_KIND,
                message=messages.METER_REMINDER(
                    what=messages.METER_WHAT[window.kind.value],
                    premise=numbers[premise_id],
                    opens=messages.day_text(window.opens_at.astimezone(MOSCOW).date()),
                    closes=messages.day_text(window.closes_at.astimezone(MOSCOW).date()),
                ),
                subject_type="Premise",
                subject_id=premise_id,
                data={
                    "window": window.kind.value,
                    "period": period_label(window.period),
                    "closesAt": window.closes_at.isoformat(),
                },
            )


async def send_reminders(db: Database, now: datetime, *, batch: int = REMINDER_BATCH) -> int:
    """One pass: remind up to ``batch`` premises of each window open at ``now`` (each in
    a transaction of its own); how many premises were reminded."""
    reminded = 0
    for kind in WindowKind:
        window = current_window(kind, now)
        if not window.is_open(now):
            continue
        async with db.transaction() as (session, outbox):
            premise_ids = await _claim(session, window, now, batch)
            if premise_ids:
                await _remind(session, outbox, window, premise_ids, now)
        reminded += len(premise_ids)
    return reminded


__all__ = ["NOTIFICATION_KIND", "REMINDER_BATCH", "occupants_of", "send_reminders"]
