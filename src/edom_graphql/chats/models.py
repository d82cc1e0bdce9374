"""Chats: the building chat, direct chats between neighbours, the management chat of a
premise; their messages, the per-chat event log that live subscribers resume from, and
each member's read position."""

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
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.models import BigId, CreatedAt

MAX_MESSAGE_LENGTH = 4000
MAX_REASON_LENGTH = 500
MAX_CLIENT_KEY_LENGTH = 64


class ChatKind(enum.Enum):
    BUILDING = "BUILDING"
    DIRECT = "DIRECT"
    MANAGEMENT = "MANAGEMENT"


class ChatEventKind(enum.Enum):
    ADDED = "ADDED"
    EDITED = "EDITED"
    DELETED = "DELETED"
    REMOVED = "REMOVED"


graphql_enum(
    ChatKind,
    "Which kind of chat.",
    {
        ChatKind.BUILDING: "The chat of everyone living in the building (no initial guests, "
        "no staff).",
        ChatKind.DIRECT: "A private chat of two users who share a building.",
        ChatKind.MANAGEMENT: "The chat of a premise's occupants with the staff of the "
        "building's management organisation.",
    },
)
graphql_enum(
    ChatEventKind,
    "What happened to a message.",
    {
        ChatEventKind.ADDED: "It was sent.",
        ChatEventKind.EDITED: "Its author changed its text.",
        ChatEventKind.DELETED: "Its author deleted it (its text is gone).",
        ChatEventKind.REMOVED: "Staff removed it as abusive (its text is gone).",
    },
)

chat_kind = Enum(ChatKind, name="chat_kind")
chat_event_kind = Enum(ChatEventKind, name="chat_event_kind")


class Chat(Base):
    """One row per chat. Building and management chats are created with their building
    or premise (by database triggers, see migration 0006), direct chats when opened."""

    __tablename__ = "chats"
    __table_args__ = (
        CheckConstraint(
            "(kind = 'BUILDING' AND premise_id IS NULL AND user_low_id IS NULL"
            " AND user_high_id IS NULL)"
            " OR (kind = 'MANAGEMENT' AND premise_id IS NOT NULL AND user_low_id IS NULL"
            " AND user_high_id IS NULL)"
            " OR (kind = 'DIRECT' AND premise_id IS NULL AND user_low_id < user_high_id)",
            name="kind_shape",
        ),
        Index(
            "uq_chats_building",
            "building_id",
            unique=True,
            postgresql_where=text("kind = 'BUILDING'"),
        ),
        Index(
            "uq_chats_premise",
            "premise_id",
            unique=True,
            postgresql_where=text("kind = 'MANAGEMENT'"),
        ),
        Index(
            "uq_chats_direct_pair",
            "user_low_id",
            "user_high_id",
            unique=True,
            postgresql_where=text("kind = 'DIRECT'"),
        ),
        Index("ix_chats_user_high_id", "user_high_id", postgresql_where=text("kind = 'DIRECT'")),
        Index(
            "ix_chats_building_activity",
            "building_id",
            "last_activity_at",
            postgresql_where=text("last_message_id IS NOT NULL"),
        ),
    )

    id: Mapped[BigId]
    kind: Mapped[ChatKind] = mapped_column(chat_kind)
    # An empty chat goes with its building or premise; one with messages keeps them.
    building_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("buildings.id", ondelete="CASCADE")
    )
    premise_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("premises.id", ondelete="CASCADE"), nullable=True
    )
    user_low_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id"), nullable=True
    )
    user_high_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id"), nullable=True
    )
    created_at: Mapped[CreatedAt]
    last_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_activity_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=text("now()")
    )


class ChatMessage(Base):
    __tablename__ = "chat_messages"
    __table_args__ = (
        Index("ix_chat_messages_chat_id_id", "chat_id", "id"),
        UniqueConstraint("chat_id", "author_id", "client_key"),
    )

    id: Mapped[BigId]
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(String(MAX_MESSAGE_LENGTH))
    client_key: Mapped[str | None] = mapped_column(String(MAX_CLIENT_KEY_LENGTH), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    edited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    removed_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("users.id"), nullable=True
    )
    removal_reason: Mapped[str | None] = mapped_column(String(MAX_REASON_LENGTH), nullable=True)


class ChatEvent(Base):
    """The chat's log: one row per message sent, edited, deleted or removed. Writers of a
    chat are serialised, so id order is commit order (see :mod:`edom_graphql.core.streams`)."""

    __tablename__ = "chat_events"
    __table_args__ = (Index("ix_chat_events_chat_id_id", "chat_id", "id"),)

    id: Mapped[BigId]
    chat_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chats.id"))
    message_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chat_messages.id"))
    kind: Mapped[ChatEventKind] = mapped_column(chat_event_kind)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ChatRead(Base):
    """How far a member has read a chat."""

    __tablename__ = "chat_reads"

    chat_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("chats.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), primary_key=True)
    last_read_message_id: Mapped[int] = mapped_column(BigInteger)


class ChatMessageReport(Base):
    """A member's complaint about a building-chat message: its moderators (CHAT_MODERATE)
    are notified and may then read that message, and remove it."""

    __tablename__ = "chat_message_reports"
    __table_args__ = (UniqueConstraint("message_id", "reporter_id"),)

    id: Mapped[BigId]
    message_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("chat_messages.id"))
    reporter_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(MAX_REASON_LENGTH))
    created_at: Mapped[CreatedAt]
