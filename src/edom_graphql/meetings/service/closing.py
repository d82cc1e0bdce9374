"""The time-driven steps of a meeting, run by every server process: voting opens (the
register of owners is fixed, the second notice goes out) and voting ends (the meeting is
counted, its protocol formed as data and as PDF documents, the third notice sent).

Each step takes its meeting ``FOR UPDATE SKIP LOCKED`` and re-checks its state, so any
number of processes sweep together and each meeting moves once; ballots hold the meeting
``FOR SHARE``, so none is written while the meeting is being counted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, cast, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from edom_graphql.buildings.models import Building, Premise
from edom_graphql.core.db import Database, Outbox
from edom_graphql.core.storage import Storage
from edom_graphql.meetings.models import (
    BuildingMeetingRules,
    Meeting,
    MeetingQuestion,
    MeetingRegisterEntry,
    MeetingState,
    QuestionKind,
)
from edom_graphql.meetings.reads.tallies import Counted, tally_in
from edom_graphql.meetings.service import protocol
from edom_graphql.meetings.service.lifecycle import channel, owners_of, tell
from edom_graphql.meetings.service.tally import adopted
from edom_graphql.notifications.service import messages
from edom_graphql.points.models import AwardReason
from edom_graphql.points.service.ledger import award
from edom_graphql.residents.models import Ownership

SWEEP_BATCH = 20


async def _due(
    session: AsyncSession,
    state: MeetingState,
    column: InstrumentedAttribute[datetime],
    now: datetime,
) -> int | None:
    return (
        await session.execute(
            select(Meeting.id)
            .where(Meeting.state == state, column <= now)
            .order_by(Meeting.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()


async def _fix_register(session: AsyncSession, meeting_id: int, building_id: int) -> int:
    """Write the register from the current ownership records; the building's total area
    of premises in hundredths of m²."""
    total_centi = int(
        (
            await session.execute(
                select(func.coalesce(func.sum(Premise.area), 0)).where(
                    Premise.building_id == building_id
                )
            )
        ).scalar_one()
        * 100
    )
    await session.execute(
        insert(MeetingRegisterEntry).from_select(
            [
                "meeting_id",
                "building_id",
                "ownership_id",
                "premise_id",
                "owner_id",
                "area_centi",
                "share_numerator",
                "share_denominator",
            ],
            select(
                literal(meeting_id, BigInteger),
                Ownership.building_id,
                Ownership.id,
                Ownership.premise_id,
                Ownership.user_id,
                cast(Premise.area * 100, BigInteger),
                Ownership.share_numerator,
                Ownership.share_denominator,
            )
            .join(Premise, Premise.id == Ownership.premise_id)
            .where(Ownership.building_id == building_id, Ownership.ended_at.is_(None))
            .order_by(Premise.number_sort, Premise.number, Ownership.id),
        )
    )
    return total_centi


async def open_voting(db: Database, now: datetime) -> bool:
    """Open one scheduled meeting whose voting has started; False when none is due."""
    async with db.transaction() as (session, outbox):
        meeting_id = await _due(session, MeetingState.SCHEDULED, Meeting.voting_starts_at, now)
        if meeting_id is None:
            return False
        building_id, number, ends_at = (
            await session.execute(
                select(Meeting.building_id, Meeting.number, Meeting.voting_ends_at).where(
                    Meeting.id == meeting_id
                )
            )
        ).one()
        total_centi = await _fix_register(session, meeting_id, building_id)
        await session.execute(
            update(Meeting)
            .where(Meeting.id == meeting_id)
            .values(state=MeetingState.VOTING, voting_opened_at=now, total_area_centi=total_centi)
        )
        await tell(
            session,
            outbox,
            await owners_of(session, building_id),
            kind="MEETING_VOTING_STARTED",
            message=messages.MEETING_VOTING_STARTED(
                number=number, ends=f"{ends_at:%d.%m.%Y %H:%M}"
            ),
            meeting_id=meeting_id,
        )
        outbox.add(channel(meeting_id), {"id": 0})
    return True


async def _apply_rules(
    session: AsyncSession, meeting_id: int, building_id: int, now: datetime
) -> None:
    """A passed ADMINISTRATOR question makes its candidate the administrator of the
    building's later meetings, with the rules it set."""
    row = (
        await session.execute(
            select(
                MeetingQuestion.candidate_user_id,
                MeetingQuestion.candidate_organisation,
                MeetingQuestion.rules_voting_days,
                MeetingQuestion.rules_decisions_place,
                Building.organisation_id,
            )
            .join(Building, Building.id == MeetingQuestion.building_id)
            .where(
                MeetingQuestion.meeting_id == meeting_id,
                MeetingQuestion.kind == QuestionKind.ADMINISTRATOR,
                MeetingQuestion.adopted.is_(True),
            )
        )
    ).one_or_none()
    if row is None:
        return
    user_id, organisation, days, place, organisation_id = row
    values = {
        "administrator_user_id": None if organisation else user_id,
        "administrator_organisation_id": organisation_id if organisation else None,
        "voting_days": days,
        "decisions_place": place,
        "meeting_id": meeting_id,
        "decided_at": now,
    }
    await session.execute(
        pg_insert(BuildingMeetingRules)
        .values(building_id=building_id, **values)
        .on_conflict_do_update(index_elements=["building_id"], set_=values)
    )


async def _count(
    session: AsyncSession, meeting_id: int, total_centi: int
) -> tuple[Counted, dict[int, bool]]:
    counted = await tally_in(session, meeting_id, total_centi)
    tally = counted.tally
    questions = (
        await session.execute(
            select(MeetingQuestion.id, MeetingQuestion.threshold).where(
                MeetingQuestion.meeting_id == meeting_id
            )
        )
    ).all()
    results = {
        question_id: tally.quorum and adopted(threshold, tally.of(question_id), tally.turnout)
        for question_id, threshold in questions
    }
    return counted, results


async def close_voting(db: Database, storage: Storage, now: datetime) -> bool:
    """Count one meeting whose voting has ended and form its protocol; False when none
    is due."""
    stored: list[str] = []
    try:
        async with db.transaction() as (session, outbox):
            meeting_id = await _due(session, MeetingState.VOTING, Meeting.voting_ends_at, now)
            if meeting_id is None:
                return False
            building_id, number, total_centi = (
                await session.execute(
                    select(Meeting.building_id, Meeting.number, Meeting.total_area_centi).where(
                        Meeting.id == meeting_id
                    )
                )
            ).one()
            assert total_centi is not None
            counted, results = await _count(session, meeting_id, int(total_centi))
            quorum = counted.tally.quorum
            for question_id, passed in results.items():
                await session.execute(
                    update(MeetingQuestion)
                    .where(MeetingQuestion.id == question_id)
                    .values(adopted=passed)
                )
            state = MeetingState.COMPLETED if quorum else MeetingState.FAILED
            await session.execute(
                update(Meeting)
                .where(Meeting.id == meeting_id)
                .values(state=state, ended_at=now, quorum=quorum)
            )
            if quorum:
                await _apply_rules(session, meeting_id, building_id, now)
                await _award_administrator(session, outbox, meeting_id)
            documents = await protocol.documents(
                session, meeting_id=meeting_id, tally=counted.tally, formed_at=now
            )
            protocol_key = await storage.save(documents.protocol, "application/pdf")
            stored.append(protocol_key)
            register_key = await storage.save(documents.register, "application/pdf")
            stored.append(register_key)
            await session.execute(
                update(Meeting)
                .where(Meeting.id == meeting_id)
                .values(protocol_key=protocol_key, register_key=register_key)
            )
            outcome = messages.MEETING_RESULTS if quorum else messages.MEETING_FAILED
            await tell(
                session,
                outbox,
                await owners_of(session, building_id),
                kind="MEETING_RESULTS",
                message=outcome(number=number),
                meeting_id=meeting_id,
            )
            _announce(outbox, meeting_id)
    except BaseException:
        for key in stored:
            await storage.delete(key)
        raise
    return True


async def _award_administrator(session: AsyncSession, outbox: Outbox, meeting_id: int) -> None:
    """City points for the user who administered a completed meeting (none for an
    organisation)."""
    user_id = (
        await session.execute(select(Meeting.administrator_user_id).where(Meeting.id == meeting_id))
    ).scalar_one()
    if user_id is not None:
        await award(
            session,
            outbox,
            user_id=user_id,
            reason=AwardReason.MEETING_ADMINISTERED,
            source_key=f"meeting-administered:{meeting_id}",
        )


def _announce(outbox: Outbox, meeting_id: int) -> None:
    outbox.add(channel(meeting_id), {"id": 0})


async def advance(db: Database, storage: Storage, now: datetime) -> bool:
    """Move what is due: up to :data:`SWEEP_BATCH` meetings each way; True while a
    backlog remains."""
    moved = 0
    while moved < SWEEP_BATCH and await open_voting(db, now):
        moved += 1
    closed = 0
    while closed < SWEEP_BATCH and await close_voting(db, storage, now):
        closed += 1
    return moved == SWEEP_BATCH or closed == SWEEP_BATCH
