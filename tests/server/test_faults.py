"""Faults, made for real: the database and the broker drop their connections and come
back (through a proxy the test unplugs), a server process is killed in the middle of a
mutation, a client stops reading its stream. Requests fail fast with a coded error and
recover without a restart; what was written is kept exactly once; live streams resume
from their cursors with nothing lost or doubled; one slow client holds up nobody else."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import select

from edom_graphql.chats.models import ChatMessage
from edom_graphql.chats.service import CHAT_LOCK_CLASS
from edom_graphql.core.db import plain_url
from edom_graphql.core.ids import decode_id
from edom_graphql.core.loaders import keys_param
from edom_graphql.server.app import create_app
from edom_graphql.settings import Settings
from tests.chats.operations import building_chat_id
from tests.factories import Api, Clock, Person, make_world, serving
from tests.live import GraphQLWebSocket, bearer, ws_connect
from tests.network import Cable, cable_for, through
from tests.server.processes import start_server, wait_ready

SEND = """
mutation ($input: ChatMessageSendInput!) {
  chatMessageSend(input: $input) { message { id body } userErrors { code } }
}
"""
READ = "{ viewer { user { id } buildings(first: 5) { nodes { id } } } }"
EVENTS = """
subscription ($chatId: ID!, $after: String) {
  chatMessageEvents(chatId: $chatId, after: $after) { cursor kind message { id body } }
}
"""
CURSOR = "query ($id: ID!) { node(id: $id) { ... on Chat { eventsCursor } } }"
AUTHORS = ("owner", "co_owner", "registered", "resident", "guest_elevated", "guest_basic")


@contextlib.asynccontextmanager
async def started(cable: Cable) -> AsyncIterator[Cable]:
    await cable.start()
    try:
        yield cable
    finally:
        await cable.stop()


@contextlib.asynccontextmanager
async def app_serving(settings: Settings, clock: Clock, **changes: Any) -> AsyncIterator[str]:
    """Another instance of the app, with some settings changed: its base URL."""
    changed = settings.model_copy(update=changes)
    database_url = changes.get("database_url") or settings.database_url
    assert database_url is not None
    app = create_app(changed, database_url=database_url, clock=clock)
    async with serving(app) as base_url:
        yield base_url


async def until(condition: Any, seconds: float) -> None:
    """Wait until ``condition()`` holds (checked every 50 ms), at most ``seconds``."""
    async with asyncio.timeout(seconds):
        while True:
            if await condition() if asyncio.iscoroutinefunction(condition) else condition():
                return
            await asyncio.sleep(0.05)


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/graphql"


async def messages_with_keys(api: Api, chat_pk: int, keys: list[str]) -> dict[str, int]:
    rows = await api.db.fetch(
        select(ChatMessage.client_key, ChatMessage.id).where(
            ChatMessage.chat_id == chat_pk, ChatMessage.client_key == keys_param(text=True)
        ),
        keys=keys,
    )
    found: dict[str, int] = {}
    for key, pk in rows:
        assert key not in found, f"message {key} stored twice"
        found[key] = pk
    return found


@dataclass
class Follower:
    """A subscriber of a chat's events that resubscribes from its last cursor whenever its
    stream ends (as a client does after an error or a dropped connection)."""

    url: str
    person: Person
    chat_id: str
    cursor: str
    received: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    async def run(self, until: int) -> None:
        while len(self.received) < until:
            try:
                async with ws_connect(self.url) as client:
                    assert self.person.token is not None
                    await client.init(bearer(self.person.token))
                    await client.subscribe(
                        "c", EVENTS, {"chatId": self.chat_id, "after": self.cursor}
                    )
                    await self._take(client, until)
            except (OSError, TimeoutError, AssertionError, ConnectionError) as error:
                self.errors.append(repr(error))
                await asyncio.sleep(0.2)
            except Exception as error:  # the socket closed under us
                self.errors.append(repr(error))
                await asyncio.sleep(0.2)

    async def _take(self, client: GraphQLWebSocket, until: int) -> None:
        while len(self.received) < until:
            message = await client.receive("c")
            payload = message["payload"]
            if message["type"] != "next" or payload.get("errors"):
                self.errors.append(str(payload))
                return  # the stream ended: resubscribe from the cursor
            event = payload["data"]["chatMessageEvents"]
            self.cursor = event["cursor"]
            if event["kind"] == "ADDED":
                self.received.append(event["message"]["body"])


# -- the database goes away and comes back ----------------------------------------------


async def test_database_restart_under_load(
    api: Api, settings: Settings, database_url: str, clock: Clock
) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    chat_pk = (decode_id(chat_id) or ("", 0))[1]
    cursor = (await api.gql(CURSOR, {"id": chat_id}, as_=world["owner"]))["node"]["eventsCursor"]
    cable = cable_for(plain_url(database_url))
    async with (
        started(cable),
        app_serving(settings, clock, database_url=through(plain_url(database_url), cable)) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as http,
    ):
        outcomes: list[tuple[float, str, float]] = []
        intended: list[str] = []
        start = time.monotonic()
        stop = asyncio.Event()

        async def ask(person: Person, body: dict[str, Any]) -> dict[str, Any]:
            began = time.monotonic()
            response = await http.post("/graphql", json=body, headers=person.headers)
            assert response.status_code < 500 or response.status_code == 503, response.text
            payload: dict[str, Any] = response.json()
            codes = {e["extensions"]["code"] for e in payload.get("errors") or []}
            outcome = ",".join(sorted(codes)) or "ok"
            outcomes.append((began - start, outcome, time.monotonic() - began))
            return payload

        async def writer(author: str) -> None:
            """Sends messages, each retried with its client key until it is stored."""
            person = world[author]
            n = 0
            while not stop.is_set():
                key, n = f"{author}-{n}-{uuid.uuid4().hex[:6]}", n + 1
                intended.append(key)
                while True:
                    variables = {"input": {"chatId": chat_id, "body": key, "clientKey": key}}
                    payload = await ask(person, {"query": SEND, "variables": variables})
                    if not payload.get("errors"):
                        assert payload["data"]["chatMessageSend"]["userErrors"] == []
                        break
                    await asyncio.sleep(0.1)
                await asyncio.sleep(0.4)

        async def reader(person: Person) -> None:
            while not stop.is_set():
                await ask(person, {"query": READ})
                await asyncio.sleep(0.02)

        follower = Follower(ws_url(url), world["registered"], chat_id, cursor)
        load = [asyncio.create_task(writer(author)) for author in AUTHORS[:3]] + [
            asyncio.create_task(reader(world[key])) for key in ("owner", "resident", "manager")
        ]
        following = asyncio.create_task(follower.run(until=10**9))
        await asyncio.sleep(1.5)
        down = time.monotonic() - start
        cable.unplug()  # the server goes away, with every connection
        await asyncio.sleep(2.0)
        cable.plug()  # and is back
        up = time.monotonic() - start
        await asyncio.sleep(3.0)
        stop.set()
        await asyncio.gather(*load)
        # every intended message is stored exactly once, and the follower got them all
        stored = await messages_with_keys(api, chat_pk, intended)
        assert set(stored) == set(intended)
        await until(lambda: len(follower.received) >= len(intended), 15)
        following.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await following
    assert sorted(follower.received) == sorted(intended)
    assert len(follower.received) == len(set(follower.received)), "a message came twice"
    order = [stored[body] for body in follower.received]
    assert order == sorted(order), "messages came out of order"
    during = [(outcome, took) for at, outcome, took in outcomes if down + 0.1 < at < up]
    after = [outcome for at, outcome, _ in outcomes if at > up + 1.5]
    assert during, "no request was made while the database was away"
    # refused fast and coded while it is away; never an internal error
    assert {outcome for outcome, _ in during} <= {"SERVICE_UNAVAILABLE", "ok"}, during
    assert max(took for _, took in during) < 6.0, during
    assert "INTERNAL_SERVER_ERROR" not in {outcome for _, outcome, _ in outcomes}
    # and all is well again soon after, without a restart
    assert after
    assert set(after) == {"ok"}, after


# -- the broker drops and comes back in the middle of a stream ----------------------------


@pytest.mark.parametrize("broker", ["postgresql", "redis"])
async def test_broker_dropped_and_restored_mid_stream(
    api: Api,
    settings: Settings,
    database_url: str,
    redis_url: str | None,
    clock: Clock,
    broker: str,
) -> None:
    if broker == "redis" and redis_url is None:
        pytest.skip("no Redis server answers (set EDOM_TEST_REDIS_URL)")
    broker_url = plain_url(database_url) if broker == "postgresql" else redis_url
    assert broker_url is not None
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    cursor = (await api.gql(CURSOR, {"id": chat_id}, as_=world["owner"]))["node"]["eventsCursor"]
    cable = cable_for(broker_url)
    async with (
        started(cable),
        app_serving(
            settings,
            clock,
            pubsub_url=through(broker_url, cable),
            pubsub_heartbeat_seconds=0.5,
        ) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        follower = Follower(ws_url(url), world["registered"], chat_id, cursor)
        following = asyncio.create_task(follower.run(until=9))

        async def send(body: str) -> None:
            variables = {"input": {"chatId": chat_id, "body": body}}
            response = await http.post(
                "/graphql",
                json={"query": SEND, "variables": variables},
                headers=world["owner"].headers,
            )
            assert response.json()["data"]["chatMessageSend"]["userErrors"] == [], response.text

        for n in range(3):
            await send(f"before {n}")
        await until(lambda: len(follower.received) >= 3, 10)
        cable.unplug()  # the broker goes away: writes still commit, wake-ups are lost
        for n in range(3):
            await send(f"during {n}")
        await asyncio.sleep(1.0)
        cable.plug()  # it returns: the broker connection is rebuilt, subscribers resync
        await until(lambda: len(follower.received) >= 6, 15)
        for n in range(3):
            await send(f"after {n}")
        async with asyncio.timeout(10):
            await following
    assert follower.received == [
        *(f"before {n}" for n in range(3)),
        *(f"during {n}" for n in range(3)),
        *(f"after {n}" for n in range(3)),
    ]


# -- a server process is killed while a mutation is in flight ---------------------------


async def test_server_killed_mid_mutation_then_retried(
    api: Api, database_url: str, data_dir: Path, tmp_path: Path
) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    chat_pk = (decode_id(chat_id) or ("", 0))[1]
    env = {
        **os.environ,
        "EDOM_ENVIRONMENT": "development",
        "EDOM_DATABASE_URL": database_url,
        "EDOM_DATA_DIR": str(data_dir),
        "EDOM_LOG_JSON": "false",
        "EDOM_LOG_LEVEL": "WARNING",
    }
    key = f"retry-{uuid.uuid4().hex[:8]}"
    body = {
        "query": SEND,
        "variables": {
            "input": {"chatId": chat_id, "body": "Кто оставил коляску?", "clientKey": key}
        },
    }
    headers = world["owner"].headers
    first = start_server("doomed", env, tmp_path)
    holder = await asyncpg.connect(plain_url(database_url))
    try:
        await wait_ready(first)
        # the test holds the chat's writer lock, so the mutation waits inside its transaction
        transaction = holder.transaction()
        await transaction.start()
        await holder.execute("SELECT pg_advisory_xact_lock($1, $2)", CHAT_LOCK_CLASS, chat_pk)
        async with httpx.AsyncClient(base_url=first.base_url, timeout=30) as http:
            in_flight = asyncio.create_task(http.post("/graphql", json=body, headers=headers))
            waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"

            async def blocked() -> bool:
                return bool(await holder.fetchval(waiting))

            await until(blocked, 10)
            first.process.send_signal(signal.SIGKILL)  # mid-mutation, before its commit
            first.process.wait(10)
            with pytest.raises(httpx.TransportError):
                await in_flight
        await transaction.rollback()
    finally:
        await holder.close()
        first.stop()
    assert await messages_with_keys(api, chat_pk, [key]) == {}  # nothing half-done

    second = start_server("heir", env, tmp_path)
    try:
        await wait_ready(second)
        async with httpx.AsyncClient(base_url=second.base_url, timeout=30) as http:
            retried = (await http.post("/graphql", json=body, headers=headers)).json()
            again = (await http.post("/graphql", json=body, headers=headers)).json()
    finally:
        second.stop()
    message = retried["data"]["chatMessageSend"]["message"]
    assert again["data"]["chatMessageSend"]["message"] == message  # the same one
    assert list((await messages_with_keys(api, chat_pk, [key])).values()) == [
        (decode_id(message["id"]) or ("", 0))[1]
    ]


# -- a client stops reading its stream ----------------------------------------------------


async def test_a_slow_client_holds_up_nobody(api: Api, settings: Settings, clock: Clock) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    cursor = (await api.gql(CURSOR, {"id": chat_id}, as_=world["owner"]))["node"]["eventsCursor"]
    messages = 150
    async with app_serving(settings, clock, pubsub_queue_size=10) as url:
        slow_cable = Cable(port=int(url.rsplit(":", 1)[1]))
        async with started(slow_cable), httpx.AsyncClient(base_url=url, timeout=10) as http:
            slow = Follower(
                ws_url(f"http://127.0.0.1:{slow_cable.port}"), world["co_owner"], chat_id, cursor
            )
            quick = Follower(ws_url(url), world["registered"], chat_id, cursor)
            tasks = [asyncio.create_task(f.run(until=messages)) for f in (slow, quick)]
            await asyncio.sleep(0.5)
            slow_cable.freeze()  # its bytes stop flowing; the server's sends to it back up
            body = "В" * 3990  # large events, to fill the socket's buffers quickly
            began = time.monotonic()
            for n in range(messages):
                author = world[AUTHORS[n % len(AUTHORS)]]
                variables = {"input": {"chatId": chat_id, "body": f"{n:03d} {body}"}}
                response = await http.post(
                    "/graphql", json={"query": SEND, "variables": variables}, headers=author.headers
                )
                assert response.json()["data"]["chatMessageSend"]["userErrors"] == [], response
            async with asyncio.timeout(20):
                await tasks[1]
            quick_took = time.monotonic() - began
            assert len(slow.received) < messages  # it is really held up
            slow_cable.thaw()
            async with asyncio.timeout(30):
                await tasks[0]
    expected = [f"{n:03d} {body}" for n in range(messages)]
    assert quick.received == expected
    assert quick_took < 20
    assert slow.received == expected  # caught up from the database, nothing twice
