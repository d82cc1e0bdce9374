"""A hand-written WebSocket client of the API (graphql-transport-ws, and legacy graphql-ws)
that checks every result it receives against the visibility invariant."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.factories import Api, Person

RECEIVE_TIMEOUT = 5.0
QUIET_SECONDS = 0.4
TRANSPORT_WS = "graphql-transport-ws"
LEGACY_WS = "graphql-ws"


class GraphQLWebSocket:
    """A hand-written client of graphql-transport-ws (and of legacy graphql-ws)."""

    def __init__(self, ws: ClientConnection, protocol: str) -> None:
        self.ws = ws
        self.protocol = protocol
        self.buffered: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
        self.check: Callable[[Any], Awaitable[None]] | None = None
        """Checks the data of each result (the visibility invariant, see ``signed_in``)."""

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def _receive_any(self) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(await self.ws.recv())
            if message["type"] == "ping":
                await self.send({"type": "pong"})
            elif message["type"] not in ("pong", "ka"):
                return message

    async def receive(self, op_id: str | None) -> dict[str, Any]:
        """The next message of operation ``op_id`` (``None``: of the connection)."""
        if self.buffered[op_id]:
            return self.buffered[op_id].pop(0)
        async with asyncio.timeout(RECEIVE_TIMEOUT):
            while True:
                message = await self._receive_any()
                if message.get("id") == op_id:
                    return message
                self.buffered[message.get("id")].append(message)

    async def assert_quiet(self, seconds: float = QUIET_SECONDS) -> None:
        """Nothing at all arrives for ``seconds``."""
        leftovers = {key: value for key, value in self.buffered.items() if value}
        assert not leftovers, leftovers
        try:
            async with asyncio.timeout(seconds):
                message = await self._receive_any()
        except TimeoutError:
            return
        raise AssertionError(f"unexpected message: {message}")

    async def init(self, payload: dict[str, Any] | None) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            message["payload"] = payload
        await self.send(message)
        return await self.receive(None)

    async def subscribe(
        self, op_id: str, query: str, variables: dict[str, Any] | None = None
    ) -> None:
        kind = "subscribe" if self.protocol == TRANSPORT_WS else "start"
        await self.send(
            {"id": op_id, "type": kind, "payload": {"query": query, "variables": variables or {}}}
        )

    async def next(self, op_id: str) -> dict[str, Any]:
        """The data of the operation's next result, which must be one."""
        message = await self.receive(op_id)
        expected = "next" if self.protocol == TRANSPORT_WS else "data"
        assert message["type"] == expected, message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"]
        if self.check is not None:
            await self.check(data)
        return data

    async def notification(self, op_id: str) -> dict[str, Any]:
        node: dict[str, Any] = (await self.next(op_id))["notificationReceived"]
        return node

    async def notifications(self, op_id: str, count: int) -> list[dict[str, Any]]:
        return [await self.notification(op_id) for _ in range(count)]


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


@asynccontextmanager
async def ws_connect(url: str, protocol: str = TRANSPORT_WS) -> AsyncIterator[GraphQLWebSocket]:
    async with connect(
        url,
        subprotocols=[Subprotocol(protocol)],
        open_timeout=RECEIVE_TIMEOUT,
        close_timeout=2,
    ) as ws:
        assert ws.subprotocol == protocol
        yield GraphQLWebSocket(ws, protocol)


@asynccontextmanager
async def signed_in(
    api: Api, person: Person, protocol: str = TRANSPORT_WS
) -> AsyncIterator[GraphQLWebSocket]:
    assert person.token is not None
    token = person.token
    async with ws_connect(api.ws_url, protocol) as client:
        ack = await client.init(bearer(token))
        assert ack["type"] == "connection_ack", ack

        async def check(data: Any) -> None:
            await api.assert_visible(data, f"Bearer {token}")

        client.check = check
        yield client


async def closed_with(client: GraphQLWebSocket, within: float = RECEIVE_TIMEOUT) -> int | None:
    """Wait for the server to close the socket; its close code. Nothing may arrive first."""
    try:
        async with asyncio.timeout(within):
            message = await client.ws.recv()
    except ConnectionClosed:
        return client.ws.close_code
    raise AssertionError(f"expected the socket to close, got {message!r}")
