"""``repairRequestAssign``: staff assign an engineer."""

from __future__ import annotations

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.repairs import service
from edom_graphql.repairs.access import input_request_building
from edom_graphql.repairs.errors import RepairRequestAssignError
from edom_graphql.repairs.models import MAX_COMMENT_LENGTH
from edom_graphql.repairs.mutations.transition import take
from edom_graphql.repairs.types import RepairRequest


@strawberry.input(description="Input of `repairRequestAssign`.")
class RepairRequestAssignInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    expected_version: int | None = strawberry.field(
        default=None,
        description="Refuse with VERSION_CONFLICT unless the request is at this `version`.",
    )
    assignee_id: strawberry.ID = strawberry.field(
        description="An engineer of the request's organisation (a User id)."
    )
    comment: str | None = strawberry.field(
        default=None, description=f"A note (at most {MAX_COMMENT_LENGTH} characters)."
    )


@strawberry.type(description="Result of `repairRequestAssign`.")
class RepairRequestAssignPayload(Payload):
    repair_request: RepairRequest | None = strawberry.field(
        default=None, description="The request as it is now (also after a refusal)."
    )
    user_errors: list[RepairRequestAssignError] = user_errors_field()


@strawberry.type
class RepairRequestAssignMutation:
    @requires(
        Capability.REPAIR_REQUEST_HANDLE,
        input_request_building,
        mutation=True,
        description="Staff (dispatchers, managers) assign an engineer of the organisation.",
    )
    async def repair_request_assign(
        self, info: AppInfo, input: MutationInput[RepairRequestAssignInput]
    ) -> RepairRequestAssignPayload | None:
        assignee_id = expect_id(input.assignee_id, "User", field="assigneeId")
        result, request = await take(
            info,
            input.request_id,
            service.Action.ASSIGN,
            expected_version=input.expected_version,
            comment=input.comment,
            assignee_id=assignee_id,
        )
        return RepairRequestAssignPayload.of(result, repair_request=request)
