"""`chatMessageSend`: what a message may hold, idempotent retries, the rate limit, and
who is notified of a new message."""

from __future__ import annotations

import asyncio

import pytest

from edom_graphql.chats.models import MAX_MESSAGE_LENGTH
from edom_graphql.core.ids import encode_id
from tests.chats.operations import (
    OPEN_DIRECT,
    SEND,
    building_chat_id,
    chat_notices,
    management_chat_id,
    send,
    sent,
    stored_messages,
)
from tests.factories import Api, make_world


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
