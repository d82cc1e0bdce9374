"""Root fields of vehicles."""

from __future__ import annotations

from typing import Annotated, Any

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.ids import expect_id
from edom_graphql.core.permissions import Target, requires
from edom_graphql.vehicles import reads, service
from edom_graphql.vehicles.types import Vehicle


def _argument_owner(source: Any, kwargs: dict[str, Any]) -> Target | None:
    return Target(user_id=expect_id(kwargs["owner_id"], "User", field="ownerId"))


@strawberry.type
class VehicleQueries:
    @strawberry.field(
        description=f"The viewer's vehicles, newest first (at most "
        f"{service.MAX_VEHICLES_PER_USER})."
    )
    async def my_vehicles(self, info: AppInfo) -> list[Vehicle]:
        context = info.context
        rows = await reads.vehicles_of(context.db, context.require_viewer())
        return [Vehicle.from_row(row) for row in rows]

    @requires(
        Capability.PERSONAL_DATA,
        _argument_owner,
        description=f"A person's vehicles, newest first (at most "
        f"{service.MAX_VEHICLES_PER_USER}): plates are personal data, for the person and "
        "the staff of the organisation of a building they belong to.",
    )
    async def vehicles(
        self,
        info: AppInfo,
        owner_id: Annotated[strawberry.ID, strawberry.argument(description="The person.")],
    ) -> list[Vehicle] | None:
        owner = expect_id(owner_id, "User", field="ownerId")
        rows = await reads.vehicles_of(info.context.db, owner)
        return [Vehicle.from_row(row) for row in rows]
