"""Every read of meters for the API: meters by id and by premise, readings by id, a
meter's history page, its latest readings, consumption per period, and where a meter is
(for access decisions)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import ColumnElement, Date, bindparam, func, select

from edom_graphql.core.db import Prepared
from edom_graphql.core.loaders import KeyedQuery, Loader, PagedChildren, keys_param
from edom_graphql.core.pagination import AnySelect, keyset_desc
from edom_graphql.meters.models import Meter, MeterReading, MeterZone

METER_COLUMNS = select(
    Meter.id,
    Meter.premise_id,
    Meter.building_id,
    Meter.kind,
    Meter.zones,
    Meter.serial_number,
    Meter.installed_on,
    Meter.next_verification_on,
    Meter.precision,
    Meter.created_at,
    Meter.retired_at,
    Meter.replaced_by_id,
)
METER_BY_ID = KeyedQuery(METER_COLUMNS, Meter.id)
METERS_OF_PREMISE = KeyedQuery(
    METER_COLUMNS.order_by(
        Meter.premise_id,
        Meter.retired_at.is_not(None),
        Meter.retired_at.desc(),
        Meter.kind,
        Meter.id,
    ),
    Meter.premise_id,
)
"""A premise's meters: those in service first (by kind), then retired ones, latest first."""
METER_REPLACED_BY = KeyedQuery(METER_COLUMNS, Meter.replaced_by_id)
"""The meter that the key replaced."""

READING_COLUMNS = select(
    MeterReading.id,
    MeterReading.meter_id,
    Meter.premise_id,
    Meter.precision,
    MeterReading.zone,
    MeterReading.period,
    MeterReading.value,
    MeterReading.source,
    MeterReading.submitted_by_id,
    MeterReading.submitted_at,
    MeterReading.superseded_at,
).join(Meter, Meter.id == MeterReading.meter_id)
READING_BY_ID = KeyedQuery(READING_COLUMNS, MeterReading.id)
_LATEST = (
    READING_COLUMNS.add_columns(
        func.row_number()
        .over(
            partition_by=(MeterReading.meter_id, MeterReading.zone),
            order_by=MeterReading.period.desc().nulls_last(),
        )
        .label("latest")
    )
    .where(MeterReading.superseded_at.is_(None))
    .subquery("latest")
)
LAST_READINGS = KeyedQuery(
    select(*list(_LATEST.c)[:-1])
    .where(_LATEST.c.latest == 1)
    .order_by(_LATEST.c.meter_id, _LATEST.c.zone),
    _LATEST.c.meter_id,
)
"""The latest current reading of each zone of a meter (the installation reading while
there is no other)."""


def _readings_page(
    meter_id: ColumnElement[int], has_after: bool, present: tuple[bool, ...]
) -> AnySelect:
    statement = READING_COLUMNS.where(MeterReading.meter_id == meter_id)
    return keyset_desc(statement, (MeterReading.id,), has_after=has_after)


READINGS_OF_METER = PagedChildren(_readings_page)
"""A page of a meter's readings, newest first, superseded ones included (its history)."""


# -- consumption ------------------------------------------------------------------------

_CURRENT = (
    select(
        MeterReading.meter_id,
        MeterReading.zone,
        MeterReading.period,
        MeterReading.value,
        func.lag(MeterReading.value)
        .over(
            partition_by=(MeterReading.meter_id, MeterReading.zone),
            order_by=MeterReading.period.asc().nulls_first(),
        )
        .label("previous"),
    )
    .where(MeterReading.meter_id == keys_param(), MeterReading.superseded_at.is_(None))
    .subquery("current")
)
_CONSUMPTION = Prepared(
    select(_CURRENT)
    .where(_CURRENT.c.period >= bindparam("since", type_=Date))
    .order_by(_CURRENT.c.meter_id, _CURRENT.c.period.desc(), _CURRENT.c.zone)
)


@dataclass(frozen=True, slots=True)
class PeriodReading:
    """A meter's current reading of one zone for a period, and the reading before it
    (an earlier period's, or the installation reading; None if there is neither)."""

    zone: MeterZone
    period: date
    value: Decimal
    previous: Decimal | None


class ConsumptionLoader(Loader[tuple[int, date], list[PeriodReading]]):
    """``(meter, since)``: the meter's current readings from period ``since`` on, newest
    period first; one statement per distinct ``since`` of a batch."""

    async def batch_load_fn(self, keys: list[tuple[int, date]]) -> list[list[PeriodReading]]:
        by_since: dict[date, list[int]] = defaultdict(list)
        for meter_id, since in keys:
            by_since[since].append(meter_id)
        found: dict[tuple[int, date], list[PeriodReading]] = defaultdict(list)
        for since, meter_ids in by_since.items():
            for meter_id, zone, period, value, previous in await self.db.fetch(
                _CONSUMPTION, keys=sorted(set(meter_ids)), since=since
            ):
                found[(meter_id, since)].append(
                    PeriodReading(MeterZone(zone), period, value, previous)
                )
        return [found.get(key, []) for key in keys]


# -- where a meter is -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeterRef:
    pk: int
    premise_pk: int
    building_pk: int


_REFS = Prepared(
    select(Meter.id, Meter.premise_id, Meter.building_id).where(Meter.id == keys_param())
)


class MeterRefLoader(Loader[int, MeterRef | None]):
    """The premise and building of each meter (None where there is no such meter)."""

    async def batch_load_fn(self, keys: list[int]) -> list[MeterRef | None]:
        found: dict[int, MeterRef] = {
            int(row[0]): MeterRef(int(row[0]), int(row[1]), int(row[2]))
            for row in await self.db.fetch(_REFS, keys=keys)
        }
        return [found.get(key) for key in keys]


__all__ = [
    "LAST_READINGS",
    "METERS_OF_PREMISE",
    "METER_BY_ID",
    "METER_COLUMNS",
    "METER_REPLACED_BY",
    "READINGS_OF_METER",
    "READING_BY_ID",
    "ConsumptionLoader",
    "MeterRef",
    "MeterRefLoader",
    "PeriodReading",
]
