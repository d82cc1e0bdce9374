"""``repairRequestEvents`` (a request's history, live) and ``repairRequestBoard`` (every
event of an organisation's or a building's requests, for the staff's dashboards)."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from typing import Annotated, Any

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.errors import BadUserInput, Forbidden
from edom_graphql.core.ids import expect_id
from edom_graphql.core.nodes import visible
from edom_graphql.core.permissions import Target
from edom_graphql.core.streams import live_events
from edom_graphql.repairs import reads, service
from edom_graphql.repairs.access import visible_request_id
from edom_graphql.repairs.types import RepairRequestEvent, visible_request

_HANDLE = Capability.REPAIR_REQUEST_HANDLE
_NOT_STAFF = "This requires the REPAIR_REQUEST_HANDLE capability here."


def _stream(
    context: Context,
    channel: str,
    stream: str,
    key: int,
    after: str | None,
    admit: Callable[[Context, Any], Awaitable[RepairRequestEvent | None]],
) -> AsyncGenerator[RepairRequestEvent, None]:
    """The events of one stream (``stream`` is the column keying it), after ``after``."""
    db = context.db

    async def latest() -> int:
        return await reads.latest_event_id(db, stream, key)

    async def rows_after(last_id: int, limit: int) -> Sequence[Any]:
        return await reads.events_after(db, stream, key, last_id=last_id, limit=limit)

    return live_events(
        context, channel, after=after, latest=latest, rows_after=rows_after, admit=admit
    )


@strawberry.type
class RepairRequestSubscriptions:
    @strawberry.subscription(
        description="A request's history as it happens, for whoever may see the request "
        "(its author, followers, residents of the building for building and yard requests, "
        "staff). With `after` (an event's `cursor`), first replays every event since: a "
        "client that reconnects with its last cursor misses nothing and gets nothing "
        "twice. Ends with FORBIDDEN once the viewer may no longer see the request."
    )
    async def repair_request_events(
        self,
        info: AppInfo,
        request_id: Annotated[strawberry.ID, strawberry.argument(description="The request.")],
        after: Annotated[
            str | None, strawberry.argument(description="Resume after this event's `cursor`.")
        ] = None,
    ) -> AsyncGenerator[RepairRequestEvent, None]:
        context = info.context
        context.require_viewer()
        pk = await visible_request_id(context, request_id)

        async def admit(context: Context, row: Any) -> RepairRequestEvent:
            if await visible_request(context, pk) is None:  # access decided again per event
                raise Forbidden("You may not see this repair request.")
            return RepairRequestEvent.from_row(row)

        channel = service.request_channel(pk)
        async for event in _stream(context, channel, "request_id", pk, after, admit):
            yield event

    @strawberry.subscription(
        description="Every event of the repair requests of an organisation (or of one of "
        "its buildings), for its staff's live dashboards. Give exactly one of "
        "`organisationId` and `buildingId`. With `after` (an event's `cursor`, e.g. "
        "`ManagementOrganisation.repairBoardCursor` read with the desk), first replays "
        "every event since, without gaps or duplicates. Ends with FORBIDDEN once the "
        "viewer is no longer staff there."
    )
    async def repair_request_board(
        self,
        info: AppInfo,
        organisation_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="The organisation.")
        ] = None,
        building_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="One of its buildings.")
        ] = None,
        after: Annotated[
            str | None, strawberry.argument(description="Resume after this event's `cursor`.")
        ] = None,
    ) -> AsyncGenerator[RepairRequestEvent, None]:
        context = info.context
        context.require_viewer()
        if (organisation_id is None) == (building_id is None):
            raise BadUserInput("Give exactly one of `organisationId` and `buildingId`.")
        if organisation_id is not None:
            key = expect_id(organisation_id, "ManagementOrganisation", field="organisationId")
            target = Target(organisation_id=key)
            channel, stream = service.organisation_channel(key), "organisation_id"
        else:
            assert building_id is not None
            key = expect_id(building_id, "Building", field="buildingId")
            target = Target(building_id=key)
            channel, stream = service.building_channel(key), "building_id"

        async def allowed(context: Context) -> bool:
            return await context.can(
                _HANDLE, building_id=target.building_id, organisation_id=target.organisation_id
            )

        async def admit(context: Context, row: Any) -> RepairRequestEvent | None:
            if not await allowed(context):  # access decided again per event
                raise Forbidden(_NOT_STAFF)
            # an event of a request whose building has changed hands since is no longer
            # this board's to show
            return await visible(context, RepairRequestEvent.from_row(row))

        if not await allowed(context):
            raise Forbidden(_NOT_STAFF)
        async for event in _stream(context, channel, stream, key, after, admit):
            yield event
