"""A WebSocket connection is held to what HTTP is: its token is checked on every
operation (a socket outlives a token), a message is no bigger than a request body, and a
frame that is not a protocol message closes it with 4400 instead of failing on it."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from websockets.exceptions import ConnectionClosed

from edom_graphql.server.http import MAX_MESSAGE_BYTES
from edom_graphql.vehicles.models import Vehicle
from tests.factories import Api, Clock, make_user
from tests.live import (
    LEGACY_WS,
    TRANSPORT_WS,
    GraphQLWebSocket,
    bearer,
    closed_with,
    signed_in,
    ws_connect,
)

ME = "query { viewer { user { id } } }"
ADD = "mutation ($p: String!) { vehicleAdd(input: {plate: $p}) { vehicle { id } } }"
RECEIVED = "subscription { notificationReceived { id } }"


async def closed_code(client: GraphQLWebSocket) -> int | None:
    """Wait for the server to close the socket (the legacy protocol's keep-alives aside)."""
    try:
        async with asyncio.timeout(5):
            while True:
                message = json.loads(await client.ws.recv())
                assert message.get("type") == "ka", message
    except ConnectionClosed:
        return client.ws.close_code


async def result_of(client: GraphQLWebSocket, op_id: str) -> dict[str, object]:
    message = await client.receive(op_id)
    assert message["type"] in ("next", "error", "data"), message
    payload = message["payload"]
    return payload if isinstance(payload, dict) else {"errors": payload}


def codes(payload: dict[str, object]) -> list[str]:
    errors = payload.get("errors") or []
    assert isinstance(errors, list)
    return [error["extensions"]["code"] for error in errors]


async def test_every_operation_checks_the_tokens_expiry(api: Api, clock: Clock) -> None:
    person = await make_user(api, "driver")
    assert person.token is not None
    person.token = api.token(person.subject, "Driver", ttl_seconds=120)
    async with signed_in(api, person) as client:
        await client.subscribe("1", ME)
        assert codes(await result_of(client, "1")) == []
        clock.advance(timedelta(minutes=3))  # the token has expired; the socket is open
        await client.subscribe("2", ME)
        assert codes(await result_of(client, "2")) == ["UNAUTHENTICATED"]
        await client.subscribe("3", ADD, {"p": "Е777КХ99"})
        assert codes(await result_of(client, "3")) == ["UNAUTHENTICATED"]
        await client.subscribe("4", RECEIVED)
        assert codes(await result_of(client, "4")) == ["UNAUTHENTICATED"]
    stored = select(func.count()).where(Vehicle.plate_display == "Е777КХ99")
    assert await api.db.fetch_one(stored) == (0,)


@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_a_message_bigger_than_a_request_body_closes_the_socket(
    api: Api, protocol: str
) -> None:
    person = await make_user(api, "verbose")
    async with signed_in(api, person, protocol) as client:
        padding = "x" * (MAX_MESSAGE_BYTES + 1)
        query = f"query {{ viewer {{ user {{ id }} }} }} # {padding}"
        await client.send(
            {
                "id": "1",
                "type": "subscribe" if protocol == TRANSPORT_WS else "start",
                "payload": {"query": query},
            }
        )
        assert await closed_code(client) == 1009


MALFORMED = {
    "array frame": "[1, 2, 3]",
    "string frame": '"subscribe"',
    "no type": '{"id": "1", "payload": {"query": "{ __typename }"}}',
    "number type": '{"type": 7}',
    "payload a string": '{"id": "1", "type": "subscribe", "payload": "{ __typename }"}',
    "payload an array": '{"id": "1", "type": "subscribe", "payload": []}',
    "query a number": '{"id": "1", "type": "subscribe", "payload": {"query": 42}}',
    "query missing": '{"id": "1", "type": "subscribe", "payload": {}}',
    "variables a list": '{"id": "1", "type": "subscribe", '
    '"payload": {"query": "{ __typename }", "variables": [1]}}',
    "operation name a number": '{"id": "1", "type": "subscribe", '
    '"payload": {"query": "{ __typename }", "operationName": 1}}',
    "id a number": '{"id": 1, "type": "subscribe", "payload": {"query": "{ __typename }"}}',
    "complete without id": '{"type": "complete"}',
}


@pytest.mark.parametrize("frame", sorted(MALFORMED))
@pytest.mark.parametrize("protocol", [TRANSPORT_WS, LEGACY_WS])
async def test_malformed_frames_close_with_4400(api: Api, protocol: str, frame: str) -> None:
    person = await make_user(api, "sloppy")
    text = MALFORMED[frame]
    if protocol == LEGACY_WS:
        text = text.replace('"subscribe"', '"start"').replace('"complete"', '"stop"')
    async with signed_in(api, person, protocol) as client:
        await client.ws.send(text)
        assert await closed_code(client) == 4400, frame


async def test_a_malformed_connection_init_closes_with_4400(api: Api) -> None:
    async with ws_connect(api.ws_url) as client:
        await client.ws.send(json.dumps({"type": "connection_init", "payload": "Bearer x"}))
        assert await closed_with(client) == 4400


async def test_well_formed_messages_still_work_after_the_checks(api: Api) -> None:
    person = await make_user(api, "careful")
    assert person.token is not None
    async with ws_connect(api.ws_url) as client:
        ack = await client.init(bearer(person.token))
        assert ack["type"] == "connection_ack"
        await client.send(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": ME, "variables": None, "operationName": None},
            }
        )
        assert codes(await result_of(client, "1")) == []
