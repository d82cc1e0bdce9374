"""The meeting, its agenda and materials, and the page of a building's meetings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from edom_graphql.buildings.types import (
    Building,
    BuildingByIdLoader,
    ManagementOrganisation,
    OrganisationByIdLoader,
)
from edom_graphql.core.capabilities import Capability, StaffRole
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.errors import Forbidden
from edom_graphql.core.ids import encode_id, expect_id
from edom_graphql.core.loaders import ByIdLoader, ListByKeyLoader, later
from edom_graphql.core.nodes import Node, Verdict, visible, visible_only
from edom_graphql.core.pagination import After, Connection, First, build_connection, page_request
from edom_graphql.core.permissions import requires
from edom_graphql.meetings import access, reads
from edom_graphql.meetings.models import MeetingState, QuestionKind, Threshold
from edom_graphql.meetings.reads.tallies import TallyLoader
from edom_graphql.meetings.types.register import (
    MeetingRegister,
    MeetingRegisterEntry,
    PowerOfAttorney,
    attorneys_of,
    entries_of_viewer,
    register_of,
)
from edom_graphql.meetings.types.results import (
    MeetingProtocol,
    MeetingProtocolQuestion,
    MeetingTally,
    Question,
    tally_value,
)
from edom_graphql.meetings.types.shared import MeetingFile, share, square_metres
from edom_graphql.residents.types.users import User, UserByIdLoader


@strawberry.type(description="A numbered question of a meeting's agenda: one decision.")
class MeetingQuestion:
    pk: strawberry.Private[int]
    candidate_user_pk: strawberry.Private[int | None]
    number: int = strawberry.field(description="Its number on the agenda, from 1.")
    title: str = strawberry.field(description="The question.")
    proposal: str = strawberry.field(description="The decision put to the vote.")
    kind: QuestionKind = strawberry.field(description="What it decides.")
    threshold: Threshold = strawberry.field(description="The votes FOR it needs.")
    administrator_is_organisation: bool = strawberry.field(
        description="An ADMINISTRATOR question proposing the management organisation."
    )
    voting_days: int | None = strawberry.field(
        description="An ADMINISTRATOR question: how long later meetings' voting runs."
    )
    decisions_place: str | None = strawberry.field(
        description="An ADMINISTRATOR question: where later meetings accept paper decisions."
    )
    adopted: bool | None = strawberry.field(description="Its outcome; null until voting ends.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> MeetingQuestion:
        """Of a row of ``reads.QUESTIONS``."""
        return cls(
            pk=row[0],
            number=row[2],
            title=row[3],
            proposal=row[4],
            kind=QuestionKind(row[5]),
            threshold=Threshold(row[6]),
            candidate_user_pk=row[7],
            administrator_is_organisation=row[8],
            voting_days=row[9],
            decisions_place=row[10],
            adopted=row[11],
        )

    @strawberry.field(description="An ADMINISTRATOR question proposing an owner: that owner.")
    def administrator(self, info: AppInfo) -> User | None:
        if self.candidate_user_pk is None:
            return None
        return later(UserByIdLoader.of(info.context).load(self.candidate_user_pk))


@strawberry.type(description="An owners' general meeting (correspondence form, on the platform).")
class Meeting(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    initiator_pk: strawberry.Private[int]
    initiator_organisation_pk: strawberry.Private[int | None]
    administrator_user_pk: strawberry.Private[int | None]
    administrator_organisation_pk: strawberry.Private[int | None]
    total_area_centi: strawberry.Private[int | None]
    protocol_key: strawberry.Private[str | None]
    register_key: strawberry.Private[str | None]
    number: int = strawberry.field(description="The building's meetings are numbered from 1.")
    title: str = strawberry.field(description="What the meeting is about.")
    state: MeetingState = strawberry.field(description="Where the meeting is in its life.")
    is_first_meeting: bool = strawberry.field(
        description="The building's first meeting on the platform: its agenda chooses the "
        "administrator of later meetings."
    )
    voting_starts_at: datetime = strawberry.field(description="When voting starts.")
    voting_ends_at: datetime = strawberry.field(description="When voting ends.")
    decisions_place: str = strawberry.field(description="Where paper decisions are accepted.")
    created_at: datetime = strawberry.field(
        description="When it was drafted (and reached its administrator)."
    )
    scheduled_at: datetime | None = strawberry.field(
        description="When it was put to the owners (the first notice)."
    )
    voting_opened_at: datetime | None = strawberry.field(
        description="When voting opened and the register was fixed."
    )
    ended_at: datetime | None = strawberry.field(
        description="When voting ended and it was counted."
    )
    cancelled_at: datetime | None = strawberry.field(description="When it was cancelled.")
    cancel_reason: str | None = strawberry.field(description="Why it was cancelled.")
    quorum: bool | None = strawberry.field(description="It had a quorum; null until counted.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Meeting:
        """Of a row of ``reads.MEETING_COLUMNS``."""
        return cls(
            id=strawberry.ID(encode_id("Meeting", row[0])),
            pk=row[0],
            building_pk=row[1],
            number=row[2],
            title=row[3],
            state=MeetingState(row[4]),
            initiator_pk=row[5],
            initiator_organisation_pk=row[6],
            administrator_user_pk=row[7],
            administrator_organisation_pk=row[8],
            is_first_meeting=row[9],
            voting_starts_at=row[10],
            voting_ends_at=row[11],
            decisions_place=row[12],
            created_at=row[13],
            scheduled_at=row[14],
            voting_opened_at=row[15],
            ended_at=row[16],
            cancelled_at=row[17],
            cancel_reason=row[18],
            total_area_centi=row[19],
            quorum=row[20],
            protocol_key=row[21],
            register_key=row[22],
        )

    @staticmethod
    def sort_key(meeting: Meeting) -> tuple[int]:
        return (meeting.pk,)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Meeting | None]:
        return await MeetingByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Meeting) -> Verdict:
        return access.meeting_visible(context, node)

    @property
    def ended(self) -> bool:
        return self.state in (MeetingState.COMPLETED, MeetingState.FAILED)

    @strawberry.field(description="The building whose owners meet.")
    def building(self, info: AppInfo) -> Building:
        return later(BuildingByIdLoader.of(info.context).load(self.building_pk))

    @strawberry.field(description="The agenda, in order.")
    async def agenda(self, info: AppInfo) -> list[MeetingQuestion]:
        return await QuestionsLoader.of(info.context).load(self.pk)

    @strawberry.field(description="The meeting's materials (PDF).")
    async def materials(self, info: AppInfo) -> list[MeetingFile]:
        return await MaterialsLoader.of(info.context).load(self.pk)

    @strawberry.field(description="The owner or manager who initiated it.")
    async def initiator(self, info: AppInfo) -> User | None:
        return await UserByIdLoader.of(info.context).load(self.initiator_pk)

    @strawberry.field(
        description="The organisation, when a manager initiated on its behalf; else null."
    )
    def initiating_organisation(self, info: AppInfo) -> ManagementOrganisation | None:
        if self.initiator_organisation_pk is None:
            return None
        return later(OrganisationByIdLoader.of(info.context).load(self.initiator_organisation_pk))

    @strawberry.field(description="The owner who administers it, if an owner does.")
    def administrator(self, info: AppInfo) -> User | None:
        if self.administrator_user_pk is None:
            return None
        return later(UserByIdLoader.of(info.context).load(self.administrator_user_pk))

    @strawberry.field(
        description="The organisation that administers it (its managers act), if it does."
    )
    async def administrator_organisation(self, info: AppInfo) -> ManagementOrganisation | None:
        if self.administrator_organisation_pk is None:
            return None
        return await OrganisationByIdLoader.of(info.context).load(
            self.administrator_organisation_pk
        )

    @strawberry.field(description="The viewer administers the meeting.")
    async def viewer_administers(self, info: AppInfo) -> bool:
        return await access.administers(info.context, self)

    @strawberry.field(
        description="The ownership records the viewer votes at this meeting: their own and "
        "those of owners whose power of attorney they hold; empty before voting opens."
    )
    async def viewer_entries(self, info: AppInfo) -> list[MeetingRegisterEntry]:
        context = info.context
        if context.viewer_id is None or self.total_area_centi is None:
            return []
        return await entries_of_viewer(context, self.pk)

    @strawberry.field(
        description="Turnout and quorum progress; per-question totals for the administrator "
        "and initiator while voting runs, for all once it has ended. Null before voting."
    )
    async def tally(self, info: AppInfo) -> MeetingTally | None:
        return await tally_of(info.context, self)

    @strawberry.field(
        description="The register of owners fixed when voting opened, with how each ownership "
        "voted: for the building's owners and staff and the administrator; else null."
    )
    async def register(self, info: AppInfo) -> MeetingRegister | None:
        if self.total_area_centi is None:
            return None
        return register_of(self)

    @strawberry.field(description="The protocol, once voting has ended; else null.")
    async def protocol(self, info: AppInfo) -> MeetingProtocol | None:
        if not self.ended or self.total_area_centi is None:
            return None
        counted = await TallyLoader.of(info.context).load(self.pk)
        assert counted is not None
        tally = counted.tally
        base = tally.turnout
        questions = await QuestionsLoader.of(info.context).load(self.pk)
        return MeetingProtocol(
            number=self.number,
            formed_at=self.ended_at or self.voting_ends_at,
            voting_started_at=self.voting_opened_at or self.voting_starts_at,
            voting_ended_at=self.ended_at or self.voting_ends_at,
            initiator=await party_name(
                info.context, self.initiator_pk, self.initiator_organisation_pk
            ),
            administrator=await party_name(
                info.context, self.administrator_user_pk, self.administrator_organisation_pk
            ),
            total_area=square_metres(self.total_area_centi),
            turnout=share(base),
            quorum=bool(self.quorum),
            questions=[
                MeetingProtocolQuestion(
                    number=question.number,
                    title=question.title,
                    proposal=question.proposal,
                    threshold=question.threshold,
                    votes_for=share(tally.of(question.pk).votes_for, base),
                    against=share(tally.of(question.pk).against, base),
                    abstain=share(tally.of(question.pk).abstain, base),
                    adopted=bool(question.adopted),
                )
                for question in questions
            ],
            document=(
                MeetingFile(key=self.protocol_key, content_type="application/pdf", size_bytes=None)
                if self.protocol_key
                else None
            ),
        )

    @strawberry.field(
        description="Powers of attorney registered for this meeting that the viewer may see: "
        "all for the administrator and the building's staff, else those naming the viewer."
    )
    async def powers_of_attorney(self, info: AppInfo) -> list[PowerOfAttorney]:
        return await attorneys_of(info.context, self.pk)


async def party_name(context: Context, user_pk: int | None, organisation_pk: int | None) -> str:
    """The name a protocol gives a party: the organisation's (when it acted), else the
    user's display name."""
    if organisation_pk is not None:
        organisation = await OrganisationByIdLoader.of(context).load(organisation_pk)
        return organisation.name if organisation is not None else ""
    user = await UserByIdLoader.of(context).load(user_pk) if user_pk is not None else None
    return user.display_name if user is not None else ""


async def tally_of(context: Context, meeting: Meeting) -> MeetingTally | None:
    counted = await TallyLoader.of(context).load(meeting.pk)
    if counted is None:
        return None
    questions = None
    if meeting.ended or await access.runs(context, meeting):
        questions = [
            Question(q.pk, q.number, q.threshold, q.adopted)
            for q in await QuestionsLoader.of(context).load(meeting.pk)
        ]
    return tally_value(
        meeting_id=meeting.id, state=meeting.state, counted=counted, questions=questions
    )


def _material(row: Sequence[Any]) -> MeetingFile:
    return MeetingFile(key=row[0], content_type=row[1], size_bytes=row[2])


class MeetingByIdLoader(ByIdLoader[Meeting]):
    query = reads.MEETING_BY_ID
    convert = Meeting.from_row


class QuestionsLoader(ListByKeyLoader[MeetingQuestion]):
    query = reads.QUESTIONS
    convert = MeetingQuestion.from_row


class MaterialsLoader(ListByKeyLoader[MeetingFile]):
    query = reads.MATERIALS
    convert = _material


@strawberry.type(description="A page of meetings, newest first.")
class MeetingConnection(Connection[Meeting]):
    pass


async def managed_organisation(context: Context, building_id: int) -> int | None:
    """The building's organisation, if the viewer is one of its managers."""
    organisation_id = await context.gate.organisation_of(building_id)
    profile = await context.profile()
    return organisation_id if StaffRole.MANAGER in profile.roles_in(organisation_id) else None


@strawberry.type
class BuildingMeetings:
    """``Building.meetings``."""

    @requires(
        Capability.MEETING_RESULTS_VIEW,
        description="The building's owners' meetings, newest first: those put to the owners, "
        "and the drafts the viewer initiates or administers.",
    )
    async def meetings(
        self: Building, info: AppInfo, first: First, after: After = None
    ) -> MeetingConnection | None:
        context = info.context
        page = page_request(first, after, types=(int,))
        rows = await reads.page_of(
            context.db,
            self.pk,
            page,
            viewer_id=context.viewer_id,
            managed_organisation_id=await managed_organisation(context, self.pk),
        )
        shown = [m for m in await visible_only(context, [Meeting.from_row(r) for r in rows]) if m]
        connection = build_connection(shown, page, Meeting.sort_key)
        return MeetingConnection(edges=connection.edges, page_info=connection.page_info)


async def visible_meeting(context: Context, meeting_id: int) -> Meeting | None:
    """The meeting, if the viewer may see it."""
    return await visible(context, await MeetingByIdLoader.of(context).load(meeting_id))


async def visible_meeting_id(context: Context, global_id: str) -> int:
    """The pk of a meeting the viewer may see; FORBIDDEN otherwise."""
    meeting_id = expect_id(global_id, "Meeting", field="meetingId")
    if await visible_meeting(context, meeting_id) is None:
        raise Forbidden("You may not see this meeting.")
    return meeting_id
