"""The state machine of repair requests through the API: every action from every status
by every kind of actor, allowed or refused (and then nothing changed).

The requests are made once per module (:func:`states`): every case that may change its
request gets a fresh one of its own; the cases that must change nothing share one request
per status, which each of them checks is left exactly as it was."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest
import pytest_asyncio
from sqlalchemy import delete

from edom_graphql.core.ratelimit import RateLimitHit
from tests.factories import Api, World, make_world
from tests.repairs.operations import MUTATIONS, create, drive, events, row

T = TypeVar("T")
Case = tuple[str, str, str]

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


def forbidden(action: str, actor: str) -> bool:
    """The mutation's directive refuses the actor outright (top-level FORBIDDEN)."""
    guard = GUARD[action]
    return (guard == "staff" and actor not in STAFF) or (guard == "residents" and actor in STAFF)


def changes(action: str, status: str, actor: str) -> bool:
    """The state machine lets the actor take the action from the status."""
    sources, who, _ = ALLOWED[action]
    return not forbidden(action, actor) and status in sources and actor in who


@dataclass(frozen=True)
class States:
    shared: dict[str, str]
    """A request in each status, for the cases that must leave it as it is."""
    fresh: dict[Case, str]
    """A request of its own for each case that changes it."""

    def request_for(self, action: str, status: str, actor: str) -> str:
        if changes(action, status, actor):
            return self.fresh[(action, status, actor)]
        return self.shared[status]


CREATES_PER_ROUND = 10
"""At most this many requests are filed between two resets of the rate limits (the
author may file 10 an hour; each test starts with none counted, see conftest.py)."""
PARALLEL = 16


async def forget_rate_limits(api: Api) -> None:
    async with api.db.transaction() as (session, _):
        await session.execute(delete(RateLimitHit))


async def gather_bounded(awaitables: list[Awaitable[T]], limit: int = PARALLEL) -> list[T]:
    semaphore = asyncio.Semaphore(limit)

    async def bounded(awaitable: Awaitable[T]) -> T:
        async with semaphore:
            return await awaitable

    return list(await asyncio.gather(*(bounded(awaitable) for awaitable in awaitables)))


def selected(request: pytest.FixtureRequest) -> list[Case]:
    """The cases of this module that the run will execute (all, or those selected)."""
    return [
        (
            item.callspec.params["action"],
            item.callspec.params["status"],
            item.callspec.params["actor"],
        )
        for item in request.session.items
        if getattr(item, "module", None) is request.module and hasattr(item, "callspec")
    ]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def states(api: Api, world: World, request: pytest.FixtureRequest) -> States:
    """The requests of the module's cases, filed and driven through the API."""
    wanted = selected(request)
    statuses = sorted(
        {status for action, status, actor in wanted if not changes(action, status, actor)}
    )
    own = [case for case in wanted if changes(*case)]
    targets = [*statuses, *(status for _, status, _ in own)]
    ids: list[str] = []
    for start in range(0, len(targets), CREATES_PER_ROUND):
        filed = await gather_bounded(
            [create(api, world) for _ in targets[start : start + CREATES_PER_ROUND]]
        )
        ids.extend(filed_request["id"] for filed_request in filed)
        await forget_rate_limits(api)
    await gather_bounded(
        [
            drive(api, world, request_id, status)
            for request_id, status in zip(ids, targets, strict=True)
        ]
    )
    return States(
        shared=dict(zip(statuses, ids[: len(statuses)], strict=True)),
        fresh=dict(zip(own, ids[len(statuses) :], strict=True)),
    )


@pytest.mark.parametrize(("action", "status", "actor"), cases())
async def test_transition(
    api: Api, world: World, states: States, action: str, status: str, actor: str
) -> None:
    request_id = states.request_for(action, status, actor)
    before_row, before_events = await row(api, request_id), await events(api, request_id)
    assert before_row.status.value == status
    person = world[ACTORS[actor]]
    variables = {"input": {"requestId": request_id, **fields(action, world)}}
    result = await api.post(MUTATIONS[action], variables, as_=person)
    sources, who, target = ALLOWED[action]
    if forbidden(action, actor):
        assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"], result
        assert result.data == {f"repairRequest{action}": None}
    else:
        payload = result.ok()[f"repairRequest{action}"]
        if status in sources and actor in who:
            assert payload["userErrors"] == [], payload
            after = payload["repairRequest"]
            assert after["status"] == (target or status)
            new_events = (await events(api, request_id))[len(before_events) :]
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
    assert await row(api, request_id) == before_row
    assert await events(api, request_id) == before_events
