"""Users and their relations to premises: ownership, registration, residency, guest grants."""

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
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.models import BigId, CreatedAt


class GuestLevel(enum.Enum):
    ELEVATED = "ELEVATED"
    BASIC = "BASIC"
    INITIAL = "INITIAL"


class User(Base):
    __tablename__ = "users"

    id: Mapped[BigId]
    subject: Mapped[str] = mapped_column(String(255), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    full_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(254))
    is_admin: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    locale: Mapped[str] = mapped_column(Text, server_default=text("'ru'"))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[CreatedAt]

    __table_args__ = (CheckConstraint("locale IN ('ru', 'en')", name="locale"),)


def _current_per_premise_and_user(table: str) -> Index:
    """At most one current (not ended) relation of a kind per premise and user."""
    return Index(
        f"uq_{table}_current",
        "premise_id",
        "user_id",
        unique=True,
        postgresql_where=text("ended_at IS NULL"),
    )


class PremiseRelation:
    """Columns of a user's lasting relation to a premise (with its building, for
    distribution by building); ``ended_at`` is null while it lasts."""

    id: Mapped[BigId]
    premise_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("premises.id"), index=True)
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    started_at: Mapped[CreatedAt]
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Ownership(PremiseRelation, Base):
    """A share of a premise owned by a user (numerator/denominator of the right)."""

    __tablename__ = "ownerships"
    __table_args__ = (
        CheckConstraint(
            "share_numerator > 0 AND share_denominator > 0"
            " AND share_numerator <= share_denominator",
            name="share_fraction",
        ),
        _current_per_premise_and_user("ownerships"),
    )

    share_numerator: Mapped[int] = mapped_column(Integer)
    share_denominator: Mapped[int] = mapped_column(Integer)


class Registration(PremiseRelation, Base):
    """Registration of a user at the premise's address."""

    __tablename__ = "registrations"
    __table_args__ = (_current_per_premise_and_user("registrations"),)


class ResidencyConfirmation(PremiseRelation, Base):
    """A resident without registration, confirmed by the premise's payer code."""

    __tablename__ = "residency_confirmations"
    __table_args__ = (_current_per_premise_and_user("residency_confirmations"),)


guest_level = Enum(GuestLevel, name="guest_level")


class GuestGrant(Base):
    __tablename__ = "guest_grants"
    __table_args__ = (
        CheckConstraint("expires_at > starts_at", name="span_positive"),
        CheckConstraint("grantor_id <> grantee_id", name="not_self"),
    )

    id: Mapped[BigId]
    premise_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("premises.id"), index=True)
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"), index=True)
    grantor_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    grantee_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    level: Mapped[GuestLevel] = mapped_column(guest_level)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]


class GuestInvitation(Base):
    """An invitation to be a guest at a premise: its code goes to the guest by a way the
    grantor chooses (a message, a link); the guest's acceptance makes the grant. Only a
    hash of the code is kept."""

    __tablename__ = "guest_invitations"
    __table_args__ = (
        CheckConstraint("expires_at > COALESCE(starts_at, created_at)", name="span_positive"),
        Index(
            "ix_guest_invitations_premise_pending",
            "premise_id",
            postgresql_where=text("accepted_at IS NULL AND cancelled_at IS NULL"),
        ),
    )

    id: Mapped[BigId]
    premise_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("premises.id"))
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"), index=True)
    grantor_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    level: Mapped[GuestLevel] = mapped_column(guest_level)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When access begins; None: when the guest accepts."""
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    accept_by: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    grant_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("guest_grants.id"), unique=True
    )
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[CreatedAt]
