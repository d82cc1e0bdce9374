"""The state machine of repair requests through the API: every action from every status
by every kind of actor, allowed or refused (and then nothing changed)."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from tests.factories import Api, World, make_world
from tests.repairs.helpers import MUTATIONS, create, drive, events, row

STATUSES = (
    "NEW",
    "ACCEPTED",
    "IN_PROGRESS",
    "DEFERRED",
    "DONE",
    "CLOSED",
    "REJECTED",
    "CANCELLED",
    "REOPENED",
)
# The actors: the request's author, a neighbour of the building (neither author nor
# follower), the organisation's dispatcher and manager, and its engineer (the assignee
# once the request is assigned: from ACCEPTED on in these paths).
ACTORS = {"author": "owner", "neighbour": "registered", "D": "dispatcher", "M": "manager"}
ACTORS["E"] = "engineer"

# By hand, from DOMAIN.md's lifecycle: action -> (statuses it starts from, who, result).
ALLOWED: dict[str, tuple[set[str], set[str], str | None]] = {
    "Accept": ({"NEW"}, {"D", "M"}, "ACCEPTED"),
    "Reject": ({"NEW", "ACCEPTED"}, {"D", "M"}, "REJECTED"),
    "Defer": ({"ACCEPTED", "IN_PROGRESS", "REOPENED"}, {"D", "M"}, "DEFERRED"),
    "Assign": ({"ACCEPTED", "IN_PROGRESS", "DEFERRED", "REOPENED"}, {"D", "M"}, None),
    "Start": ({"ACCEPTED", "DEFERRED", "REOPENED"}, {"E"}, "IN_PROGRESS"),
    "Complete": ({"IN_PROGRESS"}, {"E"}, "DONE"),
    "Cancel": ({"NEW", "ACCEPTED"}, {"author"}, "CANCELLED"),
    "Confirm": ({"DONE"}, {"author"}, "CLOSED"),
    "Reopen": ({"DONE"}, {"author"}, "REOPENED"),
    "Rate": ({"DONE", "CLOSED"}, {"author"}, None),
    "Comment": (
        {"NEW", "ACCEPTED", "IN_PROGRESS", "DEFERRED", "REOPENED", "DONE"},
        {"author", "D", "M", "E"},
        None,
    ),
}
# The capability each mutation's directive asks for: residents never reach the staff's
# mutations, staff never the author's (top-level FORBIDDEN); comments have none.
GUARD = {
    **dict.fromkeys(("Accept", "Reject", "Defer", "Assign", "Start", "Complete"), "staff"),
    **dict.fromkeys(("Cancel", "Confirm", "Reopen", "Rate"), "residents"),
    "Comment": None,
}
STAFF = {"D", "M", "E"}
KIND = {"Assign": "ASSIGNED", "Rate": "RATED", "Comment": "COMMENTED"}


def fields(action: str, world: World) -> dict[str, Any]:
    return {
        "Reject": {"reason": "Not the organisation's responsibility."},
        "Reopen": {"comment": "The lift stopped again."},
        "Complete": {"comment": "Replaced the door sensor."},
        "Comment": {"comment": "Any news?"},
        "Rate": {"rating": 4},
        "Assign": {"assigneeId": world["engineer"].id},
    }.get(action, {})


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api)


def cases() -> list[Any]:
    return [
        pytest.param(action, status, actor, id=f"{action}-{status}-{actor}")
        for action in ALLOWED
        for status in STATUSES
        for actor in ACTORS
    ]


@pytest.mark.parametrize(("action", "status", "actor"), cases())
async def test_transition(api: Api, world: World, action: str, status: str, actor: str) -> None:
    request = await create(api, world)
    await drive(api, world, request["id"], status)
    before_row, before_events = await row(api, request["id"]), await events(api, request["id"])
    assert before_row.status.value == status
    person = world[ACTORS[actor]]
    variables = {"input": {"requestId": request["id"], **fields(action, world)}}
    result = await api.post(MUTATIONS[action], variables, as_=person)
    sources, who, target = ALLOWED[action]
    guard = GUARD[action]
    if (guard == "staff" and actor not in STAFF) or (guard == "residents" and actor in STAFF):
        assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"], result
        assert result.data == {f"repairRequest{action}": None}
    else:
        payload = result.ok()[f"repairRequest{action}"]
        if status in sources and actor in who:
            assert payload["userErrors"] == [], payload
            after = payload["repairRequest"]
            assert after["status"] == (target or status)
            new_events = (await events(api, request["id"]))[len(before_events) :]
            kind = KIND.get(action, "STATUS_CHANGED")
            comment = fields(action, world).get("comment") or fields(action, world).get("reason")
            expected_from = status if target else None
            assert new_events == [(kind, expected_from, target, person.pk, comment)]
            bumped = action != "Comment"
            assert after["version"] == before_row.version + (1 if bumped else 0)
            if action == "Rate":
                assert after["rating"] == 4
            if action == "Assign":
                assert after["assignee"] == {"id": world["engineer"].id}
            return
        assert payload["userErrors"] == [
            {
                "code": "ILLEGAL_TRANSITION",
                "field": None,
                "message": payload["userErrors"][0]["message"],
            }
        ], payload
        assert payload["repairRequest"]["status"] == status
    assert await row(api, request["id"]) == before_row
    assert await events(api, request["id"]) == before_events
