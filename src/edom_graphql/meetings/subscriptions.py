"""``meetingTally``: a meeting's tally, live and resumable."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Annotated

import strawberry

from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.errors import Forbidden
from edom_graphql.core.ids import expect_id
from edom_graphql.core.nodes import visible
from edom_graphql.core.pagination import decode_cursor, encode_cursor
from edom_graphql.core.streams import live_state
from edom_graphql.meetings.service.lifecycle import channel
from edom_graphql.meetings.types import MeetingByIdLoader, MeetingTally, tally_of
from edom_graphql.meetings.types.results import CURSOR_TYPES


@strawberry.type
class MeetingSubscriptions:
    @strawberry.subscription(
        description="A meeting's tally once voting has opened, again after every ballot and "
        "when voting ends: turnout and quorum progress for everyone who sees the meeting, "
        "totals per question as `Meeting.tally` shows them. With `after` (the cursor of a "
        "tally seen), nothing is sent until the count has moved on. Ends with FORBIDDEN once "
        "the viewer may no longer see the meeting."
    )
    async def meeting_tally(
        self,
        info: AppInfo,
        meeting_id: Annotated[strawberry.ID, strawberry.argument(description="The meeting.")],
        after: Annotated[
            str | None,
            strawberry.argument(description="The `cursor` of the last tally received."),
        ] = None,
    ) -> AsyncGenerator[MeetingTally, None]:
        context = info.context
        context.require_viewer()
        pk = expect_id(meeting_id, "Meeting", field="meetingId")
        seen = encode_cursor(decode_cursor(after, types=CURSOR_TYPES)) if after else None

        async def read(context: Context) -> tuple[MeetingTally | None, datetime | None]:
            meeting = await visible(context, await MeetingByIdLoader.of(context).load(pk))
            if meeting is None:
                raise Forbidden("You may not see this meeting.")
            tally = await tally_of(context, meeting)
            if tally is None or tally.cursor == seen:
                return None, None
            return tally, None

        async for tally in live_state(context, channel(pk), read):
            yield tally
