"""The demo data set has bills for every apartment of Tverskaya 7, paid and due, with
payments through the sandbox that balance to the kopeck, and the personas' apartments in
every standing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from edom_graphql.billing.models import Bill, BillKind, Payment, PaymentStatus
from edom_graphql.billing.service.bills import BillStatus, standing
from edom_graphql.buildings.models import Premise
from edom_graphql.core.db import Database
from edom_graphql.core.storage import LocalStorage
from edom_graphql.points.models import PointEntry
from edom_graphql.residents.models import User
from edom_graphql.server.demo import PERSONA_BY_KEY, load_demo
from edom_graphql.server.migrations import upgrade


def test_demo_bills_and_payments(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database("edom_demo_billing")
    upgrade(url)

    async def run() -> dict[str, Any]:
        db = Database(url)
        try:
            assert await load_demo(db, LocalStorage(tmp_path), now=datetime.now(UTC))
            async with db.transaction() as (session, _):
                bills = (
                    await session.execute(
                        select(
                            Premise.number,
                            Bill.period,
                            Bill.kind,
                            Bill.amount,
                            Bill.paid_amount,
                            select(func.coalesce(func.sum(Payment.amount), 0))
                            .where(
                                Payment.bill_id == Bill.id,
                                Payment.status == PaymentStatus.SUCCEEDED,
                            )
                            .scalar_subquery(),
                        )
                        .join(Premise, Premise.id == Bill.premise_id)
                        .order_by(Premise.number_sort, Bill.period, Bill.kind)
                    )
                ).all()
                failed = (
                    await session.execute(
                        select(Payment.user_id, Payment.failure_reason).where(
                            Payment.status == PaymentStatus.FAILED
                        )
                    )
                ).all()
                users = dict(
                    (
                        await session.execute(
                            select(User.subject, User.id).where(
                                User.subject.in_(
                                    [PERSONA_BY_KEY[k].subject for k in ("owner", "resident")]
                                )
                            )
                        )
                    ).all()
                )
                cashback = (
                    await session.execute(
                        select(func.count(), func.sum(PointEntry.amount)).where(
                            PointEntry.source_key.in_(
                                select(func.concat("epd-cashback:", Payment.id))
                            )
                        )
                    )
                ).one()
            return {"bills": bills, "failed": failed, "users": users, "cashback": cashback}
        finally:
            await db.dispose()

    found = asyncio.run(run())
    bills = found["bills"]
    assert len(bills) == 40 * 3 * 2
    # the ledger balances: every bill's paid amount is its succeeded payments
    assert all(row[4] == row[5] for row in bills)
    periods = sorted({row[1] for row in bills})
    older, middle, latest = periods

    def status(number: str, period: int, kind: BillKind) -> BillStatus:
        (row,) = [r for r in bills if (r[0], r[1], r[2]) == (number, period, kind)]
        return standing(row[3], row[4]).status

    for n in range(1, 41):
        number = str(n)
        assert status(number, older, BillKind.EPD) is BillStatus.PAID
        assert status(number, older, BillKind.ELECTRICITY) is BillStatus.PAID
        assert status(number, latest, BillKind.ELECTRICITY) is BillStatus.UNPAID
    assert status("1", latest, BillKind.EPD) is BillStatus.PARTIALLY_PAID
    assert status("2", middle, BillKind.EPD) is BillStatus.OVERPAID
    assert status("2", latest, BillKind.EPD) is BillStatus.UNPAID
    assert status("3", middle, BillKind.EPD) is BillStatus.UNPAID
    assert status("4", middle, BillKind.EPD) is BillStatus.PAID
    resident = found["users"][PERSONA_BY_KEY["resident"].subject]
    assert found["failed"] == [(resident, "declined by the bank")]
    # a cashback entry for every ЕПД payment that went through: 40 + 39 + 1
    count, points = found["cashback"]
    assert count == 80
    assert points > 0
