"""The topology of compose.yaml as processes: two ``edom-graphql serve`` behind a
round-robin proxy (tests/server/proxy.py: HTTP and WebSocket), one PostgreSQL, Redis as
the broker. A chat message written through the proxy to one server reaches a subscriber
connected through the proxy to the other."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from tests.factories import Api, make_world
from tests.server.processes import ServerProcess, free_port, start_server, wait_ready
from tests.server.test_cross_process import CHAT_EVENTS, CHAT_OF_BUILDING, CHAT_SEND, receive

PROXY = Path(__file__).with_name("proxy.py")


@pytest.fixture
def topology(
    database_url: str, redis_url: str | None, data_dir: Path, tmp_path: Path
) -> Iterator[tuple[str, list[ServerProcess]]]:
    if redis_url is None:
        pytest.skip("no Redis server answers (set EDOM_TEST_REDIS_URL)")
    env = {
        **os.environ,
        "EDOM_ENVIRONMENT": "development",
        "EDOM_DATABASE_URL": database_url,
        "EDOM_DATA_DIR": str(data_dir),
        "EDOM_PUBSUB_URL": redis_url,
        "EDOM_PUBSUB_HEARTBEAT_SECONDS": "1",
        "EDOM_LOG_JSON": "false",
        "EDOM_LOG_LEVEL": "WARNING",
    }
    servers = [start_server(name, env, tmp_path) for name in ("a", "b")]
    port = free_port()
    proxy = subprocess.Popen(
        [sys.executable, str(PROXY), str(port), *(f"127.0.0.1:{s.port}" for s in servers)],
        stdout=subprocess.PIPE,
    )
    try:
        assert proxy.stdout is not None
        assert proxy.stdout.readline() == b"listening\n"
        yield f"127.0.0.1:{port}", servers
    finally:
        proxy.terminate()
        proxy.wait(10)
        for server in servers:
            server.stop()


async def test_a_write_through_one_server_reaches_a_subscriber_of_the_other(
    topology: tuple[str, list[ServerProcess]], api: Api
) -> None:
    proxy, servers = topology
    await asyncio.gather(*(wait_ready(s) for s in servers))
    world = await make_world(api)
    reader, writer = world["resident"], world["owner"]
    assert reader.token is not None
    async with httpx.AsyncClient(base_url=f"http://{proxy}", timeout=10) as http:
        ready = [await http.get("/readyz") for _ in servers]
        assert [r.status_code for r in ready] == [200, 200]
        # round-robin: the two probes went to both servers
        assert {r.headers["x-upstream"] for r in ready} == {f"127.0.0.1:{s.port}" for s in servers}
        answer = await http.post(
            "/graphql",
            json={"query": CHAT_OF_BUILDING, "variables": {"id": world.building_id}},
            headers=reader.headers,
        )
        chat = answer.json()["data"]["building"]["chat"]
        async with connect(
            f"ws://{proxy}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws:
            assert ws.response is not None
            subscribed_on = ws.response.headers["x-upstream"]
            init = {
                "type": "connection_init",
                "payload": {"authorization": f"Bearer {reader.token}"},
            }
            await ws.send(json.dumps(init))
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            variables = {"chatId": chat["id"], "after": chat["eventsCursor"]}
            payload = {"query": CHAT_EVENTS, "variables": variables}
            await ws.send(json.dumps({"id": "c", "type": "subscribe", "payload": payload}))
            await asyncio.sleep(0.5)
            sent_on: list[str] = []
            for body in ("первое", "второе"):
                sent = await http.post(
                    "/graphql",
                    json={
                        "query": CHAT_SEND,
                        "variables": {"input": {"chatId": chat["id"], "body": body}},
                    },
                    headers=writer.headers,
                )
                assert sent.json()["data"]["chatMessageSend"]["userErrors"] == []
                sent_on.append(sent.headers["x-upstream"])
                message = await receive(ws, "c")
                assert message["payload"]["data"]["chatMessageEvents"]["message"]["body"] == body
            # one of the two writes went through the server the subscriber is not on
            assert len(set(sent_on)) == 2
            assert subscribed_on in sent_on
