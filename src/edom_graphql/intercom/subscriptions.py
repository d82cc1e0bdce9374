"""``intercomCalls``: the calls to an apartment as they ring and change, resumable."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Annotated, Any

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.errors import Forbidden
from edom_graphql.core.ids import expect_id
from edom_graphql.core.streams import live_events
from edom_graphql.intercom import reads
from edom_graphql.intercom.service.calls import calls_channel
from edom_graphql.intercom.types.fields import IntercomCallEvent, call_event
from edom_graphql.intercom.types.nodes import CallByIdLoader

_DENIED = "This requires the INTERCOM_OPEN capability at this premise."


@strawberry.type
class IntercomSubscriptions:
    @strawberry.subscription(
        description="Calls from the panel to an apartment as they happen (each ring, answer, "
        "miss and end, with the call's media URL), for its occupants: every tier and guest "
        "level at the premise. With `after` (an event's `cursor`), first replays every event "
        "since: a client that reconnects with its last cursor misses nothing and gets "
        "nothing twice. Ends with FORBIDDEN once the viewer is no longer an occupant."
    )
    async def intercom_calls(
        self,
        info: AppInfo,
        premise_id: Annotated[strawberry.ID, strawberry.argument(description="The apartment.")],
        after: Annotated[
            str | None, strawberry.argument(description="Resume after this event's `cursor`.")
        ] = None,
    ) -> AsyncGenerator[IntercomCallEvent, None]:
        context = info.context
        context.require_viewer()
        pk = expect_id(premise_id, "Premise", field="premiseId")
        if not await context.can(Capability.INTERCOM_OPEN, premise_id=pk):
            raise Forbidden(_DENIED, capability=Capability.INTERCOM_OPEN.value)
        db = context.db

        async def latest() -> int:
            return await reads.latest_call_event(db, pk)

        async def rows_after(last_id: int, limit: int) -> Sequence[Any]:
            return await reads.call_events_after(db, pk, last_id=last_id, limit=limit)

        async def admit(context: Context, row: Any) -> IntercomCallEvent:
            if not await context.can(Capability.INTERCOM_OPEN, premise_id=pk):
                raise Forbidden(_DENIED, capability=Capability.INTERCOM_OPEN.value)
            call = await CallByIdLoader.of(context).load(int(row[1]))
            assert call is not None
            return call_event(row, call)

        async for event in live_events(
            context,
            calls_channel(pk),
            after=after,
            latest=latest,
            rows_after=rows_after,
            admit=admit,
        ):
            yield event
