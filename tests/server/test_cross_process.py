"""Notifications, live poll results and chat messages across processes: two real
``edom-graphql serve`` processes share one database and one broker; a mutation served by
one process reaches a subscriber of the other over PostgreSQL LISTEN/NOTIFY or Redis."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from tests.factories import Api, Person, make_user, make_world
from tests.server.processes import ServerProcess, start_server, wait_ready

RECEIVE_TIMEOUT = 5.0

INVITE = """
mutation Invite($input: GuestInvitationCreateInput!) {
  guestInvitationCreate(input: $input) { code userErrors { code message } }
}
"""
ACCEPT = """
mutation Accept($input: GuestInvitationAcceptInput!) {
  guestInvitationAccept(input: $input) { grant { id } userErrors { code message } }
}
"""
REVOKE = """
mutation Revoke($input: GuestAccessRevokeInput!) {
  guestAccessRevoke(input: $input) { grant { id } userErrors { code message } }
}
"""
NOTIFICATIONS = """
query { viewer { notifications(first: 10) { edges { node { id kind subjectId cursor } } } } }
"""
RECEIVED = """
subscription Received($after: String) {
  notificationReceived(after: $after) { id kind subjectId cursor readAt }
}
"""


@pytest.fixture(params=["postgresql", "redis"])
def pubsub_url(request: pytest.FixtureRequest, database_url: str, redis_url: str | None) -> str:
    if request.param == "postgresql":
        return database_url
    if redis_url is None:
        pytest.skip("no Redis server answers (set EDOM_TEST_REDIS_URL)")
    return redis_url


@pytest.fixture
def server_pair(
    pubsub_url: str, database_url: str, data_dir: Path, tmp_path: Path
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two server processes on free ports sharing the database, signing key and broker."""
    env = {
        **os.environ,
        "EDOM_ENVIRONMENT": "development",
        "EDOM_DATABASE_URL": database_url,
        "EDOM_DATA_DIR": str(data_dir),
        "EDOM_PUBSUB_URL": pubsub_url,
        "EDOM_PUBSUB_HEARTBEAT_SECONDS": "1",
        "EDOM_LOG_JSON": "false",
        "EDOM_LOG_LEVEL": "WARNING",
    }
    servers: list[ServerProcess] = []
    try:
        for name in ("a", "b"):
            servers.append(start_server(name, env, tmp_path))
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


async def post(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any], person: Person
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=person.headers
    )
    body: dict[str, Any] = response.json()
    assert response.status_code == 200, body
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


async def receive(ws: ClientConnection, op_id: str) -> dict[str, Any]:
    """The next message of the operation (answering pings on the way), within a timeout."""
    async with asyncio.timeout(RECEIVE_TIMEOUT):
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
                continue
            if message.get("id") == op_id:
                return message


@asynccontextmanager
async def subscribed(
    server: ServerProcess, person: Person, op_id: str, query: str, variables: dict[str, Any]
) -> AsyncIterator[ClientConnection]:
    """A graphql-transport-ws connection to ``server``, signed in as ``person``, with one
    subscription started."""
    assert person.token is not None
    async with connect(
        server.ws_url,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        open_timeout=RECEIVE_TIMEOUT,
        close_timeout=2,
    ) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {person.token}"}}
        await ws.send(json.dumps(init))
        async with asyncio.timeout(RECEIVE_TIMEOUT):
            ack = json.loads(await ws.recv())
        assert ack["type"] == "connection_ack", ack
        payload = {"query": query, "variables": variables}
        await ws.send(json.dumps({"id": op_id, "type": "subscribe", "payload": payload}))
        yield ws


async def next_notification(ws: ClientConnection, op_id: str) -> dict[str, Any]:
    message = await receive(ws, op_id)
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    node: dict[str, Any] = message["payload"]["data"]["notificationReceived"]
    return node


async def test_notification_crosses_processes(
    server_pair: tuple[ServerProcess, ServerProcess], api: Api
) -> None:
    """Subscribed on A, granted through B: the notification arrives on A."""
    a, b = server_pair
    await asyncio.gather(wait_ready(a), wait_ready(b))
    world = await make_world(api)
    guest = await make_user(api, "guest")
    owner = world["owner"]
    starts = datetime.now(UTC) + timedelta(days=1)

    async def grant(http: httpx.AsyncClient, offset_days: int) -> dict[str, Any]:
        """Guest access through ``http``: the owner's invitation, accepted by the guest."""
        begin = starts + timedelta(days=offset_days)
        values = {
            "premiseId": world.premise_id("1"),
            "level": "BASIC",
            "startsAt": begin.isoformat(),
            "expiresAt": (begin + timedelta(hours=1)).isoformat(),
        }
        made = (await post(http, INVITE, {"input": values}, owner))["guestInvitationCreate"]
        assert made["userErrors"] == [], made
        payload: dict[str, Any] = (
            await post(http, ACCEPT, {"input": {"code": made["code"]}}, guest)
        )["guestInvitationAccept"]
        return payload

    async with (
        httpx.AsyncClient(base_url=a.base_url, timeout=10) as http_a,
        httpx.AsyncClient(base_url=b.base_url, timeout=10) as http_b,
    ):
        # Two notifications made through B, read back through A.
        first = await grant(http_b, 0)
        assert first["userErrors"] == [], first
        await post(http_b, REVOKE, {"input": {"grantId": first["grant"]["id"]}}, owner)
        edges = (await post(http_a, NOTIFICATIONS, {}, guest))["viewer"]["notifications"]["edges"]
        revoked, granted = (edge["node"] for edge in edges)
        assert granted["kind"] == "GUEST_ACCESS_GRANTED"
        assert revoked["kind"] == "GUEST_ACCESS_REVOKED"

        after = {"after": granted["cursor"]}
        async with subscribed(a, guest, "1", RECEIVED, after) as ws:
            # The replay of what followed the cursor shows that A now listens.
            assert await next_notification(ws, "1") == {**revoked, "readAt": None}

            second = await grant(http_b, 1)
            assert second["userErrors"] == [], second
            live = await next_notification(ws, "1")
            assert live["kind"] == "GUEST_ACCESS_GRANTED"
            assert live["subjectId"] == second["grant"]["id"]
            latest = (await post(http_a, NOTIFICATIONS, {}, guest))["viewer"]["notifications"]
            assert live["id"] == latest["edges"][0]["node"]["id"]

            # Nothing else comes: each notification once.
            try:
                async with asyncio.timeout(0.5):
                    extra = await ws.recv()
            except TimeoutError:
                pass
            else:
                pytest.fail(f"unexpected message: {extra!r}")


POLL_CREATE = """
mutation ($input: PollCreateInput!) {
  pollCreate(input: $input) { poll { id options { id } } userErrors { code } }
}
"""
POLL_VOTE = """
mutation ($input: PollVoteInput!) { pollVote(input: $input) { userErrors { code } } }
"""
POLL_RESULTS = """
subscription ($pollId: ID!) { pollResults(pollId: $pollId) { ballots options { votes } } }
"""


async def next_results(ws: ClientConnection, op_id: str) -> dict[str, Any]:
    message = await receive(ws, op_id)
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    results: dict[str, Any] = message["payload"]["data"]["pollResults"]
    return results


async def test_poll_results_cross_processes(
    server_pair: tuple[ServerProcess, ServerProcess], api: Api
) -> None:
    """Live results subscribed on A, votes cast through B: the new totals arrive on A."""
    a, b = server_pair
    await asyncio.gather(wait_ready(a), wait_ready(b))
    world = await make_world(api)
    owner = world["owner"]
    async with httpx.AsyncClient(base_url=b.base_url, timeout=10) as http_b:
        created = await post(
            http_b,
            POLL_CREATE,
            {
                "input": {
                    "buildingId": world.building_id,
                    "question": "Меняем лифт?",
                    "options": ["Да", "Нет"],
                    "multipleChoice": False,
                    "resultsVisibility": "AFTER_VOTE",
                    "closesAt": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
                }
            },
            owner,
        )
        poll = created["pollCreate"]["poll"]
        async with subscribed(a, owner, "p", POLL_RESULTS, {"pollId": poll["id"]}) as ws:
            # The author sees the results at once: A is listening from then on.
            assert await next_results(ws, "p") == {"ballots": 0, "options": [{"votes": 0}] * 2}
            for voter, option, expected in (
                ("registered", 1, [0, 1]),
                ("resident", 0, [1, 1]),
            ):
                vote = {
                    "input": {"pollId": poll["id"], "optionIds": [poll["options"][option]["id"]]}
                }
                voted = await post(http_b, POLL_VOTE, vote, world[voter])
                assert voted["pollVote"]["userErrors"] == []
                results = await next_results(ws, "p")
                assert [o["votes"] for o in results["options"]] == expected
                assert results["ballots"] == sum(expected)


CHAT_EVENTS = """
subscription ($chatId: ID!, $after: String) {
  chatMessageEvents(chatId: $chatId, after: $after) { cursor message { body } }
}
"""
CHAT_SEND = """
mutation ($input: ChatMessageSendInput!) {
  chatMessageSend(input: $input) { message { id } userErrors { code } }
}
"""
CHAT_HISTORY = """
query ($id: ID!) { node(id: $id) { ... on Chat { messages(first: 50) { nodes { body } } } } }
"""
CHAT_OF_BUILDING = "query ($id: ID!) { building(id: $id) { chat { id eventsCursor } } }"


async def test_chat_messages_cross_processes(
    server_pair: tuple[ServerProcess, ServerProcess], api: Api
) -> None:
    """Subscribed on A; messages written through B, and through A and B at once: every one
    arrives on A once, in the chat's order, including those that can only have come over
    the broker (sent while A's subscriber was idle, waiting)."""
    a, b = server_pair
    await asyncio.gather(wait_ready(a), wait_ready(b))
    world = await make_world(api)
    reader = world["resident"]
    async with (
        httpx.AsyncClient(base_url=a.base_url, timeout=10) as http_a,
        httpx.AsyncClient(base_url=b.base_url, timeout=10) as http_b,
    ):
        chat = (await post(http_b, CHAT_OF_BUILDING, {"id": world.building_id}, reader))[
            "building"
        ]["chat"]

        async def say(client: httpx.AsyncClient, who: str, body: str) -> None:
            data = await post(
                client, CHAT_SEND, {"input": {"chatId": chat["id"], "body": body}}, world[who]
            )
            assert data["chatMessageSend"]["userErrors"] == []

        variables = {"chatId": chat["id"], "after": chat["eventsCursor"]}
        async with subscribed(a, reader, "c", CHAT_EVENTS, variables) as ws:

            async def next_body() -> str:
                message = await receive(ws, "c")
                assert message["type"] == "next", message
                body: str = message["payload"]["data"]["chatMessageEvents"]["message"]["body"]
                return body

            await say(http_b, "owner", "через B")
            assert await next_body() == "через B"
            await asyncio.sleep(0.5)  # A's subscriber is now idle: only the broker wakes it
            await say(http_b, "registered", "снова через B")
            assert await next_body() == "снова через B"
            bodies = [f"{side} {i}" for i in range(5) for side in ("A", "B")]
            await asyncio.gather(
                *(
                    say(http_a, "owner", body) if body[0] == "A" else say(http_b, "co_owner", body)
                    for body in bodies
                )
            )
            received = [await next_body() for _ in bodies]
            assert sorted(received) == sorted(bodies)
            history = await post(http_a, CHAT_HISTORY, {"id": chat["id"]}, reader)
            in_order = [node["body"] for node in reversed(history["node"]["messages"]["nodes"])]
            assert in_order == ["через B", "снова через B", *received]
