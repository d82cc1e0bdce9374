"""`residencyConfirm`: a user proves they live at a premise with its payer code."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from edom_graphql.core.ratelimit import RateLimitHit
from edom_graphql.residents.models import ResidencyConfirmation
from tests.factories import Api, Clock, Person, make_user, make_world

CONFIRM = """
mutation Confirm($input: ResidencyConfirmInput!) {
  residencyConfirm(input: $input) {
    premise { id number }
    tier
    userErrors { __typename code field message }
  }
}
"""

VIEWER = """
query Viewer($building: ID!) {
  viewer { premises { tier premise { id number } } }
  building(id: $building) { id viewerTier }
}
"""

NEIGHBOURS = """
query Neighbours($building: ID!) {
  building(id: $building) {
    neighbours(first: 100) { edges { node { displayName premiseNumber user { id } } } }
  }
}
"""


async def confirm(api: Api, person: Person, payer_code: str) -> Any:
    return await api.post(CONFIRM, {"input": {"payerCode": payer_code}}, as_=person)


async def residencies(api: Api, user_pk: int | None) -> list[tuple[int, Any]]:
    rows = await api.db.fetch(
        select(ResidencyConfirmation.premise_id, ResidencyConfirmation.ended_at).where(
            ResidencyConfirmation.user_id == user_pk
        )
    )
    return [(row[0], row[1]) for row in rows]


async def attempts(api: Api, user_pk: int | None) -> int:
    row = await api.db.fetch_one(
        select(func.count()).where(
            RateLimitHit.bucket == "residency_confirm", RateLimitHit.key == str(user_pk)
        )
    )
    assert row is not None
    return int(row[0])


def only_error(result: Any) -> dict[str, Any]:
    payload = result.ok()["residencyConfirm"]
    assert payload["premise"] is None
    assert payload["tier"] is None
    (error,) = payload["userErrors"]
    assert error["__typename"] == "ResidencyConfirmError"
    assert error["message"]
    return dict(error)


# -- success ---------------------------------------------------------------------------


async def test_confirm_gives_resident_tier_at_the_premise(api: Api) -> None:
    world = await make_world(api)
    newcomer = world["newcomer"]
    before = await api.gql(VIEWER, {"building": world.building_id}, as_=newcomer)
    assert before == {"viewer": {"premises": []}, "building": None}

    result = await confirm(api, newcomer, world.payer_code("4"))

    assert result.ok()["residencyConfirm"] == {
        "premise": {"id": world.premise_id("4"), "number": "4"},
        "tier": "RESIDENT",
        "userErrors": [],
    }
    assert await residencies(api, newcomer.pk) == [(world.premises["4"], None)]
    after = await api.gql(VIEWER, {"building": world.building_id}, as_=newcomer)
    assert after == {
        "viewer": {
            "premises": [
                {"tier": "RESIDENT", "premise": {"id": world.premise_id("4"), "number": "4"}}
            ]
        },
        "building": {"id": world.building_id, "viewerTier": "RESIDENT"},
    }


async def test_confirmed_resident_appears_in_the_neighbours_directory(api: Api) -> None:
    world = await make_world(api)
    newcomer = world["newcomer"]

    def entry(data: Any) -> list[Any]:
        return [
            edge["node"]
            for edge in data["building"]["neighbours"]["edges"]
            if edge["node"]["user"]["id"] == newcomer.id
        ]

    before = await api.gql(NEIGHBOURS, {"building": world.building_id}, as_=world["owner"])
    assert entry(before) == []
    (await confirm(api, newcomer, world.payer_code("5"))).ok()

    seen_by_owner = await api.gql(NEIGHBOURS, {"building": world.building_id}, as_=world["owner"])
    assert entry(seen_by_owner) == [
        {"displayName": "Newcomer", "premiseNumber": "5", "user": {"id": newcomer.id}}
    ]
    # ...and the new resident may read the directory too.
    seen_by_self = await api.gql(NEIGHBOURS, {"building": world.building_id}, as_=newcomer)
    assert entry(seen_by_self) == entry(seen_by_owner)


async def test_payer_code_is_trimmed(api: Api) -> None:
    world = await make_world(api)
    result = await confirm(api, world["newcomer"], f"  {world.payer_code('4')}\n")
    assert result.ok()["residencyConfirm"]["tier"] == "RESIDENT"
    assert await residencies(api, world["newcomer"].pk) == [(world.premises["4"], None)]


async def test_guest_of_a_premise_may_confirm_residency_there(api: Api) -> None:
    world = await make_world(api)
    guest = world["guest_basic"]
    result = await confirm(api, guest, world.payer_code("1"))
    assert result.ok()["residencyConfirm"]["tier"] == "RESIDENT"
    data = await api.gql(VIEWER, {"building": world.building_id}, as_=guest)
    assert data["building"]["viewerTier"] == "RESIDENT"


async def test_resident_of_one_premise_may_confirm_another(api: Api) -> None:
    world = await make_world(api)
    resident = world["resident"]
    result = await confirm(api, resident, world.payer_code("6"))
    assert result.ok()["residencyConfirm"]["premise"]["number"] == "6"
    assert sorted(await residencies(api, resident.pk)) == sorted(
        [(world.premises["3"], None), (world.premises["6"], None)]
    )


# -- refusals --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "payer_code",
    [
        "",
        "   ",
        "abcdefghij",
        "12345abcde",
        "123456789",
        "12345678901",
        "1234 56789",
        "+123456789",
        "-123456789",
        "1" * 10_240,
        "٠١٢٣٤٥٦٧٨٩",
        "０１２３４５６７８９",
        "01234\u200b56789",
    ],
    ids=[
        "empty",
        "blank",
        "letters",
        "digits-and-letters",
        "9-digits",
        "11-digits",
        "inner-space",
        "plus-sign",
        "minus-sign",
        "10-kb",
        "arabic-indic-digits",
        "fullwidth-digits",
        "zero-width-space",
    ],
)
async def test_malformed_payer_code(api: Api, payer_code: str) -> None:
    user = await make_user(api, "resident-to-be")
    error = only_error(await confirm(api, user, payer_code))
    assert error["code"] == "INVALID_PAYER_CODE"
    assert error["field"] == ["payerCode"]
    assert await residencies(api, user.pk) == []


async def test_nul_in_the_payer_code_is_malformed_input(api: Api) -> None:
    """A NUL never reaches a service: the operation is refused before it runs."""
    user = await make_user(api, "resident-to-be")
    result = await confirm(api, user, "0123456789\x00")
    assert result.data is None, result
    assert result.codes == ["BAD_USER_INPUT"], result
    assert "NUL" in result.errors[0]["message"]
    assert await residencies(api, user.pk) == []


async def test_unicode_digits_of_a_real_code_are_refused(api: Api) -> None:
    world = await make_world(api)
    code = world.payer_code("4")
    arabic = code.translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
    error = only_error(await confirm(api, world["newcomer"], arabic))
    assert error["code"] == "INVALID_PAYER_CODE"
    assert await residencies(api, world["newcomer"].pk) == []


async def test_unknown_payer_code(api: Api) -> None:
    user = await make_user(api, "resident-to-be")
    error = only_error(await confirm(api, user, "0000000000"))
    assert error == {
        "__typename": "ResidencyConfirmError",
        "code": "PAYER_CODE_NOT_FOUND",
        "field": ["payerCode"],
        "message": error["message"],
    }
    assert await residencies(api, user.pk) == []


@pytest.mark.parametrize(
    ("person", "number", "tier"),
    [
        ("resident", "3", "RESIDENT"),
        ("owner", "1", "OWNER"),
        ("co_owner", "1", "OWNER"),
        ("registered", "2", "REGISTERED"),
    ],
)
async def test_already_living_there(api: Api, person: str, number: str, tier: str) -> None:
    world = await make_world(api)
    before = await residencies(api, world[person].pk)
    error = only_error(await confirm(api, world[person], world.payer_code(number)))
    assert error["code"] == "ALREADY_CONFIRMED"
    assert error["field"] == ["payerCode"]
    assert await residencies(api, world[person].pk) == before
    data = await api.gql(VIEWER, {"building": world.building_id}, as_=world[person])
    assert data["building"]["viewerTier"] == tier


async def test_confirming_twice(api: Api) -> None:
    world = await make_world(api)
    newcomer = world["newcomer"]
    (await confirm(api, newcomer, world.payer_code("4"))).ok()
    error = only_error(await confirm(api, newcomer, world.payer_code("4")))
    assert error["code"] == "ALREADY_CONFIRMED"
    assert await residencies(api, newcomer.pk) == [(world.premises["4"], None)]


async def test_anonymous_is_refused(api: Api) -> None:
    world = await make_world(api)
    result = await api.post(CONFIRM, {"input": {"payerCode": world.payer_code("4")}})
    assert result.codes == ["UNAUTHENTICATED"]
    assert result.data is None
    row = await api.db.fetch_one(
        select(func.count()).where(ResidencyConfirmation.premise_id == world.premises["4"])
    )
    assert row is not None
    assert row[0] == 0


@pytest.mark.parametrize(
    "variables",
    [{"input": {}}, {"input": {"payerCode": None}}, {"input": {"payerCode": 1234567890}}],
    ids=["missing", "null", "number"],
)
async def test_payer_code_of_the_wrong_type(api: Api, variables: dict[str, Any]) -> None:
    user = await make_user(api, "resident-to-be")
    result = await api.post(CONFIRM, variables, as_=user)
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.data is None
    assert await residencies(api, user.pk) == []
    assert await attempts(api, user.pk) == 0


# -- rate limits -----------------------------------------------------------------------


def rate_limited(result: Any) -> int:
    assert result.response.status_code == 200, result.body
    assert result.data is None
    (error,) = result.errors
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["path"] == ["residencyConfirm"]
    retry_after = error["extensions"]["retryAfter"]
    assert isinstance(retry_after, int)
    assert retry_after > 0
    return retry_after


async def test_sixth_attempt_in_15_minutes_is_rate_limited(api: Api, clock: Clock) -> None:
    world = await make_world(api)
    newcomer = world["newcomer"]
    for _ in range(5):
        assert only_error(await confirm(api, newcomer, "0000000000"))["code"] == (
            "PAYER_CODE_NOT_FOUND"
        )
    clock.advance(timedelta(minutes=10))

    # A correct code does not help: the attempt is refused before it is looked at.
    retry_after = rate_limited(await confirm(api, newcomer, world.payer_code("4")))
    assert 4 * 60 <= retry_after <= 5 * 60 + 1
    assert await residencies(api, newcomer.pk) == []
    assert await attempts(api, newcomer.pk) == 5
    data = await api.gql(VIEWER, {"building": world.building_id}, as_=newcomer)
    assert data == {"viewer": {"premises": []}, "building": None}

    clock.advance(timedelta(minutes=6))
    result = await confirm(api, newcomer, world.payer_code("4"))
    assert result.ok()["residencyConfirm"]["tier"] == "RESIDENT"
    assert await residencies(api, newcomer.pk) == [(world.premises["4"], None)]


async def test_limit_is_per_user(api: Api) -> None:
    world = await make_world(api)
    for _ in range(5):
        await confirm(api, world["stranger"], "0000000000")
    rate_limited(await confirm(api, world["stranger"], "0000000000"))
    result = await confirm(api, world["newcomer"], world.payer_code("4"))
    assert result.ok()["residencyConfirm"]["tier"] == "RESIDENT"


async def test_successes_and_refusals_all_count(api: Api) -> None:
    world = await make_world(api)
    newcomer = world["newcomer"]
    (await confirm(api, newcomer, world.payer_code("4"))).ok()
    only_error(await confirm(api, newcomer, world.payer_code("4")))
    only_error(await confirm(api, newcomer, "bad"))
    only_error(await confirm(api, newcomer, "0000000000"))
    (await confirm(api, newcomer, world.payer_code("5"))).ok()
    rate_limited(await confirm(api, newcomer, world.payer_code("6")))
    assert sorted(p for p, _ in await residencies(api, newcomer.pk)) == sorted(
        [world.premises["4"], world.premises["5"]]
    )


async def test_twenty_attempts_a_day(api: Api, clock: Clock) -> None:
    world = await make_world(api)
    newcomer = world["newcomer"]
    for _ in range(4):
        for _ in range(5):
            assert only_error(await confirm(api, newcomer, "0000000000"))["code"] == (
                "PAYER_CODE_NOT_FOUND"
            )
        rate_limited(await confirm(api, newcomer, "0000000000"))
        clock.advance(timedelta(minutes=16))

    # The 15-minute window is empty again, but the day is used up.
    retry_after = rate_limited(await confirm(api, newcomer, world.payer_code("4")))
    elapsed = 4 * 16 * 60
    assert 24 * 3600 - elapsed - 5 <= retry_after <= 24 * 3600 - elapsed + 1
    assert await residencies(api, newcomer.pk) == []
    assert await attempts(api, newcomer.pk) == 20

    clock.advance(timedelta(hours=22, minutes=56))
    result = await confirm(api, newcomer, world.payer_code("4"))
    assert result.ok()["residencyConfirm"]["tier"] == "RESIDENT"


async def test_concurrent_attempts_cannot_exceed_the_limit(api: Api) -> None:
    user = await make_user(api, "hammering")
    results = await asyncio.gather(*(confirm(api, user, "0000000000") for _ in range(12)))
    codes = sorted(
        "RATE_LIMITED" if r.errors else r.ok()["residencyConfirm"]["userErrors"][0]["code"]
        for r in results
    )
    assert codes == ["PAYER_CODE_NOT_FOUND"] * 5 + ["RATE_LIMITED"] * 7
    assert await attempts(api, user.pk) == 5


# -- races -----------------------------------------------------------------------------


async def test_two_concurrent_confirms_of_one_code(api: Api) -> None:
    world = await make_world(api)
    newcomer = world["newcomer"]
    first, second = await asyncio.gather(
        confirm(api, newcomer, world.payer_code("4")),
        confirm(api, newcomer, world.payer_code("4")),
    )
    payloads = [first.ok()["residencyConfirm"], second.ok()["residencyConfirm"]]
    successes = [p for p in payloads if not p["userErrors"]]
    refusals = [p for p in payloads if p["userErrors"]]
    assert len(successes) == 1
    assert successes[0]["tier"] == "RESIDENT"
    assert [p["userErrors"][0]["code"] for p in refusals] == ["ALREADY_CONFIRMED"]
    assert await residencies(api, newcomer.pk) == [(world.premises["4"], None)]


async def test_many_concurrent_confirms_of_one_code(api: Api) -> None:
    world = await make_world(api)
    newcomer = world["newcomer"]
    results = await asyncio.gather(
        *(confirm(api, newcomer, world.payer_code("6")) for _ in range(5))
    )
    payloads = [r.ok()["residencyConfirm"] for r in results]
    assert sum(1 for p in payloads if not p["userErrors"]) == 1
    assert (
        sorted(p["userErrors"][0]["code"] for p in payloads if p["userErrors"])
        == ["ALREADY_CONFIRMED"] * 4
    )
    assert await residencies(api, newcomer.pk) == [(world.premises["6"], None)]
