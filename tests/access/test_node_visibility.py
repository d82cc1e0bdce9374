"""Object visibility through every path: ``node``, ``nodes`` and nested fields.

For each node type and each person of ``make_world``: who gets the object and who gets
null (written out by hand below). A viewer never receives a building, premise, user or
grant they may not see; revoked and expired guests lose access at once.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from graphql import ObjectTypeDefinitionNode, parse
from sqlalchemy import delete, insert, select, update

from edom_graphql.billing.models import Bill, BillKind, Payment, PaymentStatus
from edom_graphql.buildings.models import Building, ManagementOrganisation, Premise, PremiseKind
from edom_graphql.core.execution import node_types_of
from edom_graphql.core.ids import decode_id, encode_id
from edom_graphql.events.models import Event
from edom_graphql.intercom import models as intercom
from edom_graphql.notifications.models import Notification
from edom_graphql.points.models import PointEntry, RewardKind
from edom_graphql.points.service import catalogue
from edom_graphql.repairs.models import RepairRequestEvent
from edom_graphql.residents.models import GuestGrant, GuestLevel, Ownership, User
from edom_graphql.schema import build_schema
from tests.factories import (
    ALL_PEOPLE,
    ANONYMOUS,
    INVITE,
    Api,
    Clock,
    GraphQLResult,
    Person,
    World,
    let_in,
    make_user,
    make_world,
)
from tests.meetings.operations import VOTE
from tests.meetings.scene import (
    drafted,
    entries_by_owner,
    meeting_input,
    registered_attorney,
    voting_since,
)
from tests.notices.operations import POST as NOTICE_POST
from tests.notices.operations import WITHDRAW as NOTICE_WITHDRAW
from tests.notices.scene import content as notice_content


async def invitation_id(api: Api, grantor: Person, premise_id: str) -> str:
    """A pending invitation of ``grantor`` to the premise."""
    values = {
        "premiseId": premise_id,
        "level": "BASIC",
        "expiresAt": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
    }
    payload = (await api.gql(INVITE, {"input": values}, as_=grantor))["guestInvitationCreate"]
    found: str = payload["invitation"]["id"]
    return found


# A guest whom the registered user of apartment 2 let in through the API (the
# notification of that grant is the Notification under test).
VIEWERS = (*ALL_PEOPLE, "visitor")
NODE_TYPES = (
    "Building",
    "Premise",
    "ManagementOrganisation",
    "User",
    "GuestGrant",
    "GuestInvitation",
    "Ownership",
    "Notification",
    "Device",
    "Vehicle",
    "Event",
    "Poll",
    "Listing",
    "Chat",
    "ChatMessage",
    "RepairRequest",
    "RepairRequestEvent",
    "Meeting",
    "MeetingRegister",
    "MeetingRegisterEntry",
    "PowerOfAttorney",
    "PointEntry",
    "Reward",
    "RewardRedemption",
    "Meter",
    "MeterReading",
    "Bill",
    "Payment",
    "Notice",
    "Entrance",
    "IntercomPanel",
    "IntercomApplication",
    "IntercomCode",
    "IntercomEntry",
    "IntercomCall",
)
PUBLIC_TYPES = {"Event", "Reward"}
"""City-wide reference data: any signed-in viewer sees every row."""

# -- who may see what, by hand ---------------------------------------------------------

TIER_HOLDERS = {
    "owner",
    "co_owner",
    "registered",
    "resident",
    "guest_elevated",
    "guest_basic",
    "guest_initial",
    "visitor",
}
DIRECTORY = TIER_HOLDERS - {"guest_initial"}  # the neighbours directory (no initial guests)
STAFF = {"dispatcher", "engineer", "manager"}
IN_BUILDING = TIER_HOLDERS | STAFF | {"admin"}
IN_OTHER_BUILDING = {"stranger", "other_staff", "admin"}

VISIBLE: dict[str, set[str]] = {
    # buildings, premises, organisations: current tier holders, the organisation's staff,
    # the admin; never expired or revoked guests, strangers, other organisations' staff
    "building": IN_BUILDING,
    "premise_1": IN_BUILDING,
    "premise_4": IN_BUILDING,  # nobody lives there
    "organisation": IN_BUILDING,
    "other_building": IN_OTHER_BUILDING,
    "other_premise": IN_OTHER_BUILDING,
    "other_organisation": IN_OTHER_BUILDING,
    # users: themselves; the members of their building now (occupants, and guests while
    # their grant runs) for whoever holds the directory there, and for the building's
    # staff; the other party of a running grant, and whoever manages guest access at its
    # premise; the admin. An ended grant ties nobody: expired and revoked guests see
    # their host no longer, nor the host them.
    "user_owner": {"owner", "guest_initial", "admin"} | DIRECTORY | STAFF,
    "user_registered": {"registered", "admin"} | DIRECTORY | STAFF,
    "user_guest_basic": {"guest_basic", "admin"} | DIRECTORY | STAFF,
    "user_guest_expired": {"guest_expired", "admin"},
    "user_guest_revoked": {"guest_revoked", "admin"},
    "user_visitor": {"visitor", "admin"} | DIRECTORY | STAFF,
    "user_stranger": {"stranger", "other_staff", "admin"},
    "user_newcomer": {"newcomer", "admin"},
    # guest grants: grantor, grantee, and whoever manages guest access at the premise
    "grant_guest_basic": {"owner", "co_owner", "guest_basic"},
    "grant_guest_expired": {"owner", "co_owner", "guest_expired"},
    "grant_guest_revoked": {"owner", "co_owner", "guest_revoked"},
    "grant_visitor": {"registered", "visitor"},
    # an invitation: its grantor and whoever manages guest access at its premise, never a
    # guest (who holds a code, not the invitation)
    "invitation": {"owner", "co_owner"},
    # ownership records: the register of owners (owners and staff of the building)
    "ownership_owner": {"owner", "co_owner"} | STAFF,
    "ownership_stranger": {"stranger", "other_staff"},
    # notifications: the recipient only
    "notification_visitor": {"visitor"},
    # push devices: their user only; a removed one nobody
    "device_owner": {"owner"},
    "device_removed": set(),
    # vehicles: a plate is personal data: the owner and the staff of their building,
    # never neighbours
    "vehicle_owner": {"owner"} | STAFF,
    # events: city-wide, public to every signed-in viewer
    "event": set(VIEWERS),
    # polls: read like notices, by whoever sees the building
    "poll": IN_BUILDING,
    # listings: whoever reads the building's board (LISTINGS_VIEW: not the admin); a
    # removed one only the building's staff and its author
    "listing": IN_BUILDING - {"admin"},
    "listing_removed": {"registered"} | STAFF,
    # chats: their members only. The building chat: tiers down to basic guests (the
    # visitor is one), never staff or the admin; a management chat: the premise's
    # occupants down to elevated guests and the organisation's staff; a direct chat: its
    # two members. A message: whoever is in its chat.
    "chat_building": DIRECTORY,
    "chat_management": {"owner", "co_owner", "guest_elevated"} | STAFF,
    "chat_direct": {"owner", "registered"},
    "chat_message": DIRECTORY,
    "chat_message_direct": {"owner", "registered"},
    # a reported building-chat message: also its moderators (dispatchers and managers)
    "chat_message_reported": DIRECTORY | {"dispatcher", "manager"},
    # repair requests: the organisation's staff; the author; residents who may file
    # requests (not initial guests, not the admin) see building and yard requests, never
    # a neighbour's apartment request; an event is visible with its request
    "repair_building": DIRECTORY | STAFF,
    "repair_apartment": {"registered"} | STAFF,
    "repair_apartment_event": {"registered"} | STAFF,
    # owners' meetings: one put to the owners (here voting) is read like the building's
    # notices; a draft only by its initiator, who administers the building's first
    # meeting. The register (names, how each voted): the building's owners and staff and
    # the administrator (here an owner). An entry also its owner and the representative a
    # power of attorney names for them; a power of attorney the administrator, the
    # building's staff and the two people it names.
    "meeting": IN_BUILDING,
    "meeting_draft": {"co_owner"},
    "meeting_register": {"owner", "co_owner"} | STAFF,
    "entry_owner": {"owner", "co_owner"} | STAFF,
    "entry_co_owner": {"owner", "co_owner", "resident"} | STAFF,
    "power_of_attorney": {"owner", "co_owner", "resident"} | STAFF,
    # city points: a ledger entry and a redemption are their user's own (not the staff's,
    # not the admin's); the catalogue is every signed-in user's
    "point_entry": {"owner"},
    "reward": set(VIEWERS),
    "redemption": {"owner"},
    # meters of apartment 1 and their readings: its occupants down to elevated guests
    # (HOUSEHOLD_RECORDS_VIEW at the premise) and the building's staff; not the
    # neighbours, the lower guests or the admin
    "meter": {"owner", "co_owner", "guest_elevated"} | STAFF,
    "meter_reading": {"owner", "co_owner", "guest_elevated"} | STAFF,
    # a bill of apartment 1 and a payment of it (by its elevated guest): household
    # records, read like its meters
    "bill": {"owner", "co_owner", "guest_elevated"} | STAFF,
    "payment": {"owner", "co_owner", "guest_elevated"} | STAFF,
    # notices: a notice to the whole building is read by whoever reads the building's
    # notices (NOTICES_VIEW); a withdrawn one leaves the residents' lists but its id (in
    # their notification of it) still shows it, flagged (entrance-scoped notices:
    # tests/notices/test_access.py)
    "notice": IN_BUILDING,
    "notice_withdrawn": IN_BUILDING,
    # the intercom: entrance 1, its panel and its application are seen with the building;
    # apartment 1's code and entry log are household records (an opening also by the
    # basic guest who made it), a key fob's entry (no premise) only the staff's; a call
    # to apartment 1 reaches its occupants, every tier and guest level, not staff
    "entrance": IN_BUILDING,
    "intercom_panel": IN_BUILDING,
    "intercom_application": IN_BUILDING,
    "intercom_code": {"owner", "co_owner", "guest_elevated"} | STAFF,
    "intercom_entry": {"owner", "co_owner", "guest_elevated", "guest_basic"} | STAFF,
    "intercom_fob_entry": STAFF,
    "intercom_call": {"owner", "co_owner", "guest_elevated", "guest_basic", "guest_initial"},
}

# Cells that fail because of known bugs outside the access code this file may fix.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


@dataclass
class Scene:
    world: World
    visitor: Person
    ids: dict[str, str] = field(default_factory=dict)
    objects: dict[str, dict[str, Any]] = field(default_factory=dict)

    def person(self, key: str) -> Person:
        if key == "visitor":
            return self.visitor
        return ANONYMOUS if key == "anonymous" else self.world[key]


def pk_of_id(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


async def read(api: Api, statement: Any) -> list[Any]:
    """Rows read straight from the database (in a transaction of its own)."""
    async with api.db.transaction() as (session, _):
        return list((await session.execute(statement)).all())


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scene(api: Api, clock: Clock) -> Scene:
    world = await make_world(api)
    visitor = await make_user(api, "visitor")
    assert visitor.pk is not None
    grant_id = await let_in(
        api,
        world["registered"],
        visitor,
        world.premise_id("2"),
        expires_at=datetime.now(UTC) + timedelta(days=10),
    )
    visitor_grant = decode_id(grant_id)
    assert visitor_grant is not None
    pending = decode_id(await invitation_id(api, world["owner"], world.premise_id("1")))
    assert pending is not None

    scene = Scene(world, visitor)
    buildings = {
        pk: address
        for pk, address in await read(
            api,
            select(Building.id, Building.address).where(
                Building.id.in_([world.building_pk, world.other_building_pk])
            ),
        )
    }
    organisations = {
        pk: name
        for pk, name in await read(
            api,
            select(ManagementOrganisation.id, ManagementOrganisation.name).where(
                ManagementOrganisation.id.in_([world.organisation_pk, world.other_organisation_pk])
            ),
        )
    }
    ownerships = {
        user: pk
        for pk, user in await read(
            api,
            select(Ownership.id, Ownership.user_id).where(
                Ownership.user_id.in_([world["owner"].pk, world["stranger"].pk])
            ),
        )
    }
    (notification,) = await read(
        api, select(Notification.id, Notification.kind).where(Notification.user_id == visitor.pk)
    )
    assert notification[1] == "GUEST_ACCESS_GRANTED"
    vehicle = await api.gql(
        "mutation ($input: VehicleAddInput!) { vehicleAdd(input: $input) { vehicle { id } } }",
        {"input": {"plate": "М 001 ММ 777"}},
        as_=world["owner"],
    )
    vehicle_pk = decode_id(vehicle["vehicleAdd"]["vehicle"]["id"])
    assert vehicle_pk is not None

    def add(target: str, type_name: str, pk: int, **fields: Any) -> None:
        scene.ids[target] = encode_id(type_name, pk)
        scene.objects[target] = {"__typename": type_name, "id": scene.ids[target], **fields}

    for name, pk in (("building", world.building_pk), ("other_building", world.other_building_pk)):
        add(name, "Building", pk, address=buildings[pk])
    for name, pk in (
        ("organisation", world.organisation_pk),
        ("other_organisation", world.other_organisation_pk),
    ):
        add(name, "ManagementOrganisation", pk, name=organisations[pk])
    add("premise_1", "Premise", world.premises["1"], number="1")
    add("premise_4", "Premise", world.premises["4"], number="4")
    add("other_premise", "Premise", world.other_premises["1"], number="1")
    for key in ("owner", "registered", "guest_basic", "guest_expired", "guest_revoked"):
        add(f"user_{key}", "User", world[key].pk or 0, displayName=key.replace("_", " ").title())
    for key in ("stranger", "newcomer"):
        add(f"user_{key}", "User", world[key].pk or 0, displayName=key.title())
    add("user_visitor", "User", visitor.pk, displayName="visitor")
    add("grant_guest_basic", "GuestGrant", world.grants["guest_basic"], level="BASIC")
    add("grant_guest_expired", "GuestGrant", world.grants["guest_expired"], level="ELEVATED")
    add("grant_guest_revoked", "GuestGrant", world.grants["guest_revoked"], level="ELEVATED")
    add("grant_visitor", "GuestGrant", visitor_grant[1], level="BASIC")
    add("invitation", "GuestInvitation", pending[1], status="PENDING")
    half = {"numerator": 1, "denominator": 2}
    add("ownership_owner", "Ownership", ownerships[world["owner"].pk], share=half)
    whole = {"numerator": 1, "denominator": 1}
    add("ownership_stranger", "Ownership", ownerships[world["stranger"].pk], share=whole)
    add("notification_visitor", "Notification", notification[0], kind="GUEST_ACCESS_GRANTED")
    add("vehicle_owner", "Vehicle", vehicle_pk[1], plate="М 001 ММ 777")
    for target in ("device_owner", "device_removed"):
        registered = await api.gql(
            "mutation ($input: DeviceRegisterInput!) { deviceRegister(input: $input) "
            "{ device { id } } }",
            {
                "input": {
                    "platform": "FCM",
                    "token": f"fcm-{uuid.uuid4().hex}",
                    "deviceName": target,
                }
            },
            as_=world["owner"],
        )
        device_id = registered["deviceRegister"]["device"]["id"]
        add(target, "Device", (decode_id(device_id) or ("", 0))[1], name=target)
    await api.gql(
        "mutation ($input: DeviceRemoveInput!) { deviceRemove(input: $input) { removedDeviceId } }",
        {"input": {"id": scene.ids["device_removed"]}},
        as_=world["owner"],
    )
    async with api.db.transaction() as (session, _):
        starts = datetime.now(UTC) + timedelta(days=3)
        event_pk = (
            await session.execute(
                insert(Event)
                .values(
                    title="Субботник",
                    description="Уборка двора.",
                    place="Двор",
                    latitude=Decimal("55.75"),
                    longitude=Decimal("37.61"),
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=3),
                )
                .returning(Event.id)
            )
        ).scalar_one()
    add("event", "Event", event_pk, title="Субботник")
    poll = await api.gql(
        "mutation ($input: PollCreateInput!) { pollCreate(input: $input) { poll { id } } }",
        {
            "input": {
                "buildingId": world.building_id,
                "question": "Ставим шлагбаум?",
                "options": ["Да", "Нет"],
                "multipleChoice": False,
                "resultsVisibility": "AFTER_CLOSE",
                "closesAt": (datetime.now(UTC) + timedelta(days=5)).isoformat(),
            }
        },
        as_=world["owner"],
    )
    poll_pk = decode_id(poll["pollCreate"]["poll"]["id"])
    assert poll_pk is not None
    add("poll", "Poll", poll_pk[1], question="Ставим шлагбаум?")
    for key, title in (("listing", "Отдам коляску"), ("listing_removed", "Продам гараж")):
        listing = await api.gql(
            "mutation ($input: ListingCreateInput!) "
            "{ listingCreate(input: $input) { listing { id } } }",
            {
                "input": {
                    "buildingId": world.building_id,
                    "category": "OTHER",
                    "title": title,
                    "body": "Подробности в личке.",
                }
            },
            as_=world["registered"],
        )
        listing_id = listing["listingCreate"]["listing"]["id"]
        listing_pk = decode_id(listing_id)
        assert listing_pk is not None
        add(key, "Listing", listing_pk[1], title=title)
    await api.gql(
        "mutation ($input: ListingRemoveInput!) "
        "{ listingRemove(input: $input) { userErrors { code } } }",
        {"input": {"listingId": scene.ids["listing_removed"], "reason": "Не по теме"}},
        as_=world["manager"],
    )
    chats = await api.gql(
        "query ($b: ID!, $p: ID!) { building(id: $b) { chat { id } } "
        "node(id: $p) { ... on Premise { managementChat { id } } } }",
        {"b": world.building_id, "p": world.premise_id("1")},
        as_=world["owner"],
    )
    direct = await api.gql(
        "mutation ($input: ChatDirectOpenInput!) { chatDirectOpen(input: $input) { chat { id } } }",
        {"input": {"userId": world["registered"].id}},
        as_=world["owner"],
    )
    chat_ids = {
        "chat_building": chats["building"]["chat"]["id"],
        "chat_management": chats["node"]["managementChat"]["id"],
        "chat_direct": direct["chatDirectOpen"]["chat"]["id"],
    }
    for key, chat_id in chat_ids.items():
        add(key, "Chat", (decode_id(chat_id) or ("", 0))[1], chatKind=key.split("_")[1].upper())
    for key, chat in (
        ("chat_message", "chat_building"),
        ("chat_message_direct", "chat_direct"),
        ("chat_message_reported", "chat_building"),
    ):
        message = await api.gql(
            "mutation ($input: ChatMessageSendInput!) "
            "{ chatMessageSend(input: $input) { message { id } } }",
            {"input": {"chatId": chat_ids[chat], "body": f"Сообщение в {chat}"}},
            as_=world["owner"],
        )
        message_id = message["chatMessageSend"]["message"]["id"]
        add(key, "ChatMessage", (decode_id(message_id) or ("", 0))[1], body=f"Сообщение в {chat}")
    for key, author, fields in (
        ("repair_building", "owner", {"scope": "BUILDING", "category": "LIFT"}),
        (
            "repair_apartment",
            "registered",
            {"scope": "APARTMENT", "category": "PLUMBING", "premiseId": world.premise_id("2")},
        ),
    ):
        description = f"Something is broken: {key}"
        created = await api.gql(
            "mutation ($input: RepairRequestCreateInput!) "
            "{ repairRequestCreate(input: $input) { repairRequest { id } userErrors { code } } }",
            {"input": {"buildingId": world.building_id, "description": description, **fields}},
            as_=world[author],
        )
        assert created["repairRequestCreate"]["userErrors"] == []
        request_pk = decode_id(created["repairRequestCreate"]["repairRequest"]["id"])
        assert request_pk is not None
        add(key, "RepairRequest", request_pk[1], description=description)
    ((event_pk,),) = await read(
        api,
        select(RepairRequestEvent.id).where(
            RepairRequestEvent.request_id == decode_id(scene.ids["repair_apartment"])[1]  # type: ignore[index]
        ),
    )
    add("repair_apartment_event", "RepairRequestEvent", event_pk, toStatus="NEW")
    reported = await api.gql(
        "mutation ($input: ChatMessageReportInput!) "
        "{ chatMessageReport(input: $input) { reported } }",
        {"input": {"messageId": scene.ids["chat_message_reported"], "reason": "Спам"}},
        as_=world["registered"],
    )
    assert reported["chatMessageReport"]["reported"] is True

    # the building's first owners' meeting, voting since five days ago: the owner
    # initiates and administers it, has voted, and has registered the power of attorney
    # by which the resident represents the co-owner; and the co-owner's draft
    owner, co_owner, resident = world["owner"], world["co_owner"], world["resident"]
    meeting_id = await voting_since(
        api,
        clock,
        owner,
        owner,
        meeting_input(
            world.building_id,
            "Ремонт крыльца",
            ["Ремонт крыльца"],
            starts=clock(),
            choose_organisation=True,
        ),
    )
    entries = await entries_by_owner(api, owner, meeting_id)
    voted = await api.gql(
        VOTE,
        {
            "input": {
                "entryId": entries[owner.id],
                "decisions": [{"number": n, "decision": "FOR"} for n in (1, 2)],
            }
        },
        as_=owner,
    )
    assert voted["meetingVoteCast"]["userErrors"] == []
    attorney_id = await registered_attorney(
        api,
        owner,
        meeting_id,
        co_owner,
        resident,
        valid_from=clock() - timedelta(days=1),
        valid_until=clock() + timedelta(days=3),
    )
    draft_id = await drafted(
        api,
        co_owner,
        meeting_input(
            world.building_id,
            "Озеленение двора",
            ["Посадка деревьев"],
            starts=clock() + timedelta(days=20),
            choose_organisation=True,
        ),
    )
    meeting_pk = pk_of_id(meeting_id)
    add("meeting", "Meeting", meeting_pk, title="Ремонт крыльца")
    add("meeting_draft", "Meeting", pk_of_id(draft_id), title="Озеленение двора")
    add("meeting_register", "MeetingRegister", meeting_pk, totalArea="261.00")
    add("entry_owner", "MeetingRegisterEntry", pk_of_id(entries[owner.id]), area="41.00")
    add("entry_co_owner", "MeetingRegisterEntry", pk_of_id(entries[co_owner.id]), area="41.00")
    add(
        "power_of_attorney",
        "PowerOfAttorney",
        pk_of_id(attorney_id),
        documentNumber="77 АБ 1234567",
    )
    # the owner's award for the poll, a promo code of the catalogue she redeemed
    ((entry_pk, amount),) = await read(
        api,
        select(PointEntry.id, PointEntry.amount).where(
            PointEntry.source_key == f"poll:{poll_pk[1]}"
        ),
    )
    add("point_entry", "PointEntry", entry_pk, amount=amount)
    async with api.db.transaction() as (session, _):
        reward_pk = await catalogue.add_reward(
            session,
            catalogue.NewReward(
                kind=RewardKind.PROMO_CODE,
                title="Скидка на такси",
                partner="Такси",
                price=5,
                codes=["VISIBLE-1"],
            ),
        )
    add("reward", "Reward", reward_pk, title="Скидка на такси")
    redeemed = await api.gql(
        "mutation ($input: RewardRedeemInput!) "
        "{ rewardRedeem(input: $input) { redemption { id } userErrors { code } } }",
        {"input": {"rewardId": scene.ids["reward"], "idempotencyKey": "visibility"}},
        as_=owner,
    )
    assert redeemed["rewardRedeem"]["userErrors"] == []
    redemption_pk = pk_of_id(redeemed["rewardRedeem"]["redemption"]["id"])
    add("redemption", "RewardRedemption", redemption_pk, points=5)
    # a water meter of apartment 1, registered by the engineer, and its installation reading
    registered = await api.gql(
        "mutation ($input: MeterRegisterInput!) { meterRegister(input: $input) "
        "{ meter { id lastReadings { id } } userErrors { code } } }",
        {
            "input": {
                "premiseId": world.premise_id("1"),
                "kind": "COLD_WATER",
                "serialNumber": "ХВ-0001",
                "nextVerificationOn": (datetime.now(UTC) + timedelta(days=2000)).date().isoformat(),
            }
        },
        as_=world["engineer"],
    )
    assert registered["meterRegister"]["userErrors"] == []
    meter = registered["meterRegister"]["meter"]
    add("meter", "Meter", pk_of_id(meter["id"]), serialNumber="ХВ-0001")
    (installation,) = meter["lastReadings"]
    add("meter_reading", "MeterReading", pk_of_id(installation["id"]), value="0.000")
    # a bill of apartment 1 as the import writes one, and its payment by the elevated guest
    async with api.db.transaction() as (session, _):
        bill_pk = (
            await session.execute(
                insert(Bill)
                .values(
                    building_id=world.building_pk,
                    premise_id=world.premises["1"],
                    kind=BillKind.EPD,
                    period=202610,
                    amount=444_212,
                    due_on=datetime(2026, 11, 10).date(),
                )
                .returning(Bill.id)
            )
        ).scalar_one()
        payment_pk = (
            await session.execute(
                insert(Payment)
                .values(
                    bill_id=bill_pk,
                    premise_id=world.premises["1"],
                    building_id=world.building_pk,
                    user_id=world["guest_elevated"].pk,
                    idempotency_key="visibility",
                    amount=100_000,
                    status=PaymentStatus.PENDING,
                    provider="sandbox",
                )
                .returning(Payment.id)
            )
        ).scalar_one()
    add("bill", "Bill", bill_pk, month="2026-10")
    add("payment", "Payment", payment_pk, paymentStatus="PENDING")
    # a notice to the building posted by the manager, and one the dispatcher withdrew
    for key, title in (("notice", "Объявление"), ("notice_withdrawn", "Снятое объявление")):
        values = {**notice_content(), "buildingId": world.building_id, "title": title}
        posted = await api.gql(NOTICE_POST, {"input": values}, as_=world["manager"])
        notice_id = posted["noticePost"]["notice"]["id"]
        add(key, "Notice", pk_of_id(notice_id), title=title)
    withdrawn = await api.gql(
        NOTICE_WITHDRAW,
        {"input": {"noticeId": scene.ids["notice_withdrawn"]}},
        as_=world["dispatcher"],
    )
    assert withdrawn["noticeWithdraw"]["userErrors"] == []
    await _intercom(api, world, add)
    assert set(scene.ids) == set(VISIBLE)
    return scene


async def _intercom(api: Api, world: World, add: Any) -> None:
    """Entrance 1 connected to a panel, and apartment 1's code, entries and a call."""
    now = datetime.now(UTC)
    apartment = world.premises["1"]
    building = {"building_id": world.building_pk}

    async def new(table: Any, **values: Any) -> int:
        async with api.db.transaction() as (session, _):
            pk: int = (
                await session.execute(insert(table).values(**values).returning(table.id))
            ).scalar_one()
        return pk

    entrance = await new(intercom.BuildingEntrance, **building, number=1)
    add("entrance", "Entrance", entrance, entranceNumber=1)
    application = await new(
        intercom.IntercomApplication,
        **building,
        entrance_id=entrance,
        premise_id=apartment,
        applicant_id=world["owner"].pk,
        status=intercom.ApplicationStatus.CONNECTED,
        updated_at=now,
    )
    add("intercom_application", "IntercomApplication", application, applicationStatus="CONNECTED")
    panel = await new(
        intercom.IntercomPanel,
        **building,
        entrance_id=entrance,
        name="Main door",
        api_url="http://127.0.0.1:9",
        secret="s" * 20,
    )
    add("intercom_panel", "IntercomPanel", panel, name="Main door")
    code = await new(
        intercom.IntercomCode,
        **building,
        entrance_id=entrance,
        premise_id=apartment,
        creator_id=world["owner"].pk,
        code_hash="0" * 64,
    )
    add("intercom_code", "IntercomCode", code, codeActive=True)
    opened = {**building, "panel_id": panel, "outcome": intercom.DoorOutcome.OPENED, "at": now}
    entry = await new(
        intercom.IntercomEntry,
        **opened,
        premise_id=apartment,
        method=intercom.EntryMethod.APP,
        user_id=world["guest_basic"].pk,
    )
    add("intercom_entry", "IntercomEntry", entry, method="APP")
    fob = await new(intercom.IntercomEntry, **opened, method=intercom.EntryMethod.KEY_FOB)
    add("intercom_fob_entry", "IntercomEntry", fob, method="KEY_FOB")
    call = await new(
        intercom.IntercomCall,
        **building,
        panel_id=panel,
        premise_id=apartment,
        device_call_id="visibility",
        state=intercom.CallState.RINGING,
        rang_at=now,
    )
    add("intercom_call", "IntercomCall", call, callState="RINGING")


FIELDS = """
fragment Fields on Node {
  __typename
  id
  ... on Building { address }
  ... on Premise { number }
  ... on ManagementOrganisation { name }
  ... on User { displayName }
  ... on GuestGrant { level }
  ... on GuestInvitation { status }
  ... on Ownership { share { numerator denominator } }
  ... on Notification { kind }
  ... on Device { name }
  ... on Vehicle { plate }
  ... on Event { title }
  ... on Poll { question }
  ... on Listing { title }
  ... on Chat { chatKind: kind }
  ... on ChatMessage { body }
  ... on RepairRequest { description }
  ... on RepairRequestEvent { toStatus }
  ... on Meeting { title }
  ... on MeetingRegister { totalArea }
  ... on MeetingRegisterEntry { area }
  ... on PowerOfAttorney { documentNumber }
  ... on PointEntry { amount }
  ... on Reward { title }
  ... on RewardRedemption { points }
  ... on Meter { serialNumber }
  ... on MeterReading { value }
  ... on Bill { month }
  ... on Payment { paymentStatus: status }
  ... on Notice { title }
  ... on Entrance { entranceNumber: number }
  ... on IntercomPanel { name }
  ... on IntercomApplication { applicationStatus: status }
  ... on IntercomCode { codeActive: active }
  ... on IntercomEntry { method }
  ... on IntercomCall { callState: state }
}
"""
NODE = (
    """
query ($id: ID!) {
  node(id: $id) { ...Fields }
  nodes(ids: [$id]) { ...Fields }
}
"""
    + FIELDS
)


def assert_error(result: GraphQLResult, code: str, path: list[str]) -> None:
    assert result.response.status_code == 200, result
    assert [(e.get("extensions", {}).get("code"), e.get("path")) for e in result.errors] == [
        (code, path)
    ], result


def cells() -> Iterator[Any]:
    for target, visible in VISIBLE.items():
        for viewer in VIEWERS:
            bug = KNOWN_BUGS.get((target, viewer))
            marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
            yield pytest.param(
                target, viewer, viewer in visible, id=f"{target}-{viewer}", marks=marks
            )


@pytest.mark.parametrize(("target", "viewer", "visible"), list(cells()))
async def test_node(api: Api, scene: Scene, target: str, viewer: str, visible: bool) -> None:
    data = await api.gql(NODE, {"id": scene.ids[target]}, as_=scene.person(viewer))
    expected = scene.objects[target] if visible else None
    assert data == {"node": expected, "nodes": [expected]}


async def test_node_anonymous(api: Api, scene: Scene) -> None:
    result = await api.post(NODE, {"id": scene.ids["building"]}, as_=ANONYMOUS)
    assert result.response.status_code == 200, result
    assert sorted((e["extensions"]["code"], e["path"][0]) for e in result.errors) == [
        ("UNAUTHENTICATED", "node"),
        ("UNAUTHENTICATED", "nodes"),
    ]
    assert result.data is None


async def test_every_node_type_is_covered(scene: Scene) -> None:
    """A new Node type fails here until it has rows in VISIBLE (and a gatekeeper)."""
    schema = build_schema()
    document = parse(schema.as_str())
    implementations = {
        definition.name.value
        for definition in document.definitions
        if isinstance(definition, ObjectTypeDefinitionNode)
        and any(interface.name.value == "Node" for interface in definition.interfaces or ())
    }
    assert implementations == set(NODE_TYPES)
    assert set(node_types_of(schema._schema).by_name) == set(NODE_TYPES)
    covered = {(decode_id(global_id) or ("", 0))[0] for global_id in scene.ids.values()}
    assert covered == set(NODE_TYPES)


# -- nodes(ids:): order, nulls, limit ----------------------------------------------------


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode("ascii")


async def test_nodes_keeps_order_and_nulls(api: Api, scene: Scene) -> None:
    ids = [
        scene.ids["premise_1"],
        scene.ids["other_building"],  # not the owner's
        "garbage",
        scene.ids["user_owner"],
        encode_id("Building", 2**62),  # no such row
        scene.ids["building"],
        scene.ids["premise_1"],  # asked twice
        scene.ids["grant_visitor"],  # another premise's grant
        b64("Viewer:1"),  # not a node type
        scene.ids["grant_guest_basic"],
    ]
    data = await api.gql(
        "query ($ids: [ID!]!) { nodes(ids: $ids) { ...Fields } }" + FIELDS,
        {"ids": ids},
        as_=scene.world["owner"],
    )
    o = scene.objects
    assert data == {
        "nodes": [
            o["premise_1"],
            None,
            None,
            o["user_owner"],
            None,
            o["building"],
            o["premise_1"],
            None,
            None,
            o["grant_guest_basic"],
        ]
    }


async def test_nodes_at_most_100_ids(api: Api, scene: Scene) -> None:
    query = "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }"
    owner = scene.world["owner"]
    data = await api.gql(query, {"ids": [scene.ids["building"]] * 100}, as_=owner)
    assert data == {"nodes": [{"id": scene.ids["building"]}] * 100}

    result = await api.post(query, {"ids": [scene.ids["building"]] * 101}, as_=owner)
    assert_error(result, "BAD_USER_INPUT", ["nodes"])
    assert result.data is None


async def test_nodes_empty(api: Api, scene: Scene) -> None:
    data = await api.gql("{ nodes(ids: []) { id } }", as_=scene.world["owner"])
    assert data == {"nodes": []}


# -- ids that name nothing the viewer may see ---------------------------------------------

MALFORMED = {
    "empty": "",
    "not_base64": "not an id!",
    "base64_garbage": base64.b64encode(bytes(range(256))).decode("ascii")[:40],
    "no_colon": b64("Building"),
    "no_pk": b64("Building:"),
    "pk_not_a_number": b64("Building:abc"),
    "negative_pk": b64("Building:-1"),
    "fractional_pk": b64("Building:1.5"),
    "pk_with_space": b64("Building: 1"),
    "pk_too_long": b64("Building:" + "1" * 19),
    "type_not_identifier": b64("Build ing:1"),
    "lowercase_type": b64("building:1"),
    "unknown_type": b64("Nope:1"),
    "superscript_digit": b64("Building:²"),
    "arabic_indic_digit": b64("Building:١"),
    "fullwidth_digit": b64("Building:１"),
    "leading_zero": b64("Building:01"),
    "plus_sign": b64("Building:+1"),
    "unpadded": b64("Building:1").rstrip("="),
    "whitespace": " " + b64("Building:1"),
    "url_safe_alphabet": base64.urlsafe_b64encode(b"\xfb\xff\xfe:1").decode("ascii"),
    "not_utf8": base64.b64encode(b"\xff\xfe:1").decode("ascii"),
    "overlong": "A" * 101,
    "overlong_valid_prefix": b64("Building:1") + "A" * 200,
    "very_long": "QnVpbGRpbmc6" * 2000,
}


@pytest.mark.parametrize("viewer", ["owner", "admin"])
@pytest.mark.parametrize("name", MALFORMED)
async def test_malformed_id_is_null(api: Api, scene: Scene, name: str, viewer: str) -> None:
    data = await api.gql(
        "query ($id: ID!) {"
        " node(id: $id) { id } nodes(ids: [$id]) { id } building(id: $id) { id } }",
        {"id": MALFORMED[name]},
        as_=scene.world[viewer],
    )
    assert data == {"node": None, "nodes": [None], "building": None}


async def test_building_root_refuses_ids_of_other_types(api: Api, scene: Scene) -> None:
    world = scene.world
    for viewer in ("owner", "admin"):
        for pk in (world.building_pk, world.other_building_pk):
            for type_name in ("Premise", "User", "ManagementOrganisation", "GuestGrant"):
                data = await api.gql(
                    "query ($id: ID!) { building(id: $id) { id } }",
                    {"id": encode_id(type_name, pk)},
                    as_=world[viewer],
                )
                assert data == {"building": None}, (viewer, type_name)


async def test_ids_of_another_type_are_null(api: Api, scene: Scene) -> None:
    """Every pk of the scene under every other type name: the newcomer (who sees only
    themself) gets null for each, whatever row that id happens to name."""
    newcomer = scene.world["newcomer"]
    ids = []
    for target, global_id in scene.ids.items():
        decoded = decode_id(global_id)
        assert decoded is not None, target
        own_type, pk = decoded
        ids += [encode_id(t, pk) for t in NODE_TYPES if t != own_type and t not in PUBLIC_TYPES]
    ids = [global_id for global_id in dict.fromkeys(ids) if global_id != newcomer.id]
    for start in range(0, len(ids), 100):
        chunk = ids[start : start + 100]
        data = await api.gql(
            "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": chunk}, as_=newcomer
        )
        assert data == {"nodes": [None] * len(chunk)}


@pytest.mark.parametrize(
    "type_name", ["Viewer", "Neighbour", "ViewerPremise", "StaffMembership", "PageInfo", "Query"]
)
async def test_types_that_are_not_nodes_are_null(api: Api, scene: Scene, type_name: str) -> None:
    """Valid pks under names of types that cannot be refetched."""
    world = scene.world
    for pk in (world["owner"].pk, world.building_pk, world.premises["1"]):
        data = await api.gql(
            "query ($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } }",
            {"id": encode_id(type_name, pk or 0)},
            as_=world["admin"],
        )
        assert data == {"node": None, "nodes": [None]}


@pytest.mark.parametrize("type_name", NODE_TYPES)
@pytest.mark.parametrize("viewer", ["owner", "admin", "manager"])
async def test_nonexistent_row_is_null(api: Api, scene: Scene, type_name: str, viewer: str) -> None:
    for pk in (0, 2**62, 10**18 - 1):
        data = await api.gql(
            "query ($id: ID!) { node(id: $id) { id } nodes(ids: [$id]) { id } }",
            {"id": encode_id(type_name, pk)},
            as_=scene.world[viewer],
        )
        assert data == {"node": None, "nodes": [None]}


NODE_ID = "query ($id: ID!) { node(id: $id) { id } }"


async def node_id(api: Api, global_id: str, viewer: Person) -> Any:
    return (await api.gql(NODE_ID, {"id": global_id}, as_=viewer))["node"]


async def test_deleted_rows_are_null(api: Api, scene: Scene) -> None:
    world = scene.world
    owner, admin = world["owner"], world["admin"]
    async with api.db.transaction() as (session, _):
        premise_pk = (
            await session.execute(
                insert(Premise)
                .values(
                    building_id=world.building_pk,
                    kind=PremiseKind.PARKING,
                    number=f"P{uuid.uuid4().hex[:6]}",
                    number_sort=10**6,
                    area=Decimal("12.50"),
                )
                .returning(Premise.id)
            )
        ).scalar_one()
        user_pk = (
            await session.execute(
                insert(User)
                .values(subject=f"test|{uuid.uuid4().hex}|gone", display_name="Gone")
                .returning(User.id)
            )
        ).scalar_one()
        grant_pk = (
            await session.execute(
                insert(GuestGrant)
                .values(
                    premise_id=world.premises["1"],
                    building_id=world.building_pk,
                    grantor_id=owner.pk,
                    grantee_id=user_pk,
                    level=GuestLevel.INITIAL,
                    starts_at=datetime.now(UTC) - timedelta(minutes=1),
                    expires_at=datetime.now(UTC) + timedelta(days=1),
                )
                .returning(GuestGrant.id)
            )
        ).scalar_one()
        ownership_pk = (
            await session.execute(
                insert(Ownership)
                .values(
                    premise_id=world.premises["4"],
                    building_id=world.building_pk,
                    user_id=user_pk,
                    share_numerator=1,
                    share_denominator=1,
                )
                .returning(Ownership.id)
            )
        ).scalar_one()
    premise_id = encode_id("Premise", premise_pk)
    user_id = encode_id("User", user_pk)
    grant_id = encode_id("GuestGrant", grant_pk)
    ownership_id = encode_id("Ownership", ownership_pk)
    assert await node_id(api, premise_id, owner) == {"id": premise_id}
    assert await node_id(api, user_id, admin) == {"id": user_id}
    assert await node_id(api, grant_id, owner) == {"id": grant_id}
    assert await node_id(api, ownership_id, owner) == {"id": ownership_id}

    # an ownership that ended is no longer a current record
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(Ownership).where(Ownership.id == ownership_pk).values(ended_at=datetime.now(UTC))
        )
    assert await node_id(api, ownership_id, owner) is None

    async with api.db.transaction() as (session, _):
        await session.execute(delete(GuestGrant).where(GuestGrant.id == grant_pk))
        await session.execute(delete(Ownership).where(Ownership.id == ownership_pk))
        await session.execute(delete(User).where(User.id == user_pk))
        await session.execute(delete(Premise).where(Premise.id == premise_pk))
    for global_id in (premise_id, user_id, grant_id, ownership_id):
        for viewer in (owner, admin):
            assert await node_id(api, global_id, viewer) is None


# -- nested fields never lead to what node() hides -----------------------------------------

REACHABLE = """
query ($building: ID!, $other: ID!, $grants: [ID!]!, $ownerships: [ID!]!, $premises: [ID!]!) {
  viewer {
    user { id }
    premises { premise { ...P } }
    buildings(first: 10) { nodes { ...B } }
    guestGrantsGiven(first: 20) { nodes { ...G } }
    guestGrantsReceived(first: 20) { nodes { ...G } }
    notifications(first: 20) { nodes { id subjectId } }
    points {
      entries(first: 20) { nodes { id } }
      redemptions(first: 20) { nodes { id reward { id } entry { id } } }
    }
  }
  main: building(id: $building) { ...B }
  other: building(id: $other) { ...B }
  grants: nodes(ids: $grants) { ...G }
  ownerships: nodes(ids: $ownerships) { ... on Ownership { id user { id } premise { ...P } } }
  premises: nodes(ids: $premises) { ...P }
}
fragment B on Building {
  id
  managementOrganisation { id }
  premises(first: 20) { nodes { id building { id } } }
}
fragment P on Premise { id building { id managementOrganisation { id } } }
fragment G on GuestGrant { id grantor { id } grantee { id } }
"""
GUARDED_REACHABLE = """
query ($building: ID!, $other: ID!, $premises: [ID!]!) {
  main: building(id: $building) { id neighbours(first: 20) { nodes { user { id } } } }
  other: building(id: $other) { id neighbours(first: 20) { nodes { user { id } } } }
  owners: nodes(ids: $premises) {
    ... on Premise { id owners { id user { id } premise { id } } }
  }
}
"""


def collect_ids(value: Any, found: set[str]) -> set[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("id", "subjectId") and isinstance(item, str):
                found.add(item)
            else:
                collect_ids(item, found)
    elif isinstance(value, list):
        for item in value:
            collect_ids(item, found)
    return found


@pytest.mark.parametrize("viewer", VIEWERS)
async def test_nested_fields_lead_only_to_visible_objects(
    api: Api, scene: Scene, viewer: str
) -> None:
    """Every object reachable through nested fields is one ``nodes`` gives the viewer.

    (The premise of a guest grant is checked in ``test_grant_premise_is_visible``.)
    """
    world, person = scene.world, scene.person(viewer)
    premises = [encode_id("Premise", pk) for pk in world.premises.values()] + [
        encode_id("Premise", pk) for pk in world.other_premises.values()
    ]
    variables = {
        "building": world.building_id,
        "other": world.other_building_id,
        "grants": [encode_id("GuestGrant", pk) for pk in world.grants.values()]
        + [scene.ids["grant_visitor"]],
        "ownerships": [scene.ids["ownership_owner"], scene.ids["ownership_stranger"]],
        "premises": premises,
    }
    reached = collect_ids(await api.gql(REACHABLE, variables, as_=person), set())
    guarded = await api.post(
        GUARDED_REACHABLE,
        {k: variables[k] for k in ("building", "other", "premises")},
        as_=person,
    )
    for error in guarded.errors:  # denied guarded fields: only FORBIDDEN, nothing else
        assert error["extensions"]["code"] == "FORBIDDEN", guarded
        assert error["path"][-1] in ("neighbours", "owners"), guarded
    reached = collect_ids(guarded.data, reached)
    assert reached, "every viewer reaches at least themself"

    ordered = sorted(reached)
    data = await api.gql(
        "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ordered}, as_=person
    )
    hidden = [
        (decode_id(global_id), global_id)
        for global_id, node in zip(ordered, data["nodes"], strict=True)
        if node is None
    ]
    assert hidden == []
    # ... and what is reached agrees with the table above
    names = {global_id: name for name, global_id in scene.ids.items()}
    for global_id in reached:
        if global_id in names and (names[global_id], viewer) not in KNOWN_BUGS:
            assert viewer in VISIBLE[names[global_id]], names[global_id]


GRANT_PREMISE = """
query ($id: ID!) {
  node(id: $id) {
    ... on GuestGrant { premise { id building { id managementOrganisation { id } } } }
  }
}
"""


def grant_premise_cells() -> Iterator[Any]:
    for target in (
        "grant_guest_basic",
        "grant_guest_expired",
        "grant_guest_revoked",
        "grant_visitor",
    ):
        for viewer in sorted(VISIBLE[target]):
            # A former guest keeps their ended grant in their history, not the building.
            former_guest = target in (
                "grant_guest_expired",
                "grant_guest_revoked",
            ) and viewer.startswith("guest_")
            yield pytest.param(target, viewer, not former_guest, id=f"{target}-{viewer}")


@pytest.mark.parametrize(("target", "viewer", "sees_premise"), list(grant_premise_cells()))
async def test_grant_premise_is_visible(
    api: Api, scene: Scene, target: str, viewer: str, sees_premise: bool
) -> None:
    """The premise (and building) of a grant a viewer sees is one ``nodes`` gives them."""
    person = scene.person(viewer)
    data = await api.gql(GRANT_PREMISE, {"id": scene.ids[target]}, as_=person)
    premise = data["node"]["premise"]
    if not sees_premise:
        assert premise is None
        return
    ids = [
        premise["id"],
        premise["building"]["id"],
        premise["building"]["managementOrganisation"]["id"],
    ]
    refetched = await api.gql(
        "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids}, as_=person
    )
    assert refetched == {"nodes": [{"id": global_id} for global_id in ids]}


# -- guests lose access at once ----------------------------------------------------------------

NEIGHBOURS = """
query ($id: ID!) { building(id: $id) { neighbours(first: 10) { nodes { premiseNumber } } } }
"""
GUEST_VIEW = """
query ($building: ID!, $ids: [ID!]!) {
  building(id: $building) { id viewerTier }
  nodes(ids: $ids) { __typename id }
  viewer {
    premises { tier premise { id } }
    buildings(first: 10) { nodes { id } }
  }
}
"""


async def let_guest_in(api: Api, world: World, *, hours: float) -> tuple[Person, str]:
    guest = await make_user(api, "guest")
    grant_id = await let_in(
        api,
        world["owner"],
        guest,
        world.premise_id("1"),
        expires_at=datetime.now(UTC) + timedelta(hours=hours),
    )
    return guest, grant_id


def guest_view_ids(scene: Scene, grant_id: str) -> list[str]:
    world = scene.world
    return [
        world.building_id,
        scene.ids["premise_1"],
        scene.ids["organisation"],
        world["co_owner"].id,  # a neighbour (directory)
        scene.ids["user_registered"],  # a neighbour (directory)
        scene.ids["user_owner"],  # the host
        grant_id,  # the guest's own grant
    ]


async def assert_guest_inside(api: Api, scene: Scene, guest: Person, grant_id: str) -> None:
    ids = guest_view_ids(scene, grant_id)
    data = await api.gql(GUEST_VIEW, {"building": scene.world.building_id, "ids": ids}, as_=guest)
    assert data["building"] == {"id": scene.world.building_id, "viewerTier": "GUEST_BASIC"}
    assert [node["id"] if node else None for node in data["nodes"]] == ids
    assert data["viewer"] == {
        "premises": [{"tier": "GUEST_BASIC", "premise": {"id": scene.ids["premise_1"]}}],
        "buildings": {"nodes": [{"id": scene.world.building_id}]},
    }
    neighbours = await api.post(NEIGHBOURS, {"id": scene.world.building_id}, as_=guest)
    assert neighbours.ok()["building"]["neighbours"]["nodes"] != []


async def assert_guest_outside(api: Api, scene: Scene, guest: Person, grant_id: str) -> None:
    ids = guest_view_ids(scene, grant_id)
    data = await api.gql(GUEST_VIEW, {"building": scene.world.building_id, "ids": ids}, as_=guest)
    assert data["building"] is None
    # the building, its premise, organisation, neighbours and the host are gone; the
    # guest's own (ended) grant stays visible
    assert [node["id"] if node else None for node in data["nodes"]] == [
        None,
        None,
        None,
        None,
        None,
        None,
        grant_id,
    ]
    assert data["viewer"] == {"premises": [], "buildings": {"nodes": []}}
    neighbours = await api.post(NEIGHBOURS, {"id": scene.world.building_id}, as_=guest)
    assert neighbours.ok() == {"building": None}
    invitation = await api.post(
        """
        mutation ($input: GuestInvitationCreateInput!) {
          guestInvitationCreate(input: $input) { code }
        }
        """,
        {
            "input": {
                "premiseId": scene.ids["premise_1"],
                "level": "INITIAL",
                "expiresAt": (datetime.now(UTC) + timedelta(days=1)).isoformat(),
            }
        },
        as_=guest,
    )
    assert_error(invitation, "FORBIDDEN", ["guestInvitationCreate"])


async def test_revoked_guest_loses_access_at_once(api: Api, scene: Scene) -> None:
    guest, grant_id = await let_guest_in(api, scene.world, hours=24)
    await assert_guest_inside(api, scene, guest, grant_id)

    data = await api.gql(
        """
        mutation ($input: GuestAccessRevokeInput!) {
          guestAccessRevoke(input: $input) { grant { isActive } userErrors { code } }
        }
        """,
        {"input": {"grantId": grant_id}},
        as_=scene.world["owner"],
    )
    assert data == {"guestAccessRevoke": {"grant": {"isActive": False}, "userErrors": []}}

    await assert_guest_outside(api, scene, guest, grant_id)


async def test_expired_guest_loses_access_at_once(api: Api, scene: Scene, clock: Clock) -> None:
    guest, grant_id = await let_guest_in(api, scene.world, hours=1)
    await assert_guest_inside(api, scene, guest, grant_id)
    clock.advance(timedelta(hours=1, minutes=1))
    await assert_guest_outside(api, scene, guest, grant_id)
