"""``repairRequestReject``: staff reject a request, with a reason."""

from __future__ import annotations

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.mutation import MutationInput, Payload, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.repairs import service
from edom_graphql.repairs.access import input_request_building
from edom_graphql.repairs.errors import RepairRequestRejectError
from edom_graphql.repairs.models import MAX_COMMENT_LENGTH
from edom_graphql.repairs.mutations.transition import take
from edom_graphql.repairs.types import RepairRequest


@strawberry.input(description="Input of `repairRequestReject`.")
class RepairRequestRejectInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    reason: str = strawberry.field(
        description=f"Why it is rejected (1–{MAX_COMMENT_LENGTH} characters)."
    )


@strawberry.type(description="Result of `repairRequestReject`.")
class RepairRequestRejectPayload(Payload):
    repair_request: RepairRequest | None = strawberry.field(
        default=None, description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestRejectError] = user_errors_field()


@strawberry.type
class RepairRequestRejectMutation:
    @requires(
        Capability.REPAIR_REQUEST_HANDLE,
        input_request_building,
        mutation=True,
        description="Staff (dispatchers, managers) reject a NEW or ACCEPTED request, with a "
        "reason.",
    )
    async def repair_request_reject(
        self, info: AppInfo, input: MutationInput[RepairRequestRejectInput]
    ) -> RepairRequestRejectPayload | None:
        result, request = await take(
            info,
            input.request_id,
            service.Action.REJECT,
            expected_version=input.expected_version,
            comment=input.reason,
            comment_field="reason",
        )
        return RepairRequestRejectPayload.of(result, repair_request=request)
