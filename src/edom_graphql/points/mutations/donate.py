"""``pointsDonate``: give points to a charity of the catalogue."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.points.errors import PointsDonateError
from edom_graphql.points.service import catalogue
from edom_graphql.points.types import RewardRedemption, ViewerPoints, points_of, visible_redemption


@strawberry.input(description="A donation of points.")
class PointsDonateInput:
    reward_id: strawberry.ID = strawberry.field(description="The charity (a CHARITY reward).")
    points: int = strawberry.field(description=f"Points to give, 1–{catalogue.MAX_DONATION}.")
    idempotency_key: str = strawberry.field(
        description=f"Names this request (1–{catalogue.MAX_IDEMPOTENCY_KEY_LENGTH} printable "
        "characters, new for each donation): a retry with the same key returns the same "
        "donation and gives nothing more."
    )


@strawberry.type(description="Result of `pointsDonate`.")
class PointsDonatePayload(Payload):
    donation: RewardRedemption | None = strawberry.field(
        default=None, description="The donation made."
    )
    points: ViewerPoints | None = strawberry.field(
        default=None, description="The viewer's points as they are now."
    )
    user_errors: list[PointsDonateError] = user_errors_field()


@strawberry.type
class PointsDonateMutation:
    @strawberry.mutation(
        description="Donate points to a charity of the catalogue. Any signed-in user."
    )
    async def points_donate(
        self, info: AppInfo, input: MutationInput[PointsDonateInput]
    ) -> PointsDonatePayload | None:
        context = info.context
        user_id = context.require_viewer()
        reward_id = expect_id(input.reward_id, "Reward", field="rewardId")

        async def work(session: AsyncSession, outbox: Outbox) -> int:
            return await catalogue.donate(
                session,
                outbox,
                user_id=user_id,
                reward_id=reward_id,
                points=input.points,
                idempotency_key=input.idempotency_key,
                now=context.now,
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return PointsDonatePayload.refused(result, points=points_of(context))
        return PointsDonatePayload(
            donation=await visible_redemption(context, result), points=points_of(context)
        )
