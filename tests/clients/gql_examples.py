"""The Python (gql 4) examples of docs/clients.md, verbatim: tests/clients/test_python_gql.py
runs them against a live server, and tests/clients/test_docs_examples.py fails when the
document's blocks and this file drift apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from gql import Client, GraphQLRequest
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

# --- http query ---
BUILDING_CHAT = """
query ($id: ID!) { building(id: $id) { chat { id kind } } }
"""


async def building_chat(url: str, token: str, building_id: str) -> dict[str, Any]:
    transport = HTTPXAsyncTransport(url, headers={"Authorization": f"Bearer {token}"})
    async with Client(transport=transport) as session:
        request = GraphQLRequest(BUILDING_CHAT, variable_values={"id": building_id})
        return await session.execute(request)


# --- mutation with userErrors ---
SEND = """
mutation ($input: ChatMessageSendInput!) {
  chatMessageSend(input: $input) {
    message { id body }
    userErrors { code field message }
  }
}
"""


async def send_message(url: str, token: str, chat_id: str, body: str) -> dict[str, Any]:
    transport = HTTPXAsyncTransport(url, headers={"Authorization": f"Bearer {token}"})
    async with Client(transport=transport) as session:
        request = GraphQLRequest(SEND, variable_values={"input": {"chatId": chat_id, "body": body}})
        payload: dict[str, Any] = (await session.execute(request))["chatMessageSend"]
    # A refusal the user can fix is data, not an error: {"code": "BLANK", "field": ["body"]}.
    for error in payload["userErrors"]:
        print(error["code"], error["field"], error["message"])
    return payload


# --- subscription over graphql-transport-ws ---
CHAT_EVENTS = """
subscription ($chatId: ID!, $after: String) {
  chatMessageEvents(chatId: $chatId, after: $after) { cursor kind message { body } }
}
"""


async def chat_events(
    ws_url: str, token: str, chat_id: str, after: str | None = None
) -> AsyncIterator[dict[str, Any]]:
    transport = WebsocketsTransport(
        ws_url,  # wss://…/graphql
        init_payload={"authorization": f"Bearer {token}"},  # not an HTTP header
        subprotocols=["graphql-transport-ws"],  # gql would offer legacy graphql-ws first
    )
    async with Client(transport=transport) as session:
        request = GraphQLRequest(CHAT_EVENTS, variable_values={"chatId": chat_id, "after": after})
        async for result in session.subscribe(request):
            # Keep result["chatMessageEvents"]["cursor"]: resubscribe with it as `after`.
            yield result["chatMessageEvents"]
