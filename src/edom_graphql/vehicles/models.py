"""Vehicles that users registered to be reachable through "contact a vehicle owner"."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.models import BigId, CreatedAt


class Vehicle(Base):
    """A plate a user registered; the plate is personal data of that user."""

    __tablename__ = "vehicles"
    __table_args__ = (UniqueConstraint("user_id", "plate_normalized"),)

    id: Mapped[BigId]
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    plate_normalized: Mapped[str] = mapped_column(String(16), index=True)
    plate_display: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[CreatedAt]
