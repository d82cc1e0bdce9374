"""A client offering both WebSocket subprotocols gets graphql-transport-ws, whatever
order it offers them in; one offering only the legacy protocol still gets it."""

from __future__ import annotations

import asyncio
import json

import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tests.factories import Api, make_user
from tests.live import LEGACY_WS, TRANSPORT_WS, bearer


@pytest.mark.parametrize(
    "offered",
    [[LEGACY_WS, TRANSPORT_WS], [TRANSPORT_WS, LEGACY_WS], [TRANSPORT_WS]],
)
async def test_both_offered_answers_graphql_transport_ws(api: Api, offered: list[str]) -> None:
    person = await make_user(api, "polyglot")
    assert person.token is not None
    async with connect(api.ws_url, subprotocols=[Subprotocol(p) for p in offered]) as ws:
        assert ws.subprotocol == TRANSPORT_WS
        await ws.send(json.dumps({"type": "connection_init", "payload": bearer(person.token)}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        query = "query { viewer { user { id } } }"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
        message = json.loads(await ws.recv())
        assert message["type"] == "next", message  # legacy would answer "data"
        assert message["payload"]["data"]["viewer"]["user"]["id"]


async def test_only_legacy_offered_gets_legacy(api: Api) -> None:
    async with connect(api.ws_url, subprotocols=[Subprotocol(LEGACY_WS)]) as ws:
        assert ws.subprotocol == LEGACY_WS


async def test_no_known_subprotocol_closes_with_4406(api: Api) -> None:
    async with connect(api.ws_url, subprotocols=[Subprotocol("mqtt")]) as ws:
        with pytest.raises(ConnectionClosed):
            async with asyncio.timeout(5):
                await ws.recv()
        assert ws.close_code == 4406


async def test_gql_with_its_default_subprotocols_speaks_graphql_transport_ws(api: Api) -> None:
    person = await make_user(api, "defaults")
    assert person.token is not None
    # gql offers ["graphql-ws", "graphql-transport-ws"] when not told otherwise.
    transport = WebsocketsTransport(api.ws_url, init_payload=bearer(person.token))
    async with Client(transport=transport) as session:
        result = await session.execute(GraphQLRequest("query { viewer { user { id } } }"))
        assert result["viewer"]["user"]["id"]
        assert transport.subprotocol == TRANSPORT_WS
