"""Who may see what of city points.

A ledger entry and a redemption (with its promo code) are their user's own: nobody else
sees them, not the staff of any building, not the platform's admin. The catalogue is
city-wide: every signed-in user sees every reward (also one withdrawn since, which their
redemptions still name).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from edom_graphql.core.context import Context

if TYPE_CHECKING:
    from edom_graphql.points.types import PointEntry, Reward, RewardRedemption


def entry_visible(context: Context, entry: PointEntry) -> bool:
    return context.viewer_id is not None and entry.user_pk == context.viewer_id


def redemption_visible(context: Context, redemption: RewardRedemption) -> bool:
    return context.viewer_id is not None and redemption.user_pk == context.viewer_id


def promo_code_visible(context: Context, redemption: RewardRedemption) -> bool:
    """The code of a redemption is shown to its owner only."""
    return redemption_visible(context, redemption)


def reward_visible(context: Context, reward: Reward) -> bool:
    return context.viewer_id is not None
