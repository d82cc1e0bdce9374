"""Calls from a panel to an apartment: a ring reaches the apartment's occupants live
(its call stream) and by a notification; answered, missed (hung up or unanswered for
:data:`RING_SECONDS`) or ended, every change is an event of the premise's stream."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.db import Database, Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.streams import serialise_writers
from edom_graphql.intercom.models import CallState, IntercomCall, IntercomCallEvent
from edom_graphql.notifications.service import messages, notify

RING_SECONDS = 45
"""A call nobody answers within this is MISSED."""
CALL_KIND = "INTERCOM_CALL"
STREAM_LOCK_CLASS = 1_013
SWEEP_BATCH = 100


def calls_channel(premise_id: int) -> str:
    return f"premise.{premise_id}.intercom_calls"


async def add_event(
    session: AsyncSession,
    outbox: Outbox,
    *,
    call_id: int,
    premise_id: int,
    state: CallState,
    now: datetime,
) -> int:
    """Append to the premise's call stream (ordered by commit: see core/streams)."""
    await serialise_writers(session, STREAM_LOCK_CLASS, premise_id)
    event_id: int = (
        await session.execute(
            insert(IntercomCallEvent)
            .values(call_id=call_id, premise_id=premise_id, state=state, at=now)
            .returning(IntercomCallEvent.id)
        )
    ).scalar_one()
    outbox.add(calls_channel(premise_id), {"id": event_id})
    return event_id


async def ring(
    session: AsyncSession,
    outbox: Outbox,
    *,
    building_id: int,
    panel_id: int,
    premise_id: int,
    premise_number: str,
    device_call_id: str,
    media_url: str | None,
    occupants: Sequence[int],
    now: datetime,
) -> int | None:
    """A new call (None when the device already reported it)."""
    call_id = (
        await session.execute(
            pg_insert(IntercomCall)
            .values(
                building_id=building_id,
                panel_id=panel_id,
                premise_id=premise_id,
                device_call_id=device_call_id,
                media_url=media_url,
                state=CallState.RINGING,
                rang_at=now,
            )
            .on_conflict_do_nothing(index_elements=["panel_id", "device_call_id"])
            .returning(IntercomCall.id)
        )
    ).scalar_one_or_none()
    if call_id is None:
        return None
    await add_event(
        session, outbox, call_id=call_id, premise_id=premise_id, state=CallState.RINGING, now=now
    )
    for user_id in occupants:
        await notify(
            session,
            outbox,
            user_id=user_id,
            kind=CALL_KIND,
            message=messages.INTERCOM_CALL(apartment=premise_number),
            subject_type="IntercomCall",
            subject_id=call_id,
            data={"mediaUrl": media_url} if media_url else None,
        )
    return int(call_id)


async def hang_up(
    session: AsyncSession, outbox: Outbox, *, panel_id: int, device_call_id: str, now: datetime
) -> bool:
    """The caller hung up: a ringing call is MISSED, an answered one ENDED."""
    row = (
        await session.execute(
            select(IntercomCall.id, IntercomCall.premise_id, IntercomCall.state)
            .where(IntercomCall.panel_id == panel_id, IntercomCall.device_call_id == device_call_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is None or CallState(row[2]) in (CallState.MISSED, CallState.ENDED):
        return False
    state = CallState.MISSED if CallState(row[2]) is CallState.RINGING else CallState.ENDED
    await session.execute(
        update(IntercomCall).where(IntercomCall.id == row[0]).values(state=state, ended_at=now)
    )
    await add_event(session, outbox, call_id=row[0], premise_id=row[1], state=state, now=now)
    return True


async def answer(
    session: AsyncSession, outbox: Outbox, *, call_id: int, user_id: int, now: datetime
) -> int:
    """Answer a ringing call (the first answer wins); answering one's own answered call
    again is allowed (to open the door from it). The call's panel."""
    row = (
        await session.execute(
            select(
                IntercomCall.premise_id,
                IntercomCall.state,
                IntercomCall.answered_by,
                IntercomCall.panel_id,
            )
            .where(IntercomCall.id == call_id)
            .with_for_update()
        )
    ).one()
    premise_id, state, answered_by, panel_id = row
    if CallState(state) is CallState.ANSWERED and answered_by == user_id:
        return int(panel_id)
    if CallState(state) is not CallState.RINGING:
        raise ServiceError(
            "NOT_RINGING", f"The call is {CallState(state).value}, not ringing.", ["callId"]
        )
    await session.execute(
        update(IntercomCall)
        .where(IntercomCall.id == call_id)
        .values(state=CallState.ANSWERED, answered_by=user_id, answered_at=now)
    )
    await add_event(
        session, outbox, call_id=call_id, premise_id=premise_id, state=CallState.ANSWERED, now=now
    )
    return int(panel_id)


async def sweep_missed(db: Database, now: datetime, *, batch: int = SWEEP_BATCH) -> int:
    """Mark calls rung more than :data:`RING_SECONDS` ago and still ringing MISSED."""
    async with db.transaction() as (session, outbox):
        rows = (
            await session.execute(
                select(IntercomCall.id, IntercomCall.premise_id)
                .where(
                    IntercomCall.state == CallState.RINGING,
                    IntercomCall.rang_at < now - timedelta(seconds=RING_SECONDS),
                )
                .order_by(IntercomCall.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            )
        ).all()
        for call_id, premise_id in rows:
            await session.execute(
                update(IntercomCall)
                .where(IntercomCall.id == call_id)
                .values(state=CallState.MISSED, ended_at=now)
            )
            await add_event(
                session,
                outbox,
                call_id=call_id,
                premise_id=premise_id,
                state=CallState.MISSED,
                now=now,
            )
    return len(rows)
