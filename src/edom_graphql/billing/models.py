"""Bills and payments: the bills of premises by month (the single payment document, ЕПД,
and electricity) with their line items, the payments made through the platform, and the
provider's webhook events already processed."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.models import BigId, CreatedAt

MAX_IDEMPOTENCY_KEY_LENGTH = 100
MAX_PROVIDER_LENGTH = 40
MAX_PROVIDER_ID_LENGTH = 100
MAX_EVENT_ID_LENGTH = 200
MAX_URL_LENGTH = 2000
MAX_REASON_LENGTH = 500


class BillKind(enum.Enum):
    EPD = "EPD"
    ELECTRICITY = "ELECTRICITY"


class BillService(enum.Enum):
    """A line item of a bill. The electricity services belong to ELECTRICITY bills, the
    others to the ЕПД; a penalty (пени) may be on either."""

    MAINTENANCE = "MAINTENANCE"
    HEATING = "HEATING"
    COLD_WATER = "COLD_WATER"
    HOT_WATER = "HOT_WATER"
    SEWERAGE = "SEWERAGE"
    WASTE = "WASTE"
    CAPITAL_REPAIR = "CAPITAL_REPAIR"
    INTERCOM = "INTERCOM"
    ANTENNA = "ANTENNA"
    GAS = "GAS"
    ELECTRICITY = "ELECTRICITY"
    ELECTRICITY_T1 = "ELECTRICITY_T1"
    ELECTRICITY_T2 = "ELECTRICITY_T2"
    ELECTRICITY_T3 = "ELECTRICITY_T3"
    PENALTY = "PENALTY"


class PaymentStatus(enum.Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


bill_kind = Enum(BillKind, name="bill_kind")
bill_service = Enum(BillService, name="bill_service")
payment_status = Enum(PaymentStatus, name="payment_status")


class Bill(Base):
    """What a premise owes for one month and kind, as the city's billing centre issued
    it; ``paid_amount`` is the sum of the payments that succeeded, kept in their
    transactions."""

    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("premise_id", "period", "kind"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint("paid_amount >= 0", name="paid_amount_not_negative"),
        CheckConstraint(
            "period BETWEEN 190001 AND 299912 AND period % 100 BETWEEN 1 AND 12",
            name="period_is_a_month",
        ),
    )

    id: Mapped[BigId]
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    premise_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("premises.id"))
    kind: Mapped[BillKind] = mapped_column(bill_kind)
    period: Mapped[int] = mapped_column(Integer)
    """The month billed, as ``YYYYMM``."""
    amount: Mapped[int] = mapped_column(BigInteger)
    """Kopecks: the sum of the lines."""
    paid_amount: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    due_on: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    """1 as issued; one more for every correction the billing centre sent."""
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[CreatedAt]


class BillLine(Base):
    __tablename__ = "bill_lines"
    __table_args__ = (
        UniqueConstraint("bill_id", "service"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
    )

    id: Mapped[BigId]
    bill_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("bills.id"))
    position: Mapped[int] = mapped_column(SmallInteger)
    service: Mapped[BillService] = mapped_column(bill_service)
    amount: Mapped[int] = mapped_column(BigInteger)


class Payment(Base):
    """One payment of a bill through a provider, started by ``billPay``: PENDING until the
    provider's signed webhook says SUCCEEDED or FAILED. One per user and idempotency key."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("user_id", "idempotency_key"),
        UniqueConstraint("provider", "provider_payment_id"),
        CheckConstraint("amount > 0", name="amount_positive"),
        Index("ix_payments_premise_id_id", "premise_id", "id"),
        Index("ix_payments_bill_id_id", "bill_id", "id"),
    )

    id: Mapped[BigId]
    bill_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("bills.id"))
    premise_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("premises.id"))
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(MAX_IDEMPOTENCY_KEY_LENGTH))
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[PaymentStatus] = mapped_column(payment_status)
    provider: Mapped[str] = mapped_column(String(MAX_PROVIDER_LENGTH))
    provider_payment_id: Mapped[str | None] = mapped_column(String(MAX_PROVIDER_ID_LENGTH))
    confirmation_url: Mapped[str | None] = mapped_column(String(MAX_URL_LENGTH))
    failure_reason: Mapped[str | None] = mapped_column(String(MAX_REASON_LENGTH))
    created_at: Mapped[CreatedAt]
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When the provider's confirmation (success or failure) was processed."""


class PaymentWebhookEvent(Base):
    """A provider's webhook event, recorded once when it is processed: a replay of the
    same event id finds it here and changes nothing."""

    __tablename__ = "payment_webhook_events"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[BigId]
    provider: Mapped[str] = mapped_column(String(MAX_PROVIDER_LENGTH))
    event_id: Mapped[str] = mapped_column(String(MAX_EVENT_ID_LENGTH))
    payment_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("payments.id"))
    kind: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[CreatedAt]
