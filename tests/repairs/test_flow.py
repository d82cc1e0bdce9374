"""Repair requests beyond single transitions: optimistic versions and two staff racing,
joining ("me too"), notifications of the author and followers, the history and the
comment thread, and the auto-close of requests DONE for 72 hours."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest_asyncio
from sqlalchemy import select

from edom_graphql.notifications.models import Notification
from edom_graphql.repairs.scheduled import auto_close_task
from edom_graphql.repairs.service import close_expired
from tests.factories import ANONYMOUS, Api, Clock, World, make_world
from tests.repairs.operations import call, create, drive, events, pk_of, row, step


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api)


# -- versions and races ---------------------------------------------------------------------


async def test_stale_expected_version_is_a_conflict(api: Api, world: World) -> None:
    request = await create(api, world)
    accepted = await step(api, "Accept", world["dispatcher"], request["id"], expectedVersion=1)
    assert accepted["version"] == 2
    before, history = await row(api, request["id"]), await events(api, request["id"])
    payload = await call(
        api,
        "Assign",
        world["manager"],
        request["id"],
        assigneeId=world["engineer"].id,
        expectedVersion=1,
    )
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("VERSION_CONFLICT", ["expectedVersion"])
    ]
    assert payload["repairRequest"]["assignee"] is None
    assert await row(api, request["id"]) == before
    assert await events(api, request["id"]) == history


async def test_two_dispatchers_racing_to_accept_one_wins(api: Api, world: World) -> None:
    for expected_version, losing_code in ((None, "ILLEGAL_TRANSITION"), (1, "VERSION_CONFLICT")):
        request = await create(api, world)
        fields = {} if expected_version is None else {"expectedVersion": expected_version}
        results = await asyncio.gather(
            *(
                call(api, "Accept", world[who], request["id"], **fields)
                for who in ("dispatcher", "manager", "dispatcher", "manager")
            )
        )
        codes = sorted(tuple(e["code"] for e in r["userErrors"]) for r in results)
        assert codes == [(), (losing_code,), (losing_code,), (losing_code,)]
        history = await events(api, request["id"])
        assert [event[:3] for event in history] == [
            ("CREATED", None, "NEW"),
            ("STATUS_CHANGED", "NEW", "ACCEPTED"),
        ]
        assert (await row(api, request["id"])).version == 2


async def test_two_assigns_on_one_version_one_wins(api: Api, world: World) -> None:
    request = await create(api, world)
    await step(api, "Accept", world["dispatcher"], request["id"])
    results = await asyncio.gather(
        call(
            api,
            "Assign",
            world["dispatcher"],
            request["id"],
            assigneeId=world["engineer"].id,
            expectedVersion=2,
        ),
        call(
            api,
            "Assign",
            world["manager"],
            request["id"],
            assigneeId=world["engineer"].id,
            expectedVersion=2,
        ),
    )
    codes = sorted(tuple(e["code"] for e in r["userErrors"]) for r in results)
    assert codes == [(), ("VERSION_CONFLICT",)]
    assert [e[0] for e in await events(api, request["id"])].count("ASSIGNED") == 1


async def test_assign_only_an_engineer_of_the_organisation(api: Api, world: World) -> None:
    request = await create(api, world)
    await step(api, "Accept", world["dispatcher"], request["id"])
    before = await row(api, request["id"])
    for assignee in ("dispatcher", "owner", "other_staff"):
        payload = await call(
            api, "Assign", world["manager"], request["id"], assigneeId=world[assignee].id
        )
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("NOT_AN_ENGINEER", ["assigneeId"])
        ]
    assert await row(api, request["id"]) == before


async def test_an_unassigned_engineer_may_not_start(api: Api) -> None:
    world = await make_world(api)
    request = await create(api, world)
    await step(api, "Accept", world["dispatcher"], request["id"])
    payload = await call(api, "Start", world["engineer"], request["id"])
    assert [e["code"] for e in payload["userErrors"]] == ["ILLEGAL_TRANSITION"]


async def test_bad_comments_and_ratings_change_nothing(api: Api, world: World) -> None:
    request = await create(api, world)
    await drive(api, world, request["id"], "DONE")
    before, history = await row(api, request["id"]), await events(api, request["id"])
    cases: list[tuple[str, dict[str, Any], str, list[str]]] = [
        ("Reopen", {"comment": "  "}, "COMMENT_REQUIRED", ["comment"]),
        ("Reopen", {"comment": "x" * 2001}, "TOO_LONG", ["comment"]),
        ("Rate", {"rating": 0}, "INVALID_RATING", ["rating"]),
        ("Rate", {"rating": 6}, "INVALID_RATING", ["rating"]),
        ("Comment", {"comment": ""}, "COMMENT_REQUIRED", ["comment"]),
    ]
    for action, fields, code, field in cases:
        payload = await call(api, action, world["owner"], request["id"], **fields)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    rejected = await create(api, world)
    payload = await call(api, "Reject", world["dispatcher"], rejected["id"], reason=" ")
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("COMMENT_REQUIRED", ["reason"])
    ]
    assert await row(api, request["id"]) == before
    assert await events(api, request["id"]) == history
    await step(api, "Rate", world["owner"], request["id"], rating=5)
    payload = await call(api, "Rate", world["owner"], request["id"], rating=3)
    assert [e["code"] for e in payload["userErrors"]] == ["ALREADY_RATED"]
    assert (await row(api, request["id"])).rating == 5


# -- joining and notifications ---------------------------------------------------------------

JOIN_FIELDS = "followerCount version"


async def notifications_of(api: Api, user_pk: int, request_id: str) -> list[str]:
    async with api.db.transaction() as (session, _):
        rows = (
            await session.execute(
                select(Notification.kind)
                .where(
                    Notification.user_id == user_pk,
                    Notification.subject_type == "RepairRequest",
                    Notification.subject_id == pk_of(request_id),
                )
                .order_by(Notification.id)
            )
        ).scalars()
        return list(rows)


async def test_join_is_counted_idempotent_and_followers_are_notified(api: Api) -> None:
    world = await make_world(api)
    request = await create(api, world, scope="YARD", category="YARD_UPKEEP")
    joined = await step(api, "Join", world["registered"], request["id"])
    assert (joined["followerCount"], joined["version"]) == (1, 2)
    again = await step(api, "Join", world["registered"], request["id"])
    assert (again["followerCount"], again["version"]) == (1, 2)
    joined = await step(api, "Join", world["resident"], request["id"])
    assert joined["followerCount"] == 2
    follows = "query ($id: ID!) { node(id: $id) { ... on RepairRequest { viewerFollows } } }"
    for who, expected in (("registered", True), ("resident", True), ("owner", False)):
        data = await api.gql(follows, {"id": request["id"]}, as_=world[who])
        assert data == {"node": {"viewerFollows": expected}}, who
    data = await api.gql(follows, {"id": request["id"]}, as_=world["co_owner"])
    assert data == {"node": {"viewerFollows": False}}
    assert [e[:4] for e in await events(api, request["id"])] == [
        ("CREATED", None, "NEW", world["owner"].pk),
        ("JOINED", None, None, world["registered"].pk),
        ("JOINED", None, None, world["resident"].pk),
    ]
    await step(api, "Accept", world["dispatcher"], request["id"])
    await step(api, "Comment", world["registered"], request["id"], comment="Me too, since Monday.")
    # the author and followers hear of every change but their own
    assert await notifications_of(api, world["owner"].pk or 0, request["id"]) == [
        "REPAIR_REQUEST_UPDATED",
        "REPAIR_REQUEST_UPDATED",
    ]
    assert await notifications_of(api, world["registered"].pk or 0, request["id"]) == [
        "REPAIR_REQUEST_UPDATED"
    ]
    assert await notifications_of(api, world["resident"].pk or 0, request["id"]) == [
        "REPAIR_REQUEST_UPDATED",
        "REPAIR_REQUEST_UPDATED",
    ]
    assert await notifications_of(api, world["co_owner"].pk or 0, request["id"]) == []
    await step(api, "Assign", world["dispatcher"], request["id"], assigneeId=world["engineer"].id)
    assert await notifications_of(api, world["engineer"].pk or 0, request["id"]) == [
        "REPAIR_REQUEST_ASSIGNED"
    ]


async def test_join_refusals_change_nothing(api: Api, world: World) -> None:
    own = await create(api, world, scope="BUILDING")
    apartment = await create(
        api,
        world,
        as_="registered",
        scope="APARTMENT",
        premiseId=world.premise_id("2"),
        category="PLUMBING",
    )
    finished = await create(api, world, scope="YARD")
    await drive(api, world, finished["id"], "DONE")
    for request_id, person, code in (
        (own["id"], world["owner"], "OWN_REQUEST"),
        (finished["id"], world["resident"], "ILLEGAL_TRANSITION"),
    ):
        before, history = await row(api, request_id), await events(api, request_id)
        payload = await call(api, "Join", person, request_id)
        assert [e["code"] for e in payload["userErrors"]] == [code]
        assert await row(api, request_id) == before
        assert await events(api, request_id) == history
    # someone else's apartment request is not even visible to a neighbour
    result = await api.post(
        "mutation ($input: RepairRequestJoinInput!) "
        "{ repairRequestJoin(input: $input) { userErrors { code } } }",
        {"input": {"requestId": apartment["id"]}},
        as_=world["owner"],
    )
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"]
    assert (await row(api, apartment["id"])).follower_count == 0


# -- history and comments ------------------------------------------------------------------

HISTORY = """
query ($id: ID!, $after: String) {
  node(id: $id) {
    ... on RepairRequest {
      history(first: 3, after: $after) {
        nodes { kind fromStatus toStatus comment actor { id } cursor }
        pageInfo { hasNextPage endCursor }
      }
      comments(first: 10) { nodes { comment actor { id } } }
    }
  }
}
"""


async def test_history_and_comments(api: Api, world: World) -> None:
    request = await create(api, world)
    await step(api, "Comment", world["owner"], request["id"], comment="Please hurry.")
    await step(api, "Accept", world["dispatcher"], request["id"], comment="On it.")
    await step(
        api, "Comment", world["dispatcher"], request["id"], comment="An engineer comes at 5."
    )
    await step(api, "Reject", world["manager"], request["id"], reason="Duplicate of No. 1.")
    first = (await api.gql(HISTORY, {"id": request["id"]}, as_=world["owner"]))["node"]
    page = first["history"]
    assert [
        (n["kind"], n["fromStatus"], n["toStatus"], n["comment"], n["actor"]["id"])
        for n in page["nodes"]
    ] == [
        ("CREATED", None, "NEW", None, world["owner"].id),
        ("COMMENTED", None, None, "Please hurry.", world["owner"].id),
        ("STATUS_CHANGED", "NEW", "ACCEPTED", "On it.", world["dispatcher"].id),
    ]
    assert page["pageInfo"]["hasNextPage"] is True
    assert first["comments"]["nodes"] == [
        {"comment": "Please hurry.", "actor": {"id": world["owner"].id}},
        {"comment": "An engineer comes at 5.", "actor": {"id": world["dispatcher"].id}},
    ]
    rest = (
        await api.gql(
            HISTORY,
            {"id": request["id"], "after": page["pageInfo"]["endCursor"]},
            as_=world["owner"],
        )
    )["node"]["history"]
    assert [(n["kind"], n["toStatus"], n["comment"]) for n in rest["nodes"]] == [
        ("COMMENTED", None, "An engineer comes at 5."),
        ("STATUS_CHANGED", "REJECTED", "Duplicate of No. 1."),
    ]
    assert rest["pageInfo"]["hasNextPage"] is False
    # the thread is closed once the request is finished
    payload = await call(api, "Comment", world["owner"], request["id"], comment="Why?")
    assert [e["code"] for e in payload["userErrors"]] == ["ILLEGAL_TRANSITION"]


# -- auto-close ---------------------------------------------------------------------------------


async def test_close_expired_closes_after_72_hours(api: Api, world: World, clock: Clock) -> None:
    done = await create(api, world)
    await drive(api, world, done["id"], "DONE")
    confirmed = await create(api, world)
    await drive(api, world, confirmed["id"], "DONE")
    await step(api, "Confirm", world["owner"], confirmed["id"])
    reopened = await create(api, world)
    await drive(api, world, reopened["id"], "REOPENED")
    await close_expired(api.db, clock() + timedelta(hours=71, minutes=59))
    assert (await row(api, done["id"])).status.value == "DONE"
    clock.advance(timedelta(hours=72, seconds=1))
    results = await asyncio.gather(*(close_expired(api.db, clock()) for _ in range(4)))
    assert sum(results) >= 1
    assert (await row(api, done["id"])).status.value == "CLOSED"
    history = await events(api, done["id"])
    assert history[-1] == ("STATUS_CHANGED", "DONE", "CLOSED", None, None)
    assert [e[2] for e in history].count("CLOSED") == 1  # closed once, by one sweeper
    assert (await row(api, done["id"])).version == 6
    assert (await row(api, reopened["id"])).status.value == "REOPENED"
    assert [e[2] for e in await events(api, confirmed["id"])].count("CLOSED") == 1
    assert (
        await notifications_of(api, world["owner"].pk or 0, done["id"])
        == ["REPAIR_REQUEST_UPDATED"] * 5
    )
    # the author may still rate the work of a closed request
    assert (await step(api, "Rate", world["owner"], done["id"], rating=4))["rating"] == 4


async def test_the_periodic_sweep_closes_expired_requests(
    api: Api, world: World, clock: Clock
) -> None:
    """`auto_close_task` is what the app's lifespan runs: the sweep every interval."""
    request = await create(api, world)
    await drive(api, world, request["id"], "DONE")
    services = api.app.state.services
    async with auto_close_task(services, interval_seconds=0.02):
        await asyncio.sleep(0.1)
        assert (await row(api, request["id"])).status.value == "DONE"
        clock.advance(timedelta(hours=73))
        async with asyncio.timeout(5):
            while True:
                if (await row(api, request["id"])).status.value == "CLOSED":
                    break
                await asyncio.sleep(0.02)
    assert [e[2] for e in await events(api, request["id"])].count("CLOSED") == 1


async def test_the_sweep_is_off_with_a_zero_interval(api: Api) -> None:
    services = api.app.state.services
    assert services.settings.repair_auto_close_interval_seconds == 0
    async with auto_close_task(services) as task:
        assert task is None


async def test_commenting_on_an_invisible_request_is_forbidden(api: Api, world: World) -> None:
    flat = await create(
        api,
        world,
        as_="registered",
        scope="APARTMENT",
        premiseId=world.premise_id("2"),
        category="PLUMBING",
        description="The toilet cistern keeps running.",
    )
    before, history = await row(api, flat["id"]), await events(api, flat["id"])
    query = (
        "mutation ($input: RepairRequestCommentInput!) "
        "{ repairRequestComment(input: $input) { userErrors { code } } }"
    )
    for who in ("owner", "other_staff", "anonymous"):
        person = world[who] if who != "anonymous" else ANONYMOUS
        result = await api.post(
            query, {"input": {"requestId": flat["id"], "comment": "Hello?"}}, as_=person
        )
        code = "UNAUTHENTICATED" if who == "anonymous" else "FORBIDDEN"
        assert [e["extensions"]["code"] for e in result.errors] == [code], who
    assert await row(api, flat["id"]) == before
    assert await events(api, flat["id"]) == history
