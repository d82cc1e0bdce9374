"""``notificationMarkRead``."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import pk_of
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.notifications import reads, service
from edom_graphql.notifications.errors import MAX_MARK_READ, NotificationMarkReadError


@strawberry.input(description="Which notifications to mark read.")
class NotificationMarkReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=f"Notifications to mark read (at most {MAX_MARK_READ})."
    )
    all: bool = strawberry.field(default=False, description="Mark every notification read.")


@strawberry.type(description="Result of `notificationMarkRead`.")
class NotificationMarkReadPayload(Payload):
    marked_count: int = strawberry.field(description="How many were unread and are now read.")
    unread_count: int = strawberry.field(description="Unread notifications left.")
    user_errors: list[NotificationMarkReadError] = user_errors_field()


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

        async def work(session: AsyncSession, outbox: Outbox) -> list[int]:
            ids = _ids(input)
            return await service.mark_read(session, user_id=user_id, ids=ids, now=context.now)

        result = await commit(context, work)
        unread = await reads.unread_count(context.db, user_id=user_id)
        if isinstance(result, ServiceError):
            return NotificationMarkReadPayload.refused(result, marked_count=0, unread_count=unread)
        return NotificationMarkReadPayload(marked_count=len(result), unread_count=unread)
