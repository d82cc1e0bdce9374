"""``notificationReceived``: the viewer's notifications, live."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Annotated, Any

import strawberry

from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.streams import live_events
from edom_graphql.notifications import reads, service
from edom_graphql.notifications.types import Notification


@strawberry.type
class NotificationSubscriptions:
    @strawberry.subscription(
        description="The viewer's new notifications as they arrive. With `after` (a "
        "notification's `cursor`), first replays every notification since then: a client "
        "that reconnects with its last cursor misses nothing and gets nothing twice."
    )
    async def notification_received(
        self,
        info: AppInfo,
        after: Annotated[
            str | None,
            strawberry.argument(description="Resume after this notification's `cursor`."),
        ] = None,
    ) -> AsyncGenerator[Notification, None]:
        context = info.context
        user_id = context.require_viewer()
        db = context.db

        async def latest() -> int:
            return await reads.latest_id(db, user_id=user_id)

        async def rows_after(last_id: int, limit: int) -> Sequence[Any]:
            return await reads.rows_after(db, user_id=user_id, last_id=last_id, limit=limit)

        async def admit(context: Context, row: Any) -> Notification:
            return Notification.from_row(row)  # the viewer's own stream

        async for notification in live_events(
            context,
            service.channel(user_id),
            after=after,
            latest=latest,
            rows_after=rows_after,
            admit=admit,
        ):
            yield notification
