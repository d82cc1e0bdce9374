"""`Building.listings`: a building's board, newest first, paged and filtered, and only
its own."""

from __future__ import annotations

from tests.factories import Api, make_world
from tests.listings.operations import CLOSE, LIST, NODE, create


async def test_board_newest_first_with_keyset_pages_and_filters(api: Api) -> None:
    world = await make_world(api)
    made = [
        await create(api, world, title=f"Объявление {i}", category=category, priceKopecks=None)
        for i, category in enumerate(["SELL", "LEND", "SELL", "OTHER", "SELL"])
    ]
    newest_first = [listing["id"] for listing in reversed(made)]
    seen: list[str] = []
    after = None
    while True:
        data = await api.gql(
            LIST, {"id": world.building_id, "first": 2, "after": after}, as_=world["guest_basic"]
        )
        page = data["building"]["listings"]
        seen += [node["id"] for node in page["nodes"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == newest_first
    data = await api.gql(
        LIST, {"id": world.building_id, "first": 10, "category": "SELL"}, as_=world["owner"]
    )
    assert [n["id"] for n in data["building"]["listings"]["nodes"]] == [
        made[4]["id"],
        made[2]["id"],
        made[0]["id"],
    ]
    await api.gql(CLOSE, {"input": {"listingId": made[2]["id"]}}, as_=world["owner"])
    data = await api.gql(
        LIST, {"id": world.building_id, "first": 10, "status": "CLOSED"}, as_=world["owner"]
    )
    assert [n["id"] for n in data["building"]["listings"]["nodes"]] == [made[2]["id"]]
    data = await api.gql(
        LIST, {"id": world.building_id, "first": 10, "category": "SELL"}, as_=world["owner"]
    )
    assert [n["id"] for n in data["building"]["listings"]["nodes"]] == [
        made[4]["id"],
        made[0]["id"],
    ]


async def test_a_building_sees_only_its_own_board(api: Api) -> None:
    world = await make_world(api)
    mine = await create(api, world)
    theirs = await create(api, world, as_="stranger", buildingId=world.other_building_id)
    data = await api.gql(LIST, {"id": world.building_id, "first": 10}, as_=world["owner"])
    assert [n["id"] for n in data["building"]["listings"]["nodes"]] == [mine["id"]]
    data = await api.gql(LIST, {"id": world.other_building_id, "first": 10}, as_=world["stranger"])
    assert [n["id"] for n in data["building"]["listings"]["nodes"]] == [theirs["id"]]
    assert (await api.gql(NODE, {"id": theirs["id"]}, as_=world["owner"]))["node"] is None
    assert (await api.gql(NODE, {"id": mine["id"]}, as_=world["stranger"]))["node"] is None
