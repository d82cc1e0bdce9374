"""Who is in a chat: the building chat (tiers down to basic guests, no staff) and a
premise's management chat (its occupants down to elevated guests and the organisation's
staff), by node, by sending and in `viewer.chats`; nobody outside a chat can find it."""

from __future__ import annotations

import pytest

from edom_graphql.core.ids import decode_id, encode_id
from tests.chats.operations import (
    BUILDING_CHAT,
    BUILDING_CHAT_MEMBERS,
    EVERYONE,
    MANAGEMENT_CHAT_MEMBERS,
    NODE,
    VIEWER_CHATS,
    building_chat_id,
    management_chat_id,
    send,
    sent,
    stored_messages,
)
from tests.factories import Api, make_user, make_world


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
