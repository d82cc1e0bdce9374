"""``rewardRedeem``: the price is spent and one item taken from stock at once; the last
item and the last points go to one request however many race for them; a retried key
spends once; a promo code is its owner's only."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import pytest
from sqlalchemy import delete, select

from edom_graphql.core.db import plain_url
from edom_graphql.points.models import PointEntry, RewardCode, RewardKind, RewardRedemption
from tests.factories import ANONYMOUS, Api, GraphQLResult, Person, make_user
from tests.points.operations import (
    NODE,
    REDEEM,
    add_reward,
    assert_balanced,
    codes_of,
    give,
    key,
    pk,
    redeem,
    rows,
    snapshot,
    stock_of,
    withdraw,
)


async def users(api: Api, count: int, points: int) -> list[Person]:
    people = [await make_user(api, f"redeemer{n}") for n in range(count)]
    for person in people:
        await give(api, person, points)
    return people


async def test_redeem_spends_the_price_and_takes_one_item(api: Api) -> None:
    (person,) = await users(api, 1, 250)
    reward_id = await add_reward(api, price=100, stock=3)
    payload = await redeem(api, person, reward_id, key())
    assert payload["userErrors"] == []
    redemption = payload["redemption"]
    assert redemption["points"] == 100
    assert redemption["promoCode"] is None
    assert redemption["reward"] == {
        "id": reward_id,
        "kind": "GOODS",
        "title": redemption["reward"]["title"],
        "stock": 2,
        "available": True,
    }
    assert redemption["entry"]["amount"] == -100
    assert redemption["entry"]["reason"] == "REWARD_REDEEMED"
    assert redemption["entry"]["balanceAfter"] == 150
    assert payload["points"] == {"balance": 150}
    assert await stock_of(api, reward_id) == 2
    assert await assert_balanced(api, person) == 150


async def test_unlimited_stock_stays_unlimited(api: Api) -> None:
    (person,) = await users(api, 1, 30)
    reward_id = await add_reward(api, RewardKind.SERVICE, price=10, stock=None)
    for _ in range(3):
        assert (await redeem(api, person, reward_id, key()))["userErrors"] == []
    assert await stock_of(api, reward_id) is None
    assert await assert_balanced(api, person) == 0
    payload = await redeem(api, person, reward_id, key())
    assert codes_of(payload) == ["INSUFFICIENT_POINTS"]


async def test_the_last_item_goes_to_one_of_ten_racing(api: Api) -> None:
    people = await users(api, 10, 100)
    reward_id = await add_reward(api, price=100, stock=1)
    payloads = await asyncio.gather(*(redeem(api, p, reward_id, key()) for p in people))
    won = [payload for payload in payloads if payload["userErrors"] == []]
    assert len(won) == 1
    assert sorted(codes_of(p)[0] for p in payloads if p not in won) == ["OUT_OF_STOCK"] * 9
    assert await stock_of(api, reward_id) == 0
    balances = [await assert_balanced(api, person) for person in people]
    assert sorted(balances) == [0] + [100] * 9
    redemptions = await rows(
        api, select(RewardRedemption.id).where(RewardRedemption.reward_id == pk(reward_id))
    )
    assert len(redemptions) == 1


async def test_the_last_points_pay_for_one_of_ten_racing(api: Api) -> None:
    (person,) = await users(api, 1, 150)
    reward_id = await add_reward(api, price=100, stock=50)
    payloads = await asyncio.gather(*(redeem(api, person, reward_id, key()) for _ in range(10)))
    assert (
        sorted(tuple(codes_of(payload)) for payload in payloads)
        == [()] + [("INSUFFICIENT_POINTS",)] * 9
    )
    assert await stock_of(api, reward_id) == 49
    assert await assert_balanced(api, person) == 50


async def test_a_retried_key_returns_the_same_redemption_and_spends_once(api: Api) -> None:
    (person,) = await users(api, 1, 100)
    reward_id = await add_reward(api, price=100, stock=5)
    same = key()
    first = await redeem(api, person, reward_id, same)
    assert first["userErrors"] == []
    # the balance is now 0: a retry still answers with the redemption, spending nothing
    again = await redeem(api, person, reward_id, same)
    assert again == first
    assert await stock_of(api, reward_id) == 4
    assert await assert_balanced(api, person) == 0


async def test_concurrent_retries_of_one_key_spend_once(api: Api) -> None:
    (person,) = await users(api, 1, 1000)
    reward_id = await add_reward(api, price=100, stock=5)
    same = key()
    payloads = await asyncio.gather(*(redeem(api, person, reward_id, same) for _ in range(10)))
    assert all(payload["userErrors"] == [] for payload in payloads)
    assert len({payload["redemption"]["id"] for payload in payloads}) == 1
    assert await stock_of(api, reward_id) == 4
    assert await assert_balanced(api, person) == 900


async def test_a_key_used_for_another_reward_is_refused(api: Api) -> None:
    (person,) = await users(api, 1, 500)
    first_reward = await add_reward(api, price=100)
    other_reward = await add_reward(api, price=100)
    same = key()
    assert (await redeem(api, person, first_reward, same))["userErrors"] == []
    before = await snapshot(api, [person.pk or 0])
    payload = await redeem(api, person, other_reward, same)
    assert payload["userErrors"] == [
        {
            "code": "IDEMPOTENCY_KEY_REUSED",
            "field": ["idempotencyKey"],
            "message": payload["userErrors"][0]["message"],
        }
    ]
    assert payload["redemption"] is None
    assert payload["points"] == {"balance": 400}
    assert await snapshot(api, [person.pk or 0]) == before


async def test_the_same_key_of_two_users_is_two_redemptions(api: Api) -> None:
    people = await users(api, 2, 100)
    reward_id = await add_reward(api, price=100)
    same = key()
    payloads = [await redeem(api, person, reward_id, same) for person in people]
    assert payloads[0]["redemption"]["id"] != payloads[1]["redemption"]["id"]
    for person in people:
        assert await assert_balanced(api, person) == 0


async def test_a_promo_code_is_handed_out_once_each(api: Api) -> None:
    people = await users(api, 8, 50)
    codes = [f"CITY-{n:04d}" for n in range(5)]
    reward_id = await add_reward(api, RewardKind.PROMO_CODE, price=50, codes=codes)
    assert await stock_of(api, reward_id) == 5
    payloads = await asyncio.gather(*(redeem(api, p, reward_id, key()) for p in people))
    won = [payload for payload in payloads if payload["userErrors"] == []]
    assert len(won) == 5
    assert sorted(payload["redemption"]["promoCode"] for payload in won) == codes
    assert sorted(codes_of(p)[0] for p in payloads if p not in won) == ["OUT_OF_STOCK"] * 3
    assert await stock_of(api, reward_id) == 0
    handed = await rows(
        api, select(RewardCode.redemption_id).where(RewardCode.reward_id == pk(reward_id))
    )
    assert sorted(pk(p["redemption"]["id"]) for p in won) == sorted(r[0] for r in handed)
    for person in people:
        await assert_balanced(api, person)


async def test_a_promo_code_is_shown_to_its_owner_only(api: Api) -> None:
    owner, other = await users(api, 2, 50)
    reward_id = await add_reward(api, RewardKind.PROMO_CODE, price=50, codes=["SECRET-1"])
    payload = await redeem(api, owner, reward_id, key())
    redemption_id = payload["redemption"]["id"]
    assert payload["redemption"]["promoCode"] == "SECRET-1"
    mine = (await api.gql(NODE, {"id": redemption_id}, as_=owner))["node"]
    assert mine["promoCode"] == "SECRET-1"
    for viewer in (other, await make_user(api, "admin-like")):
        assert (await api.gql(NODE, {"id": redemption_id}, as_=viewer)) == {"node": None}
    # the entry that paid for it is the owner's only as well
    entry_id = payload["redemption"]["entry"]["id"]
    assert (await api.gql(NODE, {"id": entry_id}, as_=other)) == {"node": None}
    assert (await api.gql(NODE, {"id": entry_id}, as_=owner))["node"]["amount"] == -50


async def test_refusals_change_nothing(api: Api) -> None:
    (person,) = await users(api, 1, 40)
    expensive = await add_reward(api, price=100)
    empty = await add_reward(api, price=10, stock=0)
    withdrawn = await add_reward(api, price=10)
    await withdraw(api, withdrawn)
    charity = await add_reward(api, RewardKind.CHARITY, stock=None)
    no_codes_left = await add_reward(api, RewardKind.PROMO_CODE, price=10, codes=["ONLY"])
    async with api.db.transaction() as (session, _):  # its one item, but no code left
        await session.execute(delete(RewardCode).where(RewardCode.reward_id == pk(no_codes_left)))
    before = await snapshot(api, [person.pk or 0])
    cases: list[tuple[str, str, list[str] | None]] = [
        (expensive, "INSUFFICIENT_POINTS", None),
        (empty, "OUT_OF_STOCK", ["rewardId"]),
        (withdrawn, "NOT_ACTIVE", ["rewardId"]),
        (charity, "IS_A_CHARITY", ["rewardId"]),
        (no_codes_left, "OUT_OF_STOCK", ["rewardId"]),
        ("UmV3YXJkOjEwMDAwMDAwMDAwMDAwMDAwMA==", "REWARD_NOT_FOUND", ["rewardId"]),
    ]
    for reward_id, code, field in cases:
        payload = await redeem(api, person, reward_id, key())
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
        assert payload["redemption"] is None
        assert payload["points"] == {"balance": 40}
    assert await snapshot(api, [person.pk or 0]) == before
    assert await assert_balanced(api, person) == 40


@pytest.mark.parametrize(
    "idempotency_key",
    ["", "   ", "x" * 101, "tab\there", "line\nbreak", "\u200b" * 3 + "\u202e"],
    ids=["empty", "blank", "too_long", "tab", "newline", "invisible"],
)
async def test_bad_idempotency_keys_are_coded(api: Api, idempotency_key: str) -> None:
    (person,) = await users(api, 1, 100)
    reward_id = await add_reward(api, price=10)
    before = await snapshot(api, [person.pk or 0])
    payload = await redeem(api, person, reward_id, idempotency_key)
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_IDEMPOTENCY_KEY", ["idempotencyKey"])
    ]
    assert await snapshot(api, [person.pk or 0]) == before


BAD_INPUT: dict[str, dict[str, Any]] = {
    "malformed_id": {"rewardId": "not an id", "idempotencyKey": "k"},
    "id_of_another_type": {"rewardId": "VXNlcjox", "idempotencyKey": "k"},  # User:1
    "nul_in_key": {"rewardId": "UmV3YXJkOjE=", "idempotencyKey": "a\u0000b"},
    "nul_in_id": {"rewardId": "UmV3YXJkOjE=\u0000", "idempotencyKey": "k"},
    "lone_surrogate": {"rewardId": "UmV3YXJkOjE=", "idempotencyKey": "\ud800"},
    "number_as_key": {"rewardId": "UmV3YXJkOjE=", "idempotencyKey": 5},
    "missing_key": {"rewardId": "UmV3YXJkOjE="},
}


@pytest.mark.parametrize("name", BAD_INPUT)
async def test_malformed_input_is_bad_user_input(api: Api, name: str) -> None:
    (person,) = await users(api, 1, 100)
    before = await snapshot(api, [person.pk or 0])
    # ASCII-escaped JSON, so that a lone surrogate travels as the client wrote it
    body = json.dumps({"query": REDEEM, "variables": {"input": BAD_INPUT[name]}})
    response = await api.client.post(
        "/graphql",
        content=body.encode("ascii"),
        headers={**person.headers, "Content-Type": "application/json"},
    )
    result = GraphQLResult(response)
    assert response.status_code in (200, 400), result
    assert result.codes, result
    assert set(result.codes) == {"BAD_USER_INPUT"}, result
    assert not (result.data or {}).get("rewardRedeem"), result
    assert await snapshot(api, [person.pk or 0]) == before


async def test_anonymous_is_unauthenticated(api: Api) -> None:
    reward_id = await add_reward(api, price=10)
    result = await api.post(
        REDEEM, {"input": {"rewardId": reward_id, "idempotencyKey": key()}}, as_=ANONYMOUS
    )
    assert result.codes == ["UNAUTHENTICATED"]
    assert result.data == {"rewardRedeem": None}
    assert await stock_of(api, reward_id) == 10


async def test_a_spend_entry_names_its_request(api: Api) -> None:
    (person,) = await users(api, 1, 10)
    reward_id = await add_reward(api, price=10)
    same = key()
    await redeem(api, person, reward_id, same)
    sources = await rows(
        api,
        select(PointEntry.source_key, PointEntry.reason).where(
            PointEntry.user_id == person.pk, PointEntry.amount < 0
        ),
    )
    assert sources == [(f"spend:{person.pk}:{same}", "REWARD_REDEEMED")]


async def waiting_on_locks(conn: asyncpg.Connection) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    return count


async def while_the_reward_is_locked(
    api: Api, reward_id: str, people: list[Person], change: str | None
) -> list[Any]:
    """Redemptions by ``people`` that reach the reward's row while another transaction
    holds it (and runs ``change`` on it, if any) and commits."""
    conn = await asyncpg.connect(plain_url(api.db.url))
    try:
        locker = conn.transaction()
        await locker.start()
        await conn.execute("SELECT 1 FROM rewards WHERE id = $1 FOR UPDATE", pk(reward_id))
        attempts = [asyncio.ensure_future(redeem(api, p, reward_id, key())) for p in people]
        async with asyncio.timeout(10):
            while True:  # until every redemption waits for the row
                if await waiting_on_locks(conn) >= len(people):
                    break
                await asyncio.sleep(0.02)
        if change is not None:
            await conn.execute(change, pk(reward_id))
        await locker.commit()
        return list(await asyncio.gather(*attempts))
    finally:
        await conn.close()


async def test_the_stock_rows_lock_decides_between_waiting_redemptions(api: Api) -> None:
    people = await users(api, 4, 100)
    reward_id = await add_reward(api, price=100, stock=1)
    payloads = await while_the_reward_is_locked(api, reward_id, people, None)
    assert sorted(tuple(codes_of(p)) for p in payloads) == [()] + [("OUT_OF_STOCK",)] * 3
    assert await stock_of(api, reward_id) == 0
    assert sorted([await assert_balanced(api, p) for p in people]) == [0, 100, 100, 100]


async def test_a_price_changed_meanwhile_is_refused(api: Api) -> None:
    people = await users(api, 3, 100)
    reward_id = await add_reward(api, price=60, stock=5)
    payloads = await while_the_reward_is_locked(
        api, reward_id, people, "UPDATE rewards SET price = 90 WHERE id = $1"
    )
    assert [codes_of(p) for p in payloads] == [["PRICE_CHANGED"]] * 3
    assert await stock_of(api, reward_id) == 5
    for person in people:
        assert await assert_balanced(api, person) == 100
