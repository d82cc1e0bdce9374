"""Root fields of buildings."""

from __future__ import annotations

from typing import Annotated

import strawberry

from edom_graphql.buildings.types import Building
from edom_graphql.core.context import AppInfo
from edom_graphql.core.ids import pk_of
from edom_graphql.core.nodes import visible


@strawberry.type
class BuildingQueries:
    @strawberry.field(description="A building by id; null if it does not exist or is not yours.")
    async def building(
        self,
        info: AppInfo,
        id: Annotated[strawberry.ID, strawberry.argument(description="The building's id.")],
    ) -> Building | None:
        info.context.require_viewer()
        pk = pk_of(id, "Building")
        if pk is None:
            return None
        (building,) = await Building.load_nodes(info.context, [pk])
        return await visible(info.context, building)
