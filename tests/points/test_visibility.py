"""Who sees what of city points, cell by cell for every person of ``make_world``: a
ledger entry and a redemption (with its promo code) are their user's own, not the staff's
and not the admin's; the catalogue is every signed-in user's."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import pytest_asyncio
from sqlalchemy import select

from edom_graphql.points.models import PointEntry, RewardKind
from tests.access.test_access_matrix import PEOPLE
from tests.factories import ANONYMOUS, Api, Person, World, make_world
from tests.points.operations import (
    NODE,
    POINTS,
    REDEMPTIONS,
    REWARDS,
    add_reward,
    give,
    key,
    pk,
    redeem,
    rows,
)


@dataclass
class Scene:
    world: World
    entry_id: str
    redemption_id: str
    reward_id: str


def person(world: World, key_: str) -> Person:
    return ANONYMOUS if key_ == "anonymous" else world[key_]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scene(api: Api) -> Scene:
    world = await make_world(api)
    for key_ in PEOPLE:
        if key_ != "anonymous":
            await give(api, world[key_], 100)
    reward_id = await add_reward(api, RewardKind.PROMO_CODE, price=60, codes=["OWNERS-ONLY"])
    payload = await redeem(api, world["owner"], reward_id, key())
    return Scene(
        world=world,
        entry_id=payload["redemption"]["entry"]["id"],
        redemption_id=payload["redemption"]["id"],
        reward_id=reward_id,
    )


@pytest.mark.parametrize("viewer", PEOPLE)
async def test_an_entry_and_a_redemption_are_their_users_only(
    api: Api, scene: Scene, viewer: str
) -> None:
    who = person(scene.world, viewer)
    for target in (scene.entry_id, scene.redemption_id):
        result = await api.post(NODE, {"id": target}, as_=who)
        if viewer == "anonymous":
            assert result.codes == ["UNAUTHENTICATED"]
            continue
        node = result.ok()["node"]
        if viewer == "owner":
            assert node is not None
            assert node["id"] == target
        else:
            assert node is None
    nodes = await api.post(
        "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [scene.entry_id, scene.redemption_id]},
        as_=who,
    )
    if viewer != "anonymous":
        expected = [{"id": scene.entry_id}, {"id": scene.redemption_id}]
        assert nodes.ok()["nodes"] == (expected if viewer == "owner" else [None, None])


@pytest.mark.parametrize("viewer", PEOPLE)
async def test_the_promo_code_is_the_owners_only(api: Api, scene: Scene, viewer: str) -> None:
    who = person(scene.world, viewer)
    if viewer == "anonymous":
        return
    node = (await api.gql(NODE, {"id": scene.redemption_id}, as_=who))["node"]
    if viewer == "owner":
        assert node["promoCode"] == "OWNERS-ONLY"
    else:
        assert node is None
    codes = [
        n["promoCode"]
        for n in (await api.gql(REDEMPTIONS, {"first": 20}, as_=who))["viewer"]["points"][
            "redemptions"
        ]["nodes"]
    ]
    assert codes == (["OWNERS-ONLY"] if viewer == "owner" else [])


@pytest.mark.parametrize("viewer", PEOPLE)
async def test_every_viewer_reads_their_own_ledger_only(
    api: Api, scene: Scene, viewer: str
) -> None:
    who = person(scene.world, viewer)
    result = await api.post(POINTS, {"first": 100}, as_=who)
    if viewer == "anonymous":
        assert result.codes == ["UNAUTHENTICATED"]
        return
    points = result.ok()["viewer"]["points"]
    own = await rows(
        api, select(PointEntry.id).where(PointEntry.user_id == who.pk).order_by(PointEntry.id)
    )
    assert sorted(pk(node["id"]) for node in points["entries"]["nodes"]) == [r[0] for r in own]
    assert points["balance"] == (40 if viewer == "owner" else 100)


@pytest.mark.parametrize("viewer", PEOPLE)
async def test_rewards_are_every_signed_in_users(api: Api, scene: Scene, viewer: str) -> None:
    who = person(scene.world, viewer)
    node = await api.post(NODE, {"id": scene.reward_id}, as_=who)
    catalogue = await api.post(REWARDS, {"first": 1}, as_=who)
    if viewer == "anonymous":
        assert node.codes == ["UNAUTHENTICATED"]
        assert catalogue.codes == ["UNAUTHENTICATED"]
        return
    assert node.ok()["node"]["id"] == scene.reward_id
    assert catalogue.ok()["rewards"]["nodes"] != []
