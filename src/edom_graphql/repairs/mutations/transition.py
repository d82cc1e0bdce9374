"""The one step behind every state-machine mutation (accept, reject, defer, assign, start,
complete, cancel, confirm, reopen, rate): find the request the viewer may see, take the
action in one transaction, and read the request back as it is now (also after a
refusal). Each mutation keeps its own input and payload types, so the schema tells a
client exactly what each one takes and which refusals it can meet."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.mutation import commit
from edom_graphql.repairs import service
from edom_graphql.repairs.access import visible_request_id
from edom_graphql.repairs.types import RepairRequest, visible_request


async def take(
    info: AppInfo,
    request_id: str,
    action: service.Action,
    *,
    expected_version: int | None = None,
    comment: str | None = None,
    comment_field: str = "comment",
    assignee_id: int | None = None,
    rating: int | None = None,
) -> tuple[ServiceError | None, RepairRequest | None]:
    """Take ``action`` on the request as the viewer: the refusal (or None) and the request."""
    context = info.context
    actor_id = context.require_viewer()
    pk = await visible_request_id(context, request_id)
    staff_roles = (await context.profile()).staff_roles

    async def work(session: AsyncSession, outbox: Outbox) -> None:
        await service.act(
            session,
            outbox,
            request_id=pk,
            action=action,
            actor_id=actor_id,
            staff_roles=staff_roles,
            now=context.now,
            expected_version=expected_version,
            comment=comment,
            comment_field=comment_field,
            assignee_id=assignee_id,
            rating=rating,
        )

    result = await commit(context, work)
    return result, await visible_request(context, pk)
