"""Shared pieces of the billing tests: the sandbox's control API, bills written straight
into the database, the operations, and the ledger's invariants."""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from edom_graphql.billing.models import (
    Bill,
    BillKind,
    BillLine,
    BillService,
    Payment,
    PaymentStatus,
    PaymentWebhookEvent,
)
from edom_graphql.billing.service.providers import signed_headers
from edom_graphql.core.ids import decode_id, encode_id
from edom_graphql.notifications.models import Notification
from edom_graphql.points.models import PointBalance, PointEntry
from edom_graphql.points.service.ledger import cashback
from tests.factories import Api, Person, World

SECRET = "billing-tests-webhook-secret"
WEBHOOK = "/payments/webhook/sandbox"

BILL_PAY = """
mutation ($input: BillPayInput!) {
  billPay(input: $input) {
    payment { id status amount confirmationUrl viewerIsPayer receipt { number } }
    bill { id status amount paidAmount amountDue credit }
    userErrors { code field message }
  }
}
"""
PAYMENT = """
query ($id: ID!) {
  node(id: $id) {
    ... on Payment {
      id status amount provider failureReason createdAt confirmedAt confirmationUrl
      viewerIsPayer
      receipt {
        number paidAt amount payerDisplayName provider providerReference bill { id }
      }
      bill { id status paidAmount amountDue credit }
    }
  }
}
"""
BILLS = """
query ($id: ID!, $first: Int!, $after: String, $kind: BillKind, $unpaid: Boolean) {
  node(id: $id) {
    ... on Premise {
      bills(first: $first, after: $after, kind: $kind, unpaid: $unpaid) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id kind month amount paidAmount amountDue credit status dueOn version overdue
          lines { service amount }
        }
      }
    }
  }
}
"""


@dataclass
class SandboxClient:
    """The sandbox provider's control API (its own HTTP server)."""

    url: str
    pid: int

    async def _call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with httpx.AsyncClient(base_url=self.url, timeout=30, trust_env=False) as client:
            response = await client.request(method, path, json=body)
        return response.status_code, response.json()

    async def create(self, idempotence_key: str, body: dict[str, Any]) -> tuple[int, Any]:
        """Create a payment at the sandbox directly (as another shop would)."""
        async with httpx.AsyncClient(base_url=self.url, timeout=30, trust_env=False) as client:
            response = await client.post(
                "/v1/payments", json=body, headers={"Idempotence-Key": idempotence_key}
            )
        return response.status_code, response.json()

    async def configure(self, **values: Any) -> None:
        status, _ = await self._call("POST", "/v1/config", values)
        assert status == 200

    async def stats(self) -> dict[str, int]:
        status, answer = await self._call("GET", "/v1/stats")
        assert status == 200
        return dict(answer)

    async def payment(self, provider_id: str) -> dict[str, Any]:
        status, answer = await self._call("GET", f"/v1/payments/{provider_id}")
        assert status == 200, answer
        return dict(answer)

    async def complete(self, provider_id: str, *, deliver: bool = True) -> dict[str, Any]:
        suffix = "" if deliver else "?deliver=false"
        status, answer = await self._call("POST", f"/v1/payments/{provider_id}/complete{suffix}")
        assert status == 200, answer
        return dict(answer)

    async def fail(
        self, provider_id: str, *, reason: str = "insufficient funds", deliver: bool = True
    ) -> dict[str, Any]:
        suffix = "" if deliver else "?deliver=false"
        status, answer = await self._call(
            "POST", f"/v1/payments/{provider_id}/fail{suffix}", {"reason": reason}
        )
        assert status == 200, answer
        return dict(answer)

    async def deliver(self, event_id: str) -> dict[str, Any]:
        status, answer = await self._call("POST", f"/v1/events/{event_id}/deliver")
        assert status == 200, answer
        return dict(answer["delivery"])

    async def event(self, event_id: str) -> dict[str, Any]:
        """The event with a fresh signature: ``{"id", "body", "headers", "deliveries"}``."""
        status, answer = await self._call("GET", f"/v1/events/{event_id}")
        assert status == 200, answer
        return dict(answer)


LINES_EPD = ((BillService.MAINTENANCE, 254_300), (BillService.HEATING, 189_912))
"""An ЕПД of 4,442.12 roubles."""
EPD_AMOUNT = 444_212
_MONTHS = itertools.count(0)


def next_period() -> int:
    """A month no other bill of these tests has used (``YYYYMM``, from 2001-01)."""
    index = next(_MONTHS)
    return (2001 + index // 12) * 100 + index % 12 + 1


async def make_bill(
    api: Api,
    world: World,
    number: str = "1",
    *,
    kind: BillKind = BillKind.EPD,
    period: int | None = None,
    lines: tuple[tuple[BillService, int], ...] = LINES_EPD,
    due_on: date = date(2026, 11, 10),
    other_building: bool = False,
) -> str:
    """A bill of apartment ``number`` (of the other building's with ``other_building``), as
    the import writes one: its global id."""
    async with api.db.transaction() as (session, _):
        pk = (
            await session.execute(
                insert(Bill)
                .values(
                    building_id=world.other_building_pk if other_building else world.building_pk,
                    premise_id=(world.other_premises if other_building else world.premises)[number],
                    kind=kind,
                    period=period or next_period(),
                    amount=sum(amount for _, amount in lines),
                    due_on=due_on,
                )
                .returning(Bill.id)
            )
        ).scalar_one()
        await session.execute(
            insert(BillLine),
            [
                {"bill_id": pk, "position": n, "service": service, "amount": amount}
                for n, (service, amount) in enumerate(lines, 1)
            ],
        )
    return encode_id("Bill", pk)


def pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


def key() -> str:
    return str(uuid.uuid4())


async def pay(
    api: Api, person: Person, bill_id: str, amount: int, idempotency_key: str | None = None
) -> dict[str, Any]:
    """``billPay``'s payload (it must not be refused as a whole)."""
    variables = {
        "input": {
            "billId": bill_id,
            "amount": amount,
            "idempotencyKey": key() if idempotency_key is None else idempotency_key,
        }
    }
    data = await api.gql(BILL_PAY, variables, as_=person)
    payload: dict[str, Any] = data["billPay"]
    return payload


async def provider_id(api: Api, payment_id: str) -> str:
    """The sandbox's id of a payment."""
    async with api.db.transaction() as (session, _):
        found = (
            await session.execute(
                select(Payment.provider_payment_id).where(Payment.id == pk(payment_id))
            )
        ).scalar_one()
    assert found is not None
    return str(found)


async def started(api: Api, person: Person, bill_id: str, amount: int) -> str:
    """A payment of ``amount`` started (PENDING at the sandbox): its global id."""
    payload = await pay(api, person, bill_id, amount)
    assert payload["userErrors"] == [], payload
    payment_id: str = payload["payment"]["id"]
    return payment_id


async def post_webhook(api: Api, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await api.client.post(WEBHOOK, content=body, headers=headers)


def signed(event: dict[str, Any], *, timestamp: int, secret: str = SECRET) -> dict[str, str]:
    """Headers signing a webhook body as the sandbox does."""
    return signed_headers(secret, event["id"], timestamp, json.dumps(event).encode())


# -- the invariants -----------------------------------------------------------------------


async def ledger(api: Api, bill_id: str) -> tuple[int, int]:
    """``(paid_amount, sum of the bill's succeeded payments)``: they must be equal."""
    async with api.db.transaction() as (session, _):
        paid = (
            await session.execute(select(Bill.paid_amount).where(Bill.id == pk(bill_id)))
        ).scalar_one()
        succeeded = (
            await session.execute(
                select(func.coalesce(func.sum(Payment.amount), 0)).where(
                    Payment.bill_id == pk(bill_id), Payment.status == PaymentStatus.SUCCEEDED
                )
            )
        ).scalar_one()
    return int(paid), int(succeeded)


async def assert_ledger_balances(api: Api, world: World) -> None:
    """Every bill of the world's building: paid amount == its succeeded payments."""
    async with api.db.transaction() as (session, _):
        rows = (
            await session.execute(
                select(
                    Bill.id,
                    Bill.paid_amount,
                    select(func.coalesce(func.sum(Payment.amount), 0))
                    .where(Payment.bill_id == Bill.id, Payment.status == PaymentStatus.SUCCEEDED)
                    .scalar_subquery(),
                ).where(Bill.building_id == world.building_pk)
            )
        ).all()
    assert [(row[0], int(row[1])) for row in rows] == [(row[0], int(row[2])) for row in rows]


async def assert_points_balance(api: Api, world: World) -> None:
    """ЕПД cashback, to the point: one entry at most per payment, only for succeeded ЕПД
    payments, at most 5 % of what settled each bill (less by rounding, a point a
    payment), and every payer's balance the sum of their entries."""
    async with api.db.transaction() as (session, _):
        payments = (
            await session.execute(
                select(
                    Payment.id,
                    Payment.user_id,
                    Payment.status,
                    Bill.id,
                    Bill.kind,
                    Bill.amount,
                    Bill.paid_amount,
                )
                .join(Bill, Bill.id == Payment.bill_id)
                .where(Payment.building_id == world.building_pk)
            )
        ).all()
        keys = [f"epd-cashback:{row[0]}" for row in payments]
        entries = (
            await session.execute(
                select(PointEntry.source_key, PointEntry.amount).where(
                    PointEntry.source_key.in_(keys)
                )
            )
        ).all()
        payers = sorted({row[1] for row in payments})
        balances = dict(
            (
                await session.execute(
                    select(PointBalance.user_id, PointBalance.balance).where(
                        PointBalance.user_id.in_(payers)
                    )
                )
            ).all()
        )
        sums = dict(
            (
                await session.execute(
                    select(PointEntry.user_id, func.sum(PointEntry.amount))
                    .where(PointEntry.user_id.in_(payers))
                    .group_by(PointEntry.user_id)
                )
            ).all()
        )
    awarded: dict[int, list[int]] = {}
    for source_key, amount in entries:
        awarded.setdefault(int(source_key.split(":")[1]), []).append(int(amount))
    per_bill: dict[int, tuple[int, int, int]] = {}
    for payment_id, _, status, bill_id, kind, amount, paid in payments:
        found = awarded.get(payment_id, [])
        assert len(found) <= 1, (payment_id, found)
        if status is not PaymentStatus.SUCCEEDED or kind is not BillKind.EPD:
            assert found == [], (payment_id, status, kind)
        settled = min(paid, amount) if kind is BillKind.EPD else 0
        total, count, cap = per_bill.get(bill_id, (0, 0, cashback(settled, 5)))
        per_bill[bill_id] = (total + sum(found), count + len(found), cap)
    for bill_id, (total, count, cap) in per_bill.items():
        assert cap - count <= total <= cap, (bill_id, total, cap)
    assert {user: int(balances.get(user, 0)) for user in payers} == {
        user: int(sums.get(user, 0)) for user in payers
    }


async def cashback_of(api: Api, payment_id: str) -> list[int]:
    """The ЕПД cashback entries for a payment (at most one)."""
    async with api.db.transaction() as (session, _):
        return [
            int(amount)
            for (amount,) in await session.execute(
                select(PointEntry.amount).where(
                    PointEntry.source_key == f"epd-cashback:{pk(payment_id)}"
                )
            )
        ]


async def payments_snapshot(api: Api, world: World) -> list[tuple[Any, ...]]:
    async with api.db.transaction() as (session, _):
        rows = await session.execute(
            select(Payment.__table__).where(Payment.building_id == world.building_pk)
        )
        return sorted(tuple(row) for row in rows)


async def bills_snapshot(api: Api, world: World) -> list[tuple[Any, ...]]:
    async with api.db.transaction() as (session, _):
        rows = await session.execute(
            select(Bill.__table__).where(Bill.building_id == world.building_pk)
        )
        return sorted(tuple(row) for row in rows)


async def webhook_events(api: Api, payment_id: str) -> list[tuple[str, str]]:
    """``(kind, outcome)`` of the events recorded for a payment, in order."""
    async with api.db.transaction() as (session, _):
        rows = await session.execute(
            select(PaymentWebhookEvent.kind, PaymentWebhookEvent.outcome)
            .where(PaymentWebhookEvent.payment_id == pk(payment_id))
            .order_by(PaymentWebhookEvent.id)
        )
        return [(str(kind), str(outcome)) for kind, outcome in rows]


async def notifications_of(api: Api, person: Person, kinds: tuple[str, ...]) -> list[Any]:
    """``(kind, subject id, data)`` of the person's notifications of these kinds."""
    async with api.db.transaction() as (session, _):
        rows = await session.execute(
            select(Notification.kind, Notification.subject_id, Notification.data)
            .where(Notification.user_id == person.pk, Notification.kind.in_(kinds))
            .order_by(Notification.id)
        )
        return [tuple(row) for row in rows]
