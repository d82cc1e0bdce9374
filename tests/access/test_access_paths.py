"""Every path to an object goes through its type's gatekeeper, as ``node`` does: nested
fields never hand a viewer what ``node(id)`` would refuse them (and every response of the
suite is checked for that by ``Api.assert_visible``). Access to a building's objects
follows the viewer's current tier, also for what they wrote or joined."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from edom_graphql.notifications.models import Notification
from edom_graphql.residents.models import GuestGrant, Registration
from tests.chats.operations import OPEN_DIRECT, REPORT, building_chat_id, sent
from tests.factories import Api, Person, World, let_in, make_user, make_world
from tests.live import GraphQLWebSocket, signed_in
from tests.repairs import operations as repairs

REPORTED_MESSAGE = """
query ($id: ID!) {
  node(id: $id) {
    ... on ChatMessage {
      id body author { id }
      chat { id messages(first: 10) { nodes { id body } } }
    }
  }
}
"""
REQUEST = """
query ($id: ID!) {
  node(id: $id) {
    ... on RepairRequest {
      id author { id } building { id address premises(first: 5) { nodes { id area } } }
      history(first: 10) { nodes { id comment } } comments(first: 10) { nodes { id } }
    }
  }
}
"""
BUILDING_REQUESTS = """
query ($id: ID!) { building(id: $id) { repairRequests(first: 10) { nodes { id } } } }
"""
DIRECT_CHAT = """
query ($id: ID!) {
  node(id: $id) { ... on Chat { id building { id } otherParticipant { id } } }
}
"""
LISTING = """
mutation ($input: ListingCreateInput!) { listingCreate(input: $input) { listing { id } } }
"""
LISTING_AUTHOR = "query ($id: ID!) { node(id: $id) { ... on Listing { id author { id } } } }"
MESSAGE_AUTHOR = "query ($id: ID!) { node(id: $id) { ... on ChatMessage { id author { id } } } }"
NODE_ID = "query ($id: ID!) { node(id: $id) { id } }"
GRANT_PARTIES = """
query ($id: ID!) { node(id: $id) { ... on GuestGrant { grantee { id } grantor { id } } } }
"""
REVOKE = """
mutation ($input: GuestAccessRevokeInput!) { guestAccessRevoke(input: $input) { grant { id } } }
"""


async def revoke_grant(api: Api, world: World, key: str) -> None:
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(GuestGrant)
            .where(GuestGrant.id == world.grants[key])
            .values(revoked_at=datetime.now(UTC))
        )


async def move_out(api: Api, person: Person) -> None:
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(Registration)
            .where(Registration.user_id == person.pk)
            .values(ended_at=datetime.now(UTC))
        )


# -- a reported message opens that message to moderators, nothing more -----------------


async def test_moderators_read_the_reported_message_not_its_chat(api: Api) -> None:
    world = await make_world(api)
    chat_id = await building_chat_id(api, world)
    before = await sent(api, world["registered"], chat_id, "Соседи, кто потерял ключи?")
    abusive = await sent(api, world["resident"], chat_id, "Вы все идиоты")
    report = {"input": {"messageId": abusive["id"], "reason": "Оскорбления"}}
    assert (await api.gql(REPORT, report, as_=world["owner"]))["chatMessageReport"][
        "userErrors"
    ] == []
    await sent(api, world["owner"], chat_id, "Сообщение после жалобы")

    for moderator in ("dispatcher", "manager"):
        data = await api.gql(REPORTED_MESSAGE, {"id": abusive["id"]}, as_=world[moderator])
        message = data["node"]
        assert message["body"] == "Вы все идиоты"
        # the chat, its history and its later messages stay closed
        assert message["chat"] is None
        # the author is staff's to see (a user of their building)
        assert message["author"] == {"id": world["resident"].id}
        assert (await api.gql(MESSAGE_AUTHOR, {"id": before["id"]}, as_=world[moderator]))[
            "node"
        ] is None
        assert (await api.gql(DIRECT_CHAT, {"id": chat_id}, as_=world[moderator]))["node"] is None
    # a member sees the whole chat through the same path
    member = await api.gql(REPORTED_MESSAGE, {"id": abusive["id"]}, as_=world["registered"])
    assert [m["body"] for m in member["node"]["chat"]["messages"]["nodes"]] == [
        "Сообщение после жалобы",
        "Вы все идиоты",
        "Соседи, кто потерял ключи?",
    ]


# -- revoked and expired guests keep nothing of the building ---------------------------


async def test_revoked_guest_loses_their_repair_requests(api: Api) -> None:
    world = await make_world(api)
    guest = world["guest_basic"]
    request = await repairs.create(api, world, as_="guest_basic")
    apartment = await repairs.create(
        api, world, as_="guest_basic", scope="APARTMENT", premiseId=world.premise_id("1")
    )
    await api.gql(
        repairs.MUTATIONS["Comment"],
        {"input": {"requestId": request["id"], "comment": "Лифт всё ещё стоит"}},
        as_=world["dispatcher"],
    )
    seen = await api.gql(REQUEST, {"id": request["id"]}, as_=guest)
    assert seen["node"]["building"]["id"] == world.building_id
    assert (await api.gql(BUILDING_REQUESTS, {"id": world.building_id}, as_=guest))["building"][
        "repairRequests"
    ]["nodes"] != []

    await revoke_grant(api, world, "guest_basic")

    for request_id in (request["id"], apartment["id"]):
        assert (await api.gql(REQUEST, {"id": request_id}, as_=guest))["node"] is None
    assert (await api.gql(BUILDING_REQUESTS, {"id": world.building_id}, as_=guest)) == {
        "building": None
    }
    # nor may they act on them
    for action, extra in (("Comment", {"comment": "А теперь?"}), ("Cancel", {})):
        result = await api.post(
            repairs.MUTATIONS[action],
            {"input": {"requestId": apartment["id"], **extra}},
            as_=guest,
        )
        assert result.codes == ["FORBIDDEN"], result
    # and are told nothing more of them
    before = await api.db.fetch(select(Notification.id).where(Notification.user_id == guest.pk))
    for action, extra in (("Accept", {}), ("Comment", {"comment": "Принято"})):
        done = await api.gql(
            repairs.MUTATIONS[action],
            {"input": {"requestId": apartment["id"], **extra}},
            as_=world["dispatcher"],
        )
        assert done[f"repairRequest{action}"]["userErrors"] == []
    after = await api.db.fetch(select(Notification.id).where(Notification.user_id == guest.pk))
    assert after == before


async def test_revoked_guest_stops_receiving_request_events(api: Api) -> None:
    world = await make_world(api)
    guest = world["guest_basic"]
    request = await repairs.create(
        api, world, as_="guest_basic", scope="APARTMENT", premiseId=world.premise_id("1")
    )
    events = """subscription ($id: ID!, $after: String) {
      repairRequestEvents(requestId: $id, after: $after) { kind request { id status } } }"""
    history = await api.gql(
        "query ($id: ID!) { node(id: $id) { ... on RepairRequest { history(first: 1) "
        "{ nodes { cursor } } } } }",
        {"id": request["id"]},
        as_=guest,
    )
    created = history["node"]["history"]["nodes"][0]["cursor"]
    async with signed_in(api, guest) as client:
        await client.subscribe("e", events, {"id": request["id"], "after": created})
        await api.gql(
            repairs.MUTATIONS["Accept"],
            {"input": {"requestId": request["id"]}},
            as_=world["dispatcher"],
        )
        got = (await client.next("e"))["repairRequestEvents"]
        assert got["request"]["status"] == "ACCEPTED"
        await revoke_grant(api, world, "guest_basic")
        staff_comment = {"input": {"requestId": request["id"], "comment": "Мастер придёт завтра"}}
        commented = await api.gql(
            repairs.MUTATIONS["Comment"], staff_comment, as_=world["dispatcher"]
        )
        assert commented["repairRequestComment"]["userErrors"] == []
        await _assert_forbidden(client, "e")


async def _assert_forbidden(client: GraphQLWebSocket, op_id: str) -> None:
    message = await client.receive(op_id)
    assert [e["extensions"]["code"] for e in message["payload"]["errors"]] == ["FORBIDDEN"]


async def test_a_direct_chat_shows_no_building_once_it_is_not_shared(api: Api) -> None:
    world = await make_world(api)
    guest, owner = world["guest_basic"], world["owner"]
    opened = await api.gql(OPEN_DIRECT, {"input": {"userId": guest.id}}, as_=owner)
    chat_id = opened["chatDirectOpen"]["chat"]["id"]
    inside = await api.gql(DIRECT_CHAT, {"id": chat_id}, as_=guest)
    assert inside["node"] == {
        "id": chat_id,
        "building": {"id": world.building_id},
        "otherParticipant": {"id": owner.id},
    }
    await revoke_grant(api, world, "guest_basic")
    # the chat stays the guest's to read; the building and the host are gone from it
    outside = await api.gql(DIRECT_CHAT, {"id": chat_id}, as_=guest)
    assert outside["node"] == {"id": chat_id, "building": None, "otherParticipant": None}
    for someone in (owner, guest):
        # and each no longer sees the other elsewhere either
        other = guest if someone is owner else owner
        node = await api.gql(
            "query ($id: ID!) { node(id: $id) { id } }", {"id": other.id}, as_=someone
        )
        assert node["node"] is None


# -- what someone wrote in a building they left ------------------------------------------


async def test_authors_who_left_are_not_shown(api: Api) -> None:
    world = await make_world(api)
    registered = world["registered"]
    chat_id = await building_chat_id(api, world)
    message = await sent(api, registered, chat_id, "Продаю велосипед")
    listing = await api.gql(
        LISTING,
        {
            "input": {
                "buildingId": world.building_id,
                "category": "SELL",
                "title": "Велосипед",
                "body": "Почти новый",
            }
        },
        as_=registered,
    )
    listing_id = listing["listingCreate"]["listing"]["id"]
    request = await repairs.create(api, world, as_="registered")
    for query, node_id in (
        (MESSAGE_AUTHOR, message["id"]),
        (LISTING_AUTHOR, listing_id),
        (REQUEST, request["id"]),
    ):
        before = await api.gql(query, {"id": node_id}, as_=world["owner"])
        assert before["node"]["author"] == {"id": registered.id}

    await move_out(api, registered)

    for query, node_id, viewers in (
        (MESSAGE_AUTHOR, message["id"], ("owner",)),  # staff do not read the building chat
        (LISTING_AUTHOR, listing_id, ("owner", "manager")),
        (REQUEST, request["id"], ("owner", "manager")),
    ):
        for viewer in viewers:
            after = await api.gql(query, {"id": node_id}, as_=world[viewer])
            assert after["node"]["author"] is None, (query, viewer)


async def test_a_grants_guest_is_not_shown_once_it_has_ended(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    grant_id = await let_in(
        api,
        world["owner"],
        guest,
        world.premise_id("1"),
        expires_at=datetime.now(UTC) + timedelta(hours=1),
    )
    grant = (
        "query ($id: ID!) { node(id: $id) { ... on GuestGrant { grantee { id } grantor { id } } } }"
    )
    assert (await api.gql(grant, {"id": grant_id}, as_=world["owner"]))["node"] == {
        "grantee": {"id": guest.id},
        "grantor": {"id": world["owner"].id},
    }
    await api.gql(
        REVOKE,
        {"input": {"grantId": grant_id}},
        as_=world["owner"],
    )
    # the record stays the host's and the guest's, the other party does not
    assert (await api.gql(grant, {"id": grant_id}, as_=world["owner"]))["node"] == {
        "grantee": None,
        "grantor": {"id": world["owner"].id},
    }
    assert (await api.gql(grant, {"id": grant_id}, as_=guest))["node"] == {
        "grantee": {"id": guest.id},
        "grantor": None,
    }
