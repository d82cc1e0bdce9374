"""The GraphQL operations the points tests send, and what they read and write around
them: points given straight through the ledger, rewards put in the catalogue, and the
check that a user's ledger balances."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select

from edom_graphql.core.ids import decode_id, encode_id
from edom_graphql.points.models import (
    AwardReason,
    PointBalance,
    PointEntry,
    Reward,
    RewardCode,
    RewardKind,
    RewardRedemption,
)
from edom_graphql.points.service import catalogue, ledger
from tests.factories import Api, Person

ERRORS = "userErrors { code field message }"
REDEMPTION_FIELDS = """
id points promoCode createdAt
reward { id kind title stock available }
entry { id amount reason balanceAfter }
"""
REDEEM = f"""
mutation Redeem($input: RewardRedeemInput!) {{
  rewardRedeem(input: $input) {{
    redemption {{ {REDEMPTION_FIELDS} }}
    points {{ balance }}
    {ERRORS}
  }}
}}
"""
DONATE = f"""
mutation Donate($input: PointsDonateInput!) {{
  pointsDonate(input: $input) {{
    donation {{ {REDEMPTION_FIELDS} }}
    points {{ balance }}
    {ERRORS}
  }}
}}
"""
POINTS = """
query Points($first: Int!, $after: String) {
  viewer {
    points {
      balance
      entries(first: $first, after: $after) {
        nodes { id amount reason balanceAfter createdAt }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }
}
"""
REDEMPTIONS = f"""
query Redemptions($first: Int!, $after: String) {{
  viewer {{
    points {{
      redemptions(first: $first, after: $after) {{
        nodes {{ {REDEMPTION_FIELDS} }}
        pageInfo {{ hasNextPage hasPreviousPage endCursor }}
      }}
    }}
  }}
}}
"""
REWARDS = """
query Rewards($first: Int!, $after: String, $kind: RewardKind) {
  rewards(first: $first, after: $after, kind: $kind) {
    nodes { id kind title description partner price stock active available }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""
NODE = f"""
query Node($id: ID!) {{
  node(id: $id) {{
    __typename id
    ... on PointEntry {{ amount reason balanceAfter }}
    ... on Reward {{ title price stock }}
    ... on RewardRedemption {{ {REDEMPTION_FIELDS} }}
  }}
}}
"""


def pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


def key() -> str:
    """A fresh idempotency key."""
    return uuid.uuid4().hex


async def give(api: Api, person: Person, points: int, *, source: str | None = None) -> None:
    """Award ``points`` to the person straight through the ledger (as meters would)."""
    assert person.pk is not None
    async with api.db.transaction() as (session, outbox):
        entry = await ledger.award(
            session,
            outbox,
            user_id=person.pk,
            reason=AwardReason.METER_READING,
            source_key=source or f"test:{uuid.uuid4().hex}",
            points=points,
        )
    assert entry is not None


async def add_reward(
    api: Api,
    kind: RewardKind = RewardKind.GOODS,
    *,
    price: int = 100,
    stock: int | None = 10,
    title: str | None = None,
    codes: Sequence[str] = (),
) -> str:
    """A reward put in the catalogue: its global id."""
    async with api.db.transaction() as (session, _):
        reward_pk = await catalogue.add_reward(
            session,
            catalogue.NewReward(
                kind=kind,
                title=title or f"Награда {uuid.uuid4().hex[:6]}",
                partner="Партнёр",
                description="Описание",
                price=0 if kind is RewardKind.CHARITY else price,
                stock=stock,
                codes=codes,
            ),
        )
    return encode_id("Reward", reward_pk)


async def withdraw(api: Api, reward_id: str) -> None:
    async with api.db.transaction() as (session, _):
        await catalogue.withdraw_reward(session, pk(reward_id))


async def redeem(api: Api, person: Person, reward_id: str, idempotency_key: str) -> Any:
    """The ``rewardRedeem`` payload."""
    variables = {"input": {"rewardId": reward_id, "idempotencyKey": idempotency_key}}
    return (await api.gql(REDEEM, variables, as_=person))["rewardRedeem"]


async def donate(
    api: Api, person: Person, reward_id: str, points: int, idempotency_key: str
) -> Any:
    """The ``pointsDonate`` payload."""
    variables = {
        "input": {"rewardId": reward_id, "points": points, "idempotencyKey": idempotency_key}
    }
    return (await api.gql(DONATE, variables, as_=person))["pointsDonate"]


def codes_of(payload: Any) -> list[str]:
    return [error["code"] for error in payload["userErrors"]]


async def rows(api: Api, statement: Any) -> list[Any]:
    async with api.db.transaction() as (session, _):
        return list((await session.execute(statement)).all())


async def stock_of(api: Api, reward_id: str) -> int | None:
    ((stock,),) = await rows(api, select(Reward.stock).where(Reward.id == pk(reward_id)))
    return stock  # type: ignore[no-any-return]


async def snapshot(api: Api, user_pks: Sequence[int]) -> list[Any]:
    """What a refused or denied call must leave as it was: the users' entries, balances
    and redemptions, every reward's stock and which codes are given out."""
    return [
        await rows(
            api,
            select(PointEntry.id, PointEntry.amount, PointEntry.source_key)
            .where(PointEntry.user_id.in_(user_pks))
            .order_by(PointEntry.id),
        ),
        await rows(
            api,
            select(PointBalance.user_id, PointBalance.balance)
            .where(PointBalance.user_id.in_(user_pks))
            .order_by(PointBalance.user_id),
        ),
        await rows(api, select(RewardRedemption.id).order_by(RewardRedemption.id)),
        await rows(api, select(Reward.id, Reward.stock, Reward.active).order_by(Reward.id)),
        await rows(api, select(RewardCode.id, RewardCode.redemption_id).order_by(RewardCode.id)),
    ]


async def assert_balanced(api: Api, person: Person) -> int:
    """The person's ledger balances to the point: the entries (in id order) sum up to
    each one's ``balanceAfter`` and to the balance row, which ``viewer.points.balance``
    shows and which is never negative. The balance."""
    assert person.pk is not None
    entries = await rows(
        api,
        select(PointEntry.amount, PointEntry.balance_after)
        .where(PointEntry.user_id == person.pk)
        .order_by(PointEntry.id),
    )
    running = 0
    for amount, balance_after in entries:
        running += amount
        assert balance_after == running
        assert running >= 0
    stored = await rows(api, select(PointBalance.balance).where(PointBalance.user_id == person.pk))
    assert [row[0] for row in stored] == ([running] if entries else [])
    ((total,),) = await rows(
        api,
        select(func.coalesce(func.sum(PointEntry.amount), 0)).where(
            PointEntry.user_id == person.pk
        ),
    )
    assert total == running
    data = await api.gql(POINTS, {"first": 1}, as_=person)
    assert data["viewer"]["points"]["balance"] == running
    return running
