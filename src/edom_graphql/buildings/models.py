"""Management organisations, buildings, premises and staff."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.capabilities import StaffRole
from edom_graphql.core.db import Base
from edom_graphql.core.models import BigId, CreatedAt


class PremiseKind(enum.Enum):
    APARTMENT = "APARTMENT"
    NON_RESIDENTIAL = "NON_RESIDENTIAL"
    PARKING = "PARKING"


class ManagementOrganisation(Base):
    __tablename__ = "management_organisations"

    id: Mapped[BigId]
    name: Mapped[str] = mapped_column(String(300))
    inn: Mapped[str] = mapped_column(String(12), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[CreatedAt]


class Building(Base):
    __tablename__ = "buildings"
    __table_args__ = (
        CheckConstraint("total_area > 0", name="total_area_positive"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )

    id: Mapped[BigId]
    organisation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("management_organisations.id"), index=True
    )
    address: Mapped[str] = mapped_column(String(500))
    latitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    total_area: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    intercom_capable: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))
    created_at: Mapped[CreatedAt]


premise_kind = Enum(PremiseKind, name="premise_kind")


class Premise(Base):
    __tablename__ = "premises"
    __table_args__ = (
        UniqueConstraint("building_id", "kind", "number"),
        CheckConstraint("area > 0", name="area_positive"),
        Index("ix_premises_building_order", "building_id", "number_sort", "number", "id"),
    )

    id: Mapped[BigId]
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    kind: Mapped[PremiseKind] = mapped_column(premise_kind)
    number: Mapped[str] = mapped_column(String(16))
    number_sort: Mapped[int] = mapped_column(Integer)
    area: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    entrance: Mapped[int | None] = mapped_column(SmallInteger)
    floor: Mapped[int | None] = mapped_column(SmallInteger)
    payer_code: Mapped[str | None] = mapped_column(String(20), unique=True)
    created_at: Mapped[CreatedAt]


staff_role = Enum(StaffRole, name="staff_role")


class StaffMembership(Base):
    __tablename__ = "staff_memberships"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id", "role"),)

    id: Mapped[BigId]
    organisation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("management_organisations.id")
    )
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), index=True)
    role: Mapped[StaffRole] = mapped_column(staff_role)
    created_at: Mapped[CreatedAt]
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
