"""`chatMessageEvents` over WebSocket: live order, replay after a cursor, no gap and no
duplicate across reconnects while others write, membership checked for every event."""

from __future__ import annotations

import asyncio
import contextlib
import random
from typing import Any

from edom_graphql.core.ids import encode_id
from tests.chats.operations import building_chat_id, management_chat_id, sent
from tests.factories import Api, Person, World, make_user, make_world
from tests.live import GraphQLWebSocket, signed_in

EVENTS = """
subscription ($chatId: ID!, $after: String) {
  chatMessageEvents(chatId: $chatId, after: $after) {
    cursor kind message { id body status author { displayName } }
  }
}
"""
EVENTS_CURSOR = "query ($id: ID!) { node(id: $id) { ... on Chat { eventsCursor } } }"


async def event(client: GraphQLWebSocket, op_id: str) -> dict[str, Any]:
    data: dict[str, Any] = (await client.next(op_id))["chatMessageEvents"]
    return data


async def events_cursor(api: Api, person: Person, chat_id: str) -> str:
    data = await api.gql(EVENTS_CURSOR, {"id": chat_id}, as_=person)
    cursor: str = data["node"]["eventsCursor"]
    return cursor


async def assert_refused(client: GraphQLWebSocket, op_id: str, code: str = "FORBIDDEN") -> None:
    """The operation ends with one error of ``code`` and then completes."""
    message = await client.receive(op_id)
    assert message["payload"].get("data") is None, message
    assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == [code], message
    assert (await client.receive(op_id))["type"] == "complete"


async def test_live_events_in_order(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    owner = world["owner"]
    await sent(api, owner, chat_id, "до подписки")
    async with signed_in(api, world["registered"]) as client:
        # without `after` the stream starts now: once the server has read where "now" is,
        # every message sent afterwards arrives
        with api.count_statements() as statements:
            await client.subscribe("c", EVENTS, {"chatId": chat_id, "after": None})
            async with asyncio.timeout(5):
                while True:
                    if any("max(chat_events.id)" in s for s in statements):
                        break
                    await asyncio.sleep(0.005)
        first = await sent(api, owner, chat_id, "первое")
        got = await event(client, "c")
        assert (got["kind"], got["message"]["body"]) == ("ADDED", "первое")
        second = await sent(api, world["resident"], chat_id, "второе")
        await api.gql(
            """mutation ($input: ChatMessageEditInput!) {
                 chatMessageEdit(input: $input) { userErrors { code } } }""",
            {"input": {"messageId": first["id"], "body": "первое (испр.)"}},
            as_=owner,
        )
        await api.gql(
            """mutation ($input: ChatMessageDeleteInput!) {
                 chatMessageDelete(input: $input) { userErrors { code } } }""",
            {"input": {"messageId": second["id"]}},
            as_=world["resident"],
        )
        received = [await event(client, "c") for _ in range(3)]
        assert [(e["kind"], e["message"]["id"]) for e in received] == [
            ("ADDED", second["id"]),
            ("EDITED", first["id"]),
            ("DELETED", second["id"]),
        ]
        # each event shows the message as it is now
        assert received[1]["message"]["body"] == "первое (испр.)"
        assert (received[2]["message"]["status"], received[2]["message"]["body"]) == (
            "DELETED",
            None,
        )
        cursors = [got["cursor"], *(e["cursor"] for e in received)]
        assert len(set(cursors)) == 4
        await client.assert_quiet()


async def test_replay_after_cursor_then_live(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    owner, reader = world["owner"], world["guest_basic"]
    beginning = await events_cursor(api, reader, chat_id)  # of an empty chat
    await sent(api, owner, chat_id, "старое 1")
    await sent(api, owner, chat_id, "старое 2")
    cursor = await events_cursor(api, reader, chat_id)
    assert cursor is not None
    for index in range(3):
        await sent(api, owner, chat_id, f"пропущено {index}")
    async with signed_in(api, reader) as client:
        await client.subscribe("c", EVENTS, {"chatId": chat_id, "after": cursor})
        replayed = [await event(client, "c") for _ in range(3)]
        assert [e["message"]["body"] for e in replayed] == [f"пропущено {i}" for i in range(3)]
        await sent(api, owner, chat_id, "новое")
        assert (await event(client, "c"))["message"]["body"] == "новое"
        await client.assert_quiet()
        # the cursor of the empty chat replays everything
        await client.subscribe("all", EVENTS, {"chatId": chat_id, "after": beginning})
        everything = [(await event(client, "all"))["message"]["body"] for _ in range(6)]
        assert everything == [
            "старое 1",
            "старое 2",
            *(f"пропущено {i}" for i in range(3)),
            "новое",
        ]
        await client.assert_quiet()


async def test_reconnects_under_concurrent_writers_lose_and_repeat_nothing(api: Api) -> None:
    """Five neighbours write concurrently; the reader drops its connection three times and
    resumes with its last cursor each time. It gets every message exactly once, in the
    chat's order."""
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    writers = ["owner", "co_owner", "registered", "resident", "guest_elevated"]
    per_writer = 12
    start = await sent(api, world["owner"], chat_id, "начало")
    cursor = await events_cursor(api, world["guest_basic"], chat_id)
    sent_ids: list[str] = []

    async def write(key: str) -> None:
        for index in range(per_writer):
            message = await sent(api, world[key], chat_id, f"{key} {index}")
            sent_ids.append(message["id"])
            await asyncio.sleep(random.uniform(0, 0.02))

    writing = asyncio.gather(*(write(key) for key in writers))
    received: list[dict[str, Any]] = []
    total = len(writers) * per_writer
    rounds = 0
    while len(received) < total:
        rounds += 1
        async with signed_in(api, world["guest_basic"]) as client:
            await client.subscribe("c", EVENTS, {"chatId": chat_id, "after": cursor})
            # drop the connection after a few events (the last round reads to the end)
            take = total - len(received) if rounds > 3 else min(7, total - len(received))
            for _ in range(take):
                got = await event(client, "c")
                received.append(got)
                cursor = got["cursor"]
    await writing
    ids = [e["message"]["id"] for e in received]
    assert start["id"] not in ids
    assert len(ids) == len(set(ids)) == total, "no duplicates"
    assert set(ids) == set(sent_ids), "no gaps"
    # the chat's order is commit order: the reader saw the messages as the history lists them
    history = await api.gql(
        """query ($id: ID!) { node(id: $id) { ... on Chat {
             messages(first: 100) { nodes { id } } } } }""",
        {"id": chat_id},
        as_=world["owner"],
    )
    in_history = [node["id"] for node in reversed(history["node"]["messages"]["nodes"])]
    assert in_history == [start["id"], *ids]
    assert all(e["kind"] == "ADDED" for e in received)


async def test_a_stranger_cannot_subscribe(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    stranger = await make_user(api, "stranger")
    for person, target in (
        (stranger, chat_id),
        (world["manager"], chat_id),  # staff are not in the building chat
        (world["guest_initial"], chat_id),
        (world["registered"], await management_chat_id(api, world, "1")),
        (world["owner"], encode_id("Chat", 10**12)),
        (world["owner"], world.building_id),
    ):
        async with signed_in(api, person) as client:
            await client.subscribe("x", EVENTS, {"chatId": target, "after": None})
            await assert_refused(client, "x")
            await sent(api, world["owner"], chat_id, "секрет")
            await client.assert_quiet()


async def test_bad_cursor_is_a_coded_error(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    async with signed_in(api, world["owner"]) as client:
        await client.subscribe("x", EVENTS, {"chatId": chat_id, "after": "not-a-cursor"})
        await assert_refused(client, "x", "BAD_USER_INPUT")


async def test_revoked_guest_stops_receiving(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    owner, guest = world["owner"], world["guest_basic"]
    async with signed_in(api, guest) as client:
        cursor = await events_cursor(api, guest, chat_id)
        await client.subscribe("g", EVENTS, {"chatId": chat_id, "after": cursor})
        await sent(api, owner, chat_id, "Добро пожаловать")
        assert (await event(client, "g"))["message"]["body"] == "Добро пожаловать"
        revoked = await api.gql(
            """
            mutation ($input: GuestAccessRevokeInput!) {
              guestAccessRevoke(input: $input) { userErrors { code } }
            }
            """,
            {"input": {"grantId": encode_id("GuestGrant", world.grants["guest_basic"])}},
            as_=owner,
        )
        assert revoked["guestAccessRevoke"]["userErrors"] == []
        await sent(api, owner, chat_id, "Это гость уже не увидит")
        await assert_refused(client, "g")
        await sent(api, owner, chat_id, "И это")
        await client.assert_quiet()


SUBSCRIBERS = 40


async def test_many_subscribers_share_their_reads(api: Api) -> None:
    """One message wakes every subscriber of the chat; their reads are shared, so the
    statements per message do not grow with the number of subscribers."""
    world: World = await make_world(api)
    chat_id = await building_chat_id(api, world)
    cursor = await events_cursor(api, world["owner"], chat_id)
    members = ["co_owner", "registered", "resident", "guest_elevated", "guest_basic"]
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for index in range(SUBSCRIBERS):
            person = world[members[index % len(members)]]
            client = await stack.enter_async_context(signed_in(api, person))
            await client.subscribe("c", EVENTS, {"chatId": chat_id, "after": cursor})
            clients.append(client)
        await sent(api, world["owner"], chat_id, "разогрев")
        for client in clients:
            assert (await event(client, "c"))["message"]["body"] == "разогрев"
        with api.count_statements() as statements:
            await sent(api, world["owner"], chat_id, "всем")
            for client in clients:
                assert (await event(client, "c"))["message"]["body"] == "всем"
        reads = [s for s in statements if s.lstrip().startswith("SELECT chat_events.id")]
        profiles = [s for s in statements if "FROM guest_grants" in s]
        print(len(reads), len(profiles), len(statements))
        assert 1 <= len(reads) <= 2, reads
        assert 1 <= len(profiles) <= 3, profiles
