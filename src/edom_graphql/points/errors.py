"""Why points mutations refuse: each mutation's error codes and error type."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.core.mutation import UserError
from edom_graphql.points.service.catalogue import MAX_DONATION, MAX_IDEMPOTENCY_KEY_LENGTH

_KEY = f"The idempotency key is not 1–{MAX_IDEMPOTENCY_KEY_LENGTH} printable characters."
_REUSED = "The idempotency key was used for a different request before."


@strawberry.enum(description="Why a reward was not redeemed.")
class RewardRedeemErrorCode(enum.Enum):
    REWARD_NOT_FOUND = strawberry.enum_value(
        "REWARD_NOT_FOUND", description="There is no reward with this id."
    )
    NOT_ACTIVE = strawberry.enum_value(
        "NOT_ACTIVE", description="The reward has been withdrawn from the catalogue."
    )
    IS_A_CHARITY = strawberry.enum_value(
        "IS_A_CHARITY", description="The reward is a charity: donate with `pointsDonate`."
    )
    OUT_OF_STOCK = strawberry.enum_value(
        "OUT_OF_STOCK", description="No item (or promo code) of the reward is left."
    )
    INSUFFICIENT_POINTS = strawberry.enum_value(
        "INSUFFICIENT_POINTS", description="The viewer's balance is below the price."
    )
    PRICE_CHANGED = strawberry.enum_value(
        "PRICE_CHANGED", description="The price changed while the reward was being redeemed."
    )
    INVALID_IDEMPOTENCY_KEY = strawberry.enum_value("INVALID_IDEMPOTENCY_KEY", description=_KEY)
    IDEMPOTENCY_KEY_REUSED = strawberry.enum_value("IDEMPOTENCY_KEY_REUSED", description=_REUSED)


@strawberry.type(description="A reason `rewardRedeem` refused.")
class RewardRedeemError(UserError):
    code: RewardRedeemErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why points were not donated.")
class PointsDonateErrorCode(enum.Enum):
    REWARD_NOT_FOUND = strawberry.enum_value(
        "REWARD_NOT_FOUND", description="There is no reward with this id."
    )
    NOT_ACTIVE = strawberry.enum_value(
        "NOT_ACTIVE", description="The charity has been withdrawn from the catalogue."
    )
    NOT_A_CHARITY = strawberry.enum_value(
        "NOT_A_CHARITY", description="The reward is not a charity: redeem it with `rewardRedeem`."
    )
    INVALID_AMOUNT = strawberry.enum_value(
        "INVALID_AMOUNT", description=f"The points are not between 1 and {MAX_DONATION}."
    )
    INSUFFICIENT_POINTS = strawberry.enum_value(
        "INSUFFICIENT_POINTS", description="The viewer's balance is below the points given."
    )
    INVALID_IDEMPOTENCY_KEY = strawberry.enum_value("INVALID_IDEMPOTENCY_KEY", description=_KEY)
    IDEMPOTENCY_KEY_REUSED = strawberry.enum_value("IDEMPOTENCY_KEY_REUSED", description=_REUSED)


@strawberry.type(description="A reason `pointsDonate` refused.")
class PointsDonateError(UserError):
    code: PointsDonateErrorCode = strawberry.field(description="Machine-readable reason.")
