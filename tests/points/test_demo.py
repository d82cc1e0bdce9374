"""The demo data set has a catalogue (goods with stock, a service, a promo-code reward
with its codes, a charity) and a ledger of awards for the demo owner that balances, with
a promo code redeemed and a donation last."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from edom_graphql.core.db import Database
from edom_graphql.core.storage import LocalStorage
from edom_graphql.points.models import (
    PointBalance,
    PointEntry,
    Reward,
    RewardCode,
    RewardKind,
    RewardRedemption,
)
from edom_graphql.residents.models import User
from edom_graphql.server.demo import PERSONA_BY_KEY, load_demo
from edom_graphql.server.migrations import upgrade


def test_demo_points(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database("edom_demo_points")
    upgrade(url)

    async def run() -> dict[str, Any]:
        db = Database(url)
        try:
            assert await load_demo(db, LocalStorage(tmp_path), now=datetime.now(UTC))
            async with db.transaction() as (session, _):
                owner = (
                    await session.execute(
                        select(User.id).where(User.subject == PERSONA_BY_KEY["owner"].subject)
                    )
                ).scalar_one()
                return {
                    "rewards": (
                        await session.execute(
                            select(Reward.kind, Reward.stock, Reward.active).order_by(Reward.id)
                        )
                    ).all(),
                    "codes": (
                        await session.execute(
                            select(RewardCode.code, RewardCode.redemption_id).order_by(
                                RewardCode.id
                            )
                        )
                    ).all(),
                    "entries": (
                        await session.execute(
                            select(PointEntry.reason, PointEntry.amount, PointEntry.balance_after)
                            .where(PointEntry.user_id == owner)
                            .order_by(PointEntry.id)
                        )
                    ).all(),
                    "balance": (
                        await session.execute(
                            select(PointBalance.balance).where(PointBalance.user_id == owner)
                        )
                    ).scalar_one(),
                    "redemptions": (
                        await session.execute(
                            select(func.count())
                            .select_from(RewardRedemption)
                            .where(RewardRedemption.user_id == owner)
                        )
                    ).scalar_one(),
                    "again": await load_demo(db, LocalStorage(tmp_path), now=datetime.now(UTC)),
                }
        finally:
            await db.dispose()

    found = asyncio.run(run())
    kinds = [row.kind for row in found["rewards"]]
    assert set(kinds) == set(RewardKind)
    assert all(row.active for row in found["rewards"])
    goods = [row for row in found["rewards"] if row.kind is RewardKind.GOODS]
    assert any(row.stock and row.stock > 0 for row in goods)
    assert any(row.stock == 0 for row in goods)  # one is out of stock
    # ten codes, one of them given out to the owner's redemption
    assert len(found["codes"]) == 10
    assert sum(1 for row in found["codes"] if row.redemption_id is not None) == 1
    assert found["redemptions"] == 2  # the promo code and the donation
    reasons = [row.reason for row in found["entries"]]
    # the owner's own actions in the demo (her meetings) and her first listing earned
    # points; she spent some on a promo code and gave some to the charity
    for reason in (
        "MEETING_CREATED",
        "MEETING_VOTED",
        "FIRST_LISTING",
        "REWARD_REDEEMED",
        "DONATION",
    ):
        assert reason in reasons
    assert reasons.count("FIRST_LISTING") == 1
    assert reasons[-2:] == ["REWARD_REDEEMED", "DONATION"]
    running = 0
    for row in found["entries"]:
        running += row.amount
        assert row.balance_after == running >= 0
    assert found["balance"] == running > 0
    assert found["again"] is False
