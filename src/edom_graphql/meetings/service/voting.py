"""Ballots: an owner's (or their representative's) decisions online, paper decisions the
administrator enters, and the powers of attorney the administrator registers.

One ballot per register entry, online or on paper, is the database's rule (the ballot's
entry is unique): whichever commits first counts and every later one, however raced,
inserts nothing and is refused. A ballot decides every question of the agenda at once
and is final.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import Forbidden, ServiceError
from edom_graphql.core.photos import StoredPhoto
from edom_graphql.meetings.models import (
    MAX_DOCUMENT_NUMBER_LENGTH,
    BallotChannel,
    Decision,
    MeetingBallot,
    MeetingDecision,
    MeetingQuestion,
    MeetingRegisterEntry,
    MeetingState,
    PowerOfAttorney,
)
from edom_graphql.meetings.service.lifecycle import (
    MeetingRow,
    channel,
    is_owner,
    locked_meeting,
    require_administrator,
)
from edom_graphql.points.models import AwardReason
from edom_graphql.points.service.ledger import award


@dataclass(frozen=True, slots=True)
class Choice:
    number: int
    """The question's number on the agenda."""
    decision: Decision


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    meeting_id: int
    owner_id: int


async def _meeting_for_ballot(session: AsyncSession, meeting_id: int, now: datetime) -> MeetingRow:
    # A shared lock: ballots of one meeting go in side by side, but never while the
    # meeting is being closed (the closing sweep holds FOR UPDATE).
    meeting = await locked_meeting(session, meeting_id, share=True)
    if meeting.state is not MeetingState.VOTING or now < meeting.voting_starts_at:
        raise ServiceError("NOT_VOTING", "The meeting is not open for voting.", None)
    if now >= meeting.voting_ends_at:
        raise ServiceError("VOTING_ENDED", "Voting in this meeting has ended.", None)
    return meeting


async def entry_of(session: AsyncSession, entry_id: int) -> Entry:
    row = (
        await session.execute(
            select(
                MeetingRegisterEntry.id,
                MeetingRegisterEntry.meeting_id,
                MeetingRegisterEntry.owner_id,
            ).where(MeetingRegisterEntry.id == entry_id)
        )
    ).one_or_none()
    if row is None:  # as for any id that names no entry the viewer may vote
        raise Forbidden("You may not vote with this register entry.")
    return Entry(row[0], row[1], row[2])


async def _checked_choices(
    session: AsyncSession, meeting_id: int, choices: Sequence[Choice]
) -> Mapping[int, Decision]:
    questions: dict[int, int] = {
        int(number): int(question_id)
        for number, question_id in await session.execute(
            select(MeetingQuestion.position, MeetingQuestion.id).where(
                MeetingQuestion.meeting_id == meeting_id
            )
        )
    }
    decided: dict[int, Decision] = {}
    for index, choice in enumerate(choices):
        field = ["decisions", str(index), "number"]
        question_id = questions.get(choice.number)
        if question_id is None:
            raise ServiceError("NOT_A_QUESTION", "There is no question with this number.", field)
        if question_id in decided:
            raise ServiceError("DUPLICATE_DECISION", "A question is decided twice.", field)
        decided[question_id] = choice.decision
    if set(decided) != set(questions.values()):
        raise ServiceError(
            "MISSING_DECISION",
            "A ballot decides every question of the agenda (FOR, AGAINST or ABSTAIN).",
            ["decisions"],
        )
    return decided


async def _attorney(
    session: AsyncSession, *, attorney_id: int, meeting_id: int, principal_id: int, now: datetime
) -> int:
    """The representative of a power of attorney valid now for the principal here."""
    row = (
        await session.execute(
            select(
                PowerOfAttorney.representative_id,
                PowerOfAttorney.principal_id,
                PowerOfAttorney.meeting_id,
                PowerOfAttorney.valid_from,
                PowerOfAttorney.valid_until,
            ).where(PowerOfAttorney.id == attorney_id)
        )
    ).one_or_none()
    if row is None or row[2] != meeting_id or row[1] != principal_id:
        raise ServiceError(
            "ATTORNEY_NOT_VALID",
            "This power of attorney does not cover this owner at this meeting.",
            ["powerOfAttorneyId"],
        )
    if not row[3] <= now < row[4]:
        raise ServiceError(
            "ATTORNEY_NOT_VALID", "This power of attorney is not valid now.", ["powerOfAttorneyId"]
        )
    return int(row[0])


async def _write_ballot(
    session: AsyncSession,
    outbox: Outbox,
    *,
    meeting: MeetingRow,
    entry: Entry,
    decided: Mapping[int, Decision],
    values: dict[str, object],
) -> int:
    ballot_id: int | None = (
        await session.execute(
            pg_insert(MeetingBallot)
            .values(
                meeting_id=meeting.id, building_id=meeting.building_id, entry_id=entry.id, **values
            )
            .on_conflict_do_nothing(index_elements=["entry_id"])
            .returning(MeetingBallot.id)
        )
    ).scalar_one_or_none()
    if ballot_id is None:
        channel_used = (
            await session.execute(
                select(MeetingBallot.channel).where(MeetingBallot.entry_id == entry.id)
            )
        ).scalar_one()
        how = "on paper" if channel_used is BallotChannel.PAPER else "online"
        raise ServiceError(
            "ALREADY_VOTED", f"This ownership has already voted ({how}); a ballot is final.", None
        )
    await session.execute(
        insert(MeetingDecision),
        [
            {
                "ballot_id": ballot_id,
                "meeting_id": meeting.id,
                "entry_id": entry.id,
                "question_id": question_id,
                "decision": decision,
            }
            for question_id, decision in sorted(decided.items())
        ],
    )
    outbox.add(channel(meeting.id), {"id": ballot_id})
    return ballot_id


async def cast_online(
    session: AsyncSession,
    outbox: Outbox,
    *,
    entry_id: int,
    voter_id: int,
    attorney_id: int | None,
    choices: Sequence[Choice],
    now: datetime,
) -> int:
    """The voter's ballot for the entry: their own, or under a power of attorney."""
    entry = await entry_of(session, entry_id)
    meeting = await _meeting_for_ballot(session, entry.meeting_id, now)
    if attorney_id is None:
        if entry.owner_id != voter_id:
            raise ServiceError(
                "NOT_YOUR_OWNERSHIP", "This ownership record is not yours to vote.", ["entryId"]
            )
    else:
        representative = await _attorney(
            session,
            attorney_id=attorney_id,
            meeting_id=meeting.id,
            principal_id=entry.owner_id,
            now=now,
        )
        if representative != voter_id:
            raise ServiceError(
                "ATTORNEY_NOT_VALID",
                "This power of attorney names another representative.",
                ["powerOfAttorneyId"],
            )
    decided = await _checked_choices(session, meeting.id, choices)
    ballot_id = await _write_ballot(
        session,
        outbox,
        meeting=meeting,
        entry=entry,
        decided=decided,
        values={
            "channel": BallotChannel.ONLINE,
            "cast_by_id": voter_id,
            "attorney_id": attorney_id,
            "created_at": now,
        },
    )
    await award(  # the owner, once a meeting (however many of their records vote)
        session,
        outbox,
        user_id=entry.owner_id,
        reason=AwardReason.MEETING_VOTED,
        source_key=f"meeting-voted:{meeting.id}:{entry.owner_id}",
    )
    return ballot_id


async def enter_paper(
    session: AsyncSession,
    outbox: Outbox,
    *,
    entry_id: int,
    administrator_id: int,
    attorney_id: int | None,
    received_on: datetime,
    choices: Sequence[Choice],
    scan: StoredPhoto,
    now: datetime,
) -> int:
    """A paper decision the administrator received, with its scan."""
    entry = await entry_of(session, entry_id)
    meeting = await _meeting_for_ballot(session, entry.meeting_id, now)
    await require_administrator(session, meeting, administrator_id)
    if not meeting.voting_starts_at <= received_on <= now:
        raise ServiceError(
            "RECEIVED_OUTSIDE_VOTING",
            "A paper decision counts if it was received while voting ran.",
            ["receivedOn"],
        )
    if attorney_id is not None:
        await _attorney(
            session,
            attorney_id=attorney_id,
            meeting_id=meeting.id,
            principal_id=entry.owner_id,
            now=received_on,
        )
    decided = await _checked_choices(session, meeting.id, choices)
    return await _write_ballot(
        session,
        outbox,
        meeting=meeting,
        entry=entry,
        decided=decided,
        values={
            "channel": BallotChannel.PAPER,
            "cast_by_id": administrator_id,
            "attorney_id": attorney_id,
            "received_on": received_on,
            "scan_key": scan.key,
            "scan_content_type": scan.content_type,
            "scan_size_bytes": scan.size_bytes,
            "created_at": now,
        },
    )


@dataclass(frozen=True, slots=True)
class NewAttorney:
    meeting_id: int
    principal_id: int
    representative_id: int
    document_number: str
    valid_from: datetime
    valid_until: datetime


async def register_attorney(
    session: AsyncSession,
    *,
    attorney: NewAttorney,
    administrator_id: int,
    scan: StoredPhoto,
    now: datetime,
) -> int:
    """Record a power of attorney the administrator checked (with its scan)."""
    meeting = await locked_meeting(session, attorney.meeting_id, share=True)
    await require_administrator(session, meeting, administrator_id)
    if meeting.state not in (MeetingState.SCHEDULED, MeetingState.VOTING) or (
        now >= meeting.voting_ends_at
    ):
        raise ServiceError(
            "NOT_OPEN",
            "Powers of attorney are registered for a scheduled meeting or during voting.",
            None,
        )
    number = attorney.document_number.strip()
    if not number or len(number) > MAX_DOCUMENT_NUMBER_LENGTH:
        raise ServiceError(
            "BLANK" if not number else "TOO_LONG",
            f"The document's number has 1–{MAX_DOCUMENT_NUMBER_LENGTH} characters.",
            ["documentNumber"],
        )
    if attorney.principal_id == attorney.representative_id:
        raise ServiceError(
            "SELF_REPRESENTATION", "An owner does not represent themself.", ["representativeId"]
        )
    if attorney.valid_until <= attorney.valid_from or attorney.valid_until <= now:
        raise ServiceError(
            "INVALID_PERIOD",
            "The power of attorney must end after it starts, and in the future.",
            ["validUntil"],
        )
    if not await is_owner(session, meeting.building_id, attorney.principal_id):
        in_register = (
            await session.execute(
                select(MeetingRegisterEntry.id).where(
                    MeetingRegisterEntry.meeting_id == meeting.id,
                    MeetingRegisterEntry.owner_id == attorney.principal_id,
                )
            )
        ).first()
        if in_register is None:
            raise ServiceError(
                "NOT_AN_OWNER", "The principal must be an owner in the building.", ["principalId"]
            )
    attorney_id: int = (
        await session.execute(
            insert(PowerOfAttorney)
            .values(
                meeting_id=meeting.id,
                building_id=meeting.building_id,
                principal_id=attorney.principal_id,
                representative_id=attorney.representative_id,
                document_number=number,
                valid_from=attorney.valid_from,
                valid_until=attorney.valid_until,
                scan_key=scan.key,
                scan_content_type=scan.content_type,
                scan_size_bytes=scan.size_bytes,
                registered_by_id=administrator_id,
                created_at=now,
            )
            .returning(PowerOfAttorney.id)
        )
    ).scalar_one()
    return attorney_id
