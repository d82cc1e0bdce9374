"""``rewardRedeem``: spend points on one item of a reward."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.points.errors import RewardRedeemError
from edom_graphql.points.service import catalogue
from edom_graphql.points.types import RewardRedemption, ViewerPoints, points_of, visible_redemption


@strawberry.input(description="A reward to redeem.")
class RewardRedeemInput:
    reward_id: strawberry.ID = strawberry.field(description="The reward (not a charity).")
    idempotency_key: str = strawberry.field(
        description=f"Names this request (1–{catalogue.MAX_IDEMPOTENCY_KEY_LENGTH} printable "
        "characters, new for each redemption): a retry with the same key returns the same "
        "redemption and spends nothing more."
    )


@strawberry.type(description="Result of `rewardRedeem`.")
class RewardRedeemPayload(Payload):
    redemption: RewardRedemption | None = strawberry.field(
        default=None, description="The redemption, with its promo code if it has one."
    )
    points: ViewerPoints | None = strawberry.field(
        default=None, description="The viewer's points as they are now."
    )
    user_errors: list[RewardRedeemError] = user_errors_field()


@strawberry.type
class RewardRedeemMutation:
    @strawberry.mutation(
        description="Redeem one item of a reward: its price is spent and one item (or promo "
        "code) taken from its stock at once; concurrent redemptions never overspend or "
        "oversell. Any signed-in user."
    )
    async def reward_redeem(
        self, info: AppInfo, input: MutationInput[RewardRedeemInput]
    ) -> RewardRedeemPayload | None:
        context = info.context
        user_id = context.require_viewer()
        reward_id = expect_id(input.reward_id, "Reward", field="rewardId")

        async def work(session: AsyncSession, outbox: Outbox) -> int:
            return await catalogue.redeem(
                session,
                outbox,
                user_id=user_id,
                reward_id=reward_id,
                idempotency_key=input.idempotency_key,
                now=context.now,
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return RewardRedeemPayload.refused(result, points=points_of(context))
        return RewardRedeemPayload(
            redemption=await visible_redemption(context, result), points=points_of(context)
        )
