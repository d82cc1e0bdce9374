"""Polls: `pollCreate` and its rules, `pollVote` (one ballot per user, enforced by the
database), results visibility, `Building.polls`, `node`, and live `pollResults`,
through the served API. (The capability matrix cells are in test_access_matrix.py.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from edom_graphql.core.ids import decode_id, encode_id
from edom_graphql.polls.models import PollBallot, PollVote
from edom_graphql.residents.models import GuestGrant
from tests.factories import Api, Clock, Person, World, make_world
from tests.live import signed_in

POLL_FIELDS = """
id question multipleChoice resultsVisibility closesAt isOpen viewerHasVoted viewerCanVote
options { id text position }
results { pollId ballots options { option { id } votes } }
"""
CREATE = f"""
mutation ($input: PollCreateInput!) {{
  pollCreate(input: $input) {{ poll {{ {POLL_FIELDS} }} userErrors {{ code field message }} }}
}}
"""
VOTE = f"""
mutation ($input: PollVoteInput!) {{
  pollVote(input: $input) {{ poll {{ {POLL_FIELDS} }} userErrors {{ code field }} }}
}}
"""
NODE = f"query ($id: ID!) {{ node(id: $id) {{ ... on Poll {{ {POLL_FIELDS} }} }} }}"
LIST = """
query ($id: ID!, $first: Int!, $after: String, $open: Boolean) {
  building(id: $id) {
    polls(first: $first, after: $after, open: $open) {
      nodes { id question isOpen }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""
RESULTS = """
subscription ($pollId: ID!) {
  pollResults(pollId: $pollId) { pollId ballots options { option { text } votes } }
}
"""


def closes(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def create_input(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "input": {
            "buildingId": world.building_id,
            "question": "Где поставить лавочку?",
            "options": ["У подъезда", "У детской площадки", "Не нужна"],
            "multipleChoice": False,
            "resultsVisibility": "AFTER_VOTE",
            "closesAt": closes(days=7),
            **overrides,
        }
    }


async def create(api: Api, world: World, as_: str = "owner", **overrides: Any) -> dict[str, Any]:
    data = await api.gql(CREATE, create_input(world, **overrides), as_=world[as_])
    payload: dict[str, Any] = data["pollCreate"]
    assert payload["userErrors"] == [], payload
    poll: dict[str, Any] = payload["poll"]
    return poll


async def vote(api: Api, voter: Person, poll: dict[str, Any], *positions: int) -> dict[str, Any]:
    option_ids = [poll["options"][position]["id"] for position in positions]
    data = await api.gql(
        VOTE, {"input": {"pollId": poll["id"], "optionIds": option_ids}}, as_=voter
    )
    payload: dict[str, Any] = data["pollVote"]
    return payload


async def node(api: Api, poll: dict[str, Any], viewer: Person) -> Any:
    return (await api.gql(NODE, {"id": poll["id"]}, as_=viewer))["node"]


def counts(results: dict[str, Any]) -> list[int]:
    return [option["votes"] for option in results["options"]]


async def ballots_and_votes(api: Api, poll: dict[str, Any]) -> tuple[int, int]:
    decoded = decode_id(poll["id"])
    assert decoded is not None
    async with api.db.transaction() as (session, _):
        ballots = (
            await session.execute(
                select(func.count()).select_from(PollBallot).where(PollBallot.poll_id == decoded[1])
            )
        ).scalar_one()
        votes = (
            await session.execute(
                select(func.count()).select_from(PollVote).where(PollVote.poll_id == decoded[1])
            )
        ).scalar_one()
    return ballots, votes


# -- creating ----------------------------------------------------------------------------


async def test_create_poll(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world, question="  Где поставить лавочку?  ")
    assert poll["question"] == "Где поставить лавочку?"
    assert [(o["text"], o["position"]) for o in poll["options"]] == [
        ("У подъезда", 1),
        ("У детской площадки", 2),
        ("Не нужна", 3),
    ]
    assert poll["multipleChoice"] is False
    assert poll["resultsVisibility"] == "AFTER_VOTE"
    assert poll["isOpen"] is True
    assert poll["viewerHasVoted"] is False
    assert poll["viewerCanVote"] is True
    # the author always sees the results
    assert poll["results"] == {
        "pollId": poll["id"],
        "ballots": 0,
        "options": [{"option": {"id": o["id"]}, "votes": 0} for o in poll["options"]],
    }
    # the manager may create polls too (staff cannot vote in them)
    staff_poll = await create(api, world, as_="manager")
    assert staff_poll["viewerCanVote"] is False
    assert staff_poll["results"]["ballots"] == 0


CREATE_ERRORS = [
    ("TOO_FEW_OPTIONS", {"options": ["Да"]}, ["options"]),
    ("TOO_MANY_OPTIONS", {"options": [f"Вариант {i}" for i in range(11)]}, ["options"]),
    ("DUPLICATE_OPTION", {"options": ["Да", "Нет", " да "]}, ["options", "2"]),
    ("BLANK", {"question": "   "}, ["question"]),
    ("BLANK", {"options": ["Да", " "]}, ["options", "1"]),
    ("TOO_LONG", {"question": "?" * 501}, ["question"]),
    ("TOO_LONG", {"options": ["Да", "н" * 201]}, ["options", "1"]),
    ("CLOSES_IN_PAST", {"closesAt": closes(minutes=-1)}, ["closesAt"]),
    ("CLOSES_TOO_LATE", {"closesAt": closes(days=91)}, ["closesAt"]),
]


@pytest.mark.parametrize(("code", "overrides", "field"), CREATE_ERRORS)
async def test_create_user_errors(
    api: Api, code: str, overrides: dict[str, Any], field: list[str]
) -> None:
    world = await make_world(api)
    data = await api.gql(CREATE, create_input(world, **overrides), as_=world["owner"])
    payload = data["pollCreate"]
    assert payload["poll"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    listed = await api.gql(LIST, {"id": world.building_id, "first": 10}, as_=world["owner"])
    assert listed["building"]["polls"]["nodes"] == []


async def test_create_limits_are_inclusive(api: Api) -> None:
    world = await make_world(api)
    poll = await create(
        api,
        world,
        question="?" * 500,
        options=[f"{i}" * 200 for i in range(10)],
        closesAt=closes(days=89, hours=23),
    )
    assert len(poll["options"]) == 10


# -- voting ------------------------------------------------------------------------------


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


# -- closing and results visibility --------------------------------------------------------


async def test_closing_time(api: Api, clock: Clock) -> None:
    world = await make_world(api)
    poll = await create(api, world, resultsVisibility="AFTER_CLOSE", closesAt=closes(hours=1))
    voted = await vote(api, world["registered"], poll, 0)
    assert voted["userErrors"] == []
    assert voted["poll"]["results"] is None  # AFTER_CLOSE: hidden from voters until close
    resident = world["resident"]
    before = await node(api, poll, resident)
    assert before["isOpen"] is True
    assert before["viewerCanVote"] is True
    assert before["results"] is None
    open_polls = await api.gql(
        LIST, {"id": world.building_id, "first": 10, "open": True}, as_=resident
    )
    assert [p["id"] for p in open_polls["building"]["polls"]["nodes"]] == [poll["id"]]

    clock.advance(timedelta(hours=1, seconds=1))
    late = await vote(api, resident, poll, 1)
    assert [(e["code"], e["field"]) for e in late["userErrors"]] == [("POLL_CLOSED", None)]
    after = late["poll"]
    assert after["isOpen"] is False
    assert after["viewerCanVote"] is False
    assert counts(after["results"]) == [1, 0, 0]  # closed: visible to everyone who sees it
    assert (await node(api, poll, world["guest_initial"]))["results"]["ballots"] == 1
    for open_, expected in ((True, []), (False, [poll["id"]]), (None, [poll["id"]])):
        listed = await api.gql(
            LIST, {"id": world.building_id, "first": 10, "open": open_}, as_=resident
        )
        assert [p["id"] for p in listed["building"]["polls"]["nodes"]] == expected
        assert all(p["isOpen"] is False for p in listed["building"]["polls"]["nodes"])


async def test_results_visibility_after_vote(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world, resultsVisibility="AFTER_VOTE")
    await vote(api, world["registered"], poll, 2)
    # who has not voted sees nothing; staff and the author always see the results
    for key in ("resident", "guest_elevated", "guest_basic", "guest_initial", "admin"):
        assert (await node(api, poll, world[key]))["results"] is None, key
    for key in ("owner", "dispatcher", "engineer", "manager"):
        assert counts((await node(api, poll, world[key]))["results"]) == [0, 0, 1], key
    voted = await vote(api, world["resident"], poll, 0)
    assert counts(voted["poll"]["results"]) == [1, 0, 1]
    assert counts((await node(api, poll, world["resident"]))["results"]) == [1, 0, 1]
    assert (await node(api, poll, world["guest_basic"]))["results"] is None


async def test_results_visibility_after_close(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world, as_="registered", resultsVisibility="AFTER_CLOSE")
    voted = await vote(api, world["owner"], poll, 1)
    assert voted["userErrors"] == []
    assert voted["poll"]["viewerHasVoted"] is True
    assert voted["poll"]["results"] is None
    assert counts((await node(api, poll, world["registered"]))["results"]) == [0, 1, 0]
    assert counts((await node(api, poll, world["manager"]))["results"]) == [0, 1, 0]


# -- reading --------------------------------------------------------------------------------


async def test_listing_newest_first_with_pagination(api: Api) -> None:
    world = await make_world(api)
    other = await make_world(api)
    await create(api, other, question="Чужой опрос")
    created = [await create(api, world, question=f"Опрос {i}") for i in range(5)]
    viewer = world["guest_initial"]
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        data = await api.gql(
            LIST, {"id": world.building_id, "first": 2, "after": after}, as_=viewer
        )
        polls = data["building"]["polls"]
        seen += [p["question"] for p in polls["nodes"]]
        assert polls["pageInfo"]["hasPreviousPage"] is (after is not None)
        pages += 1
        if not polls["pageInfo"]["hasNextPage"]:
            break
        after = polls["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == [p["question"] for p in reversed(created)]
    result = await api.post(
        LIST, {"id": world.building_id, "first": 2, "after": "nope"}, as_=viewer
    )
    assert result.codes == ["BAD_USER_INPUT"]


async def test_node_visibility(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world)
    assert (await node(api, poll, world["resident"]))["id"] == poll["id"]
    for key in ("stranger", "other_staff", "newcomer", "guest_revoked", "guest_expired"):
        assert await node(api, poll, world[key]) is None, key
    # an option id is not an object of its own
    assert await node(api, {"id": poll["options"][0]["id"]}, world["owner"]) is None


# -- live results -----------------------------------------------------------------------------


async def test_live_results_as_others_vote(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world, multipleChoice=True)
    async with (
        signed_in(api, world["dispatcher"]) as staff,
        signed_in(api, world["resident"]) as resident,
    ):
        await staff.subscribe("s", RESULTS, {"pollId": poll["id"]})
        first = (await staff.next("s"))["pollResults"]  # sent after subscribing: in sync now
        assert first["pollId"] == poll["id"]
        assert (first["ballots"], counts(first)) == (0, [0, 0, 0])

        # the resident sees nothing before voting (AFTER_VOTE)
        await resident.subscribe("r", RESULTS, {"pollId": poll["id"]})
        await vote(api, world["owner"], poll, 0, 1)
        update_1 = (await staff.next("s"))["pollResults"]
        assert (update_1["ballots"], counts(update_1)) == (1, [1, 1, 0])
        await vote(api, world["registered"], poll, 2)
        update_2 = (await staff.next("s"))["pollResults"]
        assert (update_2["ballots"], counts(update_2)) == (2, [1, 1, 1])
        await resident.assert_quiet()

        await vote(api, world["resident"], poll, 2)
        mine = (await resident.next("r"))["pollResults"]
        assert (mine["ballots"], counts(mine)) == (3, [1, 1, 2])
        assert (await staff.next("s"))["pollResults"] == mine

        # a refused vote changes nothing and sends nothing
        await vote(api, world["resident"], poll, 0)
        await staff.assert_quiet()
        await resident.assert_quiet()


async def test_live_results_end_when_access_is_lost(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world)
    guest = world["guest_elevated"]
    await vote(api, guest, poll, 0)
    async with signed_in(api, guest) as client:
        await client.subscribe("g", RESULTS, {"pollId": poll["id"]})
        assert counts((await client.next("g"))["pollResults"]) == [1, 0, 0]
        async with api.db.transaction() as (session, _):
            await session.execute(
                update(GuestGrant)
                .where(GuestGrant.id == world.grants["guest_elevated"])
                .values(revoked_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        await vote(api, world["owner"], poll, 1)
        message = await client.receive("g")
        assert message["type"] == "next", message
        assert message["payload"].get("data") is None, message
        codes = [error["extensions"]["code"] for error in message["payload"]["errors"]]
        assert codes == ["FORBIDDEN"], message
        assert (await client.receive("g"))["type"] == "complete"
        await client.assert_quiet()


async def test_live_results_refused_to_who_cannot_see_the_poll(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world)
    async with signed_in(api, world["stranger"]) as client:
        await client.subscribe("x", RESULTS, {"pollId": poll["id"]})
        message = await client.receive("x")
        codes = [error["extensions"]["code"] for error in message["payload"]["errors"]]
        assert codes == ["FORBIDDEN"], message
        assert (await client.receive("x"))["type"] == "complete"
        await vote(api, world["owner"], poll, 1)
        await client.assert_quiet()


POLLS_WITH_RESULTS = """
query ($id: ID!, $first: Int!) {
  building(id: $id) {
    polls(first: $first) {
      nodes {
        id options { text } viewerHasVoted viewerCanVote
        results { ballots options { votes } }
      }
    }
  }
}
"""


async def test_listing_costs_the_same_whatever_its_length(api: Api) -> None:
    world = await make_world(api)
    for i in range(6):
        poll = await create(api, world, question=f"Опрос {i}", multipleChoice=True)
        await vote(api, world["registered"], poll, 0, i % 3)
    manager = world["manager"]  # sees every poll's results
    costs = []
    for first in (1, 6):
        variables = {"id": world.building_id, "first": first}
        await api.gql(POLLS_WITH_RESULTS, variables, as_=manager)  # warm
        with api.count_statements() as statements:
            data = await api.gql(POLLS_WITH_RESULTS, variables, as_=manager)
        nodes = data["building"]["polls"]["nodes"]
        assert len(nodes) == first
        assert all(node["results"]["ballots"] == 1 for node in nodes)
        costs.append(len(statements))
    assert costs[0] == costs[1], costs
