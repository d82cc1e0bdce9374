"""The server's WebSocket protocol (``server/sockets.py``): uvicorn's sans-I/O protocol
with a lighter inbox and write gate, letting go of the handshake once answered. Served by
uvicorn on a local port and spoken to by the ``websockets`` client."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
import uvicorn
from websockets.asyncio.client import connect
from websockets.client import ClientProtocol
from websockets.exceptions import InvalidStatus
from websockets.frames import Frame, Opcode
from websockets.uri import parse_uri

from edom_graphql.core.inbox import Flag, Inbox
from edom_graphql.server.sockets import SocketProtocol
from tests.factories import uvicorn_serving

COUNT = 100
App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


@asynccontextmanager
async def served(app: App) -> AsyncIterator[tuple[str, uvicorn.Server]]:
    async with uvicorn_serving(app, lifespan="off") as (base_url, server):
        yield base_url.replace("http://", "ws://") + "/", server


def protocols(server: uvicorn.Server) -> list[SocketProtocol]:
    return [c for c in server.server_state.connections if isinstance(c, SocketProtocol)]


async def echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Accepts, sends the client's ``x-probe`` header back, then echoes every message."""
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept", "subprotocol": "echo"})
    probe = dict(scope["headers"]).get(b"x-probe", b"").decode()
    await send({"type": "websocket.send", "text": f"probe {probe}"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": message["text"]})


async def test_messages_echo_in_order_and_the_handshake_is_let_go() -> None:
    async with (
        served(echo) as (url, server),
        connect(
            url,
            subprotocols=["echo"],
            additional_headers={"X-Probe": "42"},  # type: ignore[list-item]
        ) as ws,
    ):
        assert ws.subprotocol == "echo"
        assert await ws.recv() == "probe 42"
        for index in range(300):
            await ws.send(f"m{index}")
        assert [await ws.recv() for _ in range(300)] == [f"m{i}" for i in range(300)]
        (protocol,) = protocols(server)
        assert isinstance(protocol.queue, Inbox)
        assert protocol.queue.empty()
        assert isinstance(protocol.writable, Flag)
        assert protocol.writable.is_set()
        assert not hasattr(protocol, "request")
        assert not hasattr(protocol, "response")
        assert protocol.scope["headers"]  # the app's view of the handshake stays


async def test_a_slow_reader_holds_the_writer_back_and_loses_nothing() -> None:
    chunk = "x" * 65_536
    sent = asyncio.Event()

    async def flood(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        for index in range(COUNT):  # 6.5 MB: past the buffers and the high-water mark
            await send({"type": "websocket.send", "text": f"{index:04d}{chunk}"})
        sent.set()
        await receive()

    async with served(flood) as (url, server):
        # a client of the protocol's own state machine over a plain stream with small
        # buffers, which stops reading when told to
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 65_536)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(
            sock, server.servers[0].sockets[0].getsockname()
        )
        reader, writer = await asyncio.open_connection(sock=sock, limit=65_536)
        client = ClientProtocol(parse_uri(url), max_size=None)
        client.send_request(client.connect())
        writer.write(b"".join(client.data_to_send()))
        await asyncio.sleep(0.5)  # read nothing: the server's writes must pause
        (protocol,) = protocols(server)
        assert not protocol.writable.is_set()
        assert not sent.is_set()
        received: list[str] = []
        while len(received) < COUNT:
            client.receive_data(await reader.read(1 << 20))
            for event in client.events_received():
                if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                    received.append(event.data.decode())
        assert [int(m[:4]) for m in received] == list(range(COUNT))
        await asyncio.wait_for(sent.wait(), 5)
        writer.close()


async def test_the_app_hears_of_a_client_that_left() -> None:
    heard: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()

    async def listener(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.accept"})
        heard.set_result(await receive())

    async with served(listener) as (url, _):
        async with connect(url) as ws:
            await ws.close(code=4000)
        message = await asyncio.wait_for(heard, 5)
        assert message["type"] == "websocket.disconnect"
        assert message["code"] == 4000


async def test_a_socket_the_app_refuses_is_closed() -> None:
    async def refuse(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await receive()
        await send({"type": "websocket.close", "code": 1008})

    async with served(refuse) as (url, _):
        with pytest.raises(InvalidStatus) as refused:
            async with connect(url):
                pass
        assert refused.value.response.status_code == 403


async def test_the_application_takes_sockets_on_graphql_only(server: Any) -> None:
    base = server.base_url.replace("http://", "ws://")
    async with connect(f"{base}/graphql", subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(json.dumps({"type": "ping"}))
        assert json.loads(await ws.recv()) == {"type": "pong"}
    with pytest.raises(InvalidStatus) as refused:
        async with connect(f"{base}/healthz"):
            pass
    assert refused.value.response.status_code == 403
