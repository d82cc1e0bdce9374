"""Chats through the served API: the building chat, direct chats and management chats;
sending, editing, deleting and removing messages; read positions and unread counters;
`viewer.chats`; and that nobody outside a chat can read it, write to it or find it.
(The live stream is in test_chat_events.py.)"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import insert, select

from edom_graphql.chats import service
from edom_graphql.chats.models import MAX_MESSAGE_LENGTH, ChatEvent
from edom_graphql.core.db import Database
from edom_graphql.core.ids import decode_id, encode_id
from edom_graphql.residents.models import Registration
from tests.chats.helpers import (
    BUILDING_CHAT,
    BUILDING_CHAT_MEMBERS,
    DELETE,
    EDIT,
    EVERYONE,
    MANAGEMENT_CHAT_MEMBERS,
    MARK_READ,
    MESSAGES,
    NODE,
    OPEN_DIRECT,
    REMOVE,
    REPORT,
    SEND,
    VIEWER_CHATS,
    bodies,
    building_chat_id,
    management_chat_id,
    send,
    sent,
    stored_messages,
)
from tests.factories import Api, Person, make_user, make_world

# -- the building chat: who is in it ---------------------------------------------------


@pytest.fixture(scope="module")
def people() -> tuple[str, ...]:
    return EVERYONE


@pytest.mark.parametrize("key", EVERYONE)
async def test_building_chat_members(api: Api, key: str) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    await sent(api, world["owner"], chat_id, "Всем привет!")
    person = world[key]
    member = key in BUILDING_CHAT_MEMBERS

    # reading: through the building, by node, through its messages
    result = await api.post(BUILDING_CHAT, {"id": world.building_id}, as_=person)
    if member:
        assert result.ok()["building"]["chat"] == {"id": chat_id, "kind": "BUILDING"}
    elif result.data["building"] is not None:
        assert result.codes == ["FORBIDDEN"]
    node = await api.gql(NODE, {"id": chat_id}, as_=person)
    assert node["node"] == ({"id": chat_id, "kind": "BUILDING"} if member else None)

    # writing: a non-member's message is refused as if the chat did not exist
    before = await stored_messages(api, chat_id)
    result_send = await send(api, person, chat_id, "Можно к вам?")
    if member:
        assert result_send["userErrors"] == []
        assert result_send["message"]["body"] == "Можно к вам?"
        assert await stored_messages(api, chat_id) == before + 1
    else:
        assert result_send == {
            "message": None,
            "userErrors": [
                {"code": "CHAT_NOT_FOUND", "field": ["chatId"], "message": "No such chat."}
            ],
        }
        assert await stored_messages(api, chat_id) == before


async def test_revoked_guest_loses_the_building_chat_at_once(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    guest = world["guest_basic"]
    await sent(api, guest, chat_id, "Я тут временно")
    revoke = await api.gql(
        """
        mutation ($input: GuestAccessRevokeInput!) {
          guestAccessRevoke(input: $input) { userErrors { code } }
        }
        """,
        {"input": {"grantId": encode_id("GuestGrant", world.grants["guest_basic"])}},
        as_=world["owner"],
    )
    assert revoke["guestAccessRevoke"]["userErrors"] == []
    assert (await api.gql(NODE, {"id": chat_id}, as_=guest))["node"] is None
    refused = await send(api, guest, chat_id, "А теперь?")
    assert [error["code"] for error in refused["userErrors"]] == ["CHAT_NOT_FOUND"]
    chats = await api.gql(VIEWER_CHATS, {"first": 10}, as_=guest)
    assert chats["viewer"]["chats"]["nodes"] == []


# -- messages ---------------------------------------------------------------------------


async def test_send_edit_delete_in_order(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    owner, registered = world["owner"], world["registered"]
    first = await sent(api, owner, chat_id, "  Кто оставил коляску у лифта?  ")
    assert first["body"] == "Кто оставил коляску у лифта?"  # trimmed
    assert first["status"] == "ACTIVE"
    assert first["viewerIsAuthor"] is True
    assert first["author"] == {"displayName": "Owner"}
    await sent(api, registered, chat_id, "Это моя, уберу")
    await sent(api, owner, chat_id, "Спасибо!")
    assert await bodies(api, registered, chat_id) == [
        "Спасибо!",
        "Это моя, уберу",
        "Кто оставил коляску у лифта?",
    ]

    edited = await api.gql(
        EDIT, {"input": {"messageId": first["id"], "body": "Чья коляска у лифта?"}}, as_=owner
    )
    message = edited["chatMessageEdit"]["message"]
    assert edited["chatMessageEdit"]["userErrors"] == []
    assert message["body"] == "Чья коляска у лифта?"
    assert message["editedAt"] is not None

    deleted = await api.gql(DELETE, {"input": {"messageId": first["id"]}}, as_=owner)
    assert deleted["chatMessageDelete"]["userErrors"] == []
    gone = deleted["chatMessageDelete"]["message"]
    assert (gone["status"], gone["body"]) == ("DELETED", None)
    assert gone["deletedAt"] is not None
    assert await bodies(api, registered, chat_id) == ["Спасибо!", "Это моя, уберу", None]

    # a deleted message can be neither edited nor deleted again; the text stays gone
    again = await api.gql(EDIT, {"input": {"messageId": first["id"], "body": "x"}}, as_=owner)
    assert again["chatMessageEdit"]["userErrors"] == [{"code": "GONE", "field": ["messageId"]}]
    twice = await api.gql(DELETE, {"input": {"messageId": first["id"]}}, as_=owner)
    assert twice["chatMessageDelete"]["userErrors"] == [{"code": "GONE", "field": ["messageId"]}]
    async with api.db.transaction() as (session, _):
        kinds = (
            (
                await session.execute(
                    select(ChatEvent.kind)
                    .where(ChatEvent.chat_id == decode_id(chat_id)[1])  # type: ignore[index]
                    .order_by(ChatEvent.id)
                )
            )
            .scalars()
            .all()
        )
    assert [kind.value for kind in kinds] == ["ADDED", "ADDED", "ADDED", "EDITED", "DELETED"]


async def test_only_the_author_edits_and_deletes(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    message = await sent(api, world["owner"], chat_id, "Моё сообщение")
    for key in ("co_owner", "registered"):
        edit = await api.gql(
            EDIT, {"input": {"messageId": message["id"], "body": "Чужое"}}, as_=world[key]
        )
        assert edit["chatMessageEdit"]["userErrors"] == [
            {"code": "NOT_AUTHOR", "field": ["messageId"]}
        ]
        assert edit["chatMessageEdit"]["message"]["body"] == "Моё сообщение"  # unchanged
        delete = await api.gql(DELETE, {"input": {"messageId": message["id"]}}, as_=world[key])
        assert delete["chatMessageDelete"]["userErrors"] == [
            {"code": "NOT_AUTHOR", "field": ["messageId"]}
        ]
    # outsiders cannot even find it
    for key in ("stranger", "guest_initial", "manager"):
        edit = await api.gql(
            EDIT, {"input": {"messageId": message["id"], "body": "Чужое"}}, as_=world[key]
        )
        assert edit["chatMessageEdit"]["userErrors"] == [
            {"code": "MESSAGE_NOT_FOUND", "field": ["messageId"]}
        ]
    assert await bodies(api, world["owner"], chat_id) == ["Моё сообщение"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("", "BLANK"),
        ("   \n\t ", "BLANK"),
        ("я" * (MAX_MESSAGE_LENGTH + 1), "TOO_LONG"),
    ],
)
async def test_bad_bodies_are_refused_and_store_nothing(api: Api, body: str, code: str) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    result = await send(api, world["owner"], chat_id, body)
    assert result["message"] is None
    assert [(e["code"], e["field"]) for e in result["userErrors"]] == [(code, ["body"])]
    assert await stored_messages(api, chat_id) == 0


async def test_longest_body_is_accepted(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    message = await sent(api, world["owner"], chat_id, "я" * MAX_MESSAGE_LENGTH)
    assert len(message["body"]) == MAX_MESSAGE_LENGTH


async def test_client_key_makes_a_retry_idempotent(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    owner = world["owner"]
    results = await asyncio.gather(
        *(send(api, owner, chat_id, "Один раз", clientKey="c0ffee-1") for _ in range(5))
    )
    ids = {result["message"]["id"] for result in results}
    assert len(ids) == 1
    assert await stored_messages(api, chat_id) == 1
    other = await send(api, owner, chat_id, "Другое", clientKey="c0ffee-2")
    assert other["message"]["id"] not in ids
    bad = await send(api, owner, chat_id, "x", clientKey="")
    assert [e["code"] for e in bad["userErrors"]] == ["INVALID_CLIENT_KEY"]


async def test_malformed_ids_are_coded(api: Api) -> None:
    world = await make_world(api)
    owner = world["owner"]
    for chat_id in ("garbage", world.building_id, encode_id("Chat", 10**15)):
        result = await send(api, owner, chat_id, "Привет")
        assert [e["code"] for e in result["userErrors"]] == ["CHAT_NOT_FOUND"]
    result = await api.post(SEND, {"input": {"chatId": 5, "body": 7}}, as_=owner)
    assert result.response.status_code == 200
    assert result.codes
    assert set(result.codes) <= {"BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED"}


async def test_sending_is_rate_limited(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    owner = world["owner"]
    for index in range(30):
        await sent(api, owner, chat_id, f"Сообщение {index}")
    result = await api.post(SEND, {"input": {"chatId": chat_id, "body": "ещё"}}, as_=owner)
    assert result.codes == ["RATE_LIMITED"]
    assert result.errors[0]["extensions"]["retryAfter"] > 0
    assert await stored_messages(api, chat_id) == 30


# -- removal by staff -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("manager", True),
        ("dispatcher", True),
        ("engineer", False),
        ("other_staff", False),
        ("owner", False),
        ("admin", False),
    ],
)
async def test_staff_remove_abusive_messages(api: Api, key: str, allowed: bool) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    message = await sent(api, world["registered"], chat_id, "Оскорбление")
    result = await api.post(
        REMOVE, {"input": {"messageId": message["id"], "reason": "Оскорбления"}}, as_=world[key]
    )
    shown = await bodies(api, world["owner"], chat_id)
    if allowed:
        assert result.ok()["chatMessageRemove"] == {"removed": True, "userErrors": []}
        assert shown == [None]
        again = await api.gql(
            REMOVE, {"input": {"messageId": message["id"], "reason": "Ещё раз"}}, as_=world[key]
        )
        assert again["chatMessageRemove"]["userErrors"] == [
            {"code": "GONE", "field": ["messageId"]}
        ]
    else:
        assert result.codes == ["FORBIDDEN"]
        assert shown == ["Оскорбление"]


async def test_staff_remove_only_in_building_chats(api: Api) -> None:
    world = await make_world(api)
    chat_id = await management_chat_id(api, world)
    message = await sent(api, world["owner"], chat_id, "Течёт кран")
    result = await api.gql(
        REMOVE, {"input": {"messageId": message["id"], "reason": "Нет"}}, as_=world["manager"]
    )
    assert result["chatMessageRemove"] == {
        "removed": False,
        "userErrors": [{"code": "NOT_BUILDING_CHAT", "field": ["messageId"]}],
    }


# -- management chats -------------------------------------------------------------------


@pytest.mark.parametrize("key", EVERYONE)
async def test_management_chat_members(api: Api, key: str) -> None:
    world = await make_world(api)
    chat_id = await management_chat_id(api, world, "1")
    await sent(api, world["owner"], chat_id, "Когда починят домофон?")
    person = world[key]
    member = key in MANAGEMENT_CHAT_MEMBERS
    node = await api.gql(NODE, {"id": chat_id}, as_=person)
    assert node["node"] == ({"id": chat_id, "kind": "MANAGEMENT"} if member else None)
    result = await send(api, person, chat_id, "Ответ")
    assert [e["code"] for e in result["userErrors"]] == ([] if member else ["CHAT_NOT_FOUND"])
    chats = await api.gql(VIEWER_CHATS, {"first": 20}, as_=person)
    listed = {chat["id"] for chat in chats["viewer"]["chats"]["nodes"]}
    assert (chat_id in listed) is member


async def test_staff_list_only_management_chats_with_messages(api: Api) -> None:
    world = await make_world(api)
    talked = await management_chat_id(api, world, "2")
    await sent(api, world["registered"], talked, "Протечка на кухне")
    chats = await api.gql(VIEWER_CHATS, {"first": 50}, as_=world["dispatcher"])
    mine = [
        chat["id"]
        for chat in chats["viewer"]["chats"]["nodes"]
        if chat["id"] == talked or chat["kind"] == "MANAGEMENT"
    ]
    assert talked in mine
    silent = await management_chat_id(api, world, "3")
    assert silent not in mine
    # and a staff member can still open a silent one to write first
    reply = await sent(api, world["dispatcher"], silent, "Плановое отключение воды завтра")
    assert reply["author"] == {"displayName": "Dispatcher"}


# -- direct chats -----------------------------------------------------------------------


async def test_direct_chat_between_neighbours(api: Api) -> None:
    world = await make_world(api)
    owner, registered, resident = world["owner"], world["registered"], world["resident"]
    opened = await asyncio.gather(
        api.gql(OPEN_DIRECT, {"input": {"userId": registered.id}}, as_=owner),
        api.gql(OPEN_DIRECT, {"input": {"userId": owner.id}}, as_=registered),
        api.gql(OPEN_DIRECT, {"input": {"userId": registered.id}}, as_=owner),
    )
    ids = {result["chatDirectOpen"]["chat"]["id"] for result in opened}
    assert len(ids) == 1, "concurrent openers agree on one chat"
    (chat_id,) = ids
    assert opened[0]["chatDirectOpen"]["chat"] == {
        "id": chat_id,
        "kind": "DIRECT",
        "otherParticipant": {"displayName": "Registered"},
        "viewerCanWrite": True,
    }
    await sent(api, owner, chat_id, "Привет, сосед")
    await sent(api, registered, chat_id, "Здравствуйте")
    assert await bodies(api, owner, chat_id) == ["Здравствуйте", "Привет, сосед"]
    # a third neighbour can neither see nor write
    assert (await api.gql(NODE, {"id": chat_id}, as_=resident))["node"] is None
    refused = await send(api, resident, chat_id, "Я тоже тут")
    assert [e["code"] for e in refused["userErrors"]] == ["CHAT_NOT_FOUND"]


@pytest.mark.parametrize(
    ("me", "other", "code"),
    [
        ("owner", "owner", "SELF"),
        ("owner", "stranger", "NO_SHARED_BUILDING"),
        ("owner", "guest_initial", "NO_SHARED_BUILDING"),  # initial guests: no DIRECT_CHAT
        ("guest_initial", "owner", "NO_SHARED_BUILDING"),
        ("owner", "manager", "NO_SHARED_BUILDING"),  # staff have no tier
        ("owner", "guest_revoked", "NO_SHARED_BUILDING"),
        ("owner", "newcomer", "NO_SHARED_BUILDING"),
    ],
)
async def test_direct_chat_refusals(api: Api, me: str, other: str, code: str) -> None:
    world = await make_world(api)
    result = await api.gql(OPEN_DIRECT, {"input": {"userId": world[other].id}}, as_=world[me])
    assert result["chatDirectOpen"] == {
        "chat": None,
        "userErrors": [{"code": code, "field": ["userId"]}],
    }


async def test_direct_chat_goes_read_only_when_the_building_is_no_longer_shared(
    api: Api,
) -> None:
    world = await make_world(api)
    owner, guest = world["owner"], world["guest_basic"]
    opened = await api.gql(OPEN_DIRECT, {"input": {"userId": guest.id}}, as_=owner)
    chat_id = opened["chatDirectOpen"]["chat"]["id"]
    await sent(api, guest, chat_id, "Спасибо за ключи")
    await api.gql(
        """
        mutation ($input: GuestAccessRevokeInput!) {
          guestAccessRevoke(input: $input) { userErrors { code } }
        }
        """,
        {"input": {"grantId": encode_id("GuestGrant", world.grants["guest_basic"])}},
        as_=owner,
    )
    refused = await send(api, owner, chat_id, "Пожалуйста")
    assert [e["code"] for e in refused["userErrors"]] == ["NOT_ALLOWED"]
    assert await bodies(api, guest, chat_id) == ["Спасибо за ключи"]  # history stays


# -- unread counters and the viewer's chats ---------------------------------------------


async def test_unread_counts_and_marking_read(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    owner, registered = world["owner"], world["registered"]
    await sent(api, registered, chat_id, "Своё не считается")
    first = await sent(api, owner, chat_id, "Раз")
    await sent(api, owner, chat_id, "Два")
    third = await sent(api, owner, chat_id, "Три")

    async def unread(person: Person) -> int:
        data = await api.gql(
            "query ($id: ID!) { node(id: $id) { ... on Chat { unreadCount } } }",
            {"id": chat_id},
            as_=person,
        )
        count: int = data["node"]["unreadCount"]
        return count

    assert await unread(registered) == 3
    assert await unread(owner) == 0  # sending marks the chat read up to one's message
    marked = await api.gql(
        MARK_READ, {"input": {"chatId": chat_id, "messageId": first["id"]}}, as_=registered
    )
    assert marked["chatMarkRead"] == {"chat": {"id": chat_id, "unreadCount": 2}, "userErrors": []}
    await api.gql(DELETE, {"input": {"messageId": third["id"]}}, as_=owner)
    assert await unread(registered) == 1  # deleted messages do not count
    # the position never moves back
    await api.gql(
        MARK_READ, {"input": {"chatId": chat_id, "messageId": third["id"]}}, as_=registered
    )
    await api.gql(
        MARK_READ, {"input": {"chatId": chat_id, "messageId": first["id"]}}, as_=registered
    )
    assert await unread(registered) == 0
    await sent(api, registered, chat_id, "Ответ")
    assert await unread(owner) == 1
    await api.gql(MARK_READ, {"input": {"chatId": chat_id}}, as_=owner)
    assert await unread(owner) == 0

    other_chat = await management_chat_id(api, world, "1")
    elsewhere = await sent(api, owner, other_chat, "Не отсюда")
    wrong = await api.gql(
        MARK_READ, {"input": {"chatId": chat_id, "messageId": elsewhere["id"]}}, as_=owner
    )
    assert wrong["chatMarkRead"]["userErrors"] == [{"code": "NOT_FOUND", "field": ["messageId"]}]
    outsider = await api.gql(MARK_READ, {"input": {"chatId": chat_id}}, as_=world["stranger"])
    assert outsider["chatMarkRead"]["userErrors"] == [
        {"code": "CHAT_NOT_FOUND", "field": ["chatId"]}
    ]


async def test_viewer_chats_by_last_activity(api: Api) -> None:
    world = await make_world(api)
    owner = world["owner"]
    building = await building_chat_id(api, world)
    management = await management_chat_id(api, world, "1")
    direct = (await api.gql(OPEN_DIRECT, {"input": {"userId": world["registered"].id}}, as_=owner))[
        "chatDirectOpen"
    ]["chat"]["id"]
    await sent(api, owner, building, "1")
    await sent(api, world["registered"], direct, "2")
    await sent(api, owner, management, "3")

    async def order(first: int = 10) -> list[str]:
        data = await api.gql(VIEWER_CHATS, {"first": first}, as_=owner)
        return [chat["id"] for chat in data["viewer"]["chats"]["nodes"]]

    assert await order() == [management, direct, building]
    await sent(api, world["registered"], building, "4")
    assert await order() == [building, management, direct]
    # keyset pages walk the same order without repeats
    seen: list[str] = []
    after = None
    while True:
        data = await api.gql(VIEWER_CHATS, {"first": 1, "after": after}, as_=owner)
        page = data["viewer"]["chats"]
        seen += [chat["id"] for chat in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == [building, management, direct]
    data = await api.gql(VIEWER_CHATS, {"first": 10}, as_=owner)
    first_chat = data["viewer"]["chats"]["nodes"][0]
    assert first_chat == {
        "id": building,
        "kind": "BUILDING",
        "unreadCount": 1,
        "lastMessage": {"body": "4"},
    }


async def test_messages_pages_newest_first(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    for index in range(7):
        await sent(api, world["owner"], chat_id, str(index))
    seen: list[str] = []
    after = None
    while True:
        data = await api.gql(
            MESSAGES, {"id": chat_id, "first": 3, "after": after}, as_=world["resident"]
        )
        page = data["node"]["messages"]
        seen += [node["body"] for node in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == ["6", "5", "4", "3", "2", "1", "0"]


async def test_a_stranger_cannot_guess_chats_or_messages(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    message = await sent(api, world["owner"], chat_id, "Только для своих")
    stranger = await make_user(api, "curious")
    decoded = decode_id(chat_id)
    assert decoded is not None
    guesses = [encode_id("Chat", decoded[1] + delta) for delta in range(-3, 4)]
    data = await api.gql(
        "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [*guesses, message["id"]]},
        as_=stranger,
    )
    assert data["nodes"] == [None] * 8
    chats = await api.gql(VIEWER_CHATS, {"first": 10}, as_=stranger)
    assert chats["viewer"]["chats"]["nodes"] == []


async def test_viewer_chats_statements_do_not_grow_with_chats(api: Api) -> None:
    world = await make_world(api)
    owner = world["owner"]
    building = await building_chat_id(api, world)
    await sent(api, owner, building, "x")
    query = """
    { viewer { chats(first: 50) { nodes {
        id kind unreadCount viewerCanWrite lastMessage { body author { displayName } }
        building { address } premise { number } otherParticipant { displayName }
        eventsCursor messages(first: 2) { nodes { body } }
    } } } }
    """

    async def talk_to(key: str) -> None:
        opened = await api.gql(OPEN_DIRECT, {"input": {"userId": world[key].id}}, as_=owner)
        await sent(api, owner, opened["chatDirectOpen"]["chat"]["id"], "hi")

    await talk_to("registered")
    with api.count_statements() as few:
        small = await api.gql(query, as_=owner)
    for key in ("resident", "guest_elevated", "guest_basic", "co_owner"):
        await talk_to(key)
    with api.count_statements() as many:
        large = await api.gql(query, as_=owner)
    assert len(large["viewer"]["chats"]["nodes"]) == len(small["viewer"]["chats"]["nodes"]) + 4
    assert len(many) == len(few), many


async def test_unpaired_surrogates_are_refused_and_pairs_kept(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    owner = world["owner"]
    headers = {**owner.headers, "Content-Type": "application/json"}
    in_variables = (
        '{"query": "mutation ($i: ChatMessageSendInput!) { chatMessageSend(input: $i) '
        '{ message { id } } }", "variables": {"i": {"chatId": "CHAT", "body": "a \\ud800 b"}}}'
    ).replace("CHAT", chat_id)
    response = await api.client.post("/graphql", content=in_variables, headers=headers)
    assert response.status_code == 400, response.text
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["BAD_USER_INPUT"]
    # the same escape inside the document's own string literal is a syntax error
    in_document = {
        "query": 'mutation { chatMessageSend(input: {chatId: "CHAT", body: "a \\uD800 b"}) '
        "{ message { id } } }".replace("CHAT", chat_id)
    }
    result = await api.client.post("/graphql", json=in_document, headers=owner.headers)
    assert result.status_code in (200, 400), result.text
    codes = [e["extensions"]["code"] for e in result.json()["errors"]]
    assert "INTERNAL_SERVER_ERROR" not in codes
    assert await stored_messages(api, chat_id) == 0
    # a proper pair (an emoji) is one character and is kept
    message = await sent(api, owner, chat_id, "Ура \U0001f389")
    assert message["body"] == "Ура \U0001f389"


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


async def test_reported_messages_reach_the_moderators_who_may_remove_them(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    abusive = await sent(api, world["registered"], chat_id, "Все соседи с 5-го — идиоты")
    variables = {"input": {"messageId": abusive["id"], "reason": "Оскорбления"}}
    manager, dispatcher = world["manager"], world["dispatcher"]
    # before any report the moderators cannot read the message
    assert (await api.gql(NODE, {"id": abusive["id"]}, as_=manager))["node"] is None

    first = await api.gql(REPORT, variables, as_=world["owner"])
    assert first["chatMessageReport"] == {"reported": True, "userErrors": []}
    again = await api.gql(REPORT, variables, as_=world["owner"])  # told once per reporter
    assert again["chatMessageReport"] == {"reported": True, "userErrors": []}
    await api.gql(REPORT, variables, as_=world["guest_basic"])
    for moderator in (manager, dispatcher):
        notices = await reported_to(api, moderator)
        assert [n["subjectId"] for n in notices] == [abusive["id"]] * 2
        assert "идиоты" in notices[0]["message"]
        assert "Оскорбления" in notices[0]["message"]
        seen = await api.gql(NODE, {"id": abusive["id"]}, as_=moderator)
        assert seen["node"] == {"id": abusive["id"], "body": "Все соседи с 5-го — идиоты"}
    # not the engineer (no CHAT_MODERATE), nor another organisation's staff
    for key in ("engineer", "other_staff"):
        assert await reported_to(api, world[key]) == []
        assert (await api.gql(NODE, {"id": abusive["id"]}, as_=world[key]))["node"] is None
    # …and still not the rest of the chat's history
    other = await sent(api, world["registered"], chat_id, "Обычное сообщение")
    assert (await api.gql(NODE, {"id": other["id"]}, as_=manager))["node"] is None

    removed = await api.gql(
        REMOVE, {"input": {"messageId": abusive["id"], "reason": "Оскорбления"}}, as_=manager
    )
    assert removed["chatMessageRemove"] == {"removed": True, "userErrors": []}
    assert await bodies(api, world["owner"], chat_id) == ["Обычное сообщение", None]


@pytest.mark.parametrize(
    ("reporter", "reason", "code"),
    [
        ("registered", "Спам", "OWN_MESSAGE"),
        ("owner", "  ", "BLANK"),
        ("owner", "x" * 501, "TOO_LONG"),
        ("stranger", "Спам", "MESSAGE_NOT_FOUND"),
        ("manager", "Спам", "MESSAGE_NOT_FOUND"),  # staff are not in the building chat
        ("guest_initial", "Спам", "MESSAGE_NOT_FOUND"),
    ],
)
async def test_report_refusals_notify_nobody(
    api: Api, reporter: str, reason: str, code: str
) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    message = await sent(api, world["registered"], chat_id, "Реклама ремонта квартир")
    result = await api.gql(
        REPORT, {"input": {"messageId": message["id"], "reason": reason}}, as_=world[reporter]
    )
    assert result["chatMessageReport"]["reported"] is False
    assert [e["code"] for e in result["chatMessageReport"]["userErrors"]] == [code]
    assert await reported_to(api, world["manager"]) == []


async def test_only_building_chat_messages_are_reported(api: Api) -> None:
    world = await make_world(api)
    opened = await api.gql(
        OPEN_DIRECT, {"input": {"userId": world["registered"].id}}, as_=world["owner"]
    )
    message = await sent(api, world["registered"], opened["chatDirectOpen"]["chat"]["id"], "Эй")
    result = await api.gql(
        REPORT, {"input": {"messageId": message["id"], "reason": "Грубо"}}, as_=world["owner"]
    )
    assert result["chatMessageReport"]["userErrors"] == [
        {"code": "NOT_BUILDING_CHAT", "field": ["messageId"]}
    ]


async def chat_notices(api: Api, person: Person) -> list[dict[str, Any]]:
    data = await api.gql(STAFF_NOTIFICATIONS, as_=person)
    return [n for n in data["viewer"]["notifications"]["nodes"] if n["kind"] == "CHAT_MESSAGE"]


async def test_direct_messages_notify_the_other_member_once(api: Api) -> None:
    world = await make_world(api)
    owner, registered = world["owner"], world["registered"]
    opened = await api.gql(OPEN_DIRECT, {"input": {"userId": registered.id}}, as_=owner)
    chat_id = opened["chatDirectOpen"]["chat"]["id"]
    first = await send(api, owner, chat_id, "Зайдёте за ключами?", clientKey="k-1")
    await send(api, owner, chat_id, "Зайдёте за ключами?", clientKey="k-1")  # a retry
    assert await chat_notices(api, registered) == [
        {
            "kind": "CHAT_MESSAGE",
            "message": "Личное сообщение: «Зайдёте за ключами?»",
            "subjectId": first["message"]["id"],
        }
    ]
    assert await chat_notices(api, owner) == []
    # the subject leads to the message, and from there to the chat
    data = await api.gql(
        "query ($id: ID!) { node(id: $id) { ... on ChatMessage { body chat { id } } } }",
        {"id": first["message"]["id"]},
        as_=registered,
    )
    assert data["node"] == {"body": "Зайдёте за ключами?", "chat": {"id": chat_id}}


async def test_the_organisations_answer_notifies_the_premise(api: Api) -> None:
    world = await make_world(api)
    chat_id = await management_chat_id(api, world, "1")
    await sent(api, world["owner"], chat_id, "Когда дадут воду?")  # a question: no notices
    assert await chat_notices(api, world["dispatcher"]) == []
    assert await chat_notices(api, world["co_owner"]) == []
    answer = await sent(api, world["dispatcher"], chat_id, "Сегодня к 18:00")
    told = {"owner", "co_owner", "guest_elevated"}  # the chat's members at the premise
    for key in (
        "owner",
        "co_owner",
        "guest_elevated",
        "guest_basic",
        "guest_initial",
        "registered",
        "manager",
        "stranger",
    ):
        notices = await chat_notices(api, world[key])
        expected = (
            [
                {
                    "kind": "CHAT_MESSAGE",
                    "message": "Ответ управляющей организации: «Сегодня к 18:00»",
                    "subjectId": answer["id"],
                }
            ]
            if key in told
            else []
        )
        assert notices == expected, key


async def test_building_chat_messages_notify_nobody(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    await sent(api, world["owner"], chat_id, "Всем привет")
    for key in ("co_owner", "registered", "resident", "guest_basic"):
        assert await chat_notices(api, world[key]) == []


async def test_a_dozen_direct_chats_in_a_row(api: Api) -> None:
    """The insert-or-ignore of a direct chat names its partial unique index by a literal
    predicate: under a generic plan (the test database forces one from the first run,
    PostgreSQL switches to one after about five) it still arbitrates."""
    world = await make_world(api, premises=12)
    neighbours = []
    for number in range(1, 13):
        person = await make_user(api, f"neighbour{number}")
        async with api.db.transaction() as (session, _):
            await session.execute(
                insert(Registration).values(
                    premise_id=world.premises[str(number)],
                    building_id=world.building_pk,
                    user_id=person.pk,
                )
            )
        neighbours.append(person)
    owner = world["owner"]
    opened = []
    for neighbour in neighbours:
        result = await api.gql(OPEN_DIRECT, {"input": {"userId": neighbour.id}}, as_=owner)
        assert result["chatDirectOpen"]["userErrors"] == [], result
        opened.append(result["chatDirectOpen"]["chat"]["id"])
    assert len(set(opened)) == 12
    again = await api.gql(OPEN_DIRECT, {"input": {"userId": neighbours[0].id}}, as_=owner)
    assert again["chatDirectOpen"]["chat"]["id"] == opened[0]


async def test_direct_chats_on_one_pooled_connection(api: Api) -> None:
    """The same statement a dozen times over one connection, as a busy process runs it."""
    world = await make_world(api, premises=12)
    db = Database(api.db.url, pool_size=1, max_overflow=0)
    try:
        users = [await make_user(api, f"u{n}") for n in range(12)]
        owner_pk = world["owner"].pk
        assert owner_pk is not None
        ids = []
        for _ in range(2):  # the second round finds the chats of the first
            for user in users:
                assert user.pk is not None
                async with db.transaction() as (session, _):
                    ids.append(
                        await service.open_direct_chat(
                            session,
                            user_id=owner_pk,
                            other_id=user.pk,
                            building_id=world.building_pk,
                        )
                    )
        assert ids[:12] == ids[12:]
        assert len(set(ids)) == 12
    finally:
        await db.dispose()
