"""``repairRequestConfirm``: the author confirms the work (DONE → CLOSED)."""

from __future__ import annotations

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.mutation import MutationInput, Payload, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.repairs import service
from edom_graphql.repairs.access import input_request_building
from edom_graphql.repairs.errors import RepairRequestConfirmError
from edom_graphql.repairs.models import MAX_COMMENT_LENGTH
from edom_graphql.repairs.mutations.transition import take
from edom_graphql.repairs.types import RepairRequest


@strawberry.input(description="Input of `repairRequestConfirm`.")
class RepairRequestConfirmInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    comment: str | None = strawberry.field(
        default=None, description=f"A note (at most {MAX_COMMENT_LENGTH} characters)."
    )


@strawberry.type(description="Result of `repairRequestConfirm`.")
class RepairRequestConfirmPayload(Payload):
    repair_request: RepairRequest | None = strawberry.field(
        default=None, description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestConfirmError] = user_errors_field()


@strawberry.type
class RepairRequestConfirmMutation:
    @requires(
        Capability.REPAIR_REQUEST_CREATE,
        input_request_building,
        mutation=True,
        description="Confirm that the work on the viewer's own request is done (DONE → CLOSED).",
    )
    async def repair_request_confirm(
        self, info: AppInfo, input: MutationInput[RepairRequestConfirmInput]
    ) -> RepairRequestConfirmPayload | None:
        result, request = await take(
            info,
            input.request_id,
            service.Action.CONFIRM,
            expected_version=input.expected_version,
            comment=input.comment,
        )
        return RepairRequestConfirmPayload.of(result, repair_request=request)
