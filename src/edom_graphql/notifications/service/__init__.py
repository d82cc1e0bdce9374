"""Notifications: written in the writer's transaction, announced after commit.

Writers to one user's stream are serialised by a transaction-scoped advisory
lock taken before the row's id is drawn, so within a user's stream id order is
commit order: a subscriber that has seen id N and later reads ``id > N`` can
never miss a notification that committed late with a smaller id.

In the same transaction each notification gets one push delivery row per device of its
user (unless the user muted its category, see :mod:`.categories`): a notification that
commits is pushed, one that rolls back never is (the worker is in ``..scheduled``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Insert,
    Integer,
    String,
    bindparam,
    case,
    cast,
    column,
    exists,
    func,
    insert,
    literal,
    select,
    table,
    update,
)
from sqlalchemy import (
    Text as Text_,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.db import Outbox
from edom_graphql.core.streams import serialise_writers
from edom_graphql.notifications.models import (
    Notification,
    NotificationMute,
    PushDelivery,
    PushDevice,
)
from edom_graphql.notifications.service.categories import category_of
from edom_graphql.notifications.service.messages import Text

STREAM_LOCK_CLASS = 1_001


USERS = table("users", column("id", BigInteger), column("locale", Text_))
"""The recipients' side of a localised insert (only their language is read)."""


def _insert_localised(
    recipients: ColumnElement[bool],
    message: Text,
    kind: str,
    subject_type: str | None,
    subject_id: int | None,
    data: dict[str, Any],
) -> Insert:
    """``INSERT … SELECT`` from the recipients' rows, each in their own language."""
    text = case((USERS.c.locale == "en", literal(message.en)), else_=literal(message.ru))
    rows = (
        select(
            USERS.c.id,
            literal(kind),
            text,
            literal(subject_type, String),
            literal(subject_id, BigInteger),
            literal(data, Notification.__table__.c.data.type),
        )
        .where(recipients)
        .order_by(USERS.c.id)
    )
    return insert(Notification).from_select(
        ["user_id", "kind", "message", "subject_type", "subject_id", "data"], rows
    )


def channel(user_id: int) -> str:
    return f"user.{user_id}.notifications"


async def notify(
    session: AsyncSession,
    outbox: Outbox,
    *,
    user_id: int,
    kind: str,
    message: Text,
    subject_type: str | None = None,
    subject_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> int:
    """One notification, written in the recipient's language (read in the same
    statement); every text comes from the catalogue (:mod:`.messages`)."""
    await serialise_writers(session, STREAM_LOCK_CLASS, user_id)
    statement = _insert_localised(
        USERS.c.id == user_id, message, kind, subject_type, subject_id, data or {}
    )
    notification_id: int = (
        await session.execute(statement.returning(Notification.id))
    ).scalar_one()
    await _enqueue(session, [notification_id], kind)
    outbox.add(channel(user_id), {"id": notification_id})
    return notification_id


async def _enqueue(session: AsyncSession, notification_ids: Sequence[int], kind: str) -> None:
    """The push deliveries of the notifications (all of one kind): one per live device of
    each recipient who has not muted the kind's category."""
    pairs = (
        select(Notification.id, PushDevice.id)
        .join(PushDevice, PushDevice.user_id == Notification.user_id)
        .where(
            Notification.id
            == func.any(bindparam("ids", list(notification_ids), type_=ARRAY(BigInteger))),
            PushDevice.removed_at.is_(None),
        )
    )
    category = category_of(kind)
    if category is not None:
        pairs = pairs.where(
            ~exists().where(
                NotificationMute.user_id == Notification.user_id,
                NotificationMute.category == category,
            )
        )
    await session.execute(insert(PushDelivery).from_select(["notification_id", "device_id"], pairs))


async def notify_many(
    session: AsyncSession,
    outbox: Outbox,
    *,
    user_ids: Sequence[int],
    kind: str,
    message: Text,
    subject_type: str | None = None,
    subject_id: int | None = None,
) -> None:
    """The same notification to many users in two statements (all a building's owners):
    their streams' locks in id order, the same order as :func:`notify` takes one."""
    ordered = sorted(set(user_ids))
    if not ordered:
        return
    ids = (
        func.unnest(bindparam("ids", ordered, type_=ARRAY(BigInteger)))
        .table_valued("user_id")
        .render_derived()
    )  # a function scan: the locks are taken in the array's (ascending) order
    await session.execute(
        select(
            func.pg_advisory_xact_lock(STREAM_LOCK_CLASS, cast(ids.c.user_id, Integer))
        ).select_from(ids)
    )
    localised = await session.execute(
        _insert_localised(
            USERS.c.id.in_(ordered), message, kind, subject_type, subject_id, {}
        ).returning(Notification.id, Notification.user_id)
    )
    pairs = sorted(localised, key=lambda pair: pair[1])
    await _enqueue(session, [notification_id for notification_id, _ in pairs], kind)
    for notification_id, user_id in pairs:
        outbox.add(channel(user_id), {"id": notification_id})


async def mark_read(
    session: AsyncSession, *, user_id: int, ids: Sequence[int] | None, now: datetime
) -> list[int]:
    """Mark the given notifications (or all, when ``ids`` is None) of the user read."""
    statement = (
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .returning(Notification.id)
    )
    if ids is not None:
        statement = statement.where(Notification.id.in_(list(ids)))
    return list((await session.execute(statement)).scalars())
