"""``repairRequestRate``: the author rates the work."""

from __future__ import annotations

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.mutation import MutationInput, Payload, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.repairs import service
from edom_graphql.repairs.access import input_request_building
from edom_graphql.repairs.errors import RepairRequestRateError
from edom_graphql.repairs.mutations.transition import take
from edom_graphql.repairs.types import RepairRequest


@strawberry.input(description="Input of `repairRequestRate`.")
class RepairRequestRateInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    rating: int = strawberry.field(description="1 (poor) to 5 (excellent).")


@strawberry.type(description="Result of `repairRequestRate`.")
class RepairRequestRatePayload(Payload):
    repair_request: RepairRequest | None = strawberry.field(
        default=None, description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestRateError] = user_errors_field()


@strawberry.type
class RepairRequestRateMutation:
    @requires(
        Capability.REPAIR_REQUEST_CREATE,
        input_request_building,
        mutation=True,
        description="Rate the work on the viewer's own request, once, after it is DONE (1–5).",
    )
    async def repair_request_rate(
        self, info: AppInfo, input: MutationInput[RepairRequestRateInput]
    ) -> RepairRequestRatePayload | None:
        result, request = await take(
            info,
            input.request_id,
            service.Action.RATE,
            expected_version=input.expected_version,
            rating=input.rating,
        )
        return RepairRequestRatePayload.of(result, repair_request=request)
