"""Reading chats: `chatMarkRead` and unread counters, `viewer.chats` by last activity,
pages of messages, and statements that do not grow with the number of chats."""

from __future__ import annotations

from tests.chats.operations import (
    DELETE,
    MARK_READ,
    MESSAGES,
    OPEN_DIRECT,
    VIEWER_CHATS,
    building_chat_id,
    management_chat_id,
    sent,
)
from tests.factories import Api, Person, make_world


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
