"""Readings: an occupant submits a meter's readings (one per zone) in the meter's window.

The rules, in the order they are checked (each refusal changes nothing):

1. the zones given are exactly the meter's (``WRONG_ZONES``), each value a decimal
   string with at most the meter's decimal places (see :mod:`.values`);
2. the meter is in service (``METER_RETIRED``) and not past its verification date
   (``VERIFICATION_EXPIRED``: the date itself still counts, in Moscow time);
3. the meter's window is open (``WINDOW_CLOSED``, naming the next window's dates);
4. no value is below the previous period's (``BELOW_PREVIOUS``) nor above it by more than
   the plausible consumption of the months between (``IMPLAUSIBLE_JUMP``), both with the
   numbers. The previous reading is the meter's current one of the latest earlier period,
   or what it showed at installation.

A meter has one current reading per zone and period: a resubmission in the window
supersedes it (the old row stays as history). Submissions for one meter are serialised
by a lock on the meter's row, so racing ones are applied one after the other; the partial
unique index of current readings backs that up. The submitter earns the city points of a
meter reading once per meter and period, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.meters.models import (
    UNITS,
    WINDOW_OF_KIND,
    ZONES,
    Meter,
    MeterKind,
    MeterPlausibilityLimit,
    MeterReading,
    MeterReadingSource,
    MeterZone,
)
from edom_graphql.meters.service.values import parse_value, written
from edom_graphql.meters.service.windows import (
    current_window,
    month_of,
    months_between,
    moscow_date,
    period_label,
)
from edom_graphql.points.models import AwardReason
from edom_graphql.points.service.ledger import award

KIND_NAMES = {
    MeterKind.COLD_WATER: "cold water",
    MeterKind.HOT_WATER: "hot water",
    MeterKind.ELECTRICITY: "electricity",
}
A_METER = {
    MeterKind.COLD_WATER: "a cold water meter",
    MeterKind.HOT_WATER: "a hot water meter",
    MeterKind.ELECTRICITY: "an electricity meter",
}


@dataclass(frozen=True, slots=True)
class GivenReading:
    """A reading as the client gave it."""

    zone: MeterZone
    value: str


@dataclass(frozen=True, slots=True)
class LockedMeter:
    id: int
    premise_id: int
    building_id: int
    kind: MeterKind
    zones: int
    installed_on: date
    next_verification_on: date
    precision: int
    retired_at: datetime | None
    max_per_month: Decimal | None
    """The plausible consumption of a month for its kind (None: no limit)."""

    @property
    def zone_list(self) -> tuple[MeterZone, ...]:
        return ZONES[: self.zones]


@dataclass(frozen=True, slots=True)
class Submitted:
    period: date
    reading_ids: list[int]
    points: int
    """City points awarded for it (0 when this meter's period was rewarded before)."""


async def lock_meter(session: AsyncSession, meter_id: int) -> LockedMeter | None:
    """The meter with its kind's plausibility limit, its row locked until the transaction
    ends."""
    row = (
        await session.execute(
            select(
                Meter.id,
                Meter.premise_id,
                Meter.building_id,
                Meter.kind,
                Meter.zones,
                Meter.installed_on,
                Meter.next_verification_on,
                Meter.precision,
                Meter.retired_at,
                MeterPlausibilityLimit.max_per_month,
            )
            .outerjoin(MeterPlausibilityLimit, MeterPlausibilityLimit.kind == Meter.kind)
            .where(Meter.id == meter_id)
            .with_for_update(of=Meter)
        )
    ).first()
    return LockedMeter(**row._asdict()) if row is not None else None


def parse_readings(
    given: Sequence[GivenReading], zones: Sequence[MeterZone], precision: int, *, field: str
) -> dict[MeterZone, Decimal]:
    """One value per zone of the meter, from exactly one reading of each."""
    if sorted(r.zone.value for r in given) != [zone.value for zone in zones]:
        names = ", ".join(zone.value for zone in zones)
        raise ServiceError(
            "WRONG_ZONES",
            f"This meter has the zone{'s' if len(zones) > 1 else ''} {names}: give one "
            "reading of each.",
            [field],
        )
    return {
        reading.zone: parse_value(
            reading.value, precision=precision, field=[field, str(index), "value"]
        )
        for index, reading in enumerate(given)
    }


def check_in_service(meter: LockedMeter, now: datetime) -> None:
    if meter.retired_at is not None:
        raise ServiceError("METER_RETIRED", "This meter has been taken out of service.", None)
    if meter.next_verification_on < moscow_date(now):
        raise ServiceError(
            "VERIFICATION_EXPIRED",
            f"This meter was due for verification on {meter.next_verification_on.isoformat()}: "
            "it takes no readings until it is verified or replaced.",
            None,
        )


@dataclass(frozen=True, slots=True)
class Previous:
    value: Decimal
    period: date | None
    """None: what the meter showed at installation."""


@dataclass(frozen=True, slots=True)
class Around:
    """A meter's current readings around a period, per zone."""

    previous: dict[MeterZone, Previous]
    """The latest before the period (``including`` it: up to it), else the installation's."""
    current: frozenset[MeterZone]
    """The zones with a current reading of the period itself (to be superseded)."""


async def readings_around(
    session: AsyncSession, meter_id: int, period: date, *, including: bool = False
) -> Around:
    """The meter's current readings up to ``period``: one statement."""
    ranked = (
        select(
            MeterReading.zone,
            MeterReading.value,
            MeterReading.period,
            func.row_number()
            .over(
                partition_by=MeterReading.zone,
                order_by=MeterReading.period.desc().nulls_last(),
            )
            .label("latest"),
        )
        .where(
            MeterReading.meter_id == meter_id,
            MeterReading.superseded_at.is_(None),
            (MeterReading.period <= period) | MeterReading.period.is_(None),
        )
        .subquery("ranked")
    )
    rows = await session.execute(
        select(ranked.c.zone, ranked.c.value, ranked.c.period)
        .where(ranked.c.latest <= 2)
        .order_by(ranked.c.zone, ranked.c.latest)
    )
    previous: dict[MeterZone, Previous] = {}
    current: set[MeterZone] = set()
    for zone, value, earlier in rows:
        if earlier == period:
            current.add(zone)
            if not including:
                continue
        previous.setdefault(zone, Previous(value, earlier))
    return Around(previous, frozenset(current))


async def check_against_previous(
    session: AsyncSession,
    meter: LockedMeter,
    values: Mapping[MeterZone, Decimal],
    *,
    period: date,
    field: str,
    including: bool = False,
) -> frozenset[MeterZone]:
    """``BELOW_PREVIOUS`` or ``IMPLAUSIBLE_JUMP`` for the first value that is; else the
    zones that have a current reading of the period."""
    around = await readings_around(session, meter.id, period, including=including)
    limit = meter.max_per_month
    unit = UNITS[meter.kind]
    zones = list(values)
    for zone, value in values.items():
        before = around.previous.get(zone)
        if before is None:
            continue
        where = [field, str(zones.index(zone)), "value"]
        shown = written(value, meter.precision)
        earlier = written(before.value, meter.precision)
        when = period_label(before.period) if before.period else "at installation"
        if value < before.value:
            raise ServiceError(
                "BELOW_PREVIOUS",
                f"The {zone.value} reading {shown} {unit} is below the previous one, "
                f"{earlier} {unit} ({when}).",
                where,
            )
        since = before.period or month_of(meter.installed_on)
        months = max(1, months_between(since, period))
        if limit is not None and value - before.value > limit * months:
            plausible = written(limit * months, meter.precision)
            raise ServiceError(
                "IMPLAUSIBLE_JUMP",
                f"The {zone.value} reading {shown} {unit} is "
                f"{written(value - before.value, meter.precision)} {unit} above the previous "
                f"one, {earlier} {unit} ({when}): more than the plausible {plausible} {unit} "
                f"of {months} month{'s' if months > 1 else ''} for {A_METER[meter.kind]}.",
                where,
            )
    return around.current


async def record(
    session: AsyncSession,
    meter: LockedMeter,
    values: Mapping[MeterZone, Decimal],
    *,
    period: date | None,
    source: MeterReadingSource,
    user_id: int,
    now: datetime,
    superseding: Collection[MeterZone] = (),
) -> list[int]:
    """Write the readings, superseding the current ones of the period in the zones
    ``superseding``: their ids."""
    if period is not None and superseding:
        await session.execute(
            update(MeterReading)
            .where(
                MeterReading.meter_id == meter.id,
                MeterReading.zone.in_(list(superseding)),
                MeterReading.period == period,
                MeterReading.superseded_at.is_(None),
            )
            .values(superseded_at=now)
        )
    ids = await session.execute(
        insert(MeterReading).returning(MeterReading.id),
        [
            {
                "meter_id": meter.id,
                "building_id": meter.building_id,
                "zone": zone,
                "period": period,
                "value": value,
                "source": source,
                "submitted_by_id": user_id,
                "submitted_at": now,
            }
            for zone, value in values.items()
        ],
    )
    return [int(reading_id) for reading_id in ids.scalars()]


async def submit(
    session: AsyncSession,
    outbox: Outbox,
    *,
    meter_id: int,
    user_id: int,
    readings: Sequence[GivenReading],
    now: datetime,
) -> Submitted:
    """Submit an occupant's readings of a meter for the window open at ``now``."""
    meter = await lock_meter(session, meter_id)
    if meter is None:
        raise ServiceError("METER_RETIRED", "There is no such meter.", ["meterId"])
    values = parse_readings(readings, meter.zone_list, meter.precision, field="readings")
    check_in_service(meter, now)
    window = current_window(WINDOW_OF_KIND[meter.kind], now)
    if not window.is_open(now):
        raise ServiceError(
            "WINDOW_CLOSED",
            f"Readings of {KIND_NAMES[meter.kind]} meters are not accepted now; the next "
            f"window is {window.describe()}.",
            None,
        )
    current = await check_against_previous(
        session, meter, values, period=window.period, field="readings"
    )
    ids = await record(
        session,
        meter,
        values,
        period=window.period,
        source=MeterReadingSource.SUBMITTED,
        user_id=user_id,
        now=now,
        superseding=current,
    )
    entry = await award(
        session,
        outbox,
        user_id=user_id,
        reason=AwardReason.METER_READING,
        source_key=f"meter-reading:{meter.id}:{period_label(window.period)}",
    )
    return Submitted(window.period, ids, entry.amount if entry is not None else 0)


__all__ = [
    "Around",
    "GivenReading",
    "LockedMeter",
    "Submitted",
    "check_against_previous",
    "check_in_service",
    "lock_meter",
    "parse_readings",
    "record",
    "submit",
]
