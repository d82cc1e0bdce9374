"""Every read of meetings: meetings by id and by building, their agendas and materials,
the register and its ballots, powers of attorney, and the grouped sums a tally is made of."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, or_, select

from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import ByIdLoader, KeyedQuery, Loader, PagedChildren, keys_param
from edom_graphql.core.pagination import AnySelect, PageRequest, keyset, keyset_desc, page_params
from edom_graphql.meetings.models import (
    BuildingMeetingRules,
    Meeting,
    MeetingBallot,
    MeetingDecision,
    MeetingMaterial,
    MeetingQuestion,
    MeetingRegisterEntry,
    MeetingState,
    PowerOfAttorney,
)

MEETING_COLUMNS = select(
    Meeting.id,
    Meeting.building_id,
    Meeting.number,
    Meeting.title,
    Meeting.state,
    Meeting.initiator_id,
    Meeting.initiator_organisation_id,
    Meeting.administrator_user_id,
    Meeting.administrator_organisation_id,
    Meeting.first_meeting,
    Meeting.voting_starts_at,
    Meeting.voting_ends_at,
    Meeting.decisions_place,
    Meeting.created_at,
    Meeting.scheduled_at,
    Meeting.voting_opened_at,
    Meeting.ended_at,
    Meeting.cancelled_at,
    Meeting.cancel_reason,
    Meeting.total_area_centi,
    Meeting.quorum,
    Meeting.protocol_key,
    Meeting.register_key,
)
MEETING_BY_ID = KeyedQuery(MEETING_COLUMNS, Meeting.id)

QUESTIONS = KeyedQuery(
    select(
        MeetingQuestion.id,
        MeetingQuestion.meeting_id,
        MeetingQuestion.position,
        MeetingQuestion.title,
        MeetingQuestion.proposal,
        MeetingQuestion.kind,
        MeetingQuestion.threshold,
        MeetingQuestion.candidate_user_id,
        MeetingQuestion.candidate_organisation,
        MeetingQuestion.rules_voting_days,
        MeetingQuestion.rules_decisions_place,
        MeetingQuestion.adopted,
    ).order_by(MeetingQuestion.meeting_id, MeetingQuestion.position),
    MeetingQuestion.meeting_id,
)
MATERIALS = KeyedQuery(
    select(
        MeetingMaterial.storage_key,
        MeetingMaterial.content_type,
        MeetingMaterial.size_bytes,
        MeetingMaterial.position,
    ).order_by(MeetingMaterial.meeting_id, MeetingMaterial.position),
    MeetingMaterial.meeting_id,
)

ENTRY_COLUMNS = (
    select(
        MeetingRegisterEntry.id,
        MeetingRegisterEntry.meeting_id,
        MeetingRegisterEntry.building_id,
        MeetingRegisterEntry.premise_id,
        MeetingRegisterEntry.owner_id,
        MeetingRegisterEntry.area_centi,
        MeetingRegisterEntry.share_numerator,
        MeetingRegisterEntry.share_denominator,
        Meeting.total_area_centi,
        MeetingBallot.id,
        MeetingBallot.channel,
        MeetingBallot.cast_by_id,
        MeetingBallot.attorney_id,
        MeetingBallot.received_on,
        MeetingBallot.created_at,
    )
    .join(Meeting, Meeting.id == MeetingRegisterEntry.meeting_id)
    .outerjoin(MeetingBallot, MeetingBallot.entry_id == MeetingRegisterEntry.id)
)
ENTRY_BY_ID = KeyedQuery(ENTRY_COLUMNS, MeetingRegisterEntry.id)


def _entries_page(
    meeting_id: ColumnElement[int], has_after: bool, present: tuple[bool, ...]
) -> AnySelect:
    statement = ENTRY_COLUMNS.where(MeetingRegisterEntry.meeting_id == meeting_id)
    return keyset(statement, (MeetingRegisterEntry.id,), has_after=has_after)


ENTRIES_OF_MEETING = PagedChildren(_entries_page)
"""A page of a meeting's register in the order it was fixed (``ENTRY_COLUMNS``)."""
_VIEWER_ENTRIES = Prepared(
    ENTRY_COLUMNS.where(
        MeetingRegisterEntry.meeting_id == keys_param(),
        or_(
            MeetingRegisterEntry.owner_id == bindparam("user_id"),
            MeetingRegisterEntry.owner_id.in_(
                select(PowerOfAttorney.principal_id).where(
                    PowerOfAttorney.meeting_id == MeetingRegisterEntry.meeting_id,
                    PowerOfAttorney.representative_id == bindparam("user_id"),
                    PowerOfAttorney.valid_from <= bindparam("now"),
                    PowerOfAttorney.valid_until > bindparam("now"),
                )
            ),
        ),
    ).order_by(MeetingRegisterEntry.meeting_id, MeetingRegisterEntry.id)
)
DECISIONS = KeyedQuery(
    select(MeetingQuestion.position, MeetingDecision.decision)
    .join(MeetingQuestion, MeetingQuestion.id == MeetingDecision.question_id)
    .order_by(MeetingDecision.entry_id, MeetingQuestion.position),
    MeetingDecision.entry_id,
)
QUESTION_NUMBERS = KeyedQuery(
    select(MeetingQuestion.position, MeetingQuestion.id), MeetingQuestion.meeting_id
)
BALLOT_SCANS = KeyedQuery(
    select(
        MeetingBallot.scan_key, MeetingBallot.scan_content_type, MeetingBallot.scan_size_bytes
    ).where(MeetingBallot.scan_key.is_not(None)),
    MeetingBallot.entry_id,
)

ATTORNEY_COLUMNS = select(
    PowerOfAttorney.id,
    PowerOfAttorney.meeting_id,
    PowerOfAttorney.building_id,
    PowerOfAttorney.principal_id,
    PowerOfAttorney.representative_id,
    PowerOfAttorney.document_number,
    PowerOfAttorney.valid_from,
    PowerOfAttorney.valid_until,
    PowerOfAttorney.scan_key,
    PowerOfAttorney.scan_content_type,
    PowerOfAttorney.scan_size_bytes,
    PowerOfAttorney.created_at,
)
ATTORNEY_BY_ID = KeyedQuery(ATTORNEY_COLUMNS, PowerOfAttorney.id)
ATTORNEYS_OF_MEETING = KeyedQuery(
    ATTORNEY_COLUMNS.order_by(PowerOfAttorney.meeting_id, PowerOfAttorney.id),
    PowerOfAttorney.meeting_id,
)

RULES = KeyedQuery(
    select(
        BuildingMeetingRules.administrator_user_id,
        BuildingMeetingRules.administrator_organisation_id,
        BuildingMeetingRules.voting_days,
        BuildingMeetingRules.decisions_place,
        BuildingMeetingRules.meeting_id,
        BuildingMeetingRules.decided_at,
    ),
    BuildingMeetingRules.building_id,
)


def _page(has_after: bool) -> Prepared:
    """A building's meetings, newest first, that the viewer may see: every meeting that
    was put to the owners, and the drafts the viewer initiates or administers."""
    shown = or_(
        and_(Meeting.state != MeetingState.DRAFT, Meeting.scheduled_at.is_not(None)),
        Meeting.initiator_id == bindparam("viewer_id"),
        Meeting.administrator_user_id == bindparam("viewer_id"),
        Meeting.administrator_organisation_id == bindparam("managed_organisation_id"),
    )
    statement = MEETING_COLUMNS.where(Meeting.building_id == bindparam("building_id"), shown)
    return Prepared(keyset_desc(statement, (Meeting.id,), has_after=has_after))


_PAGES = {has_after: _page(has_after) for has_after in (False, True)}
_BUILDINGS = Prepared(select(Meeting.id, Meeting.building_id).where(Meeting.id == keys_param()))
_ENTRY_MEETINGS = Prepared(
    select(MeetingRegisterEntry.id, MeetingRegisterEntry.meeting_id).where(
        MeetingRegisterEntry.id == keys_param()
    )
)


async def page_of(
    db: Database,
    building_id: int,
    page: PageRequest,
    *,
    viewer_id: int | None,
    managed_organisation_id: int | None,
) -> Sequence[Any]:
    return await db.fetch(
        _PAGES[page.after is not None],
        building_id=building_id,
        viewer_id=viewer_id or 0,
        managed_organisation_id=managed_organisation_id or 0,
        **page_params(page),
    )


async def entries_of_voter(
    db: Database, meeting_ids: Sequence[int], user_id: int, now: datetime
) -> Sequence[Any]:
    """The entries the user votes at these meetings (``ENTRY_COLUMNS``): their own and
    those of owners whose power of attorney they hold now."""
    return await db.fetch(_VIEWER_ENTRIES, keys=list(meeting_ids), user_id=user_id, now=now)


def _pairs(rows: Sequence[Any]) -> dict[int, int]:
    return {int(row[0]): int(row[1]) for row in rows}


@dataclass(frozen=True, slots=True)
class MeetingRef:
    """What the gatekeepers decide on (a meeting's type carries the same names)."""

    pk: int
    building_pk: int
    state: MeetingState
    initiator_pk: int
    administrator_user_pk: int | None
    administrator_organisation_pk: int | None
    scheduled_at: datetime | None
    voting_starts_at: datetime
    voting_ends_at: datetime
    voting_opened_at: datetime | None
    total_area_centi: int | None
    register_key: str | None


_REFS = KeyedQuery(
    select(
        Meeting.id,
        Meeting.building_id,
        Meeting.state,
        Meeting.initiator_id,
        Meeting.administrator_user_id,
        Meeting.administrator_organisation_id,
        Meeting.scheduled_at,
        Meeting.voting_starts_at,
        Meeting.voting_ends_at,
        Meeting.voting_opened_at,
        Meeting.total_area_centi,
        Meeting.register_key,
    ),
    Meeting.id,
)


def _ref(row: Sequence[Any]) -> MeetingRef:
    return MeetingRef(row[0], row[1], MeetingState(row[2]), *row[3:12])


class MeetingRefLoader(ByIdLoader[MeetingRef]):
    query = _REFS
    convert = _ref


_ATTORNEY_REFS = Prepared(
    select(PowerOfAttorney.id, PowerOfAttorney.meeting_id, PowerOfAttorney.representative_id).where(
        PowerOfAttorney.id == keys_param()
    )
)


class AttorneyRefLoader(Loader[int, tuple[int, int] | None]):
    """``(meeting id, representative id)`` of powers of attorney."""

    async def batch_load_fn(self, keys: list[int]) -> list[tuple[int, int] | None]:
        found = {
            int(row[0]): (int(row[1]), int(row[2]))
            for row in await self.db.fetch(_ATTORNEY_REFS, keys=keys)
        }
        return [found.get(key) for key in keys]


_REPRESENTS = Prepared(
    select(PowerOfAttorney.meeting_id, PowerOfAttorney.principal_id).where(
        PowerOfAttorney.meeting_id == keys_param(),
        PowerOfAttorney.representative_id == bindparam("user_id"),
    )
)


class RepresentsLoader(Loader[tuple[int, int, int], bool]):
    """Whether ``(meeting, principal, representative)``: a power of attorney registered
    at the meeting names the representative for the principal."""

    async def batch_load_fn(self, keys: list[tuple[int, int, int]]) -> list[bool]:
        by_user: dict[int, set[int]] = defaultdict(set)
        for meeting_id, _, user_id in keys:
            by_user[user_id].add(meeting_id)
        found: set[tuple[int, int, int]] = set()
        for user_id, meetings in by_user.items():
            for meeting_id, principal_id in await self.db.fetch(
                _REPRESENTS, keys=sorted(meetings), user_id=user_id
            ):
                found.add((int(meeting_id), int(principal_id), user_id))
        return [key in found for key in keys]


class RepresentativeLoader(Loader[tuple[int, int], bool]):
    """Whether ``(meeting, user)``: a power of attorney registered at the meeting names
    the user as a representative."""

    async def batch_load_fn(self, keys: list[tuple[int, int]]) -> list[bool]:
        by_user: dict[int, set[int]] = defaultdict(set)
        for meeting_id, user_id in keys:
            by_user[user_id].add(meeting_id)
        found: set[tuple[int, int]] = set()
        for user_id, meetings in by_user.items():
            for meeting_id, _ in await self.db.fetch(
                _REPRESENTS, keys=sorted(meetings), user_id=user_id
            ):
                found.add((int(meeting_id), user_id))
        return [key in found for key in keys]


class MeetingBuildingLoader(Loader[int, int | None]):
    async def batch_load_fn(self, keys: list[int]) -> list[int | None]:
        found = _pairs(await self.db.fetch(_BUILDINGS, keys=keys))
        return [found.get(key) for key in keys]


class EntryMeetingLoader(Loader[int, int | None]):
    async def batch_load_fn(self, keys: list[int]) -> list[int | None]:
        found = _pairs(await self.db.fetch(_ENTRY_MEETINGS, keys=keys))
        return [found.get(key) for key in keys]
