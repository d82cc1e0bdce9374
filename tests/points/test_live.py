"""Live balance updates: every award, redemption and donation reaches the user over
``notificationReceived`` with the new balance, its subject the entry or the redemption."""

from __future__ import annotations

from edom_graphql.points.models import RewardKind
from tests.factories import Api, make_user
from tests.live import signed_in
from tests.points.operations import NODE, add_reward, donate, give, key, redeem

RECEIVED = """
subscription ($after: String) {
  notificationReceived(after: $after) { id kind message subjectId cursor }
}
"""
LAST = "{ viewer { notifications(first: 1) { nodes { kind cursor } } } }"


async def test_balance_changes_arrive_as_notifications(api: Api) -> None:
    person = await make_user(api, "live")
    await give(api, person, 200)
    (last,) = (await api.gql(LAST, as_=person))["viewer"]["notifications"]["nodes"]
    assert last["kind"] == "POINTS_AWARDED"
    reward_id = await add_reward(api, RewardKind.PROMO_CODE, price=50, codes=["LIVE-1"])
    charity = await add_reward(api, RewardKind.CHARITY, stock=None, title="Фонд «Живой»")
    async with signed_in(api, person) as client:
        await client.subscribe("points", RECEIVED, {"after": last["cursor"]})
        redeemed = await redeem(api, person, reward_id, key())
        await donate(api, person, charity, 30, key())
        await give(api, person, 5)
        spent, donated, awarded = await client.notifications("points", 3)
        await client.assert_quiet()
    assert spent["kind"] == "POINTS_SPENT"
    assert spent["message"].endswith("баланс 150.")
    assert spent["subjectId"] == redeemed["redemption"]["id"]
    assert donated["kind"] == "POINTS_DONATED"
    assert donated["message"] == "Пожертвовано баллов города: 30 в «Фонд «Живой»»; баланс 120."
    assert awarded["kind"] == "POINTS_AWARDED"
    assert awarded["message"] == "Начислено баллов города: +5; баланс 125."
    subject = (await api.gql(NODE, {"id": spent["subjectId"]}, as_=person))["node"]
    assert subject["promoCode"] == "LIVE-1"
    assert subject["entry"]["balanceAfter"] == 150
    entry = (await api.gql(NODE, {"id": awarded["subjectId"]}, as_=person))["node"]
    assert entry == {
        "__typename": "PointEntry",
        "id": awarded["subjectId"],
        "amount": 5,
        "reason": "METER_READING",
        "balanceAfter": 125,
    }


async def test_a_refused_redemption_notifies_nobody(api: Api) -> None:
    person = await make_user(api, "quiet")
    await give(api, person, 10)
    (last,) = (await api.gql(LAST, as_=person))["viewer"]["notifications"]["nodes"]
    reward_id = await add_reward(api, price=100)
    async with signed_in(api, person) as client:
        await client.subscribe("points", RECEIVED, {"after": last["cursor"]})
        refused = await redeem(api, person, reward_id, key())
        assert refused["userErrors"][0]["code"] == "INSUFFICIENT_POINTS"
        await client.assert_quiet()
