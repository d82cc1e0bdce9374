"""``meetingVoteCast`` and ``meetingVoteCastByAttorney``: an ownership record's ballot,
cast by its owner or by their representative."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.meetings.access import input_attorney_representative, input_entry_building
from edom_graphql.meetings.errors import MeetingVoteError
from edom_graphql.meetings.models import Decision
from edom_graphql.meetings.service.voting import Choice, cast_online
from edom_graphql.meetings.types import MeetingRegisterEntry, visible_entry


@strawberry.input(description="A decision on one question.")
class MeetingDecisionInput:
    number: int = strawberry.field(description="The question's number on the agenda.")
    decision: Decision = strawberry.field(description="FOR, AGAINST or ABSTAIN.")


def choices_of(decisions: list[MeetingDecisionInput]) -> list[Choice]:
    return [Choice(number=d.number, decision=d.decision) for d in decisions]


@strawberry.input(description="The viewer's ballot for one of their ownership records.")
class MeetingVoteCastInput:
    entry_id: strawberry.ID = strawberry.field(
        description="The register entry (see `Meeting.viewerEntries`)."
    )
    decisions: list[MeetingDecisionInput] = strawberry.field(
        description="A decision on every question of the agenda."
    )


@strawberry.input(description="A representative's ballot for the owner they represent.")
class MeetingVoteCastByAttorneyInput:
    entry_id: strawberry.ID = strawberry.field(description="The principal's register entry.")
    power_of_attorney_id: strawberry.ID = strawberry.field(
        description="The power of attorney the administrator registered."
    )
    decisions: list[MeetingDecisionInput] = strawberry.field(
        description="A decision on every question of the agenda."
    )


@strawberry.type(description="Result of `meetingVoteCast` and `meetingVoteCastByAttorney`.")
class MeetingVotePayload(Payload):
    entry: MeetingRegisterEntry | None = strawberry.field(
        default=None, description="The register entry with its ballot, as it stands."
    )
    user_errors: list[MeetingVoteError] = user_errors_field()


async def _cast(
    context: Context, entry_id: int, attorney_id: int | None, decisions: list[MeetingDecisionInput]
) -> MeetingVotePayload:
    voter_id = context.require_viewer()

    async def work(session: AsyncSession, outbox: Outbox) -> int:
        return await cast_online(
            session,
            outbox,
            entry_id=entry_id,
            voter_id=voter_id,
            attorney_id=attorney_id,
            choices=choices_of(decisions),
            now=context.now,
        )

    result = await commit(context, work)
    entry = await visible_entry(context, entry_id)
    if isinstance(result, ServiceError):
        return MeetingVotePayload.refused(result, entry=entry)
    return MeetingVotePayload(entry=entry)


@strawberry.type
class MeetingVoteMutations:
    @requires(
        Capability.MEETING_VOTE,
        input_entry_building,
        mutation=True,
        description="Vote with one of the viewer's ownership records: a decision on every "
        "question, final. An ownership record votes once, online or on paper.",
    )
    async def meeting_vote_cast(
        self, info: AppInfo, input: MutationInput[MeetingVoteCastInput]
    ) -> MeetingVotePayload | None:
        entry_id = expect_id(input.entry_id, "MeetingRegisterEntry", field="entryId")
        return await _cast(info.context, entry_id, None, input.decisions)

    @requires(
        Capability.MEETING_VOTE_BY_ATTORNEY,
        input_attorney_representative,
        mutation=True,
        description="Vote for an owner under a power of attorney the administrator "
        "registered (its representative only, while it is valid).",
    )
    async def meeting_vote_cast_by_attorney(
        self, info: AppInfo, input: MutationInput[MeetingVoteCastByAttorneyInput]
    ) -> MeetingVotePayload | None:
        entry_id = expect_id(input.entry_id, "MeetingRegisterEntry", field="entryId")
        attorney_id = expect_id(
            input.power_of_attorney_id, "PowerOfAttorney", field="powerOfAttorneyId"
        )
        return await _cast(info.context, entry_id, attorney_id, input.decisions)
