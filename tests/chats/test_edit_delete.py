"""`chatMessageEdit` and `chatMessageDelete`: the author changes or deletes their own
message, in the chat's log; nobody else can."""

from __future__ import annotations

from sqlalchemy import select

from edom_graphql.chats.models import ChatEvent
from edom_graphql.core.ids import decode_id
from tests.chats.operations import (
    DELETE,
    EDIT,
    bodies,
    building_chat_id,
    sent,
)
from tests.factories import Api, make_world


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
