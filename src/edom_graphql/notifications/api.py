"""Root fields of notifications: marking read, and the live stream."""

from __future__ import annotations

import enum
from collections.abc import AsyncGenerator, Sequence
from typing import Annotated, Any

import strawberry

from edom_graphql.core.context import AppInfo
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.errors import ServiceError, Unauthenticated
from edom_graphql.core.ids import pk_of
from edom_graphql.core.pagination import decode_cursor
from edom_graphql.core.streams import follow
from edom_graphql.core.user_errors import MutationInput, UserError, user_errors
from edom_graphql.notifications import service
from edom_graphql.notifications.models import Notification as NotificationRow
from edom_graphql.notifications.types import NOTIFICATION_COLUMNS, Notification

MAX_MARK_READ = 100


class NotificationMarkReadErrorCode(enum.Enum):
    NOTHING_SELECTED = "NOTHING_SELECTED"
    TOO_MANY_IDS = "TOO_MANY_IDS"
    INVALID_ID = "INVALID_ID"


graphql_enum(
    NotificationMarkReadErrorCode,
    "Why notifications could not be marked read.",
    {
        NotificationMarkReadErrorCode.NOTHING_SELECTED: "Give `ids` or set `all`.",
        NotificationMarkReadErrorCode.TOO_MANY_IDS: f"At most {MAX_MARK_READ} ids at once.",
        NotificationMarkReadErrorCode.INVALID_ID: "An id is not a notification id.",
    },
)


@strawberry.type(description="A reason `notificationMarkRead` refused.")
class NotificationMarkReadError(UserError):
    code: NotificationMarkReadErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.input(description="Which notifications to mark read.")
class NotificationMarkReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=f"Notifications to mark read (at most {MAX_MARK_READ})."
    )
    all: bool = strawberry.field(default=False, description="Mark every notification read.")


@strawberry.type(description="Result of `notificationMarkRead`.")
class NotificationMarkReadPayload:
    marked_count: int = strawberry.field(description="How many were unread and are now read.")
    unread_count: int = strawberry.field(description="Unread notifications left.")
    user_errors: list[NotificationMarkReadError] = strawberry.field(
        description="Business errors; empty on success."
    )


def _ids(input: NotificationMarkReadInput) -> list[int] | None:
    if input.all:
        return None
    if not input.ids:
        raise ServiceError("NOTHING_SELECTED", "Give `ids` or set `all`.", ["ids"])
    if len(input.ids) > MAX_MARK_READ:
        raise ServiceError("TOO_MANY_IDS", f"At most {MAX_MARK_READ} ids at once.", ["ids"])
    pks = []
    for index, global_id in enumerate(input.ids):
        pk = pk_of(global_id, "Notification")
        if pk is None:
            raise ServiceError("INVALID_ID", "Not a notification id.", ["ids", str(index)])
        pks.append(pk)
    return pks


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Mark some or all of the viewer's notifications read.")
    async def notification_mark_read(
        self, info: AppInfo, input: MutationInput[NotificationMarkReadInput]
    ) -> NotificationMarkReadPayload:
        context = info.context
        user_id = context.require_viewer()
        try:
            ids = _ids(input)
        except ServiceError as error:
            return NotificationMarkReadPayload(
                marked_count=0,
                unread_count=await service.unread_count(context.db, user_id=user_id),
                user_errors=user_errors(
                    NotificationMarkReadError, NotificationMarkReadErrorCode, error
                ),
            )
        async with context.db.transaction() as (session, _):
            marked = await service.mark_read(session, user_id=user_id, ids=ids, now=context.now)
        return NotificationMarkReadPayload(
            marked_count=len(marked),
            unread_count=await service.unread_count(context.db, user_id=user_id),
            user_errors=[],
        )


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
        services = context.services
        start = decode_cursor(after, types=(int,))[0] if after is not None else None

        async def latest() -> int:
            return await service.latest_id(services.db, user_id=user_id)

        async def rows_after(last_id: int, limit: int) -> Sequence[Any]:
            return await services.db.fetch(
                NOTIFICATION_COLUMNS.where(
                    NotificationRow.user_id == user_id, NotificationRow.id > last_id
                )
                .order_by(NotificationRow.id)
                .limit(limit)
            )

        async for row in follow(
            services.pubsub,
            service.channel(user_id),
            after=start,
            latest=latest,
            rows_after=rows_after,
            id_of=lambda row: int(row[0]),
        ):
            claims = context.claims
            if claims is not None and claims.expires_at <= services.clock():
                raise Unauthenticated("The access token has expired; sign in again.")
            yield Notification.from_row(row)
