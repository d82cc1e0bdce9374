"""Moderating building chats: members report abusive messages to the building's
moderators (CHAT_MODERATE), who may remove them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import Building, StaffMembership
from edom_graphql.chats.models import (
    MAX_REASON_LENGTH,
    ChatEventKind,
    ChatMessage,
    ChatMessageReport,
)
from edom_graphql.chats.service.messages import CHAT_LOCK_CLASS, append_event, excerpt
from edom_graphql.core.capabilities import MATRIX, Capability
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.streams import serialise_writers
from edom_graphql.notifications.service import notify
from edom_graphql.notifications.service.messages import CHAT_MESSAGE_REPORTED


def reason_text(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ServiceError("BLANK", "The reason must not be empty.", ["reason"])
    if len(text) > MAX_REASON_LENGTH:
        raise ServiceError(
            "TOO_LONG", f"The reason has at most {MAX_REASON_LENGTH} characters.", ["reason"]
        )
    return text


async def remove_message(
    session: AsyncSession,
    outbox: Outbox,
    *,
    chat_id: int,
    message_id: int,
    moderator_id: int,
    reason: str,
    now: datetime,
) -> None:
    """Staff take an abusive message out of a building chat."""
    text = reason_text(reason)
    await serialise_writers(session, CHAT_LOCK_CLASS, chat_id)
    removed = (
        await session.execute(
            update(ChatMessage)
            .where(
                ChatMessage.id == message_id,
                ChatMessage.removed_at.is_(None),
                ChatMessage.deleted_at.is_(None),
            )
            .values(removed_at=now, removed_by_id=moderator_id, removal_reason=text)
            .returning(ChatMessage.id)
        )
    ).scalar_one_or_none()
    if removed is None:
        raise ServiceError("GONE", "The message was already deleted or removed.", ["messageId"])
    await append_event(
        session,
        outbox,
        chat_id=chat_id,
        message_id=message_id,
        kind=ChatEventKind.REMOVED,
        now=now,
    )


async def moderators_of(session: AsyncSession, *, building_id: int) -> list[int]:
    """The staff who hold CHAT_MODERATE in the building."""
    roles = MATRIX[Capability.CHAT_MODERATE].staff
    return list(
        (
            await session.execute(
                select(StaffMembership.user_id)
                .distinct()
                .join(Building, Building.organisation_id == StaffMembership.organisation_id)
                .where(
                    Building.id == building_id,
                    StaffMembership.role.in_(list(roles)),
                    StaffMembership.ended_at.is_(None),
                )
                .order_by(StaffMembership.user_id)
            )
        ).scalars()
    )


async def report_message(
    session: AsyncSession,
    outbox: Outbox,
    *,
    message_id: int,
    reporter_id: int,
    reason: str,
    moderator_ids: Sequence[int],
) -> bool:
    """Record a member's complaint about a building-chat message and notify the
    moderators, once per reporter and message; whether this report is new."""
    text = reason_text(reason)
    row = (
        await session.execute(
            select(
                ChatMessage.author_id,
                ChatMessage.body,
                ChatMessage.deleted_at,
                ChatMessage.removed_at,
            ).where(ChatMessage.id == message_id)
        )
    ).one()
    author_id, body, deleted_at, removed_at = row
    if author_id == reporter_id:
        raise ServiceError("OWN_MESSAGE", "You cannot report your own message.", ["messageId"])
    if deleted_at is not None or removed_at is not None:
        raise ServiceError("GONE", "The message was deleted or removed.", ["messageId"])
    reported = (
        await session.execute(
            pg_insert(ChatMessageReport)
            .values(message_id=message_id, reporter_id=reporter_id, reason=text)
            .on_conflict_do_nothing(
                index_elements=[ChatMessageReport.message_id, ChatMessageReport.reporter_id]
            )
            .returning(ChatMessageReport.id)
        )
    ).scalar_one_or_none()
    if reported is None:
        return False
    for moderator_id in moderator_ids:
        await notify(
            session,
            outbox,
            user_id=moderator_id,
            kind="CHAT_MESSAGE_REPORTED",
            message=CHAT_MESSAGE_REPORTED(excerpt=excerpt(body), reason=text),
            subject_type="ChatMessage",
            subject_id=message_id,
        )
    return True
