"""The GraphQL operations the chats tests send, and the calls that send them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from edom_graphql.chats.models import ChatMessage
from edom_graphql.core.ids import decode_id
from tests.factories import Api, Person, World

MESSAGE_FIELDS = (
    "id body status createdAt editedAt deletedAt removedAt viewerIsAuthor author { displayName }"
)
SEND = f"""
mutation ($input: ChatMessageSendInput!) {{
  chatMessageSend(input: $input) {{
    message {{ {MESSAGE_FIELDS} }} userErrors {{ code field message }}
  }}
}}
"""
EDIT = f"""
mutation ($input: ChatMessageEditInput!) {{
  chatMessageEdit(input: $input) {{ message {{ {MESSAGE_FIELDS} }} userErrors {{ code field }} }}
}}
"""
DELETE = f"""
mutation ($input: ChatMessageDeleteInput!) {{
  chatMessageDelete(input: $input) {{ message {{ {MESSAGE_FIELDS} }} userErrors {{ code field }} }}
}}
"""
REMOVE = """
mutation ($input: ChatMessageRemoveInput!) {
  chatMessageRemove(input: $input) { removed userErrors { code field } }
}
"""
MARK_READ = """
mutation ($input: ChatMarkReadInput!) {
  chatMarkRead(input: $input) { chat { id unreadCount } userErrors { code field } }
}
"""
OPEN_DIRECT = """
mutation ($input: ChatDirectOpenInput!) {
  chatDirectOpen(input: $input) {
    chat { id kind otherParticipant { displayName } viewerCanWrite } userErrors { code field }
  }
}
"""
BUILDING_CHAT = "query ($id: ID!) { building(id: $id) { chat { id kind } } }"
MANAGEMENT_CHAT = "query ($id: ID!) { node(id: $id) { ... on Premise { managementChat { id } } } }"
NODE = """
query ($id: ID!) {
  node(id: $id) { id ... on Chat { kind } ... on ChatMessage { body } }
}
"""
MESSAGES = """
query ($id: ID!, $first: Int!, $after: String) {
  node(id: $id) {
    ... on Chat {
      messages(first: $first, after: $after) {
        nodes { body } pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""
VIEWER_CHATS = """
query ($first: Int!, $after: String) {
  viewer {
    chats(first: $first, after: $after) {
      nodes { id kind unreadCount lastMessage { body } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

BUILDING_CHAT_MEMBERS = {
    "owner",
    "co_owner",
    "registered",
    "resident",
    "guest_elevated",
    "guest_basic",
}
"""By the capability matrix: everyone with a tier down to basic guests; no staff."""
MANAGEMENT_CHAT_MEMBERS = {
    "owner",
    "co_owner",
    "guest_elevated",
    "dispatcher",
    "engineer",
    "manager",
}
"""Of premise 1: its occupants down to elevated guests, and the organisation's staff."""
EVERYONE = (
    "owner",
    "co_owner",
    "registered",
    "resident",
    "guest_elevated",
    "guest_basic",
    "guest_initial",
    "guest_expired",
    "guest_revoked",
    "dispatcher",
    "engineer",
    "manager",
    "other_staff",
    "stranger",
    "newcomer",
    "admin",
)


async def building_chat_id(api: Api, world: World) -> str:
    data = await api.gql(BUILDING_CHAT, {"id": world.building_id}, as_=world["owner"])
    chat_id: str = data["building"]["chat"]["id"]
    return chat_id


async def management_chat_id(api: Api, world: World, number: str = "1") -> str:
    data = await api.gql(MANAGEMENT_CHAT, {"id": world.premise_id(number)}, as_=world["manager"])
    chat_id: str = data["node"]["managementChat"]["id"]
    return chat_id


async def send(api: Api, person: Person, chat_id: str, body: str, **extra: Any) -> dict[str, Any]:
    data = await api.gql(SEND, {"input": {"chatId": chat_id, "body": body, **extra}}, as_=person)
    result: dict[str, Any] = data["chatMessageSend"]
    return result


async def sent(api: Api, person: Person, chat_id: str, body: str) -> dict[str, Any]:
    result = await send(api, person, chat_id, body)
    assert result["userErrors"] == [], result
    message: dict[str, Any] = result["message"]
    return message


async def bodies(api: Api, person: Person, chat_id: str, first: int = 100) -> list[Any]:
    data = await api.gql(MESSAGES, {"id": chat_id, "first": first}, as_=person)
    return [node["body"] for node in data["node"]["messages"]["nodes"]]


async def stored_messages(api: Api, chat_id: str) -> int:
    decoded = decode_id(chat_id)
    assert decoded is not None
    async with api.db.transaction() as (session, _):
        count: int = (
            await session.execute(select(func.count()).where(ChatMessage.chat_id == decoded[1]))
        ).scalar_one()
    return count


REPORT = """
mutation ($input: ChatMessageReportInput!) {
  chatMessageReport(input: $input) { reported userErrors { code field } }
}
"""
STAFF_NOTIFICATIONS = """
{ viewer { notifications(first: 10) { nodes { kind message subjectId } } } }
"""


async def reported_to(api: Api, person: Person) -> list[dict[str, Any]]:
    data = await api.gql(STAFF_NOTIFICATIONS, as_=person)
    return [
        node
        for node in data["viewer"]["notifications"]["nodes"]
        if node["kind"] == "CHAT_MESSAGE_REPORTED"
    ]


async def chat_notices(api: Api, person: Person) -> list[dict[str, Any]]:
    data = await api.gql(STAFF_NOTIFICATIONS, as_=person)
    return [n for n in data["viewer"]["notifications"]["nodes"] if n["kind"] == "CHAT_MESSAGE"]
