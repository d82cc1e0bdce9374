"""``repairRequestComplete``: the assigned engineer finishes the work."""

from __future__ import annotations

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.mutation import MutationInput, Payload, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.repairs import service
from edom_graphql.repairs.access import input_request_building
from edom_graphql.repairs.errors import RepairRequestCompleteError
from edom_graphql.repairs.models import MAX_COMMENT_LENGTH
from edom_graphql.repairs.mutations.transition import take
from edom_graphql.repairs.types import RepairRequest


@strawberry.input(description="Input of `repairRequestComplete`.")
class RepairRequestCompleteInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    comment: str = strawberry.field(
        description=f"What and why (1–{MAX_COMMENT_LENGTH} characters)."
    )


@strawberry.type(description="Result of `repairRequestComplete`.")
class RepairRequestCompletePayload(Payload):
    repair_request: RepairRequest | None = strawberry.field(
        default=None, description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestCompleteError] = user_errors_field()


@strawberry.type
class RepairRequestCompleteMutation:
    @requires(
        Capability.REPAIR_REQUEST_HANDLE,
        input_request_building,
        mutation=True,
        description="The assigned engineer finishes the work (IN_PROGRESS → DONE), saying what "
        "was done.",
    )
    async def repair_request_complete(
        self, info: AppInfo, input: MutationInput[RepairRequestCompleteInput]
    ) -> RepairRequestCompletePayload | None:
        result, request = await take(
            info,
            input.request_id,
            service.Action.COMPLETE,
            expected_version=input.expected_version,
            comment=input.comment,
        )
        return RepairRequestCompletePayload.of(result, repair_request=request)
