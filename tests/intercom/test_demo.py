"""The demo data set has Tverskaya 7's entrance 1 connected (every step of its
application recorded and notified) with a panel, entrance 2 known, an entry log for
apartment 1 and a missed call."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from edom_graphql.core.db import Database
from edom_graphql.core.storage import LocalStorage
from edom_graphql.intercom.models import (
    BuildingEntrance,
    IntercomApplicationStep,
    IntercomCall,
    IntercomEntry,
    IntercomPanel,
)
from edom_graphql.notifications.models import Notification
from edom_graphql.server.demo import load_demo
from edom_graphql.server.migrations import upgrade


def test_demo_intercom(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database("edom_demo_intercom")
    upgrade(url)

    async def run() -> dict[str, Any]:
        db = Database(url)
        try:
            assert await load_demo(db, LocalStorage(tmp_path), now=datetime.now(UTC))
            async with db.transaction() as (session, _):

                async def all_of(statement: Any) -> list[Any]:
                    return list((await session.execute(statement)).all())

                return {
                    "entrances": await all_of(
                        select(BuildingEntrance.number).order_by(BuildingEntrance.id)
                    ),
                    "steps": await all_of(
                        select(IntercomApplicationStep.status).order_by(IntercomApplicationStep.id)
                    ),
                    "panels": await all_of(select(IntercomPanel.name)),
                    "entries": await all_of(
                        select(IntercomEntry.method).order_by(IntercomEntry.at)
                    ),
                    "calls": await all_of(select(IntercomCall.state)),
                    "notified": await all_of(
                        select(Notification.kind)
                        .where(Notification.kind.like("INTERCOM_%"))
                        .order_by(Notification.id)
                    ),
                }
        finally:
            await db.dispose()

    found = asyncio.run(run())
    numbers = [row[0] for row in found["entrances"]]
    assert {1, 2} <= set(numbers)
    assert [row[0].value for row in found["steps"]] == ["SUBMITTED", "APPROVED", "CONNECTED"]
    assert found["panels"] == [("Главный вход",)]
    assert [row[0].value for row in found["entries"]] == ["APP", "KEY_FOB", "APP"]
    assert [row[0].value for row in found["calls"]] == ["MISSED"]
    kinds = [row[0] for row in found["notified"]]
    assert kinds[-2:] == ["INTERCOM_APPLICATION_APPROVED", "INTERCOM_APPLICATION_CONNECTED"]
    assert "INTERCOM_APPLICATION_SUBMITTED" in kinds
