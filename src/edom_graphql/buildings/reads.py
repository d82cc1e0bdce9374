"""Every read of buildings, premises and management organisations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Double, bindparam, cast, func, or_, select

from edom_graphql.buildings import models
from edom_graphql.buildings.models import PremiseKind, premise_kind
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery, Loader, PagedChildren, keys_param
from edom_graphql.core.pagination import AnySelect, PageRequest, keyset, page_params

BUILDING_COLUMNS = select(
    models.Building.id,
    models.Building.organisation_id,
    models.Building.address,
    # A location is shown as floats: PostgreSQL's cast gives the double nearest to the
    # stored decimal, as float() of it would, without a Decimal made for each.
    cast(models.Building.latitude, Double).label("latitude"),
    cast(models.Building.longitude, Double).label("longitude"),
    models.Building.total_area,
    models.Building.intercom_capable,
)
PREMISE_COLUMNS = select(
    models.Premise.id,
    models.Premise.building_id,
    models.Premise.number_sort,
    models.Premise.number,
    models.Premise.kind,
    models.Premise.area,
    models.Premise.entrance,
    models.Premise.floor,
)
ORGANISATION_COLUMNS = select(
    models.ManagementOrganisation.id,
    models.ManagementOrganisation.name,
    models.ManagementOrganisation.inn,
    models.ManagementOrganisation.phone,
)
PREMISE_ORDER = (models.Premise.number_sort, models.Premise.number, models.Premise.id)

BUILDING_BY_ID = KeyedQuery(
    BUILDING_COLUMNS.add_columns(*ORGANISATION_COLUMNS.selected_columns).outerjoin_from(
        models.Building,
        models.ManagementOrganisation,
        models.ManagementOrganisation.id == models.Building.organisation_id,
    ),
    models.Building.id,
)
"""Buildings with their management organisation's columns (:data:`BUILDING_ORGANISATION`):
a building is rarely shown without who manages it, and the organisation then takes no
statement of its own."""
BUILDING_ORGANISATION = slice(
    len(BUILDING_COLUMNS.selected_columns),
    len(BUILDING_COLUMNS.selected_columns) + len(ORGANISATION_COLUMNS.selected_columns),
)
PREMISE_BY_ID = KeyedQuery(PREMISE_COLUMNS, models.Premise.id)
ORGANISATION_BY_ID = KeyedQuery(ORGANISATION_COLUMNS, models.ManagementOrganisation.id)
ORGANISATIONS_OF_BUILDINGS = Prepared(
    select(models.Building.id, models.Building.organisation_id).where(
        models.Building.id == keys_param()
    )
)
"""``(building, organisation)`` of each building."""


def premises_page(
    building_id: ColumnElement[int], has_after: bool, present: tuple[bool, ...]
) -> AnySelect:
    statement = PREMISE_COLUMNS.where(models.Premise.building_id == building_id)
    if present[0]:
        statement = statement.where(models.Premise.kind == bindparam("kind", type_=premise_kind))
    return keyset(statement, PREMISE_ORDER, has_after=has_after)


PREMISES_OF_BUILDING = PagedChildren(premises_page, ("kind",))

_PREMISE_COUNTS = Prepared(
    select(models.Premise.building_id, models.Premise.kind, func.count())
    .where(models.Premise.building_id == keys_param())
    .group_by(models.Premise.building_id, models.Premise.kind)
)


class PremiseCountLoader(Loader[tuple[int, PremiseKind | None], int]):
    """Premises per building, of one kind or (None) of every kind."""

    async def batch_load_fn(self, keys: list[tuple[int, PremiseKind | None]]) -> list[int]:
        buildings = list({building for building, _ in keys})
        counts: dict[tuple[int, PremiseKind | None], int] = {}
        for building_id, kind, count in await self.db.fetch(_PREMISE_COUNTS, keys=buildings):
            counts[(building_id, PremiseKind(kind))] = count
            counts[(building_id, None)] = counts.get((building_id, None), 0) + count
        return [counts.get(key, 0) for key in keys]


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


async def buildings_of(
    db: Database, *, tier_buildings: list[int], staff_organisations: list[int], page: PageRequest
) -> list[Any]:
    """A page of the buildings where someone has a tier or works for the organisation."""
    return list(
        await db.fetch(
            _VIEWER_BUILDINGS[page.after is not None],
            tier_buildings=tier_buildings,
            staff_organisations=staff_organisations,
            **page_params(page),
        )
    )
