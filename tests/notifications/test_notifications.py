"""Notifications through the served API: the list and its read state over HTTP, and the
live stream over WebSocket (graphql-transport-ws spoken by hand, and legacy graphql-ws),
including resuming without loss, concurrent writers and connection authentication."""

from __future__ import annotations

import asyncio
import base64
import itertools
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text

from edom_graphql.core.auth import issue_dev_token
from edom_graphql.core.ids import decode_id, encode_id
from edom_graphql.notifications import service
from edom_graphql.notifications.models import Notification
from edom_graphql.notifications.service.messages import Text
from edom_graphql.settings import Settings
from tests.factories import Api, Clock, Person, World, let_in, make_user, make_world
from tests.live import (
    LEGACY_WS,
    RECEIVE_TIMEOUT,
    GraphQLWebSocket,
    bearer,
    closed_with,
    signed_in,
    ws_connect,
)

NOTIFICATION_FIELDS = "id kind message subjectId cursor readAt createdAt"

REVOKE = """
mutation Revoke($input: GuestAccessRevokeInput!) {
  guestAccessRevoke(input: $input) { grant { id revokedAt } userErrors { code message field } }
}
"""
NOTIFICATIONS = f"""
query Notifications($first: Int!, $after: String, $unreadOnly: Boolean! = false) {{
  viewer {{
    notifications(first: $first, after: $after, unreadOnly: $unreadOnly) {{
      edges {{ cursor node {{ {NOTIFICATION_FIELDS} }} }}
      pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    }}
    unreadNotificationCount
  }}
}}
"""
MARK_READ = """
mutation MarkRead($input: NotificationMarkReadInput!) {
  notificationMarkRead(input: $input) {
    markedCount unreadCount userErrors { code message field }
  }
}
"""
RECEIVED = f"""
subscription Received($after: String) {{
  notificationReceived(after: $after) {{ {NOTIFICATION_FIELDS} }}
}}
"""


# --------------------------------------------------------------------------- helpers


class Grants:
    """Grants and revokes guest access at premise 1 of a world, as its owner, over HTTP.

    Every grant gets its own future one-hour window, so grants to one guest never overlap
    and may be made concurrently.
    """

    def __init__(self, api: Api, world: World) -> None:
        self.api = api
        self.world = world
        self._slots = itertools.count(1)

    async def grant(self, guest: Person, *, level: str = "BASIC") -> str:
        """Guest access by an invitation of the owner that the guest accepts."""
        starts = datetime.now(UTC) + timedelta(days=next(self._slots))
        return await let_in(
            self.api,
            self.world["owner"],
            guest,
            self.world.premise_id("1"),
            level=level,
            starts_at=starts,
            expires_at=starts + timedelta(hours=1),
        )

    async def revoke(self, grant_id: str) -> None:
        result = await self.api.post(
            REVOKE, {"input": {"grantId": grant_id}}, as_=self.world["owner"]
        )
        payload = result.ok()["guestAccessRevoke"]
        assert payload["userErrors"] == [], payload
        assert payload["grant"]["revokedAt"] is not None

    async def grant_and_revoke(self, guest: Person) -> str:
        grant_id = await self.grant(guest)
        await self.revoke(grant_id)
        return grant_id


async def notifications(
    api: Api,
    person: Person,
    *,
    first: int = 100,
    after: str | None = None,
    unread_only: bool = False,
) -> dict[str, Any]:
    variables: dict[str, Any] = {"first": first, "after": after, "unreadOnly": unread_only}
    viewer: dict[str, Any] = (await api.gql(NOTIFICATIONS, variables, as_=person))["viewer"]
    return viewer


async def nodes_of(api: Api, person: Person) -> list[dict[str, Any]]:
    """Every notification of ``person``, newest first."""
    page = await notifications(api, person)
    assert not page["notifications"]["pageInfo"]["hasNextPage"]
    return [edge["node"] for edge in page["notifications"]["edges"]]


async def mark_read(api: Api, person: Person, **input: Any) -> dict[str, Any]:
    payload: dict[str, Any] = (await api.gql(MARK_READ, {"input": input}, as_=person))[
        "notificationMarkRead"
    ]
    return payload


async def db_notification_ids(api: Api, person: Person) -> list[int]:
    """The person's notification ids straight from the database, oldest first."""
    rows = await api.db.fetch(
        select(Notification.id).where(Notification.user_id == person.pk).order_by(Notification.id)
    )
    return [row[0] for row in rows]


def pk_of(notification: dict[str, Any]) -> int:
    decoded = decode_id(notification["id"])
    assert decoded is not None, notification
    assert decoded[0] == "Notification", notification
    return decoded[1]


REPLAY_MARK = "notifications.id >"


def replay_queries(statements: list[str]) -> int:
    """How many catch-up queries of ``notificationReceived`` the server has sent."""
    return sum(REPLAY_MARK in statement for statement in statements)


@pytest.fixture
def statements(api: Api) -> Iterator[list[str]]:
    """Every SQL statement the server sends while the test runs."""
    with api.count_statements() as recorded:
        yield recorded


async def subscribe_received(
    client: GraphQLWebSocket, statements: list[str], op_id: str, after: str | None = None
) -> None:
    """Subscribe to ``notificationReceived`` and wait until the server listens.

    The resolver subscribes to the viewer's channel before it runs its catch-up query,
    so once that query has been sent every notification committed afterwards reaches
    the subscriber: the tests wait for it instead of sleeping. (No other subscription
    of the test is catching up at that moment.)
    """
    seen = replay_queries(statements)
    await client.subscribe(op_id, RECEIVED, {"after": after})
    async with asyncio.timeout(RECEIVE_TIMEOUT):
        while True:
            if replay_queries(statements) > seen:
                return
            await asyncio.sleep(0.005)


# --------------------------------------------------------------------------- HTTP


async def test_guest_access_grant_notifies_the_guest_once(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    grants = Grants(api, world)
    before = await notifications(api, guest)
    assert before["notifications"]["edges"] == []
    assert before["unreadNotificationCount"] == 0
    owner_before = await db_notification_ids(api, world["owner"])

    grant_id = await grants.grant(guest, level="ELEVATED")

    viewer = await notifications(api, guest)
    edges = viewer["notifications"]["edges"]
    assert len(edges) == 1, edges
    node = edges[0]["node"]
    assert node["kind"] == "GUEST_ACCESS_GRANTED"
    assert "расширенный гостевой доступ к помещению 1" in node["message"]
    assert node["subjectId"] == grant_id
    assert node["readAt"] is None
    assert node["cursor"] == edges[0]["cursor"]
    assert viewer["unreadNotificationCount"] == 1
    assert await db_notification_ids(api, guest) == [pk_of(node)]
    # The grantor is told once that the invitation was accepted.
    (told,) = [
        pk for pk in await db_notification_ids(api, world["owner"]) if pk not in owner_before
    ]
    (kind,) = await api.db.fetch(select(Notification.kind).where(Notification.id == told))
    assert kind[0] == "GUEST_INVITATION_ACCEPTED"

    # The notification itself is a node, visible to its recipient only.
    notification_node = """query($id: ID!) {
      node(id: $id) { id ... on Notification { kind subjectId readAt } } }"""
    own = await api.gql(notification_node, {"id": node["id"]}, as_=guest)
    assert own["node"] == {
        "id": node["id"],
        "kind": "GUEST_ACCESS_GRANTED",
        "subjectId": grant_id,
        "readAt": None,
    }
    for someone_else in (world["owner"], world["admin"]):
        assert (await api.gql(notification_node, {"id": node["id"]}, as_=someone_else)) == {
            "node": None
        }

    refetched = await api.gql(
        """query($id: ID!) { node(id: $id) { id ... on GuestGrant {
             level revokedAt grantee { id } premise { number } } } }""",
        {"id": node["subjectId"]},
        as_=guest,
    )
    assert refetched["node"] == {
        "id": grant_id,
        "level": "ELEVATED",
        "revokedAt": None,
        "grantee": {"id": guest.id},
        # The grant starts tomorrow: until then the guest does not see the building.
        "premise": None,
    }


async def test_mark_read(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    other = await make_user(api, "other")
    grants = Grants(api, world)
    await grants.grant_and_revoke(guest)
    await grants.grant(guest)
    await grants.grant(other)
    newest, middle, oldest = await nodes_of(api, guest)
    (theirs,) = await nodes_of(api, other)

    # Some ids.
    payload = await mark_read(api, guest, ids=[oldest["id"]])
    assert payload == {"markedCount": 1, "unreadCount": 2, "userErrors": []}
    after = {node["id"]: node["readAt"] for node in await nodes_of(api, guest)}
    assert after[oldest["id"]] is not None
    assert after[middle["id"]] is None
    assert after[newest["id"]] is None
    # Marking again changes nothing.
    payload = await mark_read(api, guest, ids=[oldest["id"], oldest["id"]])
    assert payload == {"markedCount": 0, "unreadCount": 2, "userErrors": []}

    # Someone else's notification is ignored and stays unread.
    payload = await mark_read(api, guest, ids=[theirs["id"]])
    assert payload == {"markedCount": 0, "unreadCount": 2, "userErrors": []}
    payload = await mark_read(api, guest, ids=[theirs["id"], middle["id"]])
    assert payload == {"markedCount": 1, "unreadCount": 1, "userErrors": []}
    (theirs_now,) = await nodes_of(api, other)
    assert theirs_now["readAt"] is None
    assert (await notifications(api, other))["unreadNotificationCount"] == 1

    # Refusals mark nothing.
    for input, code, field in (
        ({}, "NOTHING_SELECTED", ["ids"]),
        ({"ids": []}, "NOTHING_SELECTED", ["ids"]),
        ({"ids": None, "all": False}, "NOTHING_SELECTED", ["ids"]),
        ({"ids": [newest["id"]] * 101}, "TOO_MANY_IDS", ["ids"]),
        ({"ids": [newest["id"], "not-an-id"]}, "INVALID_ID", ["ids", "1"]),
        ({"ids": [newest["id"], encode_id("GuestGrant", 1)]}, "INVALID_ID", ["ids", "1"]),
        ({"ids": ["Tm90aWZpY2F0aW9uOi0x"]}, "INVALID_ID", ["ids", "0"]),  # "Notification:-1"
    ):
        payload = await mark_read(api, guest, **input)
        assert payload["markedCount"] == 0, input
        assert payload["unreadCount"] == 1, input
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)], input
    assert (await notifications(api, guest))["unreadNotificationCount"] == 1

    # At most 100 ids is fine, even if none of them exists.
    missing = [encode_id("Notification", 10**15 + n) for n in range(100)]
    assert await mark_read(api, guest, ids=missing) == {
        "markedCount": 0,
        "unreadCount": 1,
        "userErrors": [],
    }

    # All.
    payload = await mark_read(api, guest, all=True)
    assert payload == {"markedCount": 1, "unreadCount": 0, "userErrors": []}
    assert all(node["readAt"] is not None for node in await nodes_of(api, guest))
    assert await mark_read(api, guest, all=True) == {
        "markedCount": 0,
        "unreadCount": 0,
        "userErrors": [],
    }
    assert (await notifications(api, other))["unreadNotificationCount"] == 1

    # Signed out.
    result = await api.post(MARK_READ, {"input": {"all": True}})
    assert result.codes == ["UNAUTHENTICATED"]


async def test_mark_read_refuses_an_id_with_a_non_ascii_digit(api: Api) -> None:
    guest = await make_user(api, "guest")
    superscript = base64.b64encode("Notification:²".encode()).decode()
    payload = await mark_read(api, guest, ids=[superscript])
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("INVALID_ID", ["ids", "0"])
    ]


async def test_notifications_pagination(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    grants = Grants(api, world)
    first_grant = await grants.grant_and_revoke(guest)
    await grants.grant_and_revoke(guest)
    await grants.grant(guest)
    everything = await nodes_of(api, guest)
    assert len(everything) == 5
    pks = [pk_of(node) for node in everything]
    assert pks == sorted(pks, reverse=True), "newest first"
    assert everything[-1]["subjectId"] == first_grant
    assert everything[-1]["kind"] == "GUEST_ACCESS_GRANTED"
    assert everything[-2]["kind"] == "GUEST_ACCESS_REVOKED"

    page1 = (await notifications(api, guest, first=2))["notifications"]
    assert [edge["node"] for edge in page1["edges"]] == everything[:2]
    assert page1["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": page1["edges"][0]["cursor"],
        "endCursor": page1["edges"][1]["cursor"],
    }
    # A notification arriving meanwhile does not shift the following pages.
    await grants.grant(guest)
    page2 = (await notifications(api, guest, first=2, after=page1["pageInfo"]["endCursor"]))[
        "notifications"
    ]
    assert [edge["node"] for edge in page2["edges"]] == everything[2:4]
    assert page2["pageInfo"]["hasNextPage"] is True
    assert page2["pageInfo"]["hasPreviousPage"] is True
    page3 = (await notifications(api, guest, first=2, after=page2["pageInfo"]["endCursor"]))[
        "notifications"
    ]
    assert [edge["node"] for edge in page3["edges"]] == everything[4:]
    assert page3["pageInfo"]["hasNextPage"] is False
    # Cursors are stable: the same item has the same cursor on every page.
    again = (await notifications(api, guest, first=3, after=page1["edges"][0]["cursor"]))[
        "notifications"
    ]
    assert [edge["cursor"] for edge in again["edges"]] == [
        page1["edges"][1]["cursor"],
        *(edge["cursor"] for edge in page2["edges"]),
    ]

    # unreadOnly, also paginated.
    current = await nodes_of(api, guest)
    assert len(current) == 6
    read = [current[1]["id"], current[3]["id"]]
    assert (await mark_read(api, guest, ids=read))["unreadCount"] == 4
    unread = [node for node in current if node["id"] not in read]
    seen: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = (await notifications(api, guest, first=3, after=after, unread_only=True))[
            "notifications"
        ]
        seen.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [node["id"] for node in seen] == [node["id"] for node in unread]
    assert all(node["readAt"] is None for node in seen)

    # Page sizes are 1..100; cursors must be ours.
    assert len((await notifications(api, guest, first=100))["notifications"]["edges"]) == 6
    for first, after in ((0, None), (101, None), (-1, None), (2, "bm90IGEgY3Vyc29y")):
        result = await api.post(
            NOTIFICATIONS, {"first": first, "after": after, "unreadOnly": False}, as_=guest
        )
        assert result.codes == ["BAD_USER_INPUT"], (first, after, result)


# --------------------------------------------------------------------------- live stream


async def test_live_notifications_arrive_for_their_user_only(
    api: Api, statements: list[str]
) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    bystander = await make_user(api, "bystander")
    grants = Grants(api, world)
    async with signed_in(api, guest) as client, signed_in(api, bystander) as other_client:
        await subscribe_received(client, statements, "1")
        await subscribe_received(other_client, statements, "b")

        # The bystander's notification comes first: had it leaked, the guest would see it
        # before their own.
        bystander_grant = await grants.grant(bystander)
        grant_id = await grants.grant(guest, level="INITIAL")
        received = await client.notification("1")
        (stored,) = await nodes_of(api, guest)
        assert received == stored
        assert received["kind"] == "GUEST_ACCESS_GRANTED"
        assert received["subjectId"] == grant_id
        assert "начальный гостевой доступ к помещению 1" in received["message"]
        assert received["readAt"] is None

        await grants.revoke(grant_id)
        revoked = await client.notification("1")
        assert revoked["kind"] == "GUEST_ACCESS_REVOKED"
        assert revoked["subjectId"] == grant_id
        assert pk_of(revoked) > pk_of(received)
        assert revoked == (await nodes_of(api, guest))[0]

        theirs = await other_client.notification("b")
        assert theirs["subjectId"] == bystander_grant
        await client.assert_quiet()
        await other_client.assert_quiet()

        # Completing the subscription stops the stream; the connection stays usable.
        await client.send({"id": "1", "type": "complete"})
        await grants.grant(guest)
        await client.assert_quiet()


async def test_resume_after_cursor_without_loss_or_duplicates(
    api: Api, statements: list[str]
) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    grants = Grants(api, world)
    async with signed_in(api, guest) as client:
        await subscribe_received(client, statements, "1")
        first_grant = await grants.grant(guest)
        first = await client.notification("1")
        assert first["subjectId"] == first_grant
    last_cursor = first["cursor"]

    # While disconnected, three writers at once.
    missed_grants = await asyncio.gather(
        grants.revoke(first_grant), grants.grant(guest), grants.grant(guest)
    )
    missed_ids = (await db_notification_ids(api, guest))[1:]
    assert len(missed_ids) == 3

    async with signed_in(api, guest) as client:
        await subscribe_received(client, statements, "2", after=last_cursor)
        replayed = await client.notifications("2", 3)
        assert [pk_of(node) for node in replayed] == missed_ids
        assert {node["subjectId"] for node in replayed} == {first_grant, *missed_grants[1:]}
        # Then live ones, also from concurrent writers.
        live_grants = await asyncio.gather(*(grants.grant(guest) for _ in range(3)))
        live = await client.notifications("2", 3)
        assert {node["subjectId"] for node in live} == set(live_grants)
        await client.assert_quiet()
    everything = [*replayed, *live]
    assert [pk_of(node) for node in everything] == (await db_notification_ids(api, guest))[1:]
    cursors = [node["cursor"] for node in everything]
    assert len(set(cursors)) == len(cursors)

    # Resuming from the newest cursor replays nothing; a resume point in the middle replays
    # exactly what follows it.
    async with signed_in(api, guest) as client:
        await subscribe_received(client, statements, "3", after=everything[-1]["cursor"])
        await subscribe_received(client, statements, "4", after=everything[2]["cursor"])
        assert await client.notifications("4", 3) == everything[3:]
        await client.assert_quiet()


async def test_resume_replays_more_than_one_batch(api: Api, statements: list[str]) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    grants = Grants(api, world)
    await grants.grant(guest)
    (start,) = await nodes_of(api, guest)
    assert guest.pk is not None
    async with api.db.transaction() as (session, outbox):
        for n in range(230):
            await service.notify(
                session,
                outbox,
                user_id=guest.pk,
                kind="TEST",
                message=Text(f"message {n}", f"message {n}"),
            )
    expected = (await db_notification_ids(api, guest))[1:]
    assert len(expected) == 230

    async with signed_in(api, guest) as client:
        await subscribe_received(client, statements, "1", after=start["cursor"])
        replayed = await client.notifications("1", 230)
        assert [pk_of(node) for node in replayed] == expected
        assert [node["message"] for node in replayed] == [f"message {n}" for n in range(230)]
        grant_id = await grants.grant(guest)
        assert (await client.notification("1"))["subjectId"] == grant_id
        await client.assert_quiet()


async def test_concurrent_writers_each_notification_delivered_once(
    api: Api, statements: list[str]
) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    grants = Grants(api, world)
    async with signed_in(api, guest) as client:
        await subscribe_received(client, statements, "1")
        granted = await asyncio.gather(*(grants.grant_and_revoke(guest) for _ in range(10)))
        stored = await db_notification_ids(api, guest)
        assert len(stored) == 20
        received = await client.notifications("1", 20)
        await client.assert_quiet()
    ids = [pk_of(node) for node in received]
    assert ids == stored, "each exactly once, in id order"
    assert all(a < b for a, b in itertools.pairwise(ids))
    kinds: dict[str, list[str]] = defaultdict(list)
    for node in received:
        kinds[node["subjectId"]].append(node["kind"])
    assert kinds == {
        grant_id: ["GUEST_ACCESS_GRANTED", "GUEST_ACCESS_REVOKED"] for grant_id in granted
    }


@pytest.mark.parametrize("after", ["not a cursor", "WyJ4Il0=", "WzEsMl0=", "W10=", "x" * 600])
async def test_subscription_refuses_a_malformed_cursor(api: Api, after: str) -> None:
    guest = await make_user(api, "guest")
    async with signed_in(api, guest) as client:
        await client.subscribe("1", RECEIVED, {"after": after})
        message = await client.receive("1")
        assert message["type"] == "next", message
        assert message["payload"].get("data") is None, message
        codes = [error["extensions"]["code"] for error in message["payload"]["errors"]]
        assert codes == ["BAD_USER_INPUT"], message
        assert (await client.receive("1"))["type"] == "complete"
        # The connection stays usable.
        await client.subscribe("2", RECEIVED)
        await client.send({"id": "2", "type": "complete"})
        await client.assert_quiet()


async def _notify(api: Api, user_pk: int, message: str) -> None:
    async with api.db.transaction() as (session, outbox):
        await service.notify(
            session, outbox, user_id=user_pk, kind="TEST", message=Text(message, message)
        )


async def _waiting_for_stream_lock(api: Api, user_pk: int) -> bool:
    row = await api.db.fetch_one(
        text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND classid = :lock_class AND objid = :user_pk AND objsubid = 2 "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        ).bindparams(lock_class=service.STREAM_LOCK_CLASS, user_pk=user_pk)
    )
    return row is not None and row[0] > 0


async def test_writers_to_one_stream_commit_in_id_order(api: Api, statements: list[str]) -> None:
    """A notification whose id was drawn first cannot commit after a later one: the
    subscriber, having seen the later id, would never look below it again."""
    guest = await make_user(api, "guest")
    assert guest.pk is not None
    async with signed_in(api, guest) as client:
        await subscribe_received(client, statements, "1")
        async with api.db.transaction() as (session, outbox):
            await service.notify(
                session, outbox, user_id=guest.pk, kind="TEST", message=Text("first", "first")
            )
            second = asyncio.create_task(_notify(api, guest.pk, "second"))
            async with asyncio.timeout(RECEIVE_TIMEOUT):
                while not second.done():
                    if await _waiting_for_stream_lock(api, guest.pk):
                        break
                    await asyncio.sleep(0.01)
            assert not second.done(), "the second writer must wait for the first to commit"
        await asyncio.wait_for(second, RECEIVE_TIMEOUT)
        received = await client.notifications("1", 2)
        assert [node["message"] for node in received] == ["first", "second"]
        assert [pk_of(node) for node in received] == await db_notification_ids(api, guest)
        await client.assert_quiet()


# --------------------------------------------------------------------------- expiry


async def _expect_unauthenticated_instead_of_delivery(
    api: Api, client: GraphQLWebSocket, grants: Grants, guest: Person
) -> None:
    await grants.grant(guest)
    message = await client.receive("1")
    assert message["type"] == "next", message
    assert message["payload"].get("data") is None, message
    codes = [error["extensions"]["code"] for error in message["payload"]["errors"]]
    assert codes == ["UNAUTHENTICATED"], message
    assert (await client.receive("1"))["type"] == "complete"
    await client.assert_quiet()


async def test_subscription_ends_when_token_expires_by_the_server_clock(
    api: Api, clock: Clock, statements: list[str]
) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    grants = Grants(api, world)
    assert guest.token is not None
    async with signed_in(api, guest) as client:
        await subscribe_received(client, statements, "1")
        first = await grants.grant(guest)
        assert (await client.notification("1"))["subjectId"] == first
        clock.advance(timedelta(seconds=api.settings.dev_token_ttl_seconds + 60))
        await _expect_unauthenticated_instead_of_delivery(api, client, grants, guest)


async def test_subscription_ends_when_short_lived_token_expires(
    api: Api, statements: list[str]
) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    grants = Grants(api, world)
    short = Person(guest.key, guest.pk, guest.subject, api.token(guest.subject, ttl_seconds=2))
    expires = time.time() + 2
    async with signed_in(api, short) as client:
        await subscribe_received(client, statements, "1")
        await asyncio.sleep(max(0.0, expires - time.time()) + 0.1)
        await _expect_unauthenticated_instead_of_delivery(api, client, grants, guest)


# --------------------------------------------------------------------------- connection


def _foreign_token(api: Api, subject: str, tmp_path: Any) -> str:
    """A well-formed token signed by a key the server does not trust."""
    foreign = Settings(environment="development", data_dir=tmp_path)
    return issue_dev_token(foreign, subject=subject, name="Mallory")


@pytest.mark.parametrize(
    "kind", ["garbage", "foreign_key", "expired", "missing", "empty", "not_bearer", "not_string"]
)
async def test_connection_init_refused_with_4403(api: Api, kind: str, tmp_path: Any) -> None:
    guest = await make_user(api, "guest")
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    payloads: dict[str, dict[str, Any]] = {
        "garbage": bearer("not.a.token"),
        "foreign_key": bearer(_foreign_token(api, guest.subject, tmp_path)),
        "expired": bearer(api.token(guest.subject, ttl_seconds=60, now=long_ago)),
        "missing": {},
        "empty": {"authorization": ""},
        "not_bearer": {"authorization": f"Basic {guest.token}"},
        "not_string": {"authorization": 42},
    }
    payload = payloads[kind]
    async with ws_connect(api.ws_url) as client:
        await client.send({"type": "connection_init", "payload": payload})
        assert await closed_with(client) == 4403


async def test_connection_init_timeout_closes_with_4408(api: Api) -> None:
    timeout = api.settings.websocket_init_timeout_seconds
    async with ws_connect(api.ws_url) as client:
        started = time.monotonic()
        assert await closed_with(client, within=timeout + 5) == 4408
        assert time.monotonic() - started >= timeout - 0.2


async def test_legacy_connection_init_timeout(api: Api) -> None:
    timeout = api.settings.websocket_init_timeout_seconds
    async with ws_connect(api.ws_url, LEGACY_WS) as client:
        assert await closed_with(client, within=timeout + 2) is not None


async def test_subscribe_before_ack_closes_with_4401(api: Api) -> None:
    async with ws_connect(api.ws_url) as client:
        await client.subscribe("1", RECEIVED)
        assert await closed_with(client) == 4401
    async with ws_connect(api.ws_url, LEGACY_WS) as client:
        await client.subscribe("1", RECEIVED)
        assert await closed_with(client) == 4401


async def test_legacy_graphql_ws_protocol(api: Api, statements: list[str]) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    grants = Grants(api, world)
    async with signed_in(api, guest, LEGACY_WS) as client:
        await subscribe_received(client, statements, "1")
        grant_id = await grants.grant(guest)
        received = await client.notification("1")
        assert received["subjectId"] == grant_id
        assert received == (await nodes_of(api, guest))[0]
        await client.send({"id": "1", "type": "stop"})
        assert await client.receive("1") == {"type": "complete", "id": "1"}
        await grants.revoke(grant_id)
        await client.assert_quiet()

    async with ws_connect(api.ws_url, LEGACY_WS) as client:
        refused = await client.init(bearer("not.a.token"))
        assert refused["type"] == "connection_error", refused
        assert await closed_with(client) is not None


async def test_invalid_operations_over_websocket(api: Api) -> None:
    """An operation that fails validation gets a coded `error` and the socket lives on."""
    guest = await make_user(api, "guest")
    async with signed_in(api, guest) as client:
        for op_id, query in (
            ("unknown", "subscription { nothingHere { id } }"),
            ("args", "subscription { notificationReceived(after: 5) { id } }"),
        ):
            await client.subscribe(op_id, query)
            message = await client.receive(op_id)
            assert message["type"] == "error", message
            assert [error["extensions"]["code"] for error in message["payload"]] == [
                "BAD_USER_INPUT"
            ]
        await client.subscribe("ok", "subscription { notificationReceived { id } }")
        await client.assert_quiet(0.3)


@pytest.mark.parametrize(
    "query",
    ["subscription { notificationReceived {", "subscription { " + "__typename " * 6000 + "}"],
    ids=["syntax", "too-many-tokens"],
)
async def test_unparsable_operation_closes_the_socket_with_the_reason(api: Api, query: str) -> None:
    """graphql-transport-ws: a document that does not parse closes the socket (4400)."""
    guest = await make_user(api, "guest")
    async with signed_in(api, guest) as client:
        await client.subscribe("bad", query)
        assert await closed_with(client) == 4400
        assert client.ws.close_reason is not None
        assert "Syntax Error" in client.ws.close_reason
