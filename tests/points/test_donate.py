"""``pointsDonate``: points given to a listed charity, once per idempotency key, never more
than the balance; every bad amount is coded and changes nothing."""

from __future__ import annotations

import asyncio

import pytest

from edom_graphql.points.models import RewardKind
from edom_graphql.points.service.catalogue import MAX_DONATION
from tests.factories import ANONYMOUS, Api, Person, make_user
from tests.points.operations import (
    DONATE,
    add_reward,
    assert_balanced,
    codes_of,
    donate,
    give,
    key,
    snapshot,
    stock_of,
    withdraw,
)


async def donor(api: Api, points: int) -> Person:
    person = await make_user(api, "donor")
    await give(api, person, points)
    return person


async def test_a_donation_spends_the_points_given(api: Api) -> None:
    person = await donor(api, 300)
    charity = await add_reward(api, RewardKind.CHARITY, stock=None, title="Фонд «Дом»")
    payload = await donate(api, person, charity, 120, key())
    assert payload["userErrors"] == []
    donation = payload["donation"]
    assert donation["points"] == 120
    assert donation["promoCode"] is None
    assert donation["reward"]["kind"] == "CHARITY"
    assert donation["reward"]["stock"] is None
    assert donation["entry"]["amount"] == -120
    assert donation["entry"]["reason"] == "DONATION"
    assert payload["points"] == {"balance": 180}
    assert await stock_of(api, charity) is None
    assert await assert_balanced(api, person) == 180


async def test_the_whole_balance_may_be_given_but_no_more(api: Api) -> None:
    person = await donor(api, 50)
    charity = await add_reward(api, RewardKind.CHARITY, stock=None)
    before = await snapshot(api, [person.pk or 0])
    assert codes_of(await donate(api, person, charity, 51, key())) == ["INSUFFICIENT_POINTS"]
    assert await snapshot(api, [person.pk or 0]) == before
    assert (await donate(api, person, charity, 50, key()))["userErrors"] == []
    assert await assert_balanced(api, person) == 0


async def test_concurrent_donations_never_overdraw(api: Api) -> None:
    person = await donor(api, 100)
    charity = await add_reward(api, RewardKind.CHARITY, stock=None)
    payloads = await asyncio.gather(*(donate(api, person, charity, 30, key()) for _ in range(10)))
    assert sorted(tuple(codes_of(p)) for p in payloads) == [()] * 3 + [("INSUFFICIENT_POINTS",)] * 7
    assert await assert_balanced(api, person) == 10


async def test_a_retried_donation_gives_once(api: Api) -> None:
    person = await donor(api, 100)
    charity = await add_reward(api, RewardKind.CHARITY, stock=None)
    same = key()
    payloads = await asyncio.gather(*(donate(api, person, charity, 70, same) for _ in range(5)))
    assert all(p["userErrors"] == [] for p in payloads)
    assert len({p["donation"]["id"] for p in payloads}) == 1
    assert await assert_balanced(api, person) == 30
    # the same key with another amount, or for another charity, is another request
    other = await add_reward(api, RewardKind.CHARITY, stock=None)
    for reward_id, points in ((charity, 10), (other, 70)):
        payload = await donate(api, person, reward_id, points, same)
        assert codes_of(payload) == ["IDEMPOTENCY_KEY_REUSED"]
    assert await assert_balanced(api, person) == 30


async def test_only_active_charities_take_donations(api: Api) -> None:
    person = await donor(api, 100)
    goods = await add_reward(api, price=10)
    promo = await add_reward(api, RewardKind.PROMO_CODE, price=10, codes=["A1"])
    closed = await add_reward(api, RewardKind.CHARITY, stock=None)
    await withdraw(api, closed)
    before = await snapshot(api, [person.pk or 0])
    for reward_id, code in (
        (goods, "NOT_A_CHARITY"),
        (promo, "NOT_A_CHARITY"),
        (closed, "NOT_ACTIVE"),
        ("UmV3YXJkOjk5OTk5OTk5OTk5OTk5OTk5OQ==", "REWARD_NOT_FOUND"),
    ):
        payload = await donate(api, person, reward_id, 10, key())
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, ["rewardId"])]
        assert payload["donation"] is None
        assert payload["points"] == {"balance": 100}
    assert await snapshot(api, [person.pk or 0]) == before


@pytest.mark.parametrize("points", [0, -1, -(2**31), MAX_DONATION + 1, 2**31 - 1])
async def test_bad_amounts_are_coded(api: Api, points: int) -> None:
    person = await donor(api, 100)
    charity = await add_reward(api, RewardKind.CHARITY, stock=None)
    before = await snapshot(api, [person.pk or 0])
    payload = await donate(api, person, charity, points, key())
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_AMOUNT", ["points"])
    ]
    assert await snapshot(api, [person.pk or 0]) == before


@pytest.mark.parametrize("points", [2**31, 10**20, 1.5, "10", None, True])
async def test_amounts_that_are_no_int_are_bad_user_input(api: Api, points: object) -> None:
    person = await donor(api, 100)
    charity = await add_reward(api, RewardKind.CHARITY, stock=None)
    before = await snapshot(api, [person.pk or 0])
    variables = {"input": {"rewardId": charity, "points": points, "idempotencyKey": key()}}
    result = await api.post(DONATE, variables, as_=person)
    assert result.codes, result
    assert set(result.codes) == {"BAD_USER_INPUT"}, result
    assert result.response.status_code in (200, 400)
    assert await snapshot(api, [person.pk or 0]) == before


async def test_anonymous_is_unauthenticated(api: Api) -> None:
    charity = await add_reward(api, RewardKind.CHARITY, stock=None)
    variables = {"input": {"rewardId": charity, "points": 1, "idempotencyKey": key()}}
    result = await api.post(DONATE, variables, as_=ANONYMOUS)
    assert result.codes == ["UNAUTHENTICATED"]
    assert result.data == {"pointsDonate": None}
