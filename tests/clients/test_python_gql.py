"""The gql examples of docs/clients.md work against a live server: a query over HTTP with
a token, a mutation's userErrors, and a subscription over graphql-transport-ws that
receives the message another mutation sends, then resumes after its cursor."""

from __future__ import annotations

import asyncio

from tests.clients.gql_examples import building_chat, chat_events, send_message
from tests.factories import Api, make_world


def http_url(api: Api) -> str:
    return str(api.client.base_url) + "/graphql"


async def test_query_mutation_and_subscription(api: Api) -> None:
    world = await make_world(api)
    owner = world["owner"]
    assert owner.token is not None
    data = await building_chat(http_url(api), owner.token, world.building_id)
    chat_id = data["building"]["chat"]["id"]
    assert data["building"]["chat"]["kind"] == "BUILDING"

    refused = await send_message(http_url(api), owner.token, chat_id, "   ")
    assert refused["message"] is None
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("BLANK", ["body"])]

    events = chat_events(api.ws_url, owner.token, chat_id)
    first = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0.5)  # the subscription is registered before the message is sent
    sent = await send_message(http_url(api), owner.token, chat_id, "Привет из gql")
    assert sent["userErrors"] == []
    event = await asyncio.wait_for(first, 10)
    assert event["kind"] == "ADDED", event
    assert event["message"]["body"] == "Привет из gql"
    await events.aclose()

    await send_message(http_url(api), owner.token, chat_id, "Пока вас не было")
    resumed = chat_events(api.ws_url, owner.token, chat_id, after=event["cursor"])
    replayed = await asyncio.wait_for(anext(resumed), 10)
    assert replayed["message"]["body"] == "Пока вас не было"
    await resumed.aclose()
