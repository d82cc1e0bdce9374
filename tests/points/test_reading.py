"""Reading points: the viewer's balance, ledger and redemptions page by page, the
catalogue of rewards (active items, by kind), in a constant number of statements."""

from __future__ import annotations

from typing import Any

import pytest

from edom_graphql.core.pagination import encode_cursor
from edom_graphql.points.models import RewardKind
from tests.factories import ANONYMOUS, Api, Person, make_user
from tests.points.operations import (
    POINTS,
    REDEMPTIONS,
    REWARDS,
    add_reward,
    give,
    key,
    redeem,
    withdraw,
)


async def walk(api: Api, query: str, person: Person, path: list[str], **variables: Any) -> Any:
    """Every node of a connection, page by page (3 a page); the pages' page infos."""
    nodes: list[Any] = []
    infos: list[Any] = []
    after = None
    while True:
        data = await api.gql(query, {"first": 3, "after": after, **variables}, as_=person)
        for step in path:
            data = data[step]
        nodes += data["nodes"]
        infos.append(data["pageInfo"])
        if not data["pageInfo"]["hasNextPage"]:
            return nodes, infos
        after = data["pageInfo"]["endCursor"]


async def test_the_ledger_newest_first_page_by_page(api: Api) -> None:
    person = await make_user(api, "reader")
    for points in (5, 10, 20, 40, 80, 160, 320):
        await give(api, person, points)
    reward_id = await add_reward(api, price=100)
    await redeem(api, person, reward_id, key())
    nodes, infos = await walk(api, POINTS, person, ["viewer", "points", "entries"])
    assert [node["amount"] for node in nodes] == [-100, 320, 160, 80, 40, 20, 10, 5]
    assert [node["balanceAfter"] for node in nodes] == [535, 635, 315, 155, 75, 35, 15, 5]
    assert [node["reason"] for node in nodes] == ["REWARD_REDEEMED"] + ["METER_READING"] * 7
    assert [info["hasPreviousPage"] for info in infos] == [False, True, True]
    data = await api.gql(POINTS, {"first": 1}, as_=person)
    assert data["viewer"]["points"]["balance"] == 535


async def test_a_new_user_has_no_points(api: Api) -> None:
    person = await make_user(api, "new")
    data = await api.gql(POINTS, {"first": 10}, as_=person)
    assert data["viewer"]["points"]["balance"] == 0
    assert data["viewer"]["points"]["entries"]["nodes"] == []
    data = await api.gql(REDEMPTIONS, {"first": 10}, as_=person)
    assert data["viewer"]["points"]["redemptions"]["nodes"] == []


async def test_redemptions_newest_first_with_their_rewards(api: Api) -> None:
    person = await make_user(api, "collector")
    await give(api, person, 1000)
    goods = await add_reward(api, price=100)
    promo = await add_reward(api, RewardKind.PROMO_CODE, price=50, codes=["P-1", "P-2"])
    charity = await add_reward(api, RewardKind.CHARITY, stock=None)
    await redeem(api, person, goods, key())
    await redeem(api, person, promo, key())
    await redeem(api, person, promo, key())
    await api.gql(
        "mutation ($input: PointsDonateInput!) { pointsDonate(input: $input) { donation { id } } }",
        {"input": {"rewardId": charity, "points": 7, "idempotencyKey": key()}},
        as_=person,
    )
    await redeem(api, person, goods, key())
    nodes, _ = await walk(api, REDEMPTIONS, person, ["viewer", "points", "redemptions"])
    assert [(n["reward"]["id"], n["points"], n["promoCode"]) for n in nodes] == [
        (goods, 100, None),
        (charity, 7, None),
        (promo, 50, "P-2"),
        (promo, 50, "P-1"),
        (goods, 100, None),
    ]
    assert [n["entry"]["balanceAfter"] for n in nodes] == [693, 793, 800, 850, 900]


async def test_the_catalogue_lists_active_rewards_in_order(api: Api) -> None:
    person = await make_user(api, "shopper")
    added = [
        await add_reward(api, RewardKind.GOODS, price=300, stock=2, title="Термокружка"),
        await add_reward(api, RewardKind.SERVICE, price=500, stock=None, title="Экскурсия"),
        await add_reward(api, RewardKind.PROMO_CODE, price=200, codes=["X"], title="Скидка"),
        await add_reward(api, RewardKind.CHARITY, stock=None, title="Фонд"),
        await add_reward(api, RewardKind.GOODS, price=100, stock=0, title="Значок"),
    ]
    withdrawn = await add_reward(api, RewardKind.GOODS, price=100, title="Снятый")
    await withdraw(api, withdrawn)
    nodes, _ = await walk(api, REWARDS, person, ["rewards"])
    ids = [node["id"] for node in nodes]
    assert withdrawn not in ids
    mine = [node for node in nodes if node["id"] in added]
    assert [node["id"] for node in mine] == added  # in the order they were added
    assert [(n["kind"], n["price"], n["stock"], n["available"]) for n in mine] == [
        ("GOODS", 300, 2, True),
        ("SERVICE", 500, None, True),
        ("PROMO_CODE", 200, 1, True),
        ("CHARITY", 0, None, True),
        ("GOODS", 100, 0, False),
    ]
    assert all(node["active"] for node in nodes)
    for kind in RewardKind:
        of_kind, _ = await walk(api, REWARDS, person, ["rewards"], kind=kind.value)
        assert {node["kind"] for node in of_kind} <= {kind.value}
        assert [n["id"] for n in of_kind] == [n["id"] for n in nodes if n["kind"] == kind.value]


async def test_reads_cost_a_constant_number_of_statements(api: Api) -> None:
    query = """
    query {
      viewer { points {
        balance
        entries(first: 50) { nodes { id amount reason balanceAfter } }
        redemptions(first: 50) {
          nodes { id points promoCode reward { id title } entry { id balanceAfter } }
        }
      } }
      rewards(first: 50) { nodes { id title price stock available } }
    }
    """
    counts = []
    for redemptions in (1, 6):
        person = await make_user(api, "counted")
        await give(api, person, 10_000)
        for _ in range(redemptions):
            reward_id = await add_reward(api, RewardKind.PROMO_CODE, price=10, codes=[key()])
            await redeem(api, person, reward_id, key())
        await api.gql(query, as_=person)  # the viewer's subject is known from here on
        with api.count_statements() as statements:
            data = await api.gql(query, as_=person)
        assert len(data["viewer"]["points"]["redemptions"]["nodes"]) == redemptions
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    # the viewer's access profile; the balance, entries, redemptions (with their codes),
    # the redemptions' rewards and entries, the catalogue: one statement each
    assert counts[0] == 7, counts


@pytest.mark.parametrize(
    "after",
    [
        "garbage",
        encode_cursor((2**63,)),
        encode_cursor(("x",)),
        encode_cursor((1, 2)),
        encode_cursor((True,)),
        "A" * 600,
    ],
    ids=["garbage", "past_int64", "text", "two_values", "boolean", "too_long"],
)
@pytest.mark.parametrize("which", ["entries", "redemptions", "rewards"])
async def test_forged_cursors_are_bad_user_input(api: Api, after: str, which: str) -> None:
    person = await make_user(api, "forger")
    query = {"entries": POINTS, "redemptions": REDEMPTIONS, "rewards": REWARDS}[which]
    result = await api.post(query, {"first": 5, "after": after}, as_=person)
    assert result.response.status_code == 200, result
    assert result.codes == ["BAD_USER_INPUT"], result


@pytest.mark.parametrize("first", [0, -1, 101])
@pytest.mark.parametrize("which", ["entries", "redemptions", "rewards"])
async def test_page_sizes_out_of_range_are_bad_user_input(api: Api, first: int, which: str) -> None:
    person = await make_user(api, "greedy")
    query = {"entries": POINTS, "redemptions": REDEMPTIONS, "rewards": REWARDS}[which]
    result = await api.post(query, {"first": first}, as_=person)
    assert result.codes == ["BAD_USER_INPUT"], result


@pytest.mark.parametrize(
    "query", [POINTS, REDEMPTIONS, REWARDS], ids=["entries", "redemptions", "rewards"]
)
async def test_anonymous_reads_nothing(api: Api, query: str) -> None:
    result = await api.post(query, {"first": 5}, as_=ANONYMOUS)
    assert result.codes == ["UNAUTHENTICATED"], result
    assert result.data is None
