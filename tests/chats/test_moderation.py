"""`chatMessageRemove` and `chatMessageReport`: staff with CHAT_MODERATE take abusive
messages out of building chats; members report them, and the moderators may then read
that message (not the rest of the chat)."""

from __future__ import annotations

import pytest

from tests.chats.operations import (
    NODE,
    OPEN_DIRECT,
    REMOVE,
    REPORT,
    bodies,
    building_chat_id,
    management_chat_id,
    reported_to,
    sent,
)
from tests.factories import Api, make_world


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
