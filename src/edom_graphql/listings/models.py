"""The listings board of a building: residents' offers, requests and notices."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.models import BigId, CreatedAt
from edom_graphql.core.photos import MAX_PHOTO_BYTES as MAX_PHOTO_BYTES  # re-exported
from edom_graphql.core.photos import MAX_PHOTOS as MAX_PHOTOS  # re-exported

MAX_TITLE_LENGTH = 120
MAX_BODY_LENGTH = 4000
MAX_PRICE_KOPECKS = 10**11
MAX_REASON_LENGTH = 500


class ListingCategory(enum.Enum):
    SELL = "SELL"
    GIVE_AWAY = "GIVE_AWAY"
    SERVICE = "SERVICE"
    LOST_PET = "LOST_PET"
    FOUND_PET = "FOUND_PET"
    LEND = "LEND"
    OTHER = "OTHER"


FREE_CATEGORIES = frozenset(
    {ListingCategory.GIVE_AWAY, ListingCategory.LOST_PET, ListingCategory.FOUND_PET}
)
"""Categories whose listings carry no price."""


class ListingStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    CLOSED = "CLOSED"
    REMOVED = "REMOVED"


graphql_enum(
    ListingCategory,
    "What a listing is about.",
    {
        ListingCategory.SELL: "Something for sale.",
        ListingCategory.GIVE_AWAY: "Something given away for free (no price).",
        ListingCategory.SERVICE: "A service offered.",
        ListingCategory.LOST_PET: "A pet that went missing (no price).",
        ListingCategory.FOUND_PET: "A pet that was found (no price).",
        ListingCategory.LEND: "Something lent to neighbours.",
        ListingCategory.OTHER: "Anything else.",
    },
)
graphql_enum(
    ListingStatus,
    "Where a listing is in its life.",
    {
        ListingStatus.ACTIVE: "On the board.",
        ListingStatus.CLOSED: "Closed by its author (still readable).",
        ListingStatus.REMOVED: "Removed by the building's staff: only staff and the author see it.",
    },
)

listing_category = Enum(ListingCategory, name="listing_category")
listing_status = Enum(ListingStatus, name="listing_status")


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (Index("ix_listings_building_id_status_id", "building_id", "status", "id"),)

    id: Mapped[BigId]
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    category: Mapped[ListingCategory] = mapped_column(listing_category)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_LENGTH))
    body: Mapped[str] = mapped_column(String(MAX_BODY_LENGTH))
    price_kopecks: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[ListingStatus] = mapped_column(listing_status)
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    removed_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id"), nullable=True
    )
    removal_reason: Mapped[str | None] = mapped_column(String(MAX_REASON_LENGTH), nullable=True)


class ListingPhoto(Base):
    """A photo of a listing; the bytes live in storage under ``storage_key``."""

    __tablename__ = "listing_photos"
    __table_args__ = (UniqueConstraint("listing_id", "position"),)

    id: Mapped[BigId]
    listing_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("listings.id", ondelete="CASCADE")
    )
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(SmallInteger)
