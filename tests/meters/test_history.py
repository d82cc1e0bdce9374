"""Resubmission inside a window replaces the period's reading and keeps the history; racing
submissions for one meter, zone and period leave one current reading; the city points of a
reading are awarded once per meter and period."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal

import pytest
import pytest_asyncio
from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError

from edom_graphql.meters.models import MeterReading, MeterReadingSource, MeterZone
from edom_graphql.notifications.models import Notification
from tests.factories import Api, Clock, World, make_world
from tests.meters.operations import METER
from tests.meters.scene import (
    awards_of,
    months_ahead,
    moscow,
    pk,
    readings_of,
    register,
    rows,
    set_clock,
    submit,
)

SUBMITTED, INSTALLATION = MeterReadingSource.SUBMITTED, MeterReadingSource.INSTALLATION
T1, T2 = MeterZone.T1, MeterZone.T2
POINTS = 5
"""What a meter reading earns (the ``point_awards`` row the migration seeds)."""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api)


def window_day(months: int = 0, day: int = 16, hour: int = 12) -> datetime:
    year, month = months_ahead(1 + months)
    return moscow(year, month, day, hour)


def period(months: int = 0) -> date:
    year, month = months_ahead(1 + months)
    return date(year, month, 1)


def label(months: int = 0) -> str:
    return f"{period(months):%Y-%m}"


async def points_notifications(api: Api, user_id: int | None) -> int:
    ((count,),) = await rows(
        api,
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user_id, Notification.kind == "POINTS_AWARDED"),
    )
    return int(count)


async def test_a_resubmission_replaces_the_reading_and_keeps_the_history(
    api: Api, world: World, clock: Clock
) -> None:
    owner, co_owner = world["owner"], world["co_owner"]
    meter = await register(api, world, kind="ELECTRICITY", zones=2)
    notified = await points_notifications(api, owner.pk)
    set_clock(clock, window_day(0))
    first = await submit(api, owner, meter["id"], ("T1", "100.4"), ("T2", "50"))
    assert first["userErrors"] == []
    assert first["pointsAwarded"] == POINTS
    # a correction below the first value of the period is fine: the previous period counts
    second = await submit(api, owner, meter["id"], ("T1", "100.1"), ("T2", "50.5"))
    assert second["userErrors"] == []
    assert second["pointsAwarded"] == 0
    third = await submit(api, co_owner, meter["id"], ("T2", "51"), ("T1", "100.2"))
    assert third["pointsAwarded"] == 0
    assert [(r["zone"], r["value"], r["isCurrent"]) for r in third["readings"]] == [
        ("T2", "51.0", True),
        ("T1", "100.2", True),
    ]

    assert await readings_of(api, meter["id"]) == [
        (T1, None, Decimal("0"), INSTALLATION, world["engineer"].pk, True),
        (T2, None, Decimal("0"), INSTALLATION, world["engineer"].pk, True),
        (T1, period(), Decimal("100.4"), SUBMITTED, owner.pk, False),
        (T2, period(), Decimal("50"), SUBMITTED, owner.pk, False),
        (T1, period(), Decimal("100.1"), SUBMITTED, owner.pk, False),
        (T2, period(), Decimal("50.5"), SUBMITTED, owner.pk, False),
        (T2, period(), Decimal("51"), SUBMITTED, co_owner.pk, True),
        (T1, period(), Decimal("100.2"), SUBMITTED, co_owner.pk, True),
    ]
    assert await awards_of(api, meter["id"]) == [
        (owner.pk, POINTS, f"meter-reading:{pk(meter['id'])}:{label()}")
    ]
    assert await points_notifications(api, owner.pk) == notified + 1
    assert await points_notifications(api, co_owner.pk) == 0

    node = (await api.gql(METER, {"id": meter["id"]}, as_=owner))["node"]
    assert [(r["zone"], r["period"], r["value"]) for r in node["lastReadings"]] == [
        ("T1", label(), "100.2"),
        ("T2", label(), "51.0"),
    ]
    history = node["readings"]["nodes"]
    assert [(r["zone"], r["value"], r["isCurrent"], r["source"]) for r in history] == [
        ("T1", "100.2", True, "SUBMITTED"),
        ("T2", "51.0", True, "SUBMITTED"),
        ("T2", "50.5", False, "SUBMITTED"),
        ("T1", "100.1", False, "SUBMITTED"),
        ("T2", "50.0", False, "SUBMITTED"),
        ("T1", "100.4", False, "SUBMITTED"),
        ("T2", "0.0", True, "INSTALLATION"),
        ("T1", "0.0", True, "INSTALLATION"),
    ]
    assert [r["submittedBy"]["id"] for r in history[:2]] == [co_owner.id, co_owner.id]
    superseded = [r for r in history if not r["isCurrent"]]
    assert all(r["supersededAt"] is not None for r in superseded)
    assert node["consumption"] == [
        {"period": label(), "zone": "T1", "reading": "100.2", "consumption": "100.2"},
        {"period": label(), "zone": "T2", "reading": "51.0", "consumption": "51.0"},
    ]

    # the next period is another reading: points again, consumption since the last one
    set_clock(clock, window_day(1))
    fourth = await submit(api, co_owner, meter["id"], ("T1", "250"), ("T2", "80.3"))
    assert fourth["pointsAwarded"] == POINTS
    assert await awards_of(api, meter["id"]) == [
        (owner.pk, POINTS, f"meter-reading:{pk(meter['id'])}:{label(0)}"),
        (co_owner.pk, POINTS, f"meter-reading:{pk(meter['id'])}:{label(1)}"),
    ]
    node = (await api.gql(METER, {"id": meter["id"], "periods": 2}, as_=owner))["node"]
    assert node["consumption"] == [
        {"period": label(1), "zone": "T1", "reading": "250.0", "consumption": "149.8"},
        {"period": label(1), "zone": "T2", "reading": "80.3", "consumption": "29.3"},
        {"period": label(0), "zone": "T1", "reading": "100.2", "consumption": "100.2"},
        {"period": label(0), "zone": "T2", "reading": "51.0", "consumption": "51.0"},
    ]
    node = (await api.gql(METER, {"id": meter["id"], "periods": 1}, as_=owner))["node"]
    assert [c["period"] for c in node["consumption"]] == [label(1), label(1)]


@pytest.mark.parametrize("racers", [2, 8])
async def test_racing_submissions_leave_one_current_reading(
    api: Api, world: World, clock: Clock, racers: int
) -> None:
    owner, co_owner = world["owner"], world["co_owner"]
    meter = await register(api, world)
    set_clock(clock, window_day(0))
    values = [f"{10 + n}.{n:03d}" for n in range(racers)]
    payloads = await asyncio.gather(
        *(
            submit(api, owner if n % 2 == 0 else co_owner, meter["id"], value)
            for n, value in enumerate(values)
        )
    )
    assert [p["userErrors"] for p in payloads] == [[]] * racers
    assert sorted(p["pointsAwarded"] for p in payloads) == [0] * (racers - 1) + [POINTS]

    found = await readings_of(api, meter["id"])
    submitted = [row for row in found if row[3] is SUBMITTED]
    assert sorted(row[2] for row in submitted) == sorted(Decimal(v) for v in values)
    current = [row for row in submitted if row[5]]
    assert len(current) == 1
    # the one current is the last applied: the highest id
    (last_id,) = (
        await rows(
            api,
            select(func.max(MeterReading.id)).where(MeterReading.meter_id == pk(meter["id"])),
        )
    )[0]
    ((current_id,),) = await rows(
        api,
        select(MeterReading.id).where(
            MeterReading.meter_id == pk(meter["id"]),
            MeterReading.period == period(),
            MeterReading.superseded_at.is_(None),
        ),
    )
    assert current_id == last_id
    awards = await awards_of(api, meter["id"])
    assert len(awards) == 1
    assert awards[0][1:] == (POINTS, f"meter-reading:{pk(meter['id'])}:{label()}")


async def test_the_database_keeps_one_current_reading(api: Api, world: World) -> None:
    """However a row would be written: the partial unique index refuses a second one."""
    meter = await register(api, world)
    row = {
        "meter_id": pk(meter["id"]),
        "building_id": world.building_pk,
        "zone": T1,
        "period": period(),
        "value": Decimal("1"),
        "source": SUBMITTED,
        "submitted_by_id": world["owner"].pk,
        "submitted_at": window_day(0),
    }
    async with api.db.transaction() as (session, _):
        await session.execute(insert(MeterReading).values(**row))
    with pytest.raises(IntegrityError, match="uq_meter_readings_current"):
        async with api.db.transaction() as (session, _):
            await session.execute(insert(MeterReading).values(**row))
