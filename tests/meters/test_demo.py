"""The demo data set has meters in every apartment of Tverskaya 7, six periods of readings
per meter in apartments 1 to 8, apartment 1's replaced cold water meter, apartment 3's
expired hot water meter, and the city points of the readings."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from edom_graphql.buildings.models import Building, Premise
from edom_graphql.core.db import Database
from edom_graphql.core.storage import LocalStorage
from edom_graphql.meters.models import Meter, MeterKind, MeterReading
from edom_graphql.meters.service.windows import moscow_date
from edom_graphql.points.models import PointEntry
from edom_graphql.residents.models import User
from edom_graphql.server.demo import PERSONA_BY_KEY, load_demo
from edom_graphql.server.migrations import upgrade


def test_demo_meters(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database("edom_demo_meters")
    upgrade(url)
    now = datetime.now(UTC)

    async def run() -> dict[str, Any]:
        db = Database(url)
        try:
            assert await load_demo(db, LocalStorage(tmp_path), now=now)
            async with db.transaction() as (session, _):
                building = (
                    await session.execute(
                        select(Building.id).where(Building.address == "Москва, ул. Тверская, д. 7")
                    )
                ).scalar_one()
                meters = (
                    await session.execute(
                        select(
                            Premise.number,
                            Meter.id,
                            Meter.kind,
                            Meter.zones,
                            Meter.retired_at,
                            Meter.replaced_by_id,
                            Meter.next_verification_on,
                        )
                        .join(Premise, Premise.id == Meter.premise_id)
                        .where(Meter.building_id == building)
                        .order_by(Meter.id)
                    )
                ).all()
                periods = (
                    await session.execute(
                        select(
                            MeterReading.meter_id, func.count(func.distinct(MeterReading.period))
                        )
                        .where(
                            MeterReading.building_id == building,
                            MeterReading.period.is_not(None),
                            MeterReading.superseded_at.is_(None),
                        )
                        .group_by(MeterReading.meter_id)
                    )
                ).all()
                owner = (
                    await session.execute(
                        select(User.id).where(User.subject == PERSONA_BY_KEY["owner"].subject)
                    )
                ).scalar_one()
                owner_points = (
                    await session.execute(
                        select(func.count()).where(
                            PointEntry.user_id == owner,
                            PointEntry.source_key.like("meter-reading:%"),
                        )
                    )
                ).scalar_one()
            return {
                "meters": meters,
                "periods": dict(periods),
                "owner_points": owner_points,
            }
        finally:
            await db.dispose()

    found = asyncio.run(run())
    meters = found["meters"]
    apartments = {row.number for row in meters}
    assert apartments == {str(n) for n in range(1, 41)}
    in_service = [row for row in meters if row.retired_at is None]
    assert Counter(row.kind for row in in_service) == {
        MeterKind.COLD_WATER: 40,
        MeterKind.HOT_WATER: 40,
        MeterKind.ELECTRICITY: 40,
    }
    assert {row.zones for row in in_service if row.kind is MeterKind.ELECTRICITY} == {1, 2}
    # apartment 1's cold water meter was replaced: the old one names its successor
    (old,) = [row for row in meters if row.retired_at is not None]
    assert (old.number, old.kind) == ("1", MeterKind.COLD_WATER)
    successor = next(row for row in meters if row.id == old.replaced_by_id)
    assert (successor.number, successor.retired_at) == ("1", None)
    # six periods of readings per meter of apartments 1–8 (split between the old and the
    # new one), none elsewhere
    for row in in_service:
        if row.id == successor.id:
            assert found["periods"][row.id] + found["periods"][old.id] == 6
        elif int(row.number) <= 8:
            assert found["periods"][row.id] == 6, row
        else:
            assert row.id not in found["periods"], row
    # apartment 3's hot water meter is past its verification date
    expired = [row for row in in_service if row.next_verification_on < moscow_date(now)]
    assert [(row.number, row.kind) for row in expired] == [("3", MeterKind.HOT_WATER)]
    # the owner of apartment 1 earned the points of its readings: 6 periods × 3 meters
    # (the removal reading earns none)
    assert found["owner_points"] == 6 * 3
