"""Every read of notifications."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, func, select

from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery
from edom_graphql.core.pagination import PageRequest, keyset_desc, page_params, row_limit
from edom_graphql.notifications.models import (
    Notification,
    NotificationCategory,
    NotificationMute,
    PushDevice,
)

NOTIFICATION_COLUMNS = select(
    Notification.id,
    Notification.user_id,
    Notification.kind,
    Notification.message,
    Notification.subject_type,
    Notification.subject_id,
    Notification.created_at,
    Notification.read_at,
)
NOTIFICATION_BY_ID = KeyedQuery(NOTIFICATION_COLUMNS, Notification.id)


def _page(has_after: bool, unread_only: bool) -> Prepared:
    statement = NOTIFICATION_COLUMNS.where(Notification.user_id == bindparam("user_id"))
    if unread_only:
        statement = statement.where(Notification.read_at.is_(None))
    return Prepared(keyset_desc(statement, (Notification.id,), has_after=has_after))


_PAGES = {
    (has_after, unread_only): _page(has_after, unread_only)
    for has_after in (False, True)
    for unread_only in (False, True)
}
_UNREAD = Prepared(
    select(func.count()).where(
        Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)
    )
)
_LATEST = Prepared(
    select(func.coalesce(func.max(Notification.id), 0)).where(
        Notification.user_id == bindparam("user_id")
    )
)
_AFTER = Prepared(
    NOTIFICATION_COLUMNS.where(
        Notification.user_id == bindparam("user_id"), Notification.id > bindparam("last_id")
    )
    .order_by(Notification.id)
    .limit(row_limit())
)


async def page_of(
    db: Database, user_id: int, page: PageRequest, *, unread_only: bool
) -> Sequence[Any]:
    """A page of the user's notifications, newest first."""
    return await db.fetch(
        _PAGES[(page.after is not None, unread_only)], user_id=user_id, **page_params(page)
    )


async def unread_count(db: Database, *, user_id: int) -> int:
    row = await db.fetch_one(_UNREAD, user_id=user_id)
    return int(row[0]) if row is not None else 0


async def latest_id(db: Database, *, user_id: int) -> int:
    """The id of the user's newest notification (0 before the first)."""
    row = await db.fetch_one(_LATEST, user_id=user_id)
    return int(row[0]) if row is not None else 0


async def rows_after(db: Database, *, user_id: int, last_id: int, limit: int) -> Sequence[Any]:
    """The user's notifications after ``last_id``, oldest first (a stream's replay)."""
    return await db.fetch(_AFTER, user_id=user_id, last_id=last_id, limit=limit)


DEVICE_COLUMNS = select(
    PushDevice.id,
    PushDevice.user_id,
    PushDevice.platform,
    PushDevice.name,
    PushDevice.created_at,
    PushDevice.updated_at,
    PushDevice.removed_at,
)
DEVICE_BY_ID = KeyedQuery(DEVICE_COLUMNS, PushDevice.id)
_DEVICES = Prepared(
    DEVICE_COLUMNS.where(
        PushDevice.user_id == bindparam("user_id"), PushDevice.removed_at.is_(None)
    ).order_by(PushDevice.id)
)
_MUTES = Prepared(
    select(NotificationMute.category)
    .where(NotificationMute.user_id == bindparam("user_id"))
    .order_by(NotificationMute.category)
)


async def devices_of(db: Database, *, user_id: int) -> Sequence[Any]:
    """The user's live devices, oldest first."""
    return await db.fetch(_DEVICES, user_id=user_id)


async def muted_of(db: Database, *, user_id: int) -> list[NotificationCategory]:
    """The categories the user muted."""
    return [NotificationCategory(row[0]) for row in await db.fetch(_MUTES, user_id=user_id)]
