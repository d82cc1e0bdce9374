"""``repairRequestCancel``: the author withdraws a request."""

from __future__ import annotations

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.mutation import MutationInput, Payload, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.repairs import service
from edom_graphql.repairs.access import input_request_building
from edom_graphql.repairs.errors import RepairRequestCancelError
from edom_graphql.repairs.models import MAX_COMMENT_LENGTH
from edom_graphql.repairs.mutations.transition import take
from edom_graphql.repairs.types import RepairRequest


@strawberry.input(description="Input of `repairRequestCancel`.")
class RepairRequestCancelInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    comment: str | None = strawberry.field(
        default=None, description=f"A note (at most {MAX_COMMENT_LENGTH} characters)."
    )


@strawberry.type(description="Result of `repairRequestCancel`.")
class RepairRequestCancelPayload(Payload):
    repair_request: RepairRequest | None = strawberry.field(
        default=None, description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestCancelError] = user_errors_field()


@strawberry.type
class RepairRequestCancelMutation:
    @requires(
        Capability.REPAIR_REQUEST_CREATE,
        input_request_building,
        mutation=True,
        description="Withdraw the viewer's own request while it is NEW or ACCEPTED.",
    )
    async def repair_request_cancel(
        self, info: AppInfo, input: MutationInput[RepairRequestCancelInput]
    ) -> RepairRequestCancelPayload | None:
        result, request = await take(
            info,
            input.request_id,
            service.Action.CANCEL,
            expected_version=input.expected_version,
            comment=input.comment,
        )
        return RepairRequestCancelPayload.of(result, repair_request=request)
