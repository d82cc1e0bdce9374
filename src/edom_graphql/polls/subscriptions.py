"""``pollResults``: a poll's results, live."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated

import strawberry

from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.errors import Forbidden
from edom_graphql.core.ids import expect_id
from edom_graphql.core.nodes import visible
from edom_graphql.core.streams import live_state
from edom_graphql.polls import access, service
from edom_graphql.polls.reads import Totals, TotalsLoader
from edom_graphql.polls.types import PollByIdLoader, PollResults, results_from


@dataclass(frozen=True, slots=True)
class _Counted:
    """Results to send, equal to an earlier value when the counts are the same."""

    totals: Totals
    results: PollResults = field(compare=False)


@strawberry.type
class PollSubscriptions:
    @strawberry.subscription(
        description="A poll's results now and after every vote, while the viewer may see "
        "them (nothing is sent while they are hidden). Ends with FORBIDDEN once the viewer "
        "may no longer see the poll."
    )
    async def poll_results(
        self,
        info: AppInfo,
        poll_id: Annotated[strawberry.ID, strawberry.argument(description="The poll.")],
    ) -> AsyncGenerator[PollResults, None]:
        context = info.context
        context.require_viewer()
        pk = expect_id(poll_id, "Poll", field="pollId")

        async def read(context: Context) -> tuple[_Counted | None, datetime | None]:
            poll = await visible(context, await PollByIdLoader.of(context).load(pk))
            if poll is None:
                raise Forbidden("You may not see this poll.")
            counted = None
            if await access.results_visible(context, poll):
                totals = await TotalsLoader.of(context).load(pk)
                counted = _Counted(totals, results_from(poll, totals))
            # wake when it closes: the results may show then
            wake_at = poll.closes_at if poll.closes_at > context.now else None
            return counted, wake_at

        async for counted in live_state(context, service.channel(pk), read):
            yield counted.results
