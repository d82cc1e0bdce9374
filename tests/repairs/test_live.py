"""The live streams of repair requests over WebSocket: `repairRequestEvents` (a
request's history) and `repairRequestBoard` (an organisation's or a building's), both
resumable from a cursor without gaps or duplicates while others write, both re-checking
access for every event; and who may subscribe at all."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from edom_graphql.core.ids import encode_id
from edom_graphql.repairs.models import RepairRequestEvent
from edom_graphql.residents.models import GuestGrant
from tests.factories import Api, World, make_world
from tests.live import RECEIVE_TIMEOUT, GraphQLWebSocket, signed_in
from tests.repairs.operations import call, create, pk_of, step

EVENT_FIELDS = "id cursor kind fromStatus toStatus comment actor { id } request { id status }"
EVENTS = (
    "subscription ($id: ID!, $after: String) { repairRequestEvents(requestId: $id, after: $after)"
    " { " + EVENT_FIELDS + " } }"
)
BOARD = (
    "subscription ($org: ID, $building: ID, $after: String) { repairRequestBoard("
    "organisationId: $org, buildingId: $building, after: $after) { " + EVENT_FIELDS + " } }"
)
BOARD_CURSOR = (
    "query ($id: ID!) { node(id: $id) { ... on ManagementOrganisation { repairBoardCursor } } }"
)
REPLAY_MARK = "repair_request_events.id >"


@pytest.fixture
def statements(api: Api) -> Iterator[list[str]]:
    with api.count_statements() as recorded:
        yield recorded


def replays(statements: list[str]) -> int:
    return sum(REPLAY_MARK in statement for statement in statements)


async def subscribe(
    client: GraphQLWebSocket,
    statements: list[str],
    op_id: str,
    query: str,
    variables: dict[str, Any],
) -> None:
    """Subscribe and wait until the server has read the stream once (it listens by then)."""
    seen = replays(statements)
    await client.subscribe(op_id, query, variables)
    async with asyncio.timeout(RECEIVE_TIMEOUT):
        while True:
            if replays(statements) > seen:
                return
            await asyncio.sleep(0.005)


async def refusal(client: GraphQLWebSocket, op_id: str) -> list[str]:
    """The error codes that end the operation (its first and only result)."""
    message = await client.receive(op_id)
    assert message["type"] == "next", message
    assert message["payload"]["data"] is None, message
    done = await client.receive(op_id)
    assert done["type"] == "complete", done
    return [error["extensions"]["code"] for error in message["payload"]["errors"]]


async def received(client: GraphQLWebSocket, op_id: str, field: str, count: int) -> list[Any]:
    return [(await client.next(op_id))[field] for _ in range(count)]


async def event_ids(api: Api, **where: int) -> list[int]:
    statement = select(RepairRequestEvent.id).order_by(RepairRequestEvent.id)
    for column, value in where.items():
        statement = statement.where(getattr(RepairRequestEvent, column) == value)
    return [row[0] for row in await api.db.fetch(statement)]


async def chatter(api: Api, world: World, request_id: str, n: int, tag: str) -> None:
    """``n`` comments, by the author and the dispatcher at once."""
    await asyncio.gather(
        *(
            call(
                api,
                "Comment",
                world["owner" if i % 2 else "dispatcher"],
                request_id,
                comment=f"{tag} {i}",
            )
            for i in range(n)
        )
    )


async def test_request_events_resume_without_loss(api: Api, statements: list[str]) -> None:
    world = await make_world(api)
    request = await create(api, world)
    request_pk = pk_of(request["id"])
    async with signed_in(api, world["owner"]) as client:
        await subscribe(client, statements, "1", EVENTS, {"id": request["id"]})
        await step(api, "Accept", world["dispatcher"], request["id"])
        (first,) = await received(client, "1", "repairRequestEvents", 1)
        assert first["kind"] == "STATUS_CHANGED"
        assert (first["fromStatus"], first["toStatus"]) == ("NEW", "ACCEPTED")
        assert first["actor"] == {"id": world["dispatcher"].id}
        assert first["request"] == {"id": request["id"], "status": "ACCEPTED"}
    cursor = first["cursor"]

    # while disconnected: concurrent writers
    await chatter(api, world, request["id"], 6, "missed")
    # reconnect with the cursor while another task keeps writing
    async with signed_in(api, world["owner"]) as client:
        writer = asyncio.create_task(chatter(api, world, request["id"], 10, "live"))
        await subscribe(client, statements, "2", EVENTS, {"id": request["id"], "after": cursor})
        await writer
        everything = await event_ids(api, request_id=request_pk)
        after_cursor = everything[everything.index(pk_of(first["id"])) + 1 :]
        assert len(after_cursor) == 16
        got = await received(client, "2", "repairRequestEvents", len(after_cursor))
        assert [pk_of(event["id"]) for event in got] == after_cursor
        comments = [event["comment"] for event in got]
        assert sorted(comments) == sorted(
            [f"missed {i}" for i in range(6)] + [f"live {i}" for i in range(10)]
        )
        await client.assert_quiet()


async def test_board_resumes_without_loss_and_only_its_organisation(
    api: Api, statements: list[str]
) -> None:
    world = await make_world(api)
    org = encode_id("ManagementOrganisation", world.organisation_pk)
    data = await api.gql(BOARD_CURSOR, {"id": org}, as_=world["dispatcher"])
    assert data == {"node": {"repairBoardCursor": None}}
    first = await create(api, world, description="First request of the board")
    data = await api.gql(BOARD_CURSOR, {"id": org}, as_=world["dispatcher"])
    cursor = data["node"]["repairBoardCursor"]
    # another organisation's request never shows on this board
    await create(
        api,
        world,
        as_="stranger",
        buildingId=world.other_building_id,
        description="In the other organisation",
    )
    second = await create(api, world, description="Second request of the board")

    async def busy() -> None:
        await asyncio.gather(
            step(api, "Accept", world["dispatcher"], first["id"]),
            step(api, "Accept", world["manager"], second["id"]),
            chatter(api, world, first["id"], 4, "board"),
        )

    async with signed_in(api, world["dispatcher"]) as client:
        writer = asyncio.create_task(busy())
        await subscribe(client, statements, "org", BOARD, {"org": org, "after": cursor})
        await subscribe(
            client,
            statements,
            "building",
            BOARD,
            {"building": world.building_id, "after": cursor},
        )
        await writer
        expected = await event_ids(api, organisation_id=world.organisation_pk)
        expected = [pk for pk in expected if pk > int(pk_of_cursor(cursor))]
        assert len(expected) == 7  # the second CREATED, two accepts, four comments
        for op_id in ("org", "building"):
            got = await received(client, op_id, "repairRequestBoard", len(expected))
            assert [pk_of(event["id"]) for event in got] == expected
        await client.assert_quiet()


def pk_of_cursor(cursor: str) -> int:
    (pk,) = json.loads(base64.urlsafe_b64decode(cursor))
    return int(pk)


@pytest.mark.parametrize(
    ("who", "target"),
    [
        ("owner", "org"),
        ("engineer", None),
        ("other_staff", "org"),
        ("other_staff", "building"),
        ("admin", "org"),
        ("owner", "building"),
    ],
)
async def test_who_may_watch_the_board(api: Api, who: str, target: str | None) -> None:
    world = await make_world(api)
    org = encode_id("ManagementOrganisation", world.organisation_pk)
    variables = {"org": org} if target == "org" else {"building": world.building_id}
    async with signed_in(api, world[who]) as client:
        await client.subscribe("1", BOARD, variables)
        if target is None:  # staff of the organisation: allowed; nothing happened yet
            await create(api, world, description="Visible on the board")
            (event,) = await received(client, "1", "repairRequestBoard", 1)
            assert event["kind"] == "CREATED"
            return
        assert await refusal(client, "1") == ["FORBIDDEN"]


async def test_board_needs_exactly_one_target(api: Api) -> None:
    world = await make_world(api)
    org = encode_id("ManagementOrganisation", world.organisation_pk)
    async with signed_in(api, world["dispatcher"]) as client:
        for op_id, variables in (("1", {}), ("2", {"org": org, "building": world.building_id})):
            await client.subscribe(op_id, BOARD, variables)
            assert await refusal(client, op_id) == ["BAD_USER_INPUT"]


async def test_request_events_of_an_invisible_request_are_refused(api: Api) -> None:
    world = await make_world(api)
    flat = await create(
        api,
        world,
        as_="registered",
        scope="APARTMENT",
        premiseId=world.premise_id("2"),
        category="PLUMBING",
        description="The bath tap drips.",
    )
    for who in ("owner", "other_staff", "guest_initial"):
        async with signed_in(api, world[who]) as client:
            await client.subscribe("1", EVENTS, {"id": flat["id"]})
            assert await refusal(client, "1") == ["FORBIDDEN"]


async def test_access_is_checked_again_for_every_event(api: Api, statements: list[str]) -> None:
    """A guest whose grant is revoked stops receiving the building request's events."""
    world = await make_world(api)
    request = await create(api, world)
    async with signed_in(api, world["guest_basic"]) as client:
        await subscribe(client, statements, "1", EVENTS, {"id": request["id"]})
        await step(api, "Accept", world["dispatcher"], request["id"])
        (event,) = await received(client, "1", "repairRequestEvents", 1)
        assert event["toStatus"] == "ACCEPTED"
        async with api.db.transaction() as (session, _):
            await session.execute(
                update(GuestGrant)
                .where(GuestGrant.id == world.grants["guest_basic"])
                .values(revoked_at=datetime.now(UTC))
            )
        await step(api, "Comment", world["dispatcher"], request["id"], comment="Tomorrow at 9.")
        assert await refusal(client, "1") == ["FORBIDDEN"]
