"""The demo data set has repair requests in every status, each with its history."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from edom_graphql.core.db import Database
from edom_graphql.core.storage import LocalStorage
from edom_graphql.repairs.models import RepairRequest, RepairRequestEvent
from edom_graphql.server.demo import load_demo
from edom_graphql.server.migrations import upgrade


def test_demo_repair_requests(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database("edom_demo")
    upgrade(url)

    async def run() -> tuple[list[Any], list[Any]]:
        db = Database(url)
        try:
            assert await load_demo(db, LocalStorage(tmp_path), now=datetime.now(UTC))
            async with db.transaction() as (session, _):
                requests = (
                    await session.execute(
                        select(
                            RepairRequest.status,
                            RepairRequest.follower_count,
                            RepairRequest.rating,
                            func.count(RepairRequestEvent.id),
                        )
                        .join(RepairRequestEvent, RepairRequestEvent.request_id == RepairRequest.id)
                        .group_by(RepairRequest.id)
                        .order_by(RepairRequest.id)
                    )
                ).all()
                overdue = (
                    await session.execute(
                        select(RepairRequest.category).where(
                            RepairRequest.due_at < datetime.now(UTC)
                        )
                    )
                ).all()
            return list(requests), list(overdue)
        finally:
            await db.dispose()

    requests, overdue = asyncio.run(run())
    assert [
        (status.value, followers, rating, count) for status, followers, rating, count in requests
    ] == [
        ("NEW", 2, None, 3),
        ("NEW", 0, None, 1),
        ("ACCEPTED", 1, None, 4),
        ("IN_PROGRESS", 0, None, 4),
        ("DONE", 0, None, 5),
        ("CLOSED", 0, 5, 7),
        ("REJECTED", 0, None, 2),
        ("DEFERRED", 0, None, 4),
        ("NEW", 0, None, 1),
    ]
    assert [category.value for (category,) in overdue] == ["LEAK", "BLOCKAGE"]
