"""GraphQL types of meters: a meter with its window, readings history and consumption,
a reading, and ``Premise.meters``.

Reading values travel as decimal strings with exactly the meter's decimal places
(``"123.450"``), in both directions; periods as ``"YYYY-MM"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from edom_graphql.buildings.types import Building, Premise, PremiseByIdLoader
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.errors import BadUserInput
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader, ListByKeyLoader, PageLoader, later
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import After, Connection, First, build_connection, page_request
from edom_graphql.core.permissions import requires
from edom_graphql.core.profile import allows_at_premise
from edom_graphql.meters import access, reads
from edom_graphql.meters.models import (
    UNITS,
    WINDOW_OF_KIND,
    ZONES,
    MeterKind,
    MeterReadingSource,
    MeterZone,
)
from edom_graphql.meters.reads import ConsumptionLoader
from edom_graphql.meters.service.values import written
from edom_graphql.meters.service.windows import (
    add_months,
    current_window,
    last_opened_period,
    moscow_date,
    period_label,
)
from edom_graphql.residents.types.users import User, UserByIdLoader

MAX_PERIODS = 60

graphql_enum(
    MeterKind,
    "What a meter counts.",
    {
        MeterKind.COLD_WATER: "Cold water, m³.",
        MeterKind.HOT_WATER: "Hot water, m³.",
        MeterKind.ELECTRICITY: "Electricity, kWh, in one to three tariff zones.",
    },
)
graphql_enum(
    MeterZone,
    "A tariff zone of a meter; a water meter has T1 only.",
    {
        MeterZone.T1: "The only zone of a single-zone meter; day (peak) on a multi-zone one.",
        MeterZone.T2: "Night.",
        MeterZone.T3: "Half-peak (three-zone meters).",
    },
)
graphql_enum(
    MeterReadingSource,
    "Who took a reading, and when.",
    {
        MeterReadingSource.SUBMITTED: "Submitted by an occupant of the premise in a window.",
        MeterReadingSource.INSTALLATION: "What the meter showed when it was installed.",
        MeterReadingSource.REMOVAL: "What the meter showed when it was taken out of service.",
    },
)


@strawberry.type(description="A reading window of a meter, in Moscow time.")
class MeterWindow:
    period: str = strawberry.field(description='The period it is for ("YYYY-MM").')
    opens_at: datetime = strawberry.field(description="The first instant readings are accepted.")
    closes_at: datetime = strawberry.field(
        description="The last second readings are accepted (23:59:59 Moscow time)."
    )
    is_open: bool = strawberry.field(description="Readings are accepted now.")


@strawberry.type(description="A meter's current reading of one zone for a period.")
class MeterConsumption:
    period: str = strawberry.field(description='The period ("YYYY-MM").')
    zone: MeterZone = strawberry.field(description="The zone.")
    reading: str = strawberry.field(description="The reading, a decimal string.")
    consumption: str | None = strawberry.field(
        description="How much more than the reading before it (an earlier period's, or the "
        "installation reading), a decimal string; null when there is none."
    )


@strawberry.type(description="A reading of one zone of a meter.")
class MeterReading(Node):
    pk: strawberry.Private[int]
    meter_pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    submitted_by_pk: strawberry.Private[int]
    zone: MeterZone = strawberry.field(description="The zone read.")
    period: str | None = strawberry.field(
        description='The period it counts for ("YYYY-MM"); null for an installation reading.'
    )
    value: str = strawberry.field(
        description="The reading, a decimal string with the meter's decimal places."
    )
    source: MeterReadingSource = strawberry.field(description="Who took it, and when.")
    submitted_at: datetime = strawberry.field(description="When it was given.")
    superseded_at: datetime | None = strawberry.field(
        description="When a later reading of the same period replaced it; null while current."
    )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> MeterReading:
        """Of a row of ``reads.READING_COLUMNS``."""
        period: date | None = row[5]
        return cls(
            id=strawberry.ID(encode_id("MeterReading", row[0])),
            pk=row[0],
            meter_pk=row[1],
            premise_pk=row[2],
            zone=MeterZone(row[4]),
            period=period_label(period) if period is not None else None,
            value=written(row[6], row[3]),
            source=MeterReadingSource(row[7]),
            submitted_by_pk=row[8],
            submitted_at=row[9],
            superseded_at=row[10],
        )

    @classmethod
    async def load_nodes(
        cls, context: Context, pks: Sequence[int]
    ) -> Sequence[MeterReading | None]:
        return await ReadingByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: MeterReading) -> Verdict:
        return access.reading_visible(context, node)

    @strawberry.field(description="Whether it is the current reading of its period.")
    def is_current(self) -> bool:
        return self.superseded_at is None

    @strawberry.field(description="The meter read.")
    def meter(self, info: AppInfo) -> Meter:
        return later(MeterByIdLoader.of(info.context).load(self.meter_pk))

    @strawberry.field(description="Who gave it; null if they are not visible to you.")
    async def submitted_by(self, info: AppInfo) -> User | None:
        return await UserByIdLoader.of(info.context).load(self.submitted_by_pk)


@strawberry.type(description="A page of a meter's readings, newest first.")
class MeterReadingConnection(Connection[MeterReading]):
    pass


@strawberry.type(description="A water or electricity meter of a premise.")
class Meter(Node):
    pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    replaced_by_pk: strawberry.Private[int | None]
    kind: MeterKind = strawberry.field(description="What it counts.")
    zones: list[MeterZone] = strawberry.field(description="Its tariff zones, in order.")
    serial_number: str = strawberry.field(description="The serial number on the meter.")
    installed_on: date = strawberry.field(description="When it was installed.")
    next_verification_on: date = strawberry.field(
        description="Its next verification is due by this date; after it, it takes no readings."
    )
    precision: int = strawberry.field(description="Decimal places of its readings.")
    unit: str = strawberry.field(description='What it counts in: "m³" or "kWh".')
    registered_at: datetime = strawberry.field(description="When it was registered.")
    retired_at: datetime | None = strawberry.field(
        description="When it was taken out of service; null while in service."
    )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Meter:
        """Of a row of ``reads.METER_COLUMNS``."""
        kind = MeterKind(row[3])
        return cls(
            id=strawberry.ID(encode_id("Meter", row[0])),
            pk=row[0],
            premise_pk=row[1],
            building_pk=row[2],
            kind=kind,
            zones=list(ZONES[: row[4]]),
            serial_number=row[5],
            installed_on=row[6],
            next_verification_on=row[7],
            precision=row[8],
            unit=UNITS[kind],
            registered_at=row[9],
            retired_at=row[10],
            replaced_by_pk=row[11],
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Meter | None]:
        return await MeterByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Meter) -> Verdict:
        return access.meter_visible(context, node)

    @strawberry.field(description="The premise it is in.")
    def premise(self, info: AppInfo) -> Premise:
        return later(PremiseByIdLoader.of(info.context).load(self.premise_pk))

    @strawberry.field(description="Its verification date has passed (Moscow time).")
    def verification_expired(self, info: AppInfo) -> bool:
        return self.next_verification_on < moscow_date(info.context.now)

    @strawberry.field(
        description="The meter that replaced it, if it was replaced (its history goes on there)."
    )
    def replaced_by(self, info: AppInfo) -> Meter | None:
        if self.replaced_by_pk is None:
            return None
        return later(MeterByIdLoader.of(info.context).load(self.replaced_by_pk))

    @strawberry.field(description="The meter it replaced, if any (with the earlier history).")
    async def replaces(self, info: AppInfo) -> Meter | None:
        return await ReplacedMeterLoader.of(info.context).load(self.pk)

    @strawberry.field(
        description="Its reading window open now, or else the next one (water meters: the "
        "15th to the 3rd of the next month; electricity: the 15th to the 26th; Moscow time)."
    )
    def current_window(self, info: AppInfo) -> MeterWindow:
        now = info.context.now
        window = current_window(WINDOW_OF_KIND[self.kind], now)
        return MeterWindow(
            period=period_label(window.period),
            opens_at=window.opens_at,
            closes_at=window.closes_at,
            is_open=window.is_open(now),
        )

    @strawberry.field(
        description="The latest current reading of each zone (the installation reading "
        "until there is another)."
    )
    def last_readings(self, info: AppInfo) -> list[MeterReading]:
        return later(LastReadingsLoader.of(info.context).load(self.pk))

    @strawberry.field(
        description="Its readings, newest first, superseded ones included: its history."
    )
    async def readings(
        self, info: AppInfo, first: First, after: After = None
    ) -> MeterReadingConnection:
        page = page_request(first, after, types=(int,))
        items = await ReadingsOfMeterLoader.of(info.context).load((self.pk, page, ()))
        connection = build_connection(items, page, lambda reading: (reading.pk,))
        return MeterReadingConnection(edges=connection.edges, page_info=connection.page_info)

    @strawberry.field(
        description="Its current readings per period and zone, with the consumption since "
        "the reading before, for the latest periods, newest first."
    )
    async def consumption(
        self,
        info: AppInfo,
        periods: Annotated[
            int,
            strawberry.argument(
                description=f"How many periods back from the latest opened one (1–{MAX_PERIODS})."
            ),
        ] = 12,
    ) -> list[MeterConsumption]:
        if not 1 <= periods <= MAX_PERIODS:
            raise BadUserInput(f"`periods` must be between 1 and {MAX_PERIODS}.", field="periods")
        since = add_months(last_opened_period(info.context.now), 1 - periods)
        rows = await ConsumptionLoader.of(info.context).load((self.pk, since))
        return [
            MeterConsumption(
                period=period_label(row.period),
                zone=row.zone,
                reading=written(row.value, self.precision),
                consumption=written(row.value - row.previous, self.precision)
                if row.previous is not None
                else None,
            )
            for row in rows
        ]


# -- Premise.meters -------------------------------------------------------------------


def _meters_read_ahead(premise: Premise) -> list[Meter] | None:
    found: list[Meter] | None = premise.read_ahead.get("meters")
    return found


@strawberry.type
class PremiseMeters:
    """``Premise.meters``: read for a whole page of premises at once (:func:`read_meters`)."""

    @requires(
        access.RECORDS,
        access.source_premise,
        description="The premise's meters, those in service first (by kind), then retired "
        "ones: for its occupants down to elevated guests and the building's staff.",
        prefetched=_meters_read_ahead,
    )
    def meters(self: Premise, info: AppInfo) -> list[Meter] | None:
        meters = _meters_read_ahead(self)
        if meters is not None:
            return meters
        return later(MetersOfPremiseLoader.of(info.context).load(self.pk))


async def read_meters(context: Context, building: Building, premises: Sequence[Premise]) -> None:
    """The meters of a page of a building's premises, from one statement: decide, without
    further reads, which premises' meters the viewer may see, and attach theirs."""
    profile = await context.profile()
    allowed = []
    for premise in premises:
        verdict = allows_at_premise(
            profile,
            access.RECORDS,
            premise_id=premise.pk,
            building_id=building.pk,
            organisation_id=building.organisation_id,
        )
        context.remember(access.RECORDS, verdict, premise_id=premise.pk)
        if verdict:
            allowed.append(premise)
    found = await MetersOfPremiseLoader.of(context).load_many([p.pk for p in allowed])
    for premise, meters in zip(allowed, found, strict=True):
        premise.read_ahead["meters"] = meters


# -- loaders --------------------------------------------------------------------------


class MeterByIdLoader(ByIdLoader[Meter]):
    query = reads.METER_BY_ID
    convert = Meter.from_row


class ReplacedMeterLoader(ByIdLoader[Meter]):
    """The meter each key replaced (None if it replaced none)."""

    query = reads.METER_REPLACED_BY
    convert = Meter.from_row


class MetersOfPremiseLoader(ListByKeyLoader[Meter]):
    query = reads.METERS_OF_PREMISE
    convert = Meter.from_row


class ReadingByIdLoader(ByIdLoader[MeterReading]):
    query = reads.READING_BY_ID
    convert = MeterReading.from_row


class LastReadingsLoader(ListByKeyLoader[MeterReading]):
    query = reads.LAST_READINGS
    convert = MeterReading.from_row


class ReadingsOfMeterLoader(PageLoader[MeterReading]):
    children = reads.READINGS_OF_METER
    convert = MeterReading.from_row


async def meter_by_id(context: Context, meter_id: int) -> Meter | None:
    """The meter, read as it is now (its gatekeeper decides who sees it)."""
    return await MeterByIdLoader.of(context).load(meter_id)


async def readings_by_id(context: Context, reading_ids: Sequence[int]) -> list[MeterReading]:
    found = await ReadingByIdLoader.of(context).load_many(list(reading_ids))
    return [reading for reading in found if reading is not None]


__all__ = [
    "Meter",
    "MeterByIdLoader",
    "MeterConsumption",
    "MeterReading",
    "MeterReadingConnection",
    "MeterWindow",
    "PremiseMeters",
    "meter_by_id",
    "read_meters",
    "readings_by_id",
]
