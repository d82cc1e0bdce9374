"""Paying a bill: a payment is created once per payer and idempotency key, then the
provider is asked for it with the payment's reference as its idempotence key.

1. In one transaction the payment is found by ``(payer, idempotency key)`` or inserted
   PENDING (the unique constraint decides a race: the loser finds the winner's row). The
   same key with another bill or amount is refused (``IDEMPOTENCY_KEY_REUSED``).
2. Outside any transaction the provider creates its payment for the reference
   ``edom-payment-<id>``: asked again (a retry, a race) it answers with the same one, so
   the payer is charged once.
3. The provider's id and confirmation URL are stored with the payment.

A provider that does not answer leaves the payment PENDING without a URL; ``billPay`` with
the same key asks it again. A key names one attempt: after a failure, pay with a new key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.billing.models import (
    MAX_IDEMPOTENCY_KEY_LENGTH,
    Bill,
    BillKind,
    Payment,
    PaymentStatus,
)
from edom_graphql.billing.service.bills import check_amount, month_of, standing
from edom_graphql.billing.service.providers import (
    NewPayment,
    PaymentProvider,
    ProviderPayment,
    ProviderRefused,
    ProviderUnavailable,
    reference_of,
)
from edom_graphql.core.db import Database, Outbox, run_in_transaction
from edom_graphql.core.errors import ServiceError

KEY = re.compile(rf"[!-~]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}")
KIND_NAMES = {BillKind.EPD: "ЕПД", BillKind.ELECTRICITY: "Электроэнергия"}


@dataclass(frozen=True, slots=True)
class Started:
    payment_id: int
    amount: int
    description: str
    provider_payment_id: str | None
    """Set once the provider has created its payment (nothing more to ask it)."""


@dataclass(frozen=True, slots=True)
class Attempt:
    """The payment ``billPay`` started or found, and why it is not ready, if it is not."""

    payment_id: int | None
    error: ServiceError | None


def check_key(idempotency_key: str) -> None:
    if not KEY.fullmatch(idempotency_key):
        raise ServiceError(
            "INVALID_IDEMPOTENCY_KEY",
            f"An idempotency key is 1–{MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters "
            "without spaces (a UUID, say).",
            ["idempotencyKey"],
        )


async def _existing(
    session: AsyncSession, *, payer_id: int, idempotency_key: str, bill_id: int, amount: int
) -> Started | None:
    row = (
        await session.execute(
            select(
                Payment.id,
                Payment.bill_id,
                Payment.amount,
                Payment.provider_payment_id,
                Bill.kind,
                Bill.period,
            )
            .join(Bill, Bill.id == Payment.bill_id)
            .where(Payment.user_id == payer_id, Payment.idempotency_key == idempotency_key)
        )
    ).one_or_none()
    if row is None:
        return None
    if row.bill_id != bill_id or row.amount != amount:
        raise ServiceError(
            "IDEMPOTENCY_KEY_REUSED",
            "This idempotency key was used for another payment (another bill or amount); "
            "use a new key for a new payment.",
            ["idempotencyKey"],
        )
    return Started(row.id, row.amount, _description(row.kind, row.period), row.provider_payment_id)


def _description(kind: BillKind, period: int) -> str:
    return f"{KIND_NAMES[kind]} за {month_of(period)}"


async def start(
    session: AsyncSession,
    *,
    bill_id: int,
    payer_id: int,
    amount: int,
    idempotency_key: str,
    provider: str,
) -> Started:
    """The payment of this payer and key: found, or created PENDING."""
    check_key(idempotency_key)
    found = await _existing(
        session, payer_id=payer_id, idempotency_key=idempotency_key, bill_id=bill_id, amount=amount
    )
    if found is not None:
        return found
    bill = (
        await session.execute(
            select(
                Bill.premise_id,
                Bill.building_id,
                Bill.kind,
                Bill.period,
                Bill.amount,
                Bill.paid_amount,
            ).where(Bill.id == bill_id)
        )
    ).one_or_none()
    if bill is None:
        raise ServiceError("BILL_NOT_FOUND", "There is no such bill.", ["billId"])
    check_amount(amount, due=standing(bill.amount, bill.paid_amount).due)
    payment_id = (
        await session.execute(
            pg_insert(Payment)
            .values(
                bill_id=bill_id,
                premise_id=bill.premise_id,
                building_id=bill.building_id,
                user_id=payer_id,
                idempotency_key=idempotency_key,
                amount=amount,
                status=PaymentStatus.PENDING,
                provider=provider,
            )
            .on_conflict_do_nothing(index_elements=["user_id", "idempotency_key"])
            .returning(Payment.id)
        )
    ).scalar_one_or_none()
    if payment_id is None:  # a concurrent call with the same key created it first
        raced = await _existing(
            session,
            payer_id=payer_id,
            idempotency_key=idempotency_key,
            bill_id=bill_id,
            amount=amount,
        )
        assert raced is not None
        return raced
    return Started(payment_id, amount, _description(bill.kind, bill.period), None)


async def record_provider_payment(
    session: AsyncSession, *, payment_id: int, created: ProviderPayment
) -> None:
    """Keep the provider's id and confirmation URL (once; a retry finds them kept)."""
    await session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.provider_payment_id.is_(None))
        .values(
            provider_payment_id=created.provider_payment_id,
            confirmation_url=created.confirmation_url,
        )
    )


async def refuse(session: AsyncSession, *, payment_id: int, reason: str, now: datetime) -> None:
    """The provider will not take the payment: it has failed."""
    await session.execute(
        update(Payment)
        .where(Payment.id == payment_id, Payment.status == PaymentStatus.PENDING)
        .values(status=PaymentStatus.FAILED, failure_reason=reason[:500], confirmed_at=now)
    )


async def pay(
    db: Database,
    provider: PaymentProvider | None,
    *,
    bill_id: int,
    payer_id: int,
    amount: int,
    idempotency_key: str,
    return_url: str | None,
    now: datetime,
) -> Attempt:
    """Start (or find) the payment and have the provider create it (see the module)."""
    if provider is None:
        return Attempt(None, _unavailable("No payment provider is configured."))
    provider_name = provider.name

    async def begin(session: AsyncSession, outbox: Outbox) -> Started:
        return await start(
            session,
            bill_id=bill_id,
            payer_id=payer_id,
            amount=amount,
            idempotency_key=idempotency_key,
            provider=provider_name,
        )

    started = await run_in_transaction(db, begin)
    if isinstance(started, ServiceError):
        return Attempt(None, started)
    if started.provider_payment_id is not None:
        return Attempt(started.payment_id, None)
    payment_id = started.payment_id
    try:
        created = await provider.create_payment(
            NewPayment(
                reference=reference_of(payment_id),
                amount=started.amount,
                description=started.description,
                return_url=return_url,
            )
        )
    except ProviderUnavailable:
        return Attempt(
            payment_id,
            _unavailable(
                "The payment provider did not answer; try again with the same idempotency key."
            ),
        )
    except ProviderRefused as refusal:
        reason = str(refusal) or "refused by the provider"

        async def fail(session: AsyncSession, outbox: Outbox) -> None:
            await refuse(session, payment_id=payment_id, reason=reason, now=now)

        await run_in_transaction(db, fail)
        return Attempt(
            payment_id,
            ServiceError("PROVIDER_REFUSED", "The payment provider refused this payment.", None),
        )

    async def keep(session: AsyncSession, outbox: Outbox) -> None:
        await record_provider_payment(session, payment_id=payment_id, created=created)

    await run_in_transaction(db, keep)
    return Attempt(payment_id, None)


def _unavailable(message: str) -> ServiceError:
    return ServiceError("PROVIDER_UNAVAILABLE", message, None)
