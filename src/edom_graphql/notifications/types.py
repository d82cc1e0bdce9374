"""GraphQL types of notifications."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import (
    Connection,
    build_connection,
    encode_cursor,
    page_request,
)
from edom_graphql.notifications import access, reads


@strawberry.type(description="Something the platform told the viewer.")
class Notification(Node):
    pk: strawberry.Private[int]
    user_pk: strawberry.Private[int]
    subject_type: strawberry.Private[str | None]
    subject_pk: strawberry.Private[int | None]
    kind: str = strawberry.field(
        description="What happened, e.g. `GUEST_ACCESS_GRANTED`, `GUEST_ACCESS_REVOKED`."
    )
    message: str = strawberry.field(description="Text to show.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    read_at: datetime | None = strawberry.field(description="When the viewer marked it read.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Notification:
        return cls(
            id=strawberry.ID(encode_id("Notification", row[0])),
            pk=row[0],
            user_pk=row[1],
            kind=row[2],
            message=row[3],
            subject_type=row[4],
            subject_pk=row[5],
            created_at=row[6],
            read_at=row[7],
        )

    @strawberry.field(
        description="Global id of the object it is about, if any; fetch it with `node`."
    )
    def subject_id(self) -> strawberry.ID | None:
        if self.subject_type is None or self.subject_pk is None:
            return None
        return strawberry.ID(encode_id(self.subject_type, self.subject_pk))

    @strawberry.field(
        description="Position in the viewer's stream: pass it as `after` to "
        "`notificationReceived` to resume without gaps."
    )
    def cursor(self) -> str:
        return encode_cursor(Notification.sort_key(self))

    @staticmethod
    def sort_key(notification: Notification) -> tuple[int]:
        return (notification.pk,)

    @classmethod
    async def load_nodes(
        cls, context: Context, pks: Sequence[int]
    ) -> Sequence[Notification | None]:
        return await NotificationByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Notification) -> Verdict:
        return access.notification_visible(context, node)


@strawberry.type(description="A page of notifications, newest first.")
class NotificationConnection(Connection[Notification]):
    pass


async def notifications_of(
    info: AppInfo, user_id: int, *, first: int, after: str | None, unread_only: bool
) -> NotificationConnection:
    page = page_request(first, after, types=(int,))
    rows = await reads.page_of(info.context.db, user_id, page, unread_only=unread_only)
    connection = build_connection(
        [Notification.from_row(r) for r in rows], page, Notification.sort_key
    )
    return NotificationConnection(edges=connection.edges, page_info=connection.page_info)


class NotificationByIdLoader(ByIdLoader[Notification]):
    query = reads.NOTIFICATION_BY_ID
    convert = Notification.from_row
