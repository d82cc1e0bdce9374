"""Per-user notifications with read state, the devices they are pushed to, per-user
mutes and the push deliveries."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.models import BigId, CreatedAt


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_id", "user_id", "id"),
        Index("ix_notifications_unread", "user_id", postgresql_where=text("read_at IS NULL")),
    )

    id: Mapped[BigId]
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(BigInteger)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    created_at: Mapped[CreatedAt]
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PushPlatform(enum.Enum):
    """Where a device receives pushes."""

    WEB_PUSH = "WEB_PUSH"
    FCM = "FCM"
    APNS = "APNS"


class NotificationCategory(enum.Enum):
    """What a user can mute on their phones (see ``service.categories``)."""

    VEHICLE_CONTACT = "VEHICLE_CONTACT"
    INTERCOM_CALL = "INTERCOM_CALL"
    DIRECT_MESSAGE = "DIRECT_MESSAGE"
    MEETINGS = "MEETINGS"
    REPAIRS = "REPAIRS"
    BUILDING_NOTICES = "BUILDING_NOTICES"


class DeliveryState(enum.Enum):
    """A push delivery's state: PENDING until sent, failed for good, or the device gone."""

    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"
    GONE = "GONE"


push_platform = Enum(PushPlatform, name="push_platform")
notification_category = Enum(NotificationCategory, name="notification_category")
delivery_state = Enum(DeliveryState, name="push_delivery_state")


class PushDevice(Base):
    """A device of a user that receives pushes; one row per endpoint (an app install).

    ``endpoint`` is the Web Push subscription URL or the FCM / APNs token. A removed or
    gone device keeps its row (``removed_at``) so its deliveries stay on record;
    registering the endpoint again revives it."""

    __tablename__ = "push_devices"
    __table_args__ = (
        UniqueConstraint("platform", "endpoint", name="uq_push_devices_platform_endpoint"),
        Index("ix_push_devices_user_id", "user_id", postgresql_where=text("removed_at IS NULL")),
    )

    id: Mapped[BigId]
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[PushPlatform] = mapped_column(push_platform)
    endpoint: Mapped[str] = mapped_column(Text)
    p256dh: Mapped[str | None] = mapped_column(String(100))
    auth: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NotificationMute(Base):
    """A category of notifications the user does not want pushed to their devices."""

    __tablename__ = "notification_mutes"

    user_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[NotificationCategory] = mapped_column(notification_category, primary_key=True)
    created_at: Mapped[CreatedAt]


class PushDelivery(Base):
    """One notification to one device: at most one row, hence at most one push."""

    __tablename__ = "push_deliveries"
    __table_args__ = (
        UniqueConstraint("notification_id", "device_id", name="uq_push_deliveries_pair"),
        Index("ix_push_deliveries_device_id", "device_id"),
        Index(
            "ix_push_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("state = 'PENDING'"),
        ),
    )

    id: Mapped[BigId]
    notification_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("notifications.id", ondelete="CASCADE")
    )
    device_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("push_devices.id", ondelete="CASCADE")
    )
    state: Mapped[DeliveryState] = mapped_column(
        delivery_state, server_default=DeliveryState.PENDING.value
    )
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When it is due again; NULL: at once (a new delivery)."""
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[CreatedAt]
