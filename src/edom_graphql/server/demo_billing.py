"""The demo's bills and payments in Tverskaya 7: an ЕПД and an electricity bill for each
of the 40 apartments for the last three months, as the billing centre's import writes
them; the two older months paid through the sandbox provider (with their receipts and
ЕПД cashback), the latest one due. The personas' apartments show every standing:

- apartment 1 (Анна, owner; Вера, registered): the older bills paid, the latest ЕПД
  paid in part, the latest electricity bill due;
- apartment 2 (Анна and Борис, owners of halves): the middle ЕПД over-paid (a credit),
  the latest bills due;
- apartment 3 (Глеб, resident): a declined payment of the middle ЕПД, which is still due
  (overdue), and the latest bills due.

Payments are made by the domain's own service: started as ``billPay`` starts them and
confirmed by the webhook's processing, so the bills, receipts, points and notifications
are what the platform itself would have written.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from edom_graphql.billing.models import Bill, BillKind, BillService
from edom_graphql.billing.service import payments
from edom_graphql.billing.service.bill_files import BillRow
from edom_graphql.billing.service.importing import apply_bills
from edom_graphql.billing.service.providers import SANDBOX, EventKind, WebhookEvent
from edom_graphql.billing.service.webhooks import process
from edom_graphql.core.db import Database

MOSCOW = ZoneInfo("Europe/Moscow")
APARTMENTS = 40


def _periods(now: datetime) -> list[int]:
    """The three months before this one (Moscow), oldest first, as ``YYYYMM``."""
    today = now.astimezone(MOSCOW).date()
    index = today.year * 12 + today.month - 1
    return [(i // 12) * 100 + i % 12 + 1 for i in range(index - 3, index)]


def _due_on(period: int) -> date:
    year, month = divmod(period, 100)
    return date(year + month // 12, month % 12 + 1, 10)


def _epd(n: int, period: int) -> list[tuple[BillService, int]]:
    winter = period % 100 in (1, 2, 3, 4, 10, 11, 12)
    heating = [(BillService.HEATING, 160_000 + n * 900)] if winter else []
    return [
        (BillService.MAINTENANCE, 180_000 + n * 1_150),
        *heating,
        (BillService.COLD_WATER, 42_000 + n * 130),
        (BillService.HOT_WATER, 96_000 + n * 270),
        (BillService.SEWERAGE, 38_500 + n * 110),
        (BillService.WASTE, 31_200),
        (BillService.CAPITAL_REPAIR, 89_000 + n * 500),
    ]


def _electricity(n: int, period: int) -> list[tuple[BillService, int]]:
    return [
        (BillService.ELECTRICITY_T1, 61_000 + n * 400 + period % 7 * 1_000),
        (BillService.ELECTRICITY_T2, 19_000 + n * 150),
    ]


def _bills(now: datetime) -> list[BillRow]:
    rows: list[BillRow] = []
    for n in range(1, APARTMENTS + 1):
        for period in _periods(now):
            for kind, items in (
                (BillKind.EPD, _epd(n, period)),
                (BillKind.ELECTRICITY, _electricity(n, period)),
            ):
                rows.append(
                    BillRow(
                        line=len(rows) + 1,
                        payer_code=f"77000{n:05d}",
                        building=None,
                        premise=None,
                        period=period,
                        kind=kind,
                        due_on=_due_on(period),
                        items=items,
                    )
                )
    return rows


async def _pay(
    db: Database,
    *,
    bill_id: int,
    payer_id: int,
    amount: int,
    number: int,
    now: datetime,
    succeeded: bool = True,
) -> None:
    """A payment through the sandbox: started, then confirmed (or declined) by its webhook."""
    async with db.transaction() as (session, outbox):
        started = await payments.start(
            session,
            bill_id=bill_id,
            payer_id=payer_id,
            amount=amount,
            idempotency_key=f"demo-{number}",
            provider=SANDBOX,
        )
        await process(
            session,
            outbox,
            provider=SANDBOX,
            event=WebhookEvent(
                event_id=f"demo-evt-{number}",
                kind=EventKind.SUCCEEDED if succeeded else EventKind.FAILED,
                payment_id=started.payment_id,
                provider_payment_id=f"demo-sbx-{number}",
                amount=amount,
                occurred_at=now,
                failure_reason=None if succeeded else "declined by the bank",
            ),
            now=now,
        )


async def load_billing(
    db: Database, *, premises: dict[str, int], users: dict[str, int], now: datetime
) -> None:
    """Bills of Tverskaya 7's apartments and their payments (see the module)."""
    rows = _bills(now)
    async with db.transaction() as (session, _):
        await apply_bills(session, rows, now=now)
    bills = await _bill_ids(db, premises)
    older, middle, latest = _periods(now)
    payers = {1: "owner", 2: "co-owner", 3: "resident"}
    number = 0
    for n in range(1, APARTMENTS + 1):
        payer = users[payers.get(n, f"owner-{n}")]
        plan: list[tuple[int, BillKind, int | None, bool]] = [
            (older, BillKind.EPD, None, True),
            (older, BillKind.ELECTRICITY, None, True),
            (middle, BillKind.ELECTRICITY, None, True),
        ]
        if n == 2:
            plan.append((middle, BillKind.EPD, 1_000_000, True))  # over-paid: a credit
        elif n == 3:
            plan.append((middle, BillKind.EPD, None, False))  # declined: still due
        else:
            plan.append((middle, BillKind.EPD, None, True))
        if n == 1:
            plan.append((latest, BillKind.EPD, 300_000, True))  # paid in part
        for period, kind, amount, succeeded in plan:
            bill_id, total = bills[(n, period, kind)]
            number += 1
            who = users["registered"] if n == 1 and kind is BillKind.ELECTRICITY else payer
            await _pay(
                db,
                bill_id=bill_id,
                payer_id=who,
                amount=amount or total,
                number=number,
                now=now,
                succeeded=succeeded,
            )


async def _bill_ids(
    db: Database, premises: dict[str, int]
) -> dict[tuple[int, int, BillKind], tuple[int, int]]:
    """``(apartment, period, kind) -> (bill id, amount)`` of the apartments' bills."""
    numbers = {premises[f"APARTMENT:{n}"]: n for n in range(1, APARTMENTS + 1)}
    async with db.transaction() as (session, _):
        found = await session.execute(
            select(Bill.id, Bill.premise_id, Bill.period, Bill.kind, Bill.amount).where(
                Bill.premise_id.in_(list(numbers))
            )
        )
        return {
            (numbers[premise], period, BillKind(kind)): (bill_id, amount)
            for bill_id, premise, period, kind, amount in found
        }
