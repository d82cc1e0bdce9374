"""`listingRemove`: the building's staff take a listing off the board."""

from __future__ import annotations

from tests.factories import Api, make_world
from tests.listings.operations import LIST, NODE, REMOVE, create


async def test_remove_by_staff(api: Api) -> None:
    world = await make_world(api)
    listing = await create(api, world, as_="resident")
    result = await api.post(
        REMOVE, {"input": {"listingId": listing["id"], "reason": "Спам"}}, as_=world["owner"]
    )
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"]
    data = await api.gql(
        REMOVE, {"input": {"listingId": listing["id"], "reason": " "}}, as_=world["engineer"]
    )
    assert [(e["code"], e["field"]) for e in data["listingRemove"]["userErrors"]] == [
        ("BLANK", ["reason"])
    ]
    data = await api.gql(
        REMOVE, {"input": {"listingId": listing["id"], "reason": "Спам"}}, as_=world["engineer"]
    )
    assert data["listingRemove"] == {
        "listing": {"id": listing["id"], "status": "REMOVED"},
        "userErrors": [],
    }
    data = await api.gql(
        REMOVE, {"input": {"listingId": listing["id"], "reason": "Спам"}}, as_=world["manager"]
    )
    assert [e["code"] for e in data["listingRemove"]["userErrors"]] == ["ALREADY_REMOVED"]
    # staff of another organisation may not
    result = await api.post(
        REMOVE, {"input": {"listingId": listing["id"], "reason": "x"}}, as_=world["other_staff"]
    )
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"]
    # removed: the author and staff still see it, neighbours no longer
    for key, visible in (("resident", True), ("dispatcher", True), ("owner", False)):
        node = (await api.gql(NODE, {"id": listing["id"]}, as_=world[key]))["node"]
        assert (node is not None) is visible, key
        removed = await api.gql(
            LIST, {"id": world.building_id, "first": 10, "status": "REMOVED"}, as_=world[key]
        )
        ids = [n["id"] for n in removed["building"]["listings"]["nodes"]]
        assert ids == ([listing["id"]] if visible else []), key
    active = await api.gql(LIST, {"id": world.building_id, "first": 10}, as_=world["resident"])
    assert active["building"]["listings"]["nodes"] == []
