"""Notices of a building's management organisation: the notices, their earlier versions
and the categories each user does not want to be notified of."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.models import BigId, CreatedAt

MAX_TITLE_LENGTH = 200
MAX_TEXT_LENGTH = 4000


class NoticeCategory(enum.Enum):
    HOT_WATER_OUTAGE = "HOT_WATER_OUTAGE"
    COLD_WATER_OUTAGE = "COLD_WATER_OUTAGE"
    ELECTRICITY_OUTAGE = "ELECTRICITY_OUTAGE"
    HEATING_OUTAGE = "HEATING_OUTAGE"
    LIFT_OUTAGE = "LIFT_OUTAGE"
    WORKS = "WORKS"
    RESIDENTS_MEETING = "RESIDENTS_MEETING"
    ANNOUNCEMENT = "ANNOUNCEMENT"


OUTAGE_CATEGORIES = frozenset(
    {
        NoticeCategory.HOT_WATER_OUTAGE,
        NoticeCategory.COLD_WATER_OUTAGE,
        NoticeCategory.ELECTRICITY_OUTAGE,
        NoticeCategory.HEATING_OUTAGE,
        NoticeCategory.LIFT_OUTAGE,
    }
)

notice_category = Enum(NoticeCategory, name="notice_category")


class Notice(Base):
    """A notice to a building, or to some of its entrances (``entrances`` empty: all)."""

    __tablename__ = "notices"
    __table_args__ = (
        Index("ix_notices_building_id_id", "building_id", "id"),
        CheckConstraint("visible_until > visible_from", name="window_order"),
        CheckConstraint(
            "(outage_start IS NULL) = (outage_end IS NULL) AND "
            "(outage_end IS NULL OR outage_end > outage_start)",
            name="outage_order",
        ),
    )

    id: Mapped[BigId]
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    organisation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("management_organisations.id")
    )
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    category: Mapped[NoticeCategory] = mapped_column(notice_category)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    entrances: Mapped[list[int]] = mapped_column(
        ARRAY(SmallInteger), server_default=sql_text("'{}'::smallint[]")
    )
    visible_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    visible_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outage_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outage_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[CreatedAt]
    edit_count: Mapped[int] = mapped_column(SmallInteger, server_default=sql_text("0"))
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    withdrawn_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))


class NoticeVersion(Base):
    """A notice as it was before an edit: one row per edit, the version it replaced."""

    __tablename__ = "notice_versions"
    __table_args__ = (Index("ix_notice_versions_notice_id_id", "notice_id", "id"),)

    id: Mapped[BigId]
    notice_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("notices.id", ondelete="CASCADE"))
    category: Mapped[NoticeCategory] = mapped_column(notice_category)
    title: Mapped[str] = mapped_column(String(MAX_TITLE_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    entrances: Mapped[list[int]] = mapped_column(ARRAY(SmallInteger))
    visible_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    visible_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outage_start: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outage_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    replaced_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    replaced_by: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))


class NoticeCategoryMute(Base):
    """A user does not want to be notified of notices of this category (they still see
    them in the building's list). Separate from the per-kind mutes of push delivery."""

    __tablename__ = "notice_category_mutes"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[NoticeCategory] = mapped_column(notice_category, primary_key=True)
    created_at: Mapped[CreatedAt]
