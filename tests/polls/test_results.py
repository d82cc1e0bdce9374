"""A poll's closing time and who sees its results when."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import Api, Clock, make_world
from tests.polls.operations import LIST, closes, counts, create, node, vote


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
