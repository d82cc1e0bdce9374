"""The intercom's fields on ``Building`` and ``Premise``, its connections and call events."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from edom_graphql.buildings.types import Building, Premise
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.pagination import (
    After,
    Connection,
    First,
    build_connection,
    encode_cursor,
    page_request,
)
from edom_graphql.core.permissions import requires
from edom_graphql.intercom import access, reads
from edom_graphql.intercom.models import CallState
from edom_graphql.intercom.types.nodes import (
    CallsOfPremiseLoader,
    CodesOfPremiseLoader,
    Entrance,
    EntranceByIdLoader,
    EntrancesOfBuildingLoader,
    EntriesOfPremiseLoader,
    IntercomCall,
    IntercomCode,
    IntercomEntry,
)


@strawberry.type(description="An event of a premise's calls: a ring or a change of state.")
class IntercomCallEvent:
    cursor: str = strawberry.field(description="Resume `intercomCalls` after this event.")
    state: CallState = strawberry.field(description="The call's state from then on.")
    at: datetime = strawberry.field(description="When.")
    call: IntercomCall = strawberry.field(description="The call, as it stands now.")


def call_event(row: Sequence[Any], call: IntercomCall) -> IntercomCallEvent:
    return IntercomCallEvent(
        cursor=encode_cursor((int(row[0]),)), state=CallState(row[2]), at=row[3], call=call
    )


@strawberry.type(description="A page of the entry log.")
class IntercomEntryConnection(Connection[IntercomEntry]):
    pass


@strawberry.type(description="A page of entrance codes.")
class IntercomCodeConnection(Connection[IntercomCode]):
    pass


@strawberry.type(description="A page of calls.")
class IntercomCallConnection(Connection[IntercomCall]):
    pass


# -- fields on Building and Premise ---------------------------------------------------------


@strawberry.type
class BuildingIntercom:
    """``Building.entrances``."""

    @strawberry.field(description="The building's entrances known to the intercom, by number.")
    async def entrances(self: Building, info: AppInfo) -> list[Entrance]:
        return await EntrancesOfBuildingLoader.of(info.context).load(self.pk)


def _by_pk(item: Any) -> tuple[int]:
    return (item.pk,)


@strawberry.type
class PremiseIntercom:
    """``Premise.intercomEntrance``, ``intercomCodes``, ``intercomEntries``, ``intercomCalls``."""

    @strawberry.field(description="The entrance the premise is behind (null: none known yet).")
    async def intercom_entrance(self: Premise, info: AppInfo) -> Entrance | None:
        found = await reads.PremiseEntranceLoader.of(info.context).load(self.pk)
        if found is None or found[2] is None:
            return None
        return await EntranceByIdLoader.of(info.context).load(found[2])

    @requires(
        Capability.HOUSEHOLD_RECORDS_VIEW,
        access.source_premise,
        description="The premise's entrance codes, newest first: for its occupants down to "
        "elevated guests, and the organisation's staff (read only).",
    )
    async def intercom_codes(
        self: Premise, info: AppInfo, first: First, after: After = None
    ) -> IntercomCodeConnection | None:
        page = page_request(first, after, types=(int,))
        items = await CodesOfPremiseLoader.of(info.context).load((self.pk, page, ()))
        connection = build_connection(items, page, _by_pk)
        return IntercomCodeConnection(edges=connection.edges, page_info=connection.page_info)

    @requires(
        Capability.HOUSEHOLD_RECORDS_VIEW,
        access.source_premise,
        description="The premise's entry log, newest first: openings by its occupants from "
        "the app and from calls, and by its codes. For its occupants down to elevated guests, "
        "and the organisation's staff; nobody else.",
    )
    async def intercom_entries(
        self: Premise, info: AppInfo, first: First, after: After = None
    ) -> IntercomEntryConnection | None:
        page = page_request(first, after, types=(int,))
        items = await EntriesOfPremiseLoader.of(info.context).load((self.pk, page, ()))
        connection = build_connection(items, page, _by_pk)
        return IntercomEntryConnection(edges=connection.edges, page_info=connection.page_info)

    @requires(
        Capability.INTERCOM_OPEN,
        access.source_premise,
        description="Calls from the panel to this apartment, newest first (missed ones "
        "kept): for its occupants, every tier and guest level.",
    )
    async def intercom_calls(
        self: Premise, info: AppInfo, first: First, after: After = None
    ) -> IntercomCallConnection | None:
        page = page_request(first, after, types=(int,))
        items = await CallsOfPremiseLoader.of(info.context).load((self.pk, page, ()))
        connection = build_connection(items, page, _by_pk)
        return IntercomCallConnection(edges=connection.edges, page_info=connection.page_info)
