"""Root fields of buildings: a building by id, the viewer's buildings."""

from __future__ import annotations

from typing import Annotated

import strawberry
from sqlalchemy import or_

from edom_graphql.buildings import models
from edom_graphql.buildings.loaders import BUILDING_COLUMNS
from edom_graphql.buildings.types import (
    Building,
    BuildingConnection,
)
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Prepared
from edom_graphql.core.ids import pk_of
from edom_graphql.core.loaders import keys_param
from edom_graphql.core.nodes import visible
from edom_graphql.core.pagination import build_connection, keyset, page_params, page_request


def _viewer_buildings(has_after: bool) -> Prepared:
    return Prepared(
        keyset(
            BUILDING_COLUMNS.where(
                or_(
                    models.Building.id == keys_param("tier_buildings"),
                    models.Building.organisation_id == keys_param("staff_organisations"),
                )
            ),
            (models.Building.id,),
            has_after=has_after,
        )
    )


_VIEWER_BUILDINGS = {has_after: _viewer_buildings(has_after) for has_after in (False, True)}


async def viewer_buildings(info: AppInfo, *, first: int, after: str | None) -> BuildingConnection:
    page = page_request(first, after, types=(int,))
    profile = await info.context.profile()
    rows = await info.context.db.fetch(
        _VIEWER_BUILDINGS[page.after is not None],
        tier_buildings=list(profile.building_tiers),
        staff_organisations=list(profile.staff_roles),
        **page_params(page),
    )
    items = [Building.from_row(row) for row in rows]
    for building in items:
        info.context.loaders.building.prime(building.pk, building)
    connection = build_connection(items, page, lambda building: (building.pk,))
    return BuildingConnection(edges=connection.edges, page_info=connection.page_info)


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
