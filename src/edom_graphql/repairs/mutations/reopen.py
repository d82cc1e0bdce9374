"""``repairRequestReopen``: the author reopens a DONE request."""

from __future__ import annotations

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.mutation import MutationInput, Payload, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.repairs import service
from edom_graphql.repairs.access import input_request_building
from edom_graphql.repairs.errors import RepairRequestReopenError
from edom_graphql.repairs.models import MAX_COMMENT_LENGTH
from edom_graphql.repairs.mutations.transition import take
from edom_graphql.repairs.types import RepairRequest


@strawberry.input(description="Input of `repairRequestReopen`.")
class RepairRequestReopenInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    comment: str = strawberry.field(
        description=f"What and why (1–{MAX_COMMENT_LENGTH} characters)."
    )


@strawberry.type(description="Result of `repairRequestReopen`.")
class RepairRequestReopenPayload(Payload):
    repair_request: RepairRequest | None = strawberry.field(
        default=None, description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestReopenError] = user_errors_field()


@strawberry.type
class RepairRequestReopenMutation:
    @requires(
        Capability.REPAIR_REQUEST_CREATE,
        input_request_building,
        mutation=True,
        description="Reopen the viewer's own DONE request: the work was not good enough (a "
        "comment says why).",
    )
    async def repair_request_reopen(
        self, info: AppInfo, input: MutationInput[RepairRequestReopenInput]
    ) -> RepairRequestReopenPayload | None:
        result, request = await take(
            info,
            input.request_id,
            service.Action.REOPEN,
            expected_version=input.expected_version,
            comment=input.comment,
        )
        return RepairRequestReopenPayload.of(result, repair_request=request)
