"""A meeting from draft to the owners: creating it, scheduling it (the first notice to
every owner) and cancelling it before voting starts.

Who administers a meeting is fixed when it is created: the administrator the owners
chose at an earlier meeting (:class:`~edom_graphql.meetings.models.BuildingMeetingRules`),
or, at the building's first meeting, its initiator, whose agenda must then choose one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import Building, StaffMembership
from edom_graphql.core.capabilities import StaffRole
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.photos import StoredPhoto
from edom_graphql.meetings.models import (
    BuildingMeetingRules,
    Meeting,
    MeetingMaterial,
    MeetingQuestion,
    MeetingState,
    QuestionKind,
)
from edom_graphql.meetings.service.agenda import (
    CheckedQuestion,
    check_notice,
    check_voting_period,
)
from edom_graphql.notifications.service import messages, notify_many
from edom_graphql.notifications.service.messages import Text
from edom_graphql.points.models import AwardReason
from edom_graphql.points.service.ledger import award
from edom_graphql.residents.models import Ownership

NUMBER_LOCK_CLASS = 1_301
"""Advisory lock class: the numbering of a building's meetings."""


def channel(meeting_id: int) -> str:
    """Where a meeting's ballots and changes of state are announced."""
    return f"meeting.{meeting_id}.tally"


@dataclass(frozen=True, slots=True)
class Administration:
    """Who administers: a user, or the managers of an organisation."""

    user_id: int | None
    organisation_id: int | None


@dataclass(frozen=True, slots=True)
class MeetingRow:
    id: int
    building_id: int
    number: int
    state: MeetingState
    initiator_id: int
    administrator: Administration
    first_meeting: bool
    voting_starts_at: datetime
    voting_ends_at: datetime


async def locked_meeting(
    session: AsyncSession, meeting_id: int, *, share: bool = False
) -> MeetingRow:
    """The meeting, locked for this transaction (FOR UPDATE, or FOR SHARE with ``share``)."""
    row = (
        await session.execute(
            select(
                Meeting.id,
                Meeting.building_id,
                Meeting.number,
                Meeting.state,
                Meeting.initiator_id,
                Meeting.administrator_user_id,
                Meeting.administrator_organisation_id,
                Meeting.first_meeting,
                Meeting.voting_starts_at,
                Meeting.voting_ends_at,
            )
            .where(Meeting.id == meeting_id)
            .with_for_update(read=share)
        )
    ).one()
    return MeetingRow(
        id=row[0],
        building_id=row[1],
        number=row[2],
        state=row[3],
        initiator_id=row[4],
        administrator=Administration(row[5], row[6]),
        first_meeting=row[7],
        voting_starts_at=row[8],
        voting_ends_at=row[9],
    )


async def managers_of(session: AsyncSession, organisation_id: int) -> list[int]:
    rows = await session.execute(
        select(StaffMembership.user_id)
        .where(
            StaffMembership.organisation_id == organisation_id,
            StaffMembership.role == StaffRole.MANAGER,
            StaffMembership.ended_at.is_(None),
        )
        .distinct()
    )
    return sorted(rows.scalars())


async def administers(session: AsyncSession, administrator: Administration, user_id: int) -> bool:
    """Whether the user administers (is the administrator, or a manager of it)."""
    if administrator.user_id is not None:
        return administrator.user_id == user_id
    assert administrator.organisation_id is not None
    return user_id in await managers_of(session, administrator.organisation_id)


async def require_administrator(session: AsyncSession, meeting: MeetingRow, user_id: int) -> None:
    if not await administers(session, meeting.administrator, user_id):
        raise ServiceError(
            "NOT_ADMINISTRATOR", "Only the meeting's administrator may do this.", None
        )


async def owners_of(session: AsyncSession, building_id: int) -> list[int]:
    """The users who own a premise of the building now, in id order."""
    rows = await session.execute(
        select(Ownership.user_id)
        .where(Ownership.building_id == building_id, Ownership.ended_at.is_(None))
        .distinct()
    )
    return sorted(rows.scalars())


async def is_owner(session: AsyncSession, building_id: int, user_id: int) -> bool:
    return user_id in await owners_of(session, building_id)


async def tell(
    session: AsyncSession,
    outbox: Outbox,
    user_ids: Sequence[int],
    *,
    kind: str,
    message: Text,
    meeting_id: int,
) -> None:
    """One notification about the meeting to each user (two statements however many)."""
    await notify_many(
        session,
        outbox,
        user_ids=user_ids,
        kind=kind,
        message=message,
        subject_type="Meeting",
        subject_id=meeting_id,
    )


async def _administration(
    session: AsyncSession, building_id: int, initiator: Administration
) -> tuple[Administration, BuildingRules | None]:
    row = (
        await session.execute(
            select(
                BuildingMeetingRules.administrator_user_id,
                BuildingMeetingRules.administrator_organisation_id,
                BuildingMeetingRules.voting_days,
                BuildingMeetingRules.decisions_place,
            ).where(BuildingMeetingRules.building_id == building_id)
        )
    ).one_or_none()
    if row is None:
        return initiator, None
    return Administration(row[0], row[1]), BuildingRules(voting_days=row[2], place=row[3])


@dataclass(frozen=True, slots=True)
class BuildingRules:
    voting_days: int | None
    place: str | None


@dataclass(frozen=True, slots=True)
class NewMeeting:
    building_id: int
    initiator_id: int
    on_behalf_of_organisation: bool
    title: str
    voting_starts_at: datetime
    voting_ends_at: datetime
    decisions_place: str | None
    agenda: Sequence[CheckedQuestion]


async def create_meeting(
    session: AsyncSession,
    outbox: Outbox,
    *,
    meeting: NewMeeting,
    materials: Sequence[StoredPhoto],
    now: datetime,
) -> int:
    """Draft a meeting; the administrator is told it has reached them."""
    building_id = meeting.building_id
    organisation_id: int = (
        await session.execute(select(Building.organisation_id).where(Building.id == building_id))
    ).scalar_one()
    initiator = (
        Administration(None, organisation_id)
        if meeting.on_behalf_of_organisation
        else Administration(meeting.initiator_id, None)
    )
    if meeting.on_behalf_of_organisation:
        if meeting.initiator_id not in await managers_of(session, organisation_id):
            raise ServiceError(
                "NOT_A_MANAGER",
                "Only a manager initiates a meeting on behalf of the organisation.",
                ["onBehalfOfOrganisation"],
            )
    elif not await is_owner(session, building_id, meeting.initiator_id):
        raise ServiceError(
            "NOT_AN_OWNER",
            "Only an owner of the building, or its organisation, initiates a meeting.",
            ["onBehalfOfOrganisation"],
        )
    administrator, rules = await _administration(session, building_id, initiator)
    check_voting_period(
        meeting.voting_starts_at,
        meeting.voting_ends_at,
        now=now,
        required_days=rules.voting_days if rules else None,
    )
    place = meeting.decisions_place or (rules.place if rules else None)
    if not place:
        raise ServiceError("BLANK", "Say where paper decisions are accepted.", ["decisionsPlace"])
    owners = await owners_of(session, building_id)
    for index, question in enumerate(meeting.agenda):
        candidate = question.candidate_user_id
        if candidate is not None and candidate not in owners:
            raise ServiceError(
                "ADMINISTRATOR_CANDIDATE",
                "The administrator chosen must be an owner of the building.",
                ["agenda", str(index), "administrator"],
            )
    await session.execute(select(func.pg_advisory_xact_lock(NUMBER_LOCK_CLASS, building_id)))
    number = (
        await session.execute(
            select(func.coalesce(func.max(Meeting.number), 0) + 1).where(
                Meeting.building_id == building_id
            )
        )
    ).scalar_one()
    meeting_id: int = (
        await session.execute(
            insert(Meeting)
            .values(
                building_id=building_id,
                number=number,
                title=meeting.title,
                state=MeetingState.DRAFT,
                initiator_id=meeting.initiator_id,
                initiator_organisation_id=initiator.organisation_id,
                administrator_user_id=administrator.user_id,
                administrator_organisation_id=administrator.organisation_id,
                first_meeting=rules is None,
                voting_starts_at=meeting.voting_starts_at,
                voting_ends_at=meeting.voting_ends_at,
                decisions_place=place,
                created_at=now,
            )
            .returning(Meeting.id)
        )
    ).scalar_one()
    await session.execute(
        insert(MeetingQuestion),
        [
            {
                "meeting_id": meeting_id,
                "building_id": building_id,
                "position": position,
                "title": question.title,
                "proposal": question.proposal,
                "kind": question.kind,
                "threshold": question.threshold,
                "candidate_user_id": question.candidate_user_id,
                "candidate_organisation": question.candidate_organisation,
                "rules_voting_days": question.rules_voting_days,
                "rules_decisions_place": question.rules_decisions_place,
            }
            for position, question in enumerate(meeting.agenda, start=1)
        ],
    )
    if materials:
        await session.execute(
            insert(MeetingMaterial),
            [
                {
                    "meeting_id": meeting_id,
                    "building_id": building_id,
                    "position": position,
                    "storage_key": stored.key,
                    "content_type": stored.content_type,
                    "size_bytes": stored.size_bytes,
                }
                for position, stored in enumerate(materials, start=1)
            ],
        )
    to_tell = (
        [administrator.user_id]
        if administrator.user_id is not None
        else await managers_of(session, organisation_id)
    )
    await tell(
        session,
        outbox,
        [user_id for user_id in to_tell if user_id is not None and user_id != meeting.initiator_id],
        kind="MEETING_TO_ADMINISTER",
        message=messages.MEETING_TO_ADMINISTER(number=number, title=meeting.title),
        meeting_id=meeting_id,
    )
    await award(
        session,
        outbox,
        user_id=meeting.initiator_id,
        reason=AwardReason.MEETING_CREATED,
        source_key=f"meeting-created:{meeting_id}",
    )
    return meeting_id


async def schedule(
    session: AsyncSession, outbox: Outbox, *, meeting_id: int, user_id: int, now: datetime
) -> None:
    """Put the draft to the owners: every owner is notified (the first of three notices)."""
    meeting = await locked_meeting(session, meeting_id)
    await require_administrator(session, meeting, user_id)
    if meeting.state is not MeetingState.DRAFT:
        raise ServiceError("NOT_A_DRAFT", "Only a draft meeting can be scheduled.", None)
    check_notice(meeting.voting_starts_at, now=now)
    if meeting.first_meeting:
        kinds = (
            await session.execute(
                select(MeetingQuestion.kind).where(MeetingQuestion.meeting_id == meeting_id)
            )
        ).scalars()
        if QuestionKind.ADMINISTRATOR not in set(kinds):
            raise ServiceError(
                "ADMINISTRATOR_QUESTION_MISSING",
                "The building's first meeting must choose the administrator of later "
                "meetings: add an ADMINISTRATOR question.",
                None,
            )
    await session.execute(
        update(Meeting)
        .where(Meeting.id == meeting_id)
        .values(state=MeetingState.SCHEDULED, scheduled_at=now)
    )
    await tell(
        session,
        outbox,
        await owners_of(session, meeting.building_id),
        kind="MEETING_SCHEDULED",
        message=messages.MEETING_SCHEDULED(
            number=meeting.number,
            starts=f"{meeting.voting_starts_at:%d.%m.%Y %H:%M}",
            ends=f"{meeting.voting_ends_at:%d.%m.%Y %H:%M}",
        ),
        meeting_id=meeting_id,
    )
    outbox.add(channel(meeting_id), {"id": 0})


async def cancel(
    session: AsyncSession,
    outbox: Outbox,
    *,
    meeting_id: int,
    user_id: int,
    reason: str,
    now: datetime,
) -> None:
    """Call the meeting off before voting starts (its initiator or administrator)."""
    meeting = await locked_meeting(session, meeting_id)
    if meeting.initiator_id != user_id:
        await require_administrator(session, meeting, user_id)
    if meeting.state not in (MeetingState.DRAFT, MeetingState.SCHEDULED) or (
        meeting.state is MeetingState.SCHEDULED and now >= meeting.voting_starts_at
    ):
        raise ServiceError(
            "VOTING_STARTED", "A meeting is cancelled only before voting starts.", None
        )
    await session.execute(
        update(Meeting)
        .where(Meeting.id == meeting_id)
        .values(state=MeetingState.CANCELLED, cancelled_at=now, cancel_reason=reason)
    )
    if meeting.state is MeetingState.SCHEDULED:
        await tell(
            session,
            outbox,
            await owners_of(session, meeting.building_id),
            kind="MEETING_CANCELLED",
            message=messages.MEETING_CANCELLED(number=meeting.number, reason=reason),
            meeting_id=meeting_id,
        )
    outbox.add(channel(meeting_id), {"id": 0})
