"""`pollVote`: one ballot per user and poll, enforced by the database."""

from __future__ import annotations

import asyncio

import pytest

from edom_graphql.core.ids import encode_id
from tests.factories import Api, make_world
from tests.polls.operations import VOTE, ballots_and_votes, counts, create, node, vote


async def test_single_choice_vote(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world)
    other = await create(api, world, question="Другой опрос")
    resident = world["resident"]

    async def refused(option_ids: list[str]) -> list[tuple[str, list[str] | None]]:
        data = await api.gql(
            VOTE, {"input": {"pollId": poll["id"], "optionIds": option_ids}}, as_=resident
        )
        payload = data["pollVote"]
        assert payload["poll"]["viewerHasVoted"] is False
        return [(e["code"], e["field"]) for e in payload["userErrors"]]

    ids = [option["id"] for option in poll["options"]]
    assert await refused([]) == [("NO_CHOICE", ["optionIds"])]
    assert await refused(ids[:2]) == [("ONE_CHOICE_ONLY", ["optionIds"])]
    assert await refused([other["options"][0]["id"]]) == [("NOT_AN_OPTION", ["optionIds", "0"])]
    assert await refused([ids[0], "garbage"]) == [("NOT_AN_OPTION", ["optionIds", "1"])]
    assert await refused([encode_id("Poll", 1)]) == [("NOT_AN_OPTION", ["optionIds", "0"])]
    assert await ballots_and_votes(api, poll) == (0, 0)

    # the same option twice is one choice
    payload = await vote(api, resident, poll, 1, 1)
    assert payload["userErrors"] == []
    voted = payload["poll"]
    assert voted["viewerHasVoted"] is True
    assert voted["viewerCanVote"] is False
    assert counts(voted["results"]) == [0, 1, 0]
    assert voted["results"]["ballots"] == 1

    again = await vote(api, resident, poll, 0)
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_VOTED"]
    assert counts(again["poll"]["results"]) == [0, 1, 0]
    assert await ballots_and_votes(api, poll) == (1, 1)


async def test_multiple_choice_vote(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world, multipleChoice=True)
    first = await vote(api, world["registered"], poll, 0, 2)
    assert first["userErrors"] == []
    assert counts(first["poll"]["results"]) == [1, 0, 1]
    second = await vote(api, world["guest_elevated"], poll, 0)
    assert second["userErrors"] == []
    assert counts(second["poll"]["results"]) == [2, 0, 1]
    assert second["poll"]["results"]["ballots"] == 2
    again = await vote(api, world["registered"], poll, 1)
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_VOTED"]
    assert await ballots_and_votes(api, poll) == (2, 3)


@pytest.mark.parametrize("multiple_choice", [False, True])
async def test_concurrent_double_votes_count_once(api: Api, multiple_choice: bool) -> None:
    world = await make_world(api)
    poll = await create(api, world, multipleChoice=multiple_choice)
    owner = world["owner"]
    positions = (0, 1) if multiple_choice else (0,)
    payloads = await asyncio.gather(*(vote(api, owner, poll, *positions) for _ in range(10)))
    codes = sorted(e["code"] for payload in payloads for e in payload["userErrors"])
    assert codes == ["ALREADY_VOTED"] * 9
    assert await ballots_and_votes(api, poll) == (1, len(positions))
    refreshed = await node(api, poll, owner)
    assert counts(refreshed["results"]) == [1, 1, 0] if multiple_choice else [1, 0, 0]
    assert refreshed["results"]["ballots"] == 1


async def test_vote_in_unknown_poll_is_forbidden(api: Api) -> None:
    world = await make_world(api)
    result = await api.post(
        VOTE,
        {"input": {"pollId": encode_id("Poll", 10**12), "optionIds": []}},
        as_=world["owner"],
    )
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"]
    assert result.data == {"pollVote": None}
