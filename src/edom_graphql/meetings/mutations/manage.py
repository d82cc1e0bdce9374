"""``meetingSchedule`` and ``meetingCancel``: put a draft to the owners, or call the
meeting off before voting starts."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.meetings.access import input_meeting_building
from edom_graphql.meetings.errors import MeetingCancelError, MeetingScheduleError
from edom_graphql.meetings.models import MAX_PLACE_LENGTH
from edom_graphql.meetings.service import agenda, lifecycle
from edom_graphql.meetings.types import Meeting, visible_meeting, visible_meeting_id


@strawberry.input(description="The meeting to put to the owners.")
class MeetingScheduleInput:
    meeting_id: strawberry.ID = strawberry.field(description="The draft.")


@strawberry.type(description="Result of `meetingSchedule`.")
class MeetingSchedulePayload(Payload):
    meeting: Meeting | None = strawberry.field(default=None, description="The meeting now.")
    user_errors: list[MeetingScheduleError] = user_errors_field()


@strawberry.input(description="The meeting to cancel, and why.")
class MeetingCancelInput:
    meeting_id: strawberry.ID = strawberry.field(description="The meeting.")
    reason: str = strawberry.field(
        description=f"Why (1–{MAX_PLACE_LENGTH} characters); owners are told."
    )


@strawberry.type(description="Result of `meetingCancel`.")
class MeetingCancelPayload(Payload):
    meeting: Meeting | None = strawberry.field(default=None, description="The meeting now.")
    user_errors: list[MeetingCancelError] = user_errors_field()


@strawberry.type
class MeetingManageMutations:
    @requires(
        Capability.MEETING_INITIATE,
        input_meeting_building,
        mutation=True,
        description=f"Put a draft to the owners (its administrator), at least "
        f"{agenda.DAYS_OF_NOTICE} days before voting starts: every owner is notified.",
    )
    async def meeting_schedule(
        self, info: AppInfo, input: MutationInput[MeetingScheduleInput]
    ) -> MeetingSchedulePayload | None:
        context = info.context
        user_id = context.require_viewer()
        meeting_id = await visible_meeting_id(context, input.meeting_id)

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await lifecycle.schedule(
                session, outbox, meeting_id=meeting_id, user_id=user_id, now=context.now
            )

        result = await commit(context, work)
        return MeetingSchedulePayload.of(result, meeting=await visible_meeting(context, meeting_id))

    @requires(
        Capability.MEETING_INITIATE,
        input_meeting_building,
        mutation=True,
        description="Cancel a meeting before voting starts (its initiator or administrator); "
        "owners are told if it had been scheduled.",
    )
    async def meeting_cancel(
        self, info: AppInfo, input: MutationInput[MeetingCancelInput]
    ) -> MeetingCancelPayload | None:
        context = info.context
        user_id = context.require_viewer()
        meeting_id = await visible_meeting_id(context, input.meeting_id)

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            reason = agenda.check_reason(input.reason)
            await lifecycle.cancel(
                session,
                outbox,
                meeting_id=meeting_id,
                user_id=user_id,
                reason=reason,
                now=context.now,
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return MeetingCancelPayload.refused(
                result, meeting=await visible_meeting(context, meeting_id)
            )
        return MeetingCancelPayload(meeting=await visible_meeting(context, meeting_id))
