"""Every read of city points: balances, a user's ledger entries and redemptions (newest
first), and the catalogue of rewards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select

from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery, Loader, keys_param
from edom_graphql.core.pagination import PageRequest, keyset, keyset_desc, page_params
from edom_graphql.points.models import (
    PointBalance,
    PointEntry,
    Reward,
    RewardCode,
    RewardKind,
    RewardRedemption,
)

ENTRY_COLUMNS = select(
    PointEntry.id,
    PointEntry.user_id,
    PointEntry.amount,
    PointEntry.reason,
    PointEntry.balance_after,
    PointEntry.created_at,
)
ENTRY_BY_ID = KeyedQuery(ENTRY_COLUMNS, PointEntry.id)

REWARD_COLUMNS = select(
    Reward.id,
    Reward.kind,
    Reward.title,
    Reward.description,
    Reward.partner,
    Reward.price,
    Reward.stock,
    Reward.active,
)
REWARD_BY_ID = KeyedQuery(REWARD_COLUMNS, Reward.id)

REDEMPTION_COLUMNS = select(
    RewardRedemption.id,
    RewardRedemption.user_id,
    RewardRedemption.reward_id,
    RewardRedemption.entry_id,
    RewardRedemption.points,
    RewardRedemption.created_at,
    RewardCode.code,
).outerjoin(RewardCode, RewardCode.redemption_id == RewardRedemption.id)
"""A redemption with the promo code it was given (null for other rewards)."""
REDEMPTION_BY_ID = KeyedQuery(REDEMPTION_COLUMNS, RewardRedemption.id)

_BALANCES = Prepared(
    select(PointBalance.user_id, PointBalance.balance).where(PointBalance.user_id == keys_param())
)
_ENTRIES = {
    has_after: Prepared(
        keyset_desc(
            ENTRY_COLUMNS.where(PointEntry.user_id == bindparam("user_id")),
            (PointEntry.id,),
            has_after=has_after,
        )
    )
    for has_after in (False, True)
}
_REDEMPTIONS = {
    has_after: Prepared(
        keyset_desc(
            REDEMPTION_COLUMNS.where(RewardRedemption.user_id == bindparam("user_id")),
            (RewardRedemption.id,),
            has_after=has_after,
        )
    )
    for has_after in (False, True)
}


def _catalogue(has_after: bool, of_kind: bool) -> Prepared:
    statement = REWARD_COLUMNS.where(Reward.active.is_(True))
    if of_kind:
        statement = statement.where(Reward.kind == bindparam("kind"))
    return Prepared(keyset(statement, (Reward.id,), has_after=has_after))


_CATALOGUE = {
    (has_after, of_kind): _catalogue(has_after, of_kind)
    for has_after in (False, True)
    for of_kind in (False, True)
}


class BalanceLoader(Loader[int, int]):
    """Users' balances (0 for a user with no entries yet)."""

    async def batch_load_fn(self, keys: list[int]) -> list[int]:
        found = {row[0]: int(row[1]) for row in await self.db.fetch(_BALANCES, keys=keys)}
        return [found.get(key, 0) for key in keys]


async def entries_of(db: Database, user_id: int, page: PageRequest) -> Sequence[Any]:
    """A page of the user's ledger entries, newest first (``ENTRY_COLUMNS``)."""
    return await db.fetch(_ENTRIES[page.after is not None], user_id=user_id, **page_params(page))


async def redemptions_of(db: Database, user_id: int, page: PageRequest) -> Sequence[Any]:
    """A page of the user's redemptions and donations, newest first
    (``REDEMPTION_COLUMNS``)."""
    return await db.fetch(
        _REDEMPTIONS[page.after is not None], user_id=user_id, **page_params(page)
    )


async def catalogue(db: Database, page: PageRequest, kind: RewardKind | None) -> Sequence[Any]:
    """A page of the active rewards (of one kind), in the order they were added
    (``REWARD_COLUMNS``)."""
    params: dict[str, Any] = page_params(page)
    if kind is not None:
        params["kind"] = kind
    return await db.fetch(_CATALOGUE[(page.after is not None, kind is not None)], **params)
