"""The demo's meters in Tverskaya 7: every apartment has a cold and a hot water meter and
an electricity meter (two-zone in even-numbered apartments), installed three years ago by
the organisation's engineer. In apartments 1 to 8 an occupant submitted the readings of
the last six closed windows of each kind (the others' occupants have not used the
platform yet). Apartment 1's cold water meter was replaced three periods ago (the old
one's history stays, linked to its successor), and apartment 3's hot water meter is past
its verification date, so it takes no readings now.

They are written by the domain's own service at the moments they would have happened,
so the demo's data is what the platform itself would have written (points for each
reading included). The windows open now, if any, are left for the demo's people.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import Premise, PremiseKind
from edom_graphql.core.db import Database, Outbox
from edom_graphql.meters.models import WINDOW_OF_KIND, ZONES, MeterKind
from edom_graphql.meters.service import meters, readings
from edom_graphql.meters.service.readings import GivenReading
from edom_graphql.meters.service.windows import (
    add_months,
    last_opened_period,
    month_of,
    months_between,
    moscow_date,
    window_of,
)

HISTORY = 6
"""Closed windows of each kind with readings."""
WITH_HISTORY = range(1, 9)
"""The apartments whose occupants submitted readings."""
INSTALLED_YEARS_AGO = 3


@dataclass(frozen=True, slots=True)
class Plan:
    """How a demo meter counts: its readings at installation and per month, by zone."""

    kind: MeterKind
    start: tuple[Decimal, ...]
    per_month: tuple[Decimal, ...]
    precision: int

    def value(self, zone: int, months: int) -> str:
        raw = self.start[zone] + self.per_month[zone] * months
        return str(raw.quantize(Decimal(1).scaleb(-self.precision)))


def plans(number: int) -> list[Plan]:
    """The meters of apartment ``number``."""
    n = Decimal(number)
    power = (
        Plan(
            MeterKind.ELECTRICITY,
            (Decimal(4000) + 50 * n, Decimal(1500) + 20 * n),
            (Decimal(180) + n, Decimal(70) + n / 2),
            1,
        )
        if number % 2 == 0
        else Plan(MeterKind.ELECTRICITY, (Decimal(5200) + 40 * n,), (Decimal(230) + n,), 1)
    )
    return [
        Plan(
            MeterKind.COLD_WATER,
            (Decimal(100) + 7 * n,),
            (Decimal("4.2") + Decimal("0.9") * (number % 3),),
            3,
        ),
        Plan(
            MeterKind.HOT_WATER,
            (Decimal(60) + 3 * n,),
            (Decimal("2.6") + Decimal("0.5") * (number % 4),),
            3,
        ),
        power,
    ]


def closed_periods(kind: MeterKind, now: datetime) -> list[date]:
    """The periods of the last :data:`HISTORY` windows of ``kind`` closed by ``now``."""
    window_kind = WINDOW_OF_KIND[kind]
    period = last_opened_period(now)
    if window_of(window_kind, period).ends_at > now:
        period = add_months(period, -1)
    return [add_months(period, -back) for back in range(HISTORY - 1, -1, -1)]


def _given(plan: Plan, months: int, zones: int) -> list[GivenReading]:
    return [GivenReading(ZONES[z], plan.value(z, months)) for z in range(zones)]


async def _apartment(
    session: AsyncSession,
    outbox: Outbox,
    *,
    premise_id: int,
    number: int,
    submitter: int,
    engineer: int,
    now: datetime,
) -> None:
    installed_at = now - timedelta(days=365 * INSTALLED_YEARS_AGO)
    installed = moscow_date(installed_at)
    for plan in plans(number):
        zones = len(plan.start)
        expired = number == 3 and plan.kind is MeterKind.HOT_WATER
        verification = (
            moscow_date(now) - timedelta(days=5) if expired else installed + timedelta(days=365 * 6)
        )
        meter_id = await meters.register(
            session,
            premise_id=premise_id,
            kind=plan.kind,
            new=meters.NewMeter(
                serial_number=f"{plan.kind.value[:1]}{number:03d}-{installed:%y%m}",
                next_verification_on=verification,
                zones=zones,
                installed_on=installed,
                precision=plan.precision,
                initial=_given(plan, 0, zones),
            ),
            user_id=engineer,
            now=installed_at,
        )
        periods = closed_periods(plan.kind, now) if number in WITH_HISTORY else []
        replaced_in = periods[3] if number == 1 and plan.kind is MeterKind.COLD_WATER else None
        since: date | None = None  # the new meter's month zero, once it is replaced
        for period in periods:
            moment = window_of(WINDOW_OF_KIND[plan.kind], period).opens_at + timedelta(
                days=1, hours=number % 12
            )
            months = months_between(month_of(installed), period)
            if period == replaced_in:
                taken_out = moment - timedelta(days=3)
                meter_id = await meters.replace(
                    session,
                    meter_id=meter_id,
                    new=meters.NewMeter(
                        serial_number=f"C{number:03d}-{moscow_date(taken_out):%y%m}",
                        next_verification_on=moscow_date(taken_out) + timedelta(days=365 * 6),
                        installed_on=moscow_date(taken_out),
                        initial=[GivenReading(ZONES[0], "0")],
                    ),
                    final=_given(plan, months, zones),
                    user_id=engineer,
                    now=taken_out,
                )
                since = add_months(period, -1)
            if since is None:
                given = _given(plan, months, zones)
            else:
                counted = plan.per_month[0] * months_between(since, period)
                given = [GivenReading(ZONES[0], str(counted))]
            await readings.submit(
                session, outbox, meter_id=meter_id, user_id=submitter, readings=given, now=moment
            )


async def load_meters(
    db: Database, *, building_id: int, users: dict[str, int], now: datetime
) -> None:
    """The meters of the building's apartments, with their history (its people and staff
    exist: ``users`` by persona key, and ``owner-<n>`` for the owner of apartment n)."""
    submitters = {1: users["owner"], 2: users["co-owner"], 3: users["resident"]}
    async with db.transaction() as (session, outbox):
        apartments = (
            await session.execute(
                select(Premise.id, Premise.number)
                .where(Premise.building_id == building_id, Premise.kind == PremiseKind.APARTMENT)
                .order_by(Premise.number_sort)
            )
        ).all()
        for premise_id, number_text in apartments:
            number = int(number_text)
            await _apartment(
                session,
                outbox,
                premise_id=premise_id,
                number=number,
                submitter=submitters.get(number) or users[f"owner-{number}"],
                engineer=users["engineer"],
                now=now,
            )


__all__ = ["load_meters"]
