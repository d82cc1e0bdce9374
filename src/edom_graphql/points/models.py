"""City points: an append-only ledger per user with its running balance, the table of
award amounts, and the catalogue of rewards with their promo codes and redemptions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.models import BigId, CreatedAt

MAX_SOURCE_KEY_LENGTH = 200
MAX_REASON_LENGTH = 40
MAX_TITLE_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 2000
MAX_PARTNER_LENGTH = 200
MAX_CODE_LENGTH = 100


class AwardReason(enum.Enum):
    """What the platform awards points for; the amounts are rows of ``point_awards``."""

    POLL_CREATED = "POLL_CREATED"
    FIRST_LISTING = "FIRST_LISTING"
    MEETING_CREATED = "MEETING_CREATED"
    MEETING_ADMINISTERED = "MEETING_ADMINISTERED"
    MEETING_VOTED = "MEETING_VOTED"
    METER_READING = "METER_READING"
    EPD_CASHBACK = "EPD_CASHBACK"


class SpendReason(enum.Enum):
    """What points are spent on (the reason of a negative entry)."""

    REWARD_REDEEMED = "REWARD_REDEEMED"
    DONATION = "DONATION"


class PointAward(Base):
    """The configurable table of awards: how many points each reason earns
    (``EPD_CASHBACK`` is a percentage of the paid amount in roubles)."""

    __tablename__ = "point_awards"
    __table_args__ = (CheckConstraint("points >= 0", name="points_not_negative"),)

    reason: Mapped[str] = mapped_column(String(MAX_REASON_LENGTH), primary_key=True)
    points: Mapped[int] = mapped_column(Integer)


class PointEntry(Base):
    """One award (positive) or spend (negative); never updated or deleted. The source key
    names the action it is for, so the same action is never counted twice."""

    __tablename__ = "point_entries"
    __table_args__ = (
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        Index("ix_point_entries_user_id_id", "user_id", "id"),
    )

    id: Mapped[BigId]
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(MAX_REASON_LENGTH))
    source_key: Mapped[str] = mapped_column(String(MAX_SOURCE_KEY_LENGTH), unique=True)
    balance_after: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[CreatedAt]


class PointBalance(Base):
    """The sum of a user's entries, kept in the entries' transactions; it can never be
    negative (the check refuses a spend that would make it so)."""

    __tablename__ = "point_balances"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), primary_key=True)
    balance: Mapped[int] = mapped_column(BigInteger)


class RewardKind(enum.Enum):
    """What a reward of the catalogue is."""

    GOODS = "GOODS"
    SERVICE = "SERVICE"
    PROMO_CODE = "PROMO_CODE"
    CHARITY = "CHARITY"


reward_kind = Enum(RewardKind, name="reward_kind")


class Reward(Base):
    """An item of the catalogue; ``stock`` null: unlimited (a charity takes any amount)."""

    __tablename__ = "rewards"
    __table_args__ = (
        CheckConstraint("stock IS NULL OR stock >= 0", name="stock_not_negative"),
        CheckConstraint("price > 0 OR kind = 'CHARITY'", name="price_positive"),
    )

    id: Mapped[BigId]
    kind: Mapped[RewardKind] = mapped_column(reward_kind)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_LENGTH))
    description: Mapped[str] = mapped_column(String(MAX_DESCRIPTION_LENGTH))
    partner: Mapped[str] = mapped_column(String(MAX_PARTNER_LENGTH))
    price: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[CreatedAt]


class RewardCode(Base):
    """A promo code of a PROMO_CODE reward, given to one redemption."""

    __tablename__ = "reward_codes"
    __table_args__ = (
        Index(
            "ix_reward_codes_free",
            "reward_id",
            "id",
            postgresql_where="redemption_id IS NULL",
        ),
        UniqueConstraint("reward_id", "code"),
    )

    id: Mapped[BigId]
    reward_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("rewards.id"))
    code: Mapped[str] = mapped_column(String(MAX_CODE_LENGTH))
    redemption_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("reward_redemptions.id"), unique=True
    )


class RewardRedemption(Base):
    """A reward redeemed, or points donated to a charity, by one user: the spend entry
    it was paid with (whose source key carries the request's idempotency key)."""

    __tablename__ = "reward_redemptions"
    __table_args__ = (
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_reward_redemptions_user_id_id", "user_id", "id"),
    )

    id: Mapped[BigId]
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    reward_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("rewards.id"))
    entry_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("point_entries.id"), unique=True)
    points: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
