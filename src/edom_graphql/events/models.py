"""Events: city-wide reference data with a place (a point on the map) and a time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Double,
    Index,
    Numeric,
    String,
    Text,
    cast,
    func,
    literal_column,
)
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.models import BigId, CreatedAt


def location_point(longitude: Any = None, latitude: Any = None) -> Any:
    """An event's place as a geometric point (longitude, latitude): the expression of
    ``ix_events_location``, which a statement must spell the same to use the index (it
    passes the columns; the index names them)."""
    return func.point(
        cast(literal_column("longitude") if longitude is None else longitude, Double),
        cast(literal_column("latitude") if latitude is None else latitude, Double),
    )


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        # "Events nearby" finds the events in its bounding box in this index, which
        # carries all the search reads of them (an index-only scan).
        Index(
            "ix_events_location",
            location_point(),
            postgresql_using="gist",
            postgresql_include=["id", "latitude", "longitude", "starts_at", "ends_at"],
        ),
        Index("ix_events_starts_at", "starts_at"),
    )

    id: Mapped[BigId]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(300))
    latitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal] = mapped_column(Numeric(9, 6))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[CreatedAt]
