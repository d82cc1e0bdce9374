"""The provider's confirmations: ``POST /payments/webhook/<provider>``.

A webhook is authenticated by its provider (signature, timestamp window) before anything
is read; a bad one is answered 401 and changes nothing. An authentic event is processed
in one transaction: its id is recorded (unique per provider, so a replayed or concurrent
copy finds it and changes nothing: ``DUPLICATE``), the payment is locked and moved, and
on success the bill is credited, ЕПД cashback awarded and the payer notified, all in the
same transaction. The answer is 2xx only once that has committed: a provider retries
anything else.

How a payment moves, whatever order the events come in:

- PENDING → SUCCEEDED (the bill is credited) or FAILED (nothing is credited);
- FAILED → SUCCEEDED when the provider confirms the money after all (a retried attempt,
  or the events delivered out of order): credited then;
- SUCCEEDED is final: a later failure, or a second success under another event id, is
  recorded as IGNORED and changes nothing. So a payment is credited at most once.

An event for a payment that is not ours, or whose amount or provider id differ from the
payment's, is recorded (UNKNOWN_PAYMENT, MISMATCH) and changes nothing.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.billing.models import Bill, BillKind, Payment, PaymentStatus, PaymentWebhookEvent
from edom_graphql.billing.service.bills import cashback_base, rubles, standing
from edom_graphql.billing.service.providers import (
    MAX_WEBHOOK_BYTES,
    EventKind,
    WebhookEvent,
    WebhookRejected,
    provider_named,
)
from edom_graphql.core.context import Services
from edom_graphql.core.db import Outbox
from edom_graphql.notifications.service import messages, notify
from edom_graphql.points.models import AwardReason
from edom_graphql.points.service.ledger import amount_of, award, cashback

log = logging.getLogger("edom_graphql.billing.webhooks")


class Outcome(enum.Enum):
    APPLIED = "APPLIED"
    IGNORED = "IGNORED"
    DUPLICATE = "DUPLICATE"
    UNKNOWN_PAYMENT = "UNKNOWN_PAYMENT"
    MISMATCH = "MISMATCH"


async def process(
    session: AsyncSession, outbox: Outbox, *, provider: str, event: WebhookEvent, now: datetime
) -> Outcome:
    """Apply one authentic event, once per event id (see the module)."""
    recorded = (
        await session.execute(
            pg_insert(PaymentWebhookEvent)
            .values(
                provider=provider,
                event_id=event.event_id,
                kind=event.kind.value,
                outcome="RECEIVED",
                occurred_at=event.occurred_at,
            )
            .on_conflict_do_nothing(index_elements=["provider", "event_id"])
            .returning(PaymentWebhookEvent.id)
        )
    ).scalar_one_or_none()
    if recorded is None:
        return Outcome.DUPLICATE
    outcome, payment_id = await _apply(session, outbox, provider=provider, event=event, now=now)
    await session.execute(
        update(PaymentWebhookEvent)
        .where(PaymentWebhookEvent.id == recorded)
        .values(outcome=outcome.value, payment_id=payment_id)
    )
    if outcome in (Outcome.UNKNOWN_PAYMENT, Outcome.MISMATCH):
        log.warning(
            "payment webhook not applied",
            extra={"provider": provider, "event_id": event.event_id, "outcome": outcome.value},
        )
    return outcome


async def _apply(
    session: AsyncSession, outbox: Outbox, *, provider: str, event: WebhookEvent, now: datetime
) -> tuple[Outcome, int | None]:
    if event.kind is EventKind.OTHER:
        return Outcome.IGNORED, None
    if event.payment_id is None:
        return Outcome.UNKNOWN_PAYMENT, None
    payment = (
        await session.execute(
            select(
                Payment.id,
                Payment.bill_id,
                Payment.user_id,
                Payment.amount,
                Payment.status,
                Payment.provider_payment_id,
            )
            .where(Payment.id == event.payment_id, Payment.provider == provider)
            .with_for_update()
        )
    ).one_or_none()
    if payment is None:
        return Outcome.UNKNOWN_PAYMENT, None
    if event.amount != payment.amount or (
        payment.provider_payment_id is not None
        and event.provider_payment_id != payment.provider_payment_id
    ):
        return Outcome.MISMATCH, payment.id
    status = PaymentStatus(payment.status)
    if status is PaymentStatus.SUCCEEDED:
        return Outcome.IGNORED, payment.id
    moved = {
        "confirmed_at": now,
        "provider_payment_id": payment.provider_payment_id or event.provider_payment_id,
    }
    if event.kind is EventKind.FAILED:
        if status is PaymentStatus.FAILED:
            return Outcome.IGNORED, payment.id
        reason = event.failure_reason or "declined"
        await session.execute(
            update(Payment)
            .where(Payment.id == payment.id)
            .values(status=PaymentStatus.FAILED, failure_reason=reason, **moved)
        )
        await notify(
            session,
            outbox,
            user_id=payment.user_id,
            kind="PAYMENT_FAILED",
            message=messages.PAYMENT_FAILED(amount=rubles(payment.amount), reason=reason),
            subject_type="Payment",
            subject_id=payment.id,
            data={"amount": payment.amount, "reason": reason},
        )
        return Outcome.APPLIED, payment.id
    await session.execute(
        update(Payment)
        .where(Payment.id == payment.id)
        .values(status=PaymentStatus.SUCCEEDED, failure_reason=None, **moved)
    )
    await _credit(
        session,
        outbox,
        payment_id=payment.id,
        bill_id=payment.bill_id,
        payer_id=payment.user_id,
        amount=payment.amount,
    )
    return Outcome.APPLIED, payment.id


async def _credit(
    session: AsyncSession,
    outbox: Outbox,
    *,
    payment_id: int,
    bill_id: int,
    payer_id: int,
    amount: int,
) -> None:
    """Add a succeeded payment to its bill; ЕПД cashback on the part that settles it."""
    bill = (
        await session.execute(
            update(Bill)
            .where(Bill.id == bill_id)
            .values(paid_amount=Bill.paid_amount + amount)
            .returning(Bill.kind, Bill.amount, Bill.paid_amount)
        )
    ).one()
    due_before = standing(bill.amount, bill.paid_amount - amount).due
    after = standing(bill.amount, bill.paid_amount)
    base = cashback_base(amount, due_before=due_before)
    if BillKind(bill.kind) is BillKind.EPD and base > 0:
        percent = await amount_of(session, AwardReason.EPD_CASHBACK)
        await award(
            session,
            outbox,
            user_id=payer_id,
            reason=AwardReason.EPD_CASHBACK,
            source_key=f"epd-cashback:{payment_id}",
            points=cashback(base, percent),
        )
    await notify(
        session,
        outbox,
        user_id=payer_id,
        kind="PAYMENT_SUCCEEDED",
        message=messages.PAYMENT_SUCCEEDED(
            amount=rubles(amount), status=messages.BILL_STATUS[after.status.value]
        ),
        subject_type="Payment",
        subject_id=payment_id,
        data={"amount": amount, "billStatus": after.status.value},
    )


async def read_body(chunks: AsyncIterator[bytes], limit: int = MAX_WEBHOOK_BYTES) -> bytes | None:
    """The request body, or None when it is longer than ``limit``."""
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


async def receive_webhook(
    services: Services, provider_name: str, headers: Mapping[str, str], chunks: AsyncIterator[bytes]
) -> tuple[int, dict[str, Any]]:
    """The HTTP status and JSON answer to one webhook delivery."""
    provider = provider_named(services.settings, services.clock, provider_name)
    if provider is None:
        return 404, {"error": "UNKNOWN_PROVIDER", "message": "No such payment provider."}
    body = await read_body(chunks)
    if body is None:
        return 413, {"error": "TOO_LARGE", "message": "The webhook body is too large."}
    try:
        event = provider.verify_webhook(headers, body)
    except WebhookRejected as rejected:
        log.warning(
            "payment webhook rejected", extra={"provider": provider.name, "code": rejected.code}
        )
        return rejected.status, {"error": rejected.code, "message": rejected.message}
    async with services.db.transaction() as (session, outbox):
        outcome = await process(
            session, outbox, provider=provider.name, event=event, now=services.clock()
        )
    return 200, {"outcome": outcome.value, "eventId": event.event_id}
