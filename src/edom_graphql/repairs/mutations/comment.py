"""``repairRequestComment``: a message in a request's thread."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from edom_graphql.core.context import AppInfo
from edom_graphql.core.mutation import MutationInput, Payload, user_errors_field
from edom_graphql.core.ratelimit import RateLimit, Window
from edom_graphql.repairs import service
from edom_graphql.repairs.errors import RepairRequestCommentError
from edom_graphql.repairs.models import MAX_COMMENT_LENGTH
from edom_graphql.repairs.mutations.transition import take
from edom_graphql.repairs.types import RepairRequest

COMMENT_LIMIT = RateLimit(
    "repair_request_comment", (Window(30, timedelta(hours=1)), Window(200, timedelta(days=1)))
)


@strawberry.input(description="A message in a request's thread.")
class RepairRequestCommentInput:
    request_id: strawberry.ID = strawberry.field(description="The request.")
    comment: str = strawberry.field(description=f"The message (1–{MAX_COMMENT_LENGTH} characters).")


@strawberry.type(description="Result of `repairRequestComment`.")
class RepairRequestCommentPayload(Payload):
    repair_request: RepairRequest | None = strawberry.field(
        default=None, description="The request."
    )
    user_errors: list[RepairRequestCommentError] = user_errors_field()


@strawberry.type
class RepairRequestCommentMutation:
    @strawberry.mutation(
        description="Write in a request's thread: its author, its followers and the staff "
        "of its organisation, until it is finished.",
        directives=COMMENT_LIMIT.directives,
    )
    @COMMENT_LIMIT
    async def repair_request_comment(
        self, info: AppInfo, input: MutationInput[RepairRequestCommentInput]
    ) -> RepairRequestCommentPayload:
        result, request = await take(
            info,
            input.request_id,
            service.Action.COMMENT,
            comment=input.comment,
        )
        return RepairRequestCommentPayload.of(result, repair_request=request)
