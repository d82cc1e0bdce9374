"""``intercomDoorOpen``: the door of an entrance opened from the app, as the panel answers."""

from __future__ import annotations

from typing import Any

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.errors import BadUserInput, ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, user_errors_field
from edom_graphql.core.permissions import Target, requires
from edom_graphql.intercom.access import premise_in_entrance
from edom_graphql.intercom.errors import IntercomDoorOpenError
from edom_graphql.intercom.models import DoorOutcome, EntryMethod
from edom_graphql.intercom.service import doors
from edom_graphql.intercom.service.doors import OPEN_LIMIT
from edom_graphql.intercom.types.nodes import (
    EntranceByIdLoader,
    EntryByIdLoader,
    IntercomEntry,
    PanelByIdLoader,
)


@strawberry.input(description="Which door to open: an entrance's main door, or one panel's.")
class IntercomDoorOpenInput:
    entrance_id: strawberry.ID | None = strawberry.field(
        default=None, description="The entrance (its first panel, the main door)."
    )
    panel_id: strawberry.ID | None = strawberry.field(default=None, description="The panel.")


@strawberry.type(description="Result of `intercomDoorOpen`.")
class IntercomDoorOpenPayload(Payload):
    outcome: DoorOutcome | None = strawberry.field(
        default=None, description="What the panel answered (never assumed)."
    )
    entry: IntercomEntry | None = strawberry.field(
        default=None, description="The attempt, as written to the entry log."
    )
    user_errors: list[IntercomDoorOpenError] = user_errors_field()


async def _entrance_of(info: AppInfo, given: IntercomDoorOpenInput) -> tuple[int, int] | None:
    """The (entrance, panel or 0) the input names, or None when there is no such panel."""
    context = info.context
    if (given.entrance_id is None) == (given.panel_id is None):
        raise BadUserInput("Give exactly one of `entranceId` and `panelId`.")
    if given.panel_id is not None:
        panel = await PanelByIdLoader.of(context).load(
            expect_id(given.panel_id, "IntercomPanel", field="panelId")
        )
        return (panel.entrance_pk, panel.pk) if panel is not None else None
    assert given.entrance_id is not None
    return (expect_id(given.entrance_id, "Entrance", field="entranceId"), 0)


async def door_scope(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    """The viewer's premise behind the door (none: refused)."""
    found = await _entrance_of(info, kwargs["input"])
    if found is None:
        return None
    entrance = await EntranceByIdLoader.of(info.context).load(found[0])
    if entrance is None:
        return None
    premise_id = await premise_in_entrance(info.context, entrance.building_pk, entrance.number)
    return Target(premise_id=premise_id) if premise_id is not None else None


@strawberry.type
class IntercomDoorMutations:
    @requires(
        Capability.INTERCOM_OPEN,
        door_scope,
        mutation=True,
        rate_limit=OPEN_LIMIT,
        description="Open the door of an entrance the viewer lives behind (every tier and "
        "guest level at a premise of that entrance). The panel decides: `outcome` is OPENED, "
        "DEVICE_OFFLINE or TIMEOUT, and the attempt is written to the entry log either way.",
    )
    async def intercom_door_open(
        self, info: AppInfo, input: MutationInput[IntercomDoorOpenInput]
    ) -> IntercomDoorOpenPayload | None:
        context = info.context
        user_id = context.require_viewer()
        found = await _entrance_of(info, input)
        assert found is not None
        entrance = await EntranceByIdLoader.of(context).load(found[0])
        assert entrance is not None
        premise_id = await premise_in_entrance(context, entrance.building_pk, entrance.number)
        assert premise_id is not None
        ref = (
            await doors.panel(context.db, found[1])
            if found[1]
            else await doors.main_panel(context.db, entrance.pk)
        )
        if ref is None:
            return IntercomDoorOpenPayload.refused(
                ServiceError("NOT_CONNECTED", "The entrance has no smart intercom.")
            )
        outcome, entry_id = await doors.open_door(
            context.db,
            ref,
            method=EntryMethod.APP,
            user_id=user_id,
            premise_id=premise_id,
            now=context.now,
        )
        context.after_write()
        entry = await EntryByIdLoader.of(context).load(entry_id)
        return IntercomDoorOpenPayload(outcome=outcome, entry=entry)
