"""Writing a chat's messages: sending, editing and deleting them, and read positions.

Every change to a chat's messages appends a row to the chat's event log in the same
transaction, after :func:`~edom_graphql.core.streams.serialise_writers` for that chat:
within a chat, event ids are commit order, so a subscriber resuming after event N reads
exactly what it has not seen. The new event id is announced on the chat's channel once
the transaction commits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.chats.models import (
    MAX_CLIENT_KEY_LENGTH,
    MAX_MESSAGE_LENGTH,
    Chat,
    ChatEvent,
    ChatEventKind,
    ChatMessage,
    ChatRead,
)
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ratelimit import Window, check_and_count
from edom_graphql.core.streams import serialise_writers
from edom_graphql.notifications.service import notify
from edom_graphql.notifications.service.messages import CHAT_MESSAGE, Message

CHAT_LOCK_CLASS = 1_006
SEND_LIMITS = (Window(limit=30, period=timedelta(minutes=1)), Window(500, timedelta(days=1)))
"""Per sender across all chats: enough for a lively conversation, not for a flood."""


def channel(chat_id: int) -> str:
    return f"chat.{chat_id}"


def message_text(body: str) -> str:
    """The body as stored (trimmed), or the rule it breaks."""
    text = body.strip()
    if not text:
        raise ServiceError("BLANK", "The message must not be empty.", ["body"])
    if len(text) > MAX_MESSAGE_LENGTH:
        raise ServiceError(
            "TOO_LONG", f"A message has at most {MAX_MESSAGE_LENGTH} characters.", ["body"]
        )
    return text


def client_key_text(client_key: str | None) -> str | None:
    if client_key is None:
        return None
    if not 1 <= len(client_key) <= MAX_CLIENT_KEY_LENGTH or not client_key.isprintable():
        raise ServiceError(
            "INVALID_CLIENT_KEY",
            f"The client key has 1–{MAX_CLIENT_KEY_LENGTH} printable characters.",
            ["clientKey"],
        )
    return client_key


async def append_event(
    session: AsyncSession,
    outbox: Outbox,
    *,
    chat_id: int,
    message_id: int,
    kind: ChatEventKind,
    now: datetime,
) -> int:
    event_id: int = (
        await session.execute(
            insert(ChatEvent)
            .values(chat_id=chat_id, message_id=message_id, kind=kind, at=now)
            .returning(ChatEvent.id)
        )
    ).scalar_one()
    outbox.add(channel(chat_id), {"id": event_id})
    return event_id


@dataclass(frozen=True, slots=True)
class Sent:
    message_id: int
    repeated: bool
    """The same client key was sent before: nothing new was stored."""


async def send_message(
    session: AsyncSession,
    outbox: Outbox,
    *,
    chat_id: int,
    author_id: int,
    body: str,
    client_key: str | None,
    now: datetime,
    notify_user_ids: Sequence[int] = (),
    notice: Message = CHAT_MESSAGE,
) -> Sent:
    """Store a message; a retry with the same ``client_key`` returns the first one.

    ``notify_user_ids`` get a CHAT_MESSAGE notification (``notice`` with an excerpt),
    in this transaction, once.
    """
    text = message_text(body)
    key = client_key_text(client_key)
    await serialise_writers(session, CHAT_LOCK_CLASS, chat_id)
    if key is not None:
        existing = (
            await session.execute(
                select(ChatMessage.id).where(
                    ChatMessage.chat_id == chat_id,
                    ChatMessage.author_id == author_id,
                    ChatMessage.client_key == key,
                )
            )
        ).scalar_one_or_none()
        if existing is not None:
            return Sent(existing, repeated=True)
    await check_and_count(
        session,
        bucket="chat_message",
        key=str(author_id),
        user_id=author_id,
        windows=SEND_LIMITS,
        now=now,
    )
    message_id: int = (
        await session.execute(
            insert(ChatMessage)
            .values(chat_id=chat_id, author_id=author_id, body=text, client_key=key, created_at=now)
            .returning(ChatMessage.id)
        )
    ).scalar_one()
    await session.execute(
        update(Chat)
        .where(Chat.id == chat_id)
        .values(last_message_id=message_id, last_activity_at=now)
    )
    await append_event(
        session, outbox, chat_id=chat_id, message_id=message_id, kind=ChatEventKind.ADDED, now=now
    )
    # The author has read everything up to their own message.
    await _advance_read(session, chat_id=chat_id, user_id=author_id, message_id=message_id)
    for user_id in notify_user_ids:
        if user_id != author_id:
            await notify(
                session,
                outbox,
                user_id=user_id,
                kind="CHAT_MESSAGE",
                message=notice(excerpt=excerpt(text)),
                subject_type="ChatMessage",
                subject_id=message_id,
            )
    return Sent(message_id, repeated=False)


async def _own_live_message(
    session: AsyncSession, *, message_id: int, user_id: int
) -> tuple[int, int]:
    """(chat id, author id) of a message that is neither deleted nor removed, locked."""
    row = (
        await session.execute(
            select(
                ChatMessage.chat_id,
                ChatMessage.author_id,
                ChatMessage.deleted_at,
                ChatMessage.removed_at,
            )
            .where(ChatMessage.id == message_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise ServiceError("NOT_FOUND", "No such message.", ["messageId"])
    chat_id, author_id, deleted_at, removed_at = row
    if author_id != user_id:
        raise ServiceError("NOT_AUTHOR", "Only the message's author may do this.", ["messageId"])
    if deleted_at is not None or removed_at is not None:
        raise ServiceError("GONE", "The message was deleted or removed.", ["messageId"])
    return chat_id, author_id


async def edit_message(
    session: AsyncSession,
    outbox: Outbox,
    *,
    chat_id: int,
    message_id: int,
    user_id: int,
    body: str,
    now: datetime,
) -> None:
    text = message_text(body)
    await serialise_writers(session, CHAT_LOCK_CLASS, chat_id)
    await _own_live_message(session, message_id=message_id, user_id=user_id)
    await session.execute(
        update(ChatMessage).where(ChatMessage.id == message_id).values(body=text, edited_at=now)
    )
    await append_event(
        session, outbox, chat_id=chat_id, message_id=message_id, kind=ChatEventKind.EDITED, now=now
    )


async def delete_message(
    session: AsyncSession,
    outbox: Outbox,
    *,
    chat_id: int,
    message_id: int,
    user_id: int,
    now: datetime,
) -> None:
    """Soft delete by the author: the row stays, its text is no longer shown."""
    await serialise_writers(session, CHAT_LOCK_CLASS, chat_id)
    await _own_live_message(session, message_id=message_id, user_id=user_id)
    await session.execute(
        update(ChatMessage).where(ChatMessage.id == message_id).values(deleted_at=now)
    )
    await append_event(
        session,
        outbox,
        chat_id=chat_id,
        message_id=message_id,
        kind=ChatEventKind.DELETED,
        now=now,
    )


EXCERPT = 200
"""Characters of a message quoted in a notification."""


def excerpt(text: str) -> str:
    return text if len(text) <= EXCERPT else text[: EXCERPT - 1] + "…"


async def _advance_read(
    session: AsyncSession, *, chat_id: int, user_id: int, message_id: int
) -> None:
    statement = pg_insert(ChatRead).values(
        chat_id=chat_id, user_id=user_id, last_read_message_id=message_id
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ChatRead.chat_id, ChatRead.user_id],
            set_={
                "last_read_message_id": func.greatest(
                    ChatRead.last_read_message_id, statement.excluded.last_read_message_id
                )
            },
        )
    )


async def mark_read(
    session: AsyncSession, *, chat_id: int, user_id: int, up_to_message_id: int | None
) -> None:
    """Move the member's read position forward (never back) to the given message of this
    chat, or to the chat's latest message."""
    if up_to_message_id is None:
        latest = (
            await session.execute(select(Chat.last_message_id).where(Chat.id == chat_id))
        ).scalar_one_or_none()
        if latest is None:
            return
        up_to_message_id = latest
    else:
        in_chat = (
            await session.execute(
                select(ChatMessage.id).where(
                    ChatMessage.id == up_to_message_id, ChatMessage.chat_id == chat_id
                )
            )
        ).scalar_one_or_none()
        if in_chat is None:
            raise ServiceError("NOT_FOUND", "No such message in this chat.", ["messageId"])
    await _advance_read(session, chat_id=chat_id, user_id=user_id, message_id=up_to_message_id)
