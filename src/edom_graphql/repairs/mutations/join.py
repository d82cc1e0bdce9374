"""``repairRequestJoin``: a neighbour's \u201cme too\u201d on a building or yard request."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.repairs import service
from edom_graphql.repairs.access import input_request_building, visible_request_id
from edom_graphql.repairs.errors import RepairRequestJoinError
from edom_graphql.repairs.types import RepairRequest, visible_request


@strawberry.input(description="A neighbour's \u201cme too\u201d on a building or yard request.")
class RepairRequestJoinInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")


@strawberry.type(description="Result of `repairRequestJoin`.")
class RepairRequestJoinPayload(Payload):
    repair_request: RepairRequest | None = strawberry.field(
        default=None,
        description="The request, now followed by the viewer (joining twice changes nothing).",
    )
    user_errors: list[RepairRequestJoinError] = user_errors_field()


@strawberry.type
class RepairRequestJoinMutation:
    @requires(
        Capability.REPAIR_REQUEST_CREATE,
        input_request_building,
        mutation=True,
        description="Join (\u201cme too\u201d) an open building or yard request of the "
        "viewer's building instead of filing a duplicate: the viewer follows it and is "
        "counted. Joining twice changes nothing.",
    )
    async def repair_request_join(
        self, info: AppInfo, input: MutationInput[RepairRequestJoinInput]
    ) -> RepairRequestJoinPayload | None:
        context = info.context
        user_id = context.require_viewer()
        request_id = await visible_request_id(context, input.request_id)

        async def work(session: AsyncSession, outbox: Outbox) -> bool:
            return await service.join_request(
                session, outbox, request_id=request_id, user_id=user_id, now=context.now
            )

        result = await commit(context, work)
        request = await visible_request(context, request_id)
        return RepairRequestJoinPayload.of(result, repair_request=request)
