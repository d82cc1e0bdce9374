"""Calls from the panel (posted by the simulator process): they reach the apartment's
occupants live (resumable), and by a notification; answering (the first answer wins) and
opening from a call; missed calls are kept; a guest revoked mid-call loses the stream."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select, update

from edom_graphql.core.ids import encode_id
from edom_graphql.intercom.models import IntercomCall
from edom_graphql.intercom.service.calls import sweep_missed
from edom_graphql.notifications.models import Notification
from edom_graphql.residents.models import GuestGrant
from tests.factories import Api, Clock
from tests.intercom.scene import ANSWER, CALLS, Scene, SimulatorClient, connected_world
from tests.live import RECEIVE_TIMEOUT, GraphQLWebSocket, signed_in

REPLAY_MARK = "intercom_call_events.id >"
PREMISE_CALLS = """
query PremiseCalls($id: ID!) {
  node(id: $id) { id ... on Premise { intercomCalls(first: 10) { nodes { id state } } } }
}"""


@pytest.fixture
def statements(api: Api) -> Iterator[list[str]]:
    with api.count_statements() as recorded:
        yield recorded


@pytest_asyncio.fixture(loop_scope="session")
async def scene(api: Api, simulator: SimulatorClient) -> Scene:
    return await connected_world(api, simulator)


async def subscribe(
    client: GraphQLWebSocket, statements: list[str], op_id: str, variables: dict[str, Any]
) -> None:
    """Subscribe and wait until the server has read the stream once (it listens by then)."""
    seen = sum(REPLAY_MARK in s for s in statements)
    await client.subscribe(op_id, CALLS, variables)
    async with asyncio.timeout(RECEIVE_TIMEOUT):
        while True:
            if sum(REPLAY_MARK in s for s in statements) > seen:
                return
            await asyncio.sleep(0.005)


async def event(client: GraphQLWebSocket, op_id: str) -> dict[str, Any]:
    result: dict[str, Any] = (await client.next(op_id))["intercomCalls"]
    return result


async def answer(api: Api, scene: Scene, who: str, call_id: str, open_door: bool = False) -> Any:
    variables = {"input": {"callId": call_id, "openDoor": open_door}}
    return (await api.gql(ANSWER, variables, as_=scene.world[who]))["intercomCallAnswer"]


async def test_a_ring_reaches_the_occupants_live_and_is_answered(
    api: Api, scene: Scene, simulator: SimulatorClient, statements: list[str]
) -> None:
    premise = scene.world.premise_id("1")
    async with signed_in(api, scene.world["guest_initial"]) as guest:
        await subscribe(guest, statements, "1", {"premiseId": premise})
        rang = await simulator.ring(scene.device, "1")
        assert rang["delivered"] == 200
        ringing = await event(guest, "1")
        assert ringing["state"] == "RINGING"
        assert ringing["call"]["mediaUrl"].startswith(simulator.url)
        assert ringing["call"]["premise"]["id"] == premise
        call_id = ringing["call"]["id"]
        answered = await answer(api, scene, "co_owner", call_id, open_door=True)
        assert answered["userErrors"] == []
        assert answered["call"]["state"] == "ANSWERED"
        assert answered["outcome"] == "OPENED"
        assert answered["entry"]["method"] == "CALL"
        assert (await event(guest, "1"))["state"] == "ANSWERED"
        late = await answer(api, scene, "owner", call_id)
        assert [e["code"] for e in late["userErrors"]] == ["NOT_RINGING"]
        await guest.assert_quiet()
    told = await rows(
        api,
        select(Notification.user_id).where(
            Notification.kind == "INTERCOM_CALL", Notification.subject_type == "IntercomCall"
        ),
    )
    world = scene.world
    occupants = {
        world[k].pk for k in ("owner", "co_owner", "guest_elevated", "guest_basic", "guest_initial")
    }
    assert occupants <= {row[0] for row in told}
    assert world["registered"].pk not in {row[0] for row in told}


async def rows(api: Api, statement: Any) -> list[Any]:
    async with api.db.transaction() as (session, _):
        return list((await session.execute(statement)).all())


async def test_a_hung_up_call_is_missed_and_kept_and_the_stream_resumes(
    api: Api, scene: Scene, simulator: SimulatorClient, statements: list[str]
) -> None:
    premise = scene.world.premise_id("1")
    async with signed_in(api, scene.world["owner"]) as owner:
        await subscribe(owner, statements, "1", {"premiseId": premise})
        rang = await simulator.ring(scene.device, "1")
        first = await event(owner, "1")
        await simulator.hangup(scene.device, rang["call_id"])
        missed = await event(owner, "1")
        assert missed["state"] == "MISSED"
    async with signed_in(api, scene.world["owner"]) as again:
        await subscribe(again, statements, "2", {"premiseId": premise, "after": first["cursor"]})
        assert (await event(again, "2"))["cursor"] == missed["cursor"]
        await again.assert_quiet()
    kept = await api.gql(PREMISE_CALLS, {"id": premise}, as_=scene.world["owner"])
    assert [c["state"] for c in kept["node"]["intercomCalls"]["nodes"]] == ["MISSED"]
    late = await answer(api, scene, "owner", first["call"]["id"])
    assert [e["code"] for e in late["userErrors"]] == ["NOT_RINGING"]


async def test_an_unanswered_call_rings_out(
    api: Api, scene: Scene, simulator: SimulatorClient, clock: Clock, statements: list[str]
) -> None:
    premise = scene.world.premise_id("1")
    async with signed_in(api, scene.world["owner"]) as owner:
        await subscribe(owner, statements, "1", {"premiseId": premise})
        await simulator.ring(scene.device, "1")
        assert (await event(owner, "1"))["state"] == "RINGING"
        clock.advance(timedelta(minutes=2))
        assert await sweep_missed(api.db, clock()) >= 1  # as each server process does
        message = await asyncio.wait_for(owner.next("1"), timeout=10)
        assert message["intercomCalls"]["state"] == "MISSED"


async def test_concurrent_answers_one_wins(
    api: Api, scene: Scene, simulator: SimulatorClient
) -> None:
    rang = await simulator.ring(scene.device, "1")
    assert rang["delivered"] == 200
    (call_pk,) = (
        await rows(
            api, select(IntercomCall.id).where(IntercomCall.device_call_id == rang["call_id"])
        )
    )[0]
    call_id = encode_id("IntercomCall", call_pk)
    people = ["owner", "co_owner", "guest_elevated", "guest_basic"]
    results = await asyncio.gather(*(answer(api, scene, who, call_id) for who in people))
    errors = sorted(tuple(e["code"] for e in r["userErrors"]) for r in results)
    assert errors == [(), ("NOT_RINGING",), ("NOT_RINGING",), ("NOT_RINGING",)]


async def test_a_guest_revoked_mid_call_loses_the_stream(
    api: Api, scene: Scene, simulator: SimulatorClient, statements: list[str]
) -> None:
    premise = scene.world.premise_id("1")
    async with signed_in(api, scene.world["guest_basic"]) as guest:
        await subscribe(guest, statements, "1", {"premiseId": premise})
        rang = await simulator.ring(scene.device, "1")
        assert (await event(guest, "1"))["state"] == "RINGING"
        async with api.db.transaction() as (session, _):
            await session.execute(
                update(GuestGrant)
                .where(GuestGrant.id == scene.world.grants["guest_basic"])
                .values(revoked_at=datetime.now(UTC))
            )
        await simulator.hangup(scene.device, rang["call_id"])
        message = await guest.receive("1")
        assert message["type"] == "next", message
        assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["FORBIDDEN"]


@pytest.mark.parametrize("who", ["registered", "resident", "manager", "stranger", "admin"])
async def test_only_the_apartments_occupants_may_listen(api: Api, scene: Scene, who: str) -> None:
    async with signed_in(api, scene.world[who]) as client:
        await client.subscribe("1", CALLS, {"premiseId": scene.world.premise_id("1")})
        message = await client.receive("1")
        assert message["type"] in ("next", "error"), message
        errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
        assert [e["extensions"]["code"] for e in errors] == ["FORBIDDEN"]


async def test_a_ring_for_no_such_apartment_is_no_call(
    api: Api, scene: Scene, simulator: SimulatorClient
) -> None:
    before = await rows(api, select(IntercomCall.id))
    rang = await simulator.ring(scene.device, "999")
    assert rang["delivered"] == 200
    assert await rows(api, select(IntercomCall.id)) == before
