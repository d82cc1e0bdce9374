"""`listingCreate` and its rules on texts and prices. (The capability matrix cells are in
test_access_matrix.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from edom_graphql.listings.models import Listing
from tests.factories import Api, make_world
from tests.listings.operations import CREATE, count, create, listing_input


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"title": "   "}, "BLANK", ["title"]),
        ({"body": ""}, "BLANK", ["body"]),
        ({"title": "т" * 121}, "TOO_LONG", ["title"]),
        ({"body": "т" * 4001}, "TOO_LONG", ["body"]),
        ({"priceKopecks": -1}, "NEGATIVE_PRICE", ["priceKopecks"]),
        ({"priceKopecks": 10**11 + 1}, "PRICE_TOO_HIGH", ["priceKopecks"]),
        ({"category": "GIVE_AWAY", "priceKopecks": 0}, "PRICE_NOT_ALLOWED", ["priceKopecks"]),
        ({"category": "LOST_PET", "priceKopecks": 100}, "PRICE_NOT_ALLOWED", ["priceKopecks"]),
        ({"category": "FOUND_PET", "priceKopecks": 100}, "PRICE_NOT_ALLOWED", ["priceKopecks"]),
    ],
)
async def test_create_rules(
    api: Api, overrides: dict[str, Any], code: str, field: list[str]
) -> None:
    world = await make_world(api)
    data = await api.gql(CREATE, {"input": listing_input(world, **overrides)}, as_=world["owner"])
    payload = data["listingCreate"]
    assert payload["listing"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert await count(api, Listing, building_id=world.building_pk) == 0


async def test_limits_are_inclusive_and_prices_are_large(api: Api) -> None:
    world = await make_world(api)
    listing = await create(api, world, title="т" * 120, body="т" * 4000, priceKopecks=10**11)
    assert listing["priceKopecks"] == 10**11
    free = await create(api, world, category="GIVE_AWAY", priceKopecks=None)
    assert free["priceKopecks"] is None
    result = await api.post(
        CREATE, {"input": listing_input(world, priceKopecks=1.5)}, as_=world["owner"]
    )
    assert result.errors
    assert result.data is None
