"""Root fields and node fetchers of buildings, premises and organisations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

import strawberry
from sqlalchemy import or_

from edom_graphql.buildings import models
from edom_graphql.buildings.loaders import BUILDING_COLUMNS
from edom_graphql.buildings.types import (
    Building,
    BuildingConnection,
    ManagementOrganisation,
    Premise,
)
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.db import Prepared
from edom_graphql.core.ids import pk_of
from edom_graphql.core.loaders import keys_param
from edom_graphql.core.nodes import node_fetcher
from edom_graphql.core.pagination import build_connection, keyset, page_params, page_request


async def visible_buildings(context: Context, pks: Sequence[int]) -> list[Building | None]:
    buildings = await context.loaders.building.load_many(list(pks))
    return [
        building
        if building is not None
        and await context.can_in_building(Capability.BUILDING_VIEW, building.pk)
        else None
        for building in buildings
    ]


@node_fetcher("Building")
async def fetch_buildings(context: Context, pks: Sequence[int]) -> list[Building | None]:
    return await visible_buildings(context, pks)


@node_fetcher("Premise")
async def fetch_premises(context: Context, pks: Sequence[int]) -> list[Premise | None]:
    premises = await context.loaders.premise.load_many(list(pks))
    return [
        premise
        if premise is not None
        and await context.can_in_building(Capability.BUILDING_VIEW, premise.building_pk)
        else None
        for premise in premises
    ]


@node_fetcher("ManagementOrganisation")
async def fetch_organisations(
    context: Context, pks: Sequence[int]
) -> list[ManagementOrganisation | None]:
    """An organisation is visible to its staff and to whoever sees one of its buildings."""
    profile = await context.profile()
    visible = set(profile.staff_roles)
    if profile.building_tiers:
        for building in await context.loaders.building.load_many(list(profile.building_tiers)):
            if building is not None:
                visible.add(building.organisation_id)
    organisations = await context.loaders.organisation.load_many(list(pks))
    return [
        organisation
        if organisation is not None and (organisation.pk in visible or profile.is_admin)
        else None
        for organisation in organisations
    ]


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
        (building,) = await visible_buildings(info.context, [pk])
        return building
