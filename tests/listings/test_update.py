"""`listingUpdate`: the author edits their active listing."""

from __future__ import annotations

from tests.factories import Api, make_world
from tests.listings.operations import UPDATE, create


async def test_update_by_author_only(api: Api) -> None:
    world = await make_world(api)
    listing = await create(api, world)
    data = await api.gql(
        UPDATE,
        {"input": {"listingId": listing["id"], "title": " Продам самокат ", "priceKopecks": 5}},
        as_=world["owner"],
    )
    assert data["listingUpdate"] == {
        "listing": {
            "id": listing["id"],
            "title": "Продам самокат",
            "body": "Почти новый, синий.",
            "category": "SELL",
            "priceKopecks": 5,
            "status": "ACTIVE",
        },
        "userErrors": [],
    }
    # a free category drops the price; null clears it
    data = await api.gql(
        UPDATE, {"input": {"listingId": listing["id"], "category": "GIVE_AWAY"}}, as_=world["owner"]
    )
    assert data["listingUpdate"]["listing"]["priceKopecks"] is None
    data = await api.gql(
        UPDATE,
        {"input": {"listingId": listing["id"], "priceKopecks": 10}},
        as_=world["owner"],
    )
    assert [e["code"] for e in data["listingUpdate"]["userErrors"]] == ["PRICE_NOT_ALLOWED"]
    data = await api.gql(
        UPDATE, {"input": {"listingId": listing["id"], "body": " "}}, as_=world["owner"]
    )
    assert [(e["code"], e["field"]) for e in data["listingUpdate"]["userErrors"]] == [
        ("BLANK", ["body"])
    ]
    # a neighbour may not edit it
    data = await api.gql(
        UPDATE, {"input": {"listingId": listing["id"], "title": "Моё"}}, as_=world["resident"]
    )
    assert [e["code"] for e in data["listingUpdate"]["userErrors"]] == ["NOT_AUTHOR"]
    assert data["listingUpdate"]["listing"]["title"] == "Продам самокат"
    # nor may someone who cannot see the building learn anything
    result = await api.post(
        UPDATE, {"input": {"listingId": listing["id"], "title": "Моё"}}, as_=world["stranger"]
    )
    assert [(e["extensions"]["code"], e["path"]) for e in result.errors] == [
        ("FORBIDDEN", ["listingUpdate"])
    ]
    assert result.data == {"listingUpdate": None}
