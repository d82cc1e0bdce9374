"""Batch loaders of buildings, premises and organisations."""

from __future__ import annotations

from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, bindparam, func, select

from edom_graphql.buildings import models
from edom_graphql.buildings.models import PremiseKind, premise_kind
from edom_graphql.buildings.types import Building, ManagementOrganisation, Premise
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import (
    KeyedQuery,
    PageByParentLoader,
    PagedChildren,
    RowByKeyLoader,
    keys_param,
)
from edom_graphql.core.pagination import AnySelect, keyset

BUILDING_COLUMNS = select(
    models.Building.id,
    models.Building.organisation_id,
    models.Building.address,
    models.Building.latitude,
    models.Building.longitude,
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

BUILDING_BY_ID = KeyedQuery(BUILDING_COLUMNS, models.Building.id, Building.from_row)
PREMISE_BY_ID = KeyedQuery(PREMISE_COLUMNS, models.Premise.id, Premise.from_row)
ORGANISATION_BY_ID = KeyedQuery(
    ORGANISATION_COLUMNS, models.ManagementOrganisation.id, ManagementOrganisation.from_row
)


def _premises_page(
    building_id: ColumnElement[int], has_after: bool, present: tuple[bool, ...]
) -> AnySelect:
    statement = PREMISE_COLUMNS.where(models.Premise.building_id == building_id)
    if present[0]:
        statement = statement.where(models.Premise.kind == bindparam("kind", type_=premise_kind))
    return keyset(statement, PREMISE_ORDER, has_after=has_after)


PREMISES_OF_BUILDING = PagedChildren(_premises_page, Premise.from_row, ("kind",))

PREMISE_COUNTS = Prepared(
    select(models.Premise.building_id, models.Premise.kind, func.count())
    .where(models.Premise.building_id == keys_param())
    .group_by(models.Premise.building_id, models.Premise.kind)
)


def building_loader(db: Database) -> RowByKeyLoader[Building]:
    return RowByKeyLoader(db, BUILDING_BY_ID)


def premise_loader(db: Database) -> RowByKeyLoader[Premise]:
    return RowByKeyLoader(db, PREMISE_BY_ID)


def organisation_loader(db: Database) -> RowByKeyLoader[ManagementOrganisation]:
    return RowByKeyLoader(db, ORGANISATION_BY_ID)


def premises_page_loader(db: Database) -> PageByParentLoader[Premise]:
    return PageByParentLoader(db, PREMISES_OF_BUILDING)


class PremiseCountLoader(DataLoader[tuple[int, Any], int]):
    """Counts premises per (building, kind filter)."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db

    async def batch_load_fn(self, keys: list[tuple[int, Any]]) -> list[int]:
        rows = await self._db.fetch(PREMISE_COUNTS, keys=list({building for building, _ in keys}))
        counts: dict[tuple[int, Any], int] = {}
        for building_id, kind, count in rows:
            kind = PremiseKind(kind)
            counts[(building_id, kind)] = count
            counts[(building_id, None)] = counts.get((building_id, None), 0) + count
        return [counts.get(key, 0) for key in keys]


__all__ = [
    "Building",
    "ManagementOrganisation",
    "PageByParentLoader",
    "Premise",
    "PremiseCountLoader",
    "RowByKeyLoader",
]
