"""`listingClose`: the author closes their active listing; an unknown listing is refused
like an invisible one."""

from __future__ import annotations

from edom_graphql.core.ids import encode_id
from tests.factories import Api, make_world
from tests.listings.operations import CLOSE, NODE, UPDATE, create


async def test_close_by_author_only(api: Api) -> None:
    world = await make_world(api)
    listing = await create(api, world)
    data = await api.gql(CLOSE, {"input": {"listingId": listing["id"]}}, as_=world["resident"])
    assert [e["code"] for e in data["listingClose"]["userErrors"]] == ["NOT_AUTHOR"]
    data = await api.gql(CLOSE, {"input": {"listingId": listing["id"]}}, as_=world["owner"])
    assert data["listingClose"]["userErrors"] == []
    assert data["listingClose"]["listing"]["status"] == "CLOSED"
    assert data["listingClose"]["listing"]["closedAt"] is not None
    data = await api.gql(CLOSE, {"input": {"listingId": listing["id"]}}, as_=world["owner"])
    assert [e["code"] for e in data["listingClose"]["userErrors"]] == ["NOT_ACTIVE"]
    data = await api.gql(
        UPDATE, {"input": {"listingId": listing["id"], "title": "Ещё"}}, as_=world["owner"]
    )
    assert [e["code"] for e in data["listingUpdate"]["userErrors"]] == ["NOT_ACTIVE"]
    # a closed listing is still readable, under status CLOSED
    for key in ("owner", "resident"):
        assert (await api.gql(NODE, {"id": listing["id"]}, as_=world[key]))["node"]["status"] == (
            "CLOSED"
        )


async def test_unknown_listing_is_forbidden_like_an_invisible_one(api: Api) -> None:
    world = await make_world(api)
    for listing_id in (encode_id("Listing", 2**62), encode_id("Poll", 1)):
        result = await api.post(CLOSE, {"input": {"listingId": listing_id}}, as_=world["owner"])
        assert result.data == {"listingClose": None}
        assert len(result.errors) == 1
