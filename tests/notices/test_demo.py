"""The demo data set has a planned hot-water outage at Tverskaya 7, current now, and its
residents have been notified of it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from edom_graphql.buildings.models import Building
from edom_graphql.core.db import Database
from edom_graphql.core.storage import LocalStorage
from edom_graphql.notices.models import Notice, NoticeCategory
from edom_graphql.notifications.models import Notification
from edom_graphql.residents.models import User
from edom_graphql.server.demo import PERSONA_BY_KEY, load_demo
from edom_graphql.server.migrations import upgrade


def test_demo_notices(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database("edom_demo_notices")
    upgrade(url)
    now = datetime.now(UTC)

    async def run() -> tuple[list[Any], list[int], int]:
        db = Database(url)
        try:
            assert await load_demo(db, LocalStorage(tmp_path), now=now)
            async with db.transaction() as (session, _):
                notices = (
                    await session.execute(
                        select(
                            Building.address,
                            Notice.id,
                            Notice.category,
                            Notice.entrances,
                            Notice.visible_from,
                            Notice.visible_until,
                            Notice.outage_start,
                            Notice.outage_end,
                            Notice.withdrawn_at,
                        ).join(Building, Building.id == Notice.building_id)
                    )
                ).all()
                notified = (
                    await session.execute(
                        select(Notification.user_id).where(
                            Notification.kind == "NOTICE_POSTED",
                            Notification.subject_id == notices[0][1],
                        )
                    )
                ).scalars()
                owner = (
                    await session.execute(
                        select(User.id).where(User.subject == PERSONA_BY_KEY["owner"].subject)
                    )
                ).scalar_one()
                return [tuple(row) for row in notices], list(notified), owner
        finally:
            await db.dispose()

    notices, notified, owner = asyncio.run(run())
    assert len(notices) == 1
    address, _, category, entrances, visible_from, visible_until, start, end, withdrawn = notices[0]
    assert address == "Москва, ул. Тверская, д. 7"
    assert category is NoticeCategory.HOT_WATER_OUTAGE
    assert entrances == []
    assert visible_from <= now < visible_until
    assert now < start < end <= visible_until
    assert withdrawn is None
    assert owner in notified
    assert len(notified) == len(set(notified))
