"""`chatDirectOpen` and direct chats: two neighbours who share a building, one chat per
pair (concurrent openers agree), read-only once the building is no longer shared."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import insert

from edom_graphql.chats import service
from edom_graphql.core.db import Database
from edom_graphql.core.ids import encode_id
from edom_graphql.residents.models import Registration
from tests.chats.operations import (
    NODE,
    OPEN_DIRECT,
    bodies,
    send,
    sent,
)
from tests.factories import Api, make_user, make_world


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
