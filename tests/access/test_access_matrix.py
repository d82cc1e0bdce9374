"""The capability matrix of DOMAIN.md ("People and access"), cell by cell, through the API.

The expected table below is written out by hand from the spec; it is never derived
from ``MATRIX``, so that this file checks the code's matrix against the product spec.
Columns are the people of ``make_world`` and an anonymous caller.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from graphql import ObjectTypeDefinitionNode, StringValueNode, parse
from graphql.language import EnumValueNode
from sqlalchemy import delete, func, insert, select

from edom_graphql.chats.models import ChatEvent, ChatMessage
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.ids import decode_id, encode_id
from edom_graphql.core.pagination import encode_cursor
from edom_graphql.events.models import Event
from edom_graphql.listings.models import Listing
from edom_graphql.notifications.models import Notification
from edom_graphql.polls.models import Poll, PollBallot
from edom_graphql.repairs.models import RepairRequest, RepairRequestEvent, RepairRequestFollower
from edom_graphql.residents.models import GuestGrant, GuestInvitation, GuestLevel, Ownership, User
from edom_graphql.schema import build_schema
from tests.factories import ALL_PEOPLE, ANONYMOUS, Api, GraphQLResult, Person, World, make_world

# -- the expected matrix, by hand from DOMAIN.md -------------------------------------

COLUMNS = (
    "OWNER",
    "REGISTERED",
    "RESIDENT",
    "G_ELEVATED",
    "G_BASIC",
    "G_INITIAL",
    "DISPATCHER",
    "ENGINEER",
    "MANAGER",
    "ADMIN",
)

BUILDING, PREMISE, SELF = "building", "premise", "self"

# Scope (where the tier is measured), then one mark per column: ✓ allowed, - denied.
# "staff" in the spec is every role unless it says MANAGER; "read only" for staff means
# the act itself is denied and HOUSEHOLD_RECORDS_VIEW (reading those records) is allowed.
# The platform admin (support) sees a building, its notices and meeting results only.
EXPECTED: dict[str, tuple[str, str]] = {
    #                                     OWN REG RES GEL GBA GIN DIS ENG MGR ADM
    # building info, notices, meeting results/protocols, listings board, events
    "BUILDING_VIEW": (BUILDING, "         ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓"),
    "NOTICES_VIEW": (BUILDING, "          ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓"),
    "MEETING_RESULTS_VIEW": (BUILDING, "  ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓"),
    "LISTINGS_VIEW": (BUILDING, "         ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓   -"),
    "EVENTS_VIEW": (BUILDING, "           ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓   ✓   -"),
    # open the entrance door
    "INTERCOM_OPEN": (BUILDING, "         ✓   ✓   ✓   ✓   ✓   ✓   -   -   -   -"),
    # neighbours directory, building chat, direct chats
    "NEIGHBOURS_DIRECTORY": (BUILDING, "  ✓   ✓   ✓   ✓   ✓   -   -   -   -   -"),
    "BUILDING_CHAT": (BUILDING, "         ✓   ✓   ✓   ✓   ✓   -   -   -   -   -"),
    "DIRECT_CHAT": (BUILDING, "           ✓   ✓   ✓   ✓   ✓   -   -   -   -   -"),
    # staff remove abusive messages of the building chat (dispatchers and managers)
    "CHAT_MODERATE": (BUILDING, "         -   -   -   -   -   -   ✓   -   ✓   -"),
    # post listings; create/follow repair requests; staff: handle all requests
    "LISTING_POST": (BUILDING, "          ✓   ✓   ✓   ✓   ✓   -   -   -   -   -"),
    "LISTING_MODERATE": (BUILDING, "      -   -   -   -   -   -   ✓   ✓   ✓   -"),
    "REPAIR_REQUEST_CREATE": (BUILDING, " ✓   ✓   ✓   ✓   ✓   -   -   -   -   -"),
    "REPAIR_REQUEST_HANDLE": (BUILDING, " -   -   -   -   -   -   ✓   ✓   ✓   -"),
    # chat with the management organisation; staff: answer
    "MANAGEMENT_CHAT": (BUILDING, "       ✓   ✓   ✓   ✓   -   -   -   -   -   -"),
    "MANAGEMENT_CHAT_ANSWER": (BUILDING, "-   -   -   -   -   -   ✓   ✓   ✓   -"),
    # vote in polls; submit meter readings; see and pay bills; create intercom codes;
    # staff: read only
    "POLL_VOTE": (BUILDING, "             ✓   ✓   ✓   ✓   -   -   -   -   -   -"),
    "METER_READING_SUBMIT": (PREMISE, "   ✓   ✓   ✓   ✓   -   -   -   -   -   -"),
    "BILLS_PAY": (PREMISE, "              ✓   ✓   ✓   ✓   -   -   -   -   -   -"),
    "INTERCOM_CODE_CREATE": (PREMISE, "   ✓   ✓   ✓   ✓   -   -   -   -   -   -"),
    "HOUSEHOLD_RECORDS_VIEW": (BUILDING, "✓   ✓   ✓   ✓   -   -   ✓   ✓   ✓   -"),
    # register, replace and retire a premise's meters: engineers and managers of the
    # building's organisation (dispatchers route requests); measured at the premise
    "METERS_MANAGE": (PREMISE, "          -   -   -   -   -   -   -   ✓   ✓   -"),
    # create polls
    "POLL_CREATE": (BUILDING, "           ✓   ✓   -   -   -   -   -   -   ✓   -"),
    # grant / revoke guest access to own premise
    "GUEST_ACCESS_MANAGE": (PREMISE, "    ✓   ✓   -   -   -   -   -   -   -   -"),
    # apply for smart intercom connection
    "INTERCOM_APPLY": (PREMISE, "         ✓   ✓   -   -   -   -   -   -   -   -"),
    # review intercom applications and connect entrances: engineers and managers of the
    # building's organisation
    "INTERCOM_MANAGE": (BUILDING, "        -   -   -   -   -   -   -   ✓   ✓   -"),
    # initiate / administer an owners' meeting
    "MEETING_INITIATE": (BUILDING, "      ✓   -   -   -   -   -   -   -   ✓   -"),
    # vote in an owners' meeting
    "MEETING_VOTE": (BUILDING, "          ✓   -   -   -   -   -   -   -   -   -"),
    # an owner may vote through a representative holding a power of attorney: measured on
    # the representative the document names (SELF), so no tier or role holds it elsewhere
    "MEETING_VOTE_BY_ATTORNEY": (SELF, "  -   -   -   -   -   -   -   -   -   -"),
    # the register of owners: kept by the organisation's staff, needed by the owners
    # who initiate a meeting (Housing Code art. 45 §3.1)
    "OWNERS_REGISTER": (BUILDING, "       ✓   -   -   -   -   -   ✓   ✓   ✓   -"),
    # personal data of a user of the building: the user themself (always) and staff of
    # the building's organisation; never neighbours, nor the platform's support admin
    "PERSONAL_DATA": (SELF, "             -   -   -   -   -   -   ✓   ✓   ✓   -"),
    # post, edit and withdraw the building's notices: dispatchers and managers of the
    # building's organisation
    "NOTICES_POST": (BUILDING, "          -   -   -   -   -   -   ✓   -   ✓   -"),
}


def marks(capability: str) -> dict[str, bool]:
    row = EXPECTED[capability][1].split()
    assert len(row) == len(COLUMNS), capability
    assert set(row) <= {"✓", "-"}, capability
    return {column: mark == "✓" for column, mark in zip(COLUMNS, row, strict=True)}


def allowed(capability: str, column: str | None) -> bool:
    return column is not None and marks(capability)[column]


PEOPLE = (*ALL_PEOPLE, "anonymous")

# Who each person of make_world is in its building (None: no relation to it).
PERSON_COLUMN: dict[str, str | None] = {
    "owner": "OWNER",
    "co_owner": "OWNER",
    "registered": "REGISTERED",
    "resident": "RESIDENT",
    "guest_elevated": "G_ELEVATED",
    "guest_basic": "G_BASIC",
    "guest_initial": "G_INITIAL",
    "guest_expired": None,
    "guest_revoked": None,
    "dispatcher": "DISPATCHER",
    "engineer": "ENGINEER",
    "manager": "MANAGER",
    "other_staff": None,
    "stranger": None,
    "newcomer": None,
    "admin": "ADMIN",
    "anonymous": None,
}
# ... and in the other building (the stranger's, managed by the other_staff's organisation).
OTHER_BUILDING_COLUMN: dict[str, str | None] = {
    **dict.fromkeys(PEOPLE),
    "stranger": "OWNER",
    "other_staff": "MANAGER",
    "admin": "ADMIN",
}
# The apartment each tier holder's tier is at (premise-scoped capabilities).
PERSON_PREMISE = {
    "owner": "1",
    "co_owner": "1",
    "registered": "2",
    "resident": "3",
    "guest_elevated": "1",
    "guest_basic": "1",
    "guest_initial": "1",
}
STAFF_COLUMNS = {"DISPATCHER", "ENGINEER", "MANAGER"}
TIERS = {
    "OWNER": "OWNER",
    "REGISTERED": "REGISTERED",
    "RESIDENT": "RESIDENT",
    "G_ELEVATED": "GUEST_ELEVATED",
    "G_BASIC": "GUEST_BASIC",
    "G_INITIAL": "GUEST_INITIAL",
}


def premise_column(key: str, number: str) -> str | None:
    """The person's column for a capability measured at apartment ``number``."""
    column = PERSON_COLUMN[key]
    if column in STAFF_COLUMNS or column == "ADMIN":  # not tied to a premise
        return column
    return column if PERSON_PREMISE.get(key) == number else None


# -- helpers -------------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api)


def person(world: World, key: str) -> Person:
    return ANONYMOUS if key == "anonymous" else world[key]


def assert_denied(result: GraphQLResult, code: str, path: list[str]) -> None:
    """Exactly one error, with ``code``, at ``path``."""
    assert result.response.status_code == 200, result
    assert [(e.get("extensions", {}).get("code"), e.get("path")) for e in result.errors] == [
        (code, path)
    ], result


async def read(api: Api, statement: Any) -> list[Any]:
    """Rows read straight from the database (in a transaction of its own)."""
    async with api.db.transaction() as (session, _):
        return list((await session.execute(statement)).all())


async def read_one(api: Api, statement: Any) -> Any:
    rows = await read(api, statement)
    return rows[0] if rows else None


async def insert_user(api: Api, key: str) -> Person:
    subject = f"test|{uuid.uuid4().hex[:10]}|{key}"
    async with api.db.transaction() as (session, _):
        pk = (
            await session.execute(
                insert(User).values(subject=subject, display_name=key).returning(User.id)
            )
        ).scalar_one()
    return Person(key, pk, subject, api.token(subject, key))


async def insert_grant(api: Api, world: World, *, premise: str, grantor: str, grantee: int) -> int:
    now = datetime.now(UTC)
    async with api.db.transaction() as (session, _):
        grant_pk: int = (
            await session.execute(
                insert(GuestGrant)
                .values(
                    premise_id=world.premises[premise],
                    building_id=world.building_pk,
                    grantor_id=world[grantor].pk,
                    grantee_id=grantee,
                    level=GuestLevel.BASIC,
                    starts_at=now - timedelta(minutes=1),
                    expires_at=now + timedelta(days=3),
                )
                .returning(GuestGrant.id)
            )
        ).scalar_one()
    return grant_pk


async def grants_snapshot(api: Api, world: World) -> list[tuple[Any, ...]]:
    rows = await read(
        api, select(GuestGrant.__table__).where(GuestGrant.building_id == world.building_pk)
    )
    return sorted(tuple(row) for row in rows)


async def notifications_of(api: Api, user_pks: Sequence[int]) -> list[tuple[Any, ...]]:
    rows = await read(
        api,
        select(
            Notification.user_id,
            Notification.kind,
            Notification.subject_type,
            Notification.subject_id,
        )
        .where(Notification.user_id.in_(list(user_pks)))
        .order_by(Notification.id),
    )
    return [tuple(row) for row in rows]


# -- building-scoped capabilities: Building.viewerCapabilities ------------------------

BUILDING_CAPABILITIES = """
query ($id: ID!) { building(id: $id) { id viewerTier viewerCapabilities } }
"""


def expected_building_capabilities(column: str) -> set[str]:
    return {
        capability
        for capability, (scope, _) in EXPECTED.items()
        if scope == BUILDING and allowed(capability, column)
    }


async def check_building_capabilities(
    api: Api, world: World, key: str, building_id: str, column: str | None
) -> None:
    result = await api.post(BUILDING_CAPABILITIES, {"id": building_id}, as_=person(world, key))
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["building"])
        assert result.data == {"building": None}
        return
    data = result.ok()
    if not allowed("BUILDING_VIEW", column):
        assert data == {"building": None}
        return
    assert column is not None
    building = data["building"]
    assert building["id"] == building_id
    assert building["viewerTier"] == TIERS.get(column)
    capabilities = building["viewerCapabilities"]
    assert len(capabilities) == len(set(capabilities)), capabilities
    assert set(capabilities) == expected_building_capabilities(column)


@pytest.mark.parametrize("key", PEOPLE)
async def test_building_capabilities(api: Api, world: World, key: str) -> None:
    await check_building_capabilities(api, world, key, world.building_id, PERSON_COLUMN[key])


@pytest.mark.parametrize("key", PEOPLE)
async def test_other_building_capabilities(api: Api, world: World, key: str) -> None:
    """Staff of another organisation are staff there; an owner elsewhere is an owner there."""
    await check_building_capabilities(
        api, world, key, world.other_building_id, OTHER_BUILDING_COLUMN[key]
    )


def test_expected_sets_spot_checks() -> None:
    """A few rows of the hand-written table spelt out, to catch a slip in the table."""
    assert expected_building_capabilities("G_INITIAL") == {
        "BUILDING_VIEW",
        "NOTICES_VIEW",
        "MEETING_RESULTS_VIEW",
        "LISTINGS_VIEW",
        "EVENTS_VIEW",
        "INTERCOM_OPEN",
    }
    assert expected_building_capabilities("ADMIN") == {
        "BUILDING_VIEW",
        "NOTICES_VIEW",
        "MEETING_RESULTS_VIEW",
    }
    assert expected_building_capabilities("DISPATCHER") == {
        "BUILDING_VIEW",
        "NOTICES_VIEW",
        "MEETING_RESULTS_VIEW",
        "LISTINGS_VIEW",
        "EVENTS_VIEW",
        "REPAIR_REQUEST_HANDLE",
        "LISTING_MODERATE",
        "CHAT_MODERATE",
        "MANAGEMENT_CHAT_ANSWER",
        "HOUSEHOLD_RECORDS_VIEW",
        "OWNERS_REGISTER",
        "NOTICES_POST",
    }
    assert expected_building_capabilities("MANAGER") == expected_building_capabilities(
        "DISPATCHER"
    ) | {"POLL_CREATE", "MEETING_INITIATE", "INTERCOM_MANAGE"}
    assert expected_building_capabilities("ENGINEER") == (
        expected_building_capabilities("DISPATCHER") - {"CHAT_MODERATE", "NOTICES_POST"}
    ) | {"INTERCOM_MANAGE"}


# -- Building.eventsNearby @requires(EVENTS_VIEW) ---------------------------------------

EVENTS_NEARBY = """
query ($id: ID!) {
  building(id: $id) { eventsNearby(radiusKm: 0.5, first: 100) { nodes { id title } } }
}
"""


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def event_at_building(api: Api, world: World) -> str:
    """An event at the building's doorstep (events are city-wide: others may be near)."""
    starts = datetime.now(UTC) + timedelta(days=2)
    async with api.db.transaction() as (session, _):
        pk = (
            await session.execute(
                insert(Event)
                .values(
                    title="Субботник у дома",
                    description="Уборка двора.",
                    place="Двор",
                    latitude=Decimal("55.75"),
                    longitude=Decimal("37.61"),
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=2),
                )
                .returning(Event.id)
            )
        ).scalar_one()
    return encode_id("Event", pk)


@pytest.mark.parametrize("key", PEOPLE)
async def test_building_events_nearby(
    api: Api, world: World, event_at_building: str, key: str
) -> None:
    result = await api.post(EVENTS_NEARBY, {"id": world.building_id}, as_=person(world, key))
    column = PERSON_COLUMN[key]
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["building"])
        assert result.data == {"building": None}
    elif not allowed("BUILDING_VIEW", column):
        assert result.ok() == {"building": None}
    elif not allowed("EVENTS_VIEW", column):
        assert_denied(result, "FORBIDDEN", ["building", "eventsNearby"])
        assert result.data == {"building": {"eventsNearby": None}}
    else:
        nodes = result.ok()["building"]["eventsNearby"]["nodes"]
        assert {"id": event_at_building, "title": "Субботник у дома"} in nodes


# -- Building.neighbours @requires(NEIGHBOURS_DIRECTORY) -------------------------------

NEIGHBOURS = """
query ($id: ID!) {
  building(id: $id) {
    neighbours(first: 100) { nodes { displayName premiseNumber user { id displayName } } }
  }
}
"""


@pytest.mark.parametrize("key", PEOPLE)
async def test_building_neighbours(api: Api, world: World, key: str) -> None:
    result = await api.post(NEIGHBOURS, {"id": world.building_id}, as_=person(world, key))
    column = PERSON_COLUMN[key]
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["building"])
        assert result.data == {"building": None}
    elif not allowed("BUILDING_VIEW", column):
        assert result.ok() == {"building": None}
    elif not allowed("NEIGHBOURS_DIRECTORY", column):
        assert_denied(result, "FORBIDDEN", ["building", "neighbours"])
        assert result.data == {"building": {"neighbours": None}}
    else:
        # occupants only (owners, registered, residents), in premise number order
        expected = [
            ("owner", "Owner", "1"),
            ("co_owner", "Co Owner", "1"),
            ("registered", "Registered", "2"),
            ("resident", "Resident", "3"),
        ]
        assert result.ok() == {
            "building": {
                "neighbours": {
                    "nodes": [
                        {
                            "displayName": name,
                            "premiseNumber": number,
                            "user": {"id": world[who].id, "displayName": name},
                        }
                        for who, name, number in expected
                    ]
                }
            }
        }


# -- Premise.owners @requires(OWNERS_REGISTER) ----------------------------------------

OWNERS = """
query ($id: ID!) {
  node(id: $id) {
    ... on Premise {
      number
      owners { id share { numerator denominator } user { id } premise { id } }
    }
  }
}
"""


@pytest.mark.parametrize("key", PEOPLE)
async def test_premise_owners(api: Api, world: World, key: str) -> None:
    premise_id = world.premise_id("1")
    result = await api.post(OWNERS, {"id": premise_id}, as_=person(world, key))
    column = PERSON_COLUMN[key]
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["node"])
        assert result.data == {"node": None}
    elif not allowed("BUILDING_VIEW", column):
        assert result.ok() == {"node": None}
    elif not allowed("OWNERS_REGISTER", column):
        assert_denied(result, "FORBIDDEN", ["node", "owners"])
        assert result.data["node"]["owners"] is None
    else:
        rows = await read(
            api,
            select(Ownership.id, Ownership.user_id)
            .where(Ownership.premise_id == world.premises["1"])
            .order_by(Ownership.id),
        )
        assert [user for _, user in rows] == [world["owner"].pk, world["co_owner"].pk]
        assert result.ok() == {
            "node": {
                "number": "1",
                "owners": [
                    {
                        "id": encode_id("Ownership", pk),
                        "share": {"numerator": 1, "denominator": 2},
                        "user": {"id": encode_id("User", user)},
                        "premise": {"id": premise_id},
                    }
                    for pk, user in rows
                ],
            }
        }


# -- User.fullName / phone / email @requires(PERSONAL_DATA) ----------------------------

PERSONAL = """
query ($id: ID!) {
  node(id: $id) { ... on User { id displayName fullName phone email } }
}
"""
ALLOW, FORBIDDEN, INVISIBLE, UNAUTHENTICATED = "allow", "forbidden", "invisible", "unauth"


# Who sees a user's display name without the PERSONAL_DATA capability: neighbours with
# the directory, hosts and guests (a grant names both, also after it ended), whoever
# manages guest access at the premise of the user's grant.
# Neighbours through the directory (tiers down to basic guests), the other party of a
# running grant (the owner's initial guest); an ended grant ties nobody. A guest while
# the grant runs is a member of the building like its occupants.
_DIRECTORY = ("owner", "co_owner", "registered", "resident", "guest_elevated", "guest_basic")
SEES_DISPLAY_NAME = {
    "owner": (*_DIRECTORY, "guest_initial"),
    "guest_basic": _DIRECTORY,
    "guest_expired": (),
    "stranger": (),
}
# The building each target currently belongs to (an expired guest: none).
TARGET_BUILDING = {
    "owner": PERSON_COLUMN,
    "guest_basic": PERSON_COLUMN,
    "guest_expired": None,
    "stranger": OTHER_BUILDING_COLUMN,
}


def personal_data_about(target: str) -> dict[str, str]:
    """Outcome per viewer of reading ``target``'s personal data."""
    outcomes: dict[str, str] = dict.fromkeys(PEOPLE, INVISIBLE)
    outcomes["anonymous"] = UNAUTHENTICATED
    for viewer in SEES_DISPLAY_NAME[target]:
        outcomes[viewer] = FORBIDDEN
    # The admin sees every user, and their personal data only where the matrix says so.
    outcomes["admin"] = ALLOW if allowed("PERSONAL_DATA", "ADMIN") else FORBIDDEN
    columns = TARGET_BUILDING[target] or {}
    for viewer, column in columns.items():
        if column in STAFF_COLUMNS and allowed("PERSONAL_DATA", column):
            outcomes[viewer] = ALLOW  # staff of the organisation managing their building
    outcomes[target] = ALLOW
    return outcomes


def personal_data_cells() -> Any:
    for target in TARGET_BUILDING:
        for key in PEOPLE:
            yield pytest.param(key, target, id=f"{key}-{target}")


def personal_values(key: str) -> dict[str, str]:
    return {
        "fullName": f"{key} full name",
        "phone": "+79990000000",
        "email": f"{key}@example.org",
    }


@pytest.mark.parametrize(("key", "target"), list(personal_data_cells()))
async def test_user_personal_data(api: Api, world: World, key: str, target: str) -> None:
    outcome = personal_data_about(target)[key]
    result = await api.post(PERSONAL, {"id": world[target].id}, as_=person(world, key))
    user = {"id": world[target].id, "displayName": target.replace("_", " ").title()}
    if outcome == UNAUTHENTICATED:
        assert_denied(result, "UNAUTHENTICATED", ["node"])
        assert result.data == {"node": None}
    elif outcome == INVISIBLE:
        assert result.ok() == {"node": None}
    elif outcome == FORBIDDEN:
        assert result.response.status_code == 200
        assert sorted((e["extensions"]["code"], tuple(e["path"])) for e in result.errors) == [
            ("FORBIDDEN", ("node", "email")),
            ("FORBIDDEN", ("node", "fullName")),
            ("FORBIDDEN", ("node", "phone")),
        ], result
        assert result.data == {"node": {**user, "fullName": None, "phone": None, "email": None}}
    else:
        assert result.ok() == {"node": {**user, **personal_values(target)}}


NEIGHBOURS_PHONES = """
query ($id: ID!) { building(id: $id) { neighbours(first: 100) { nodes { user { id phone } } } } }
"""
OWNERS_PHONES = """
query ($id: ID!) { node(id: $id) { ... on Premise { owners { user { id phone } } } } }
"""


def assert_phones(
    result: GraphQLResult, world: World, key: str, users: list[dict[str, Any]], path: list[Any]
) -> None:
    """Each user's phone: the viewer's own or a staff member's (PERSONAL_DATA) is there;
    any other one is null with FORBIDDEN at its path."""
    assert result.response.status_code == 200, result
    reads_all = allowed("PERSONAL_DATA", PERSON_COLUMN[key])
    forbidden = []
    for index, user in enumerate(users):
        if reads_all or user["id"] == world[key].id:
            assert user["phone"] == "+79990000000", user
        else:
            assert user["phone"] is None, user
            forbidden.append([*path, index, "user", "phone"])
    errors = [(e["extensions"]["code"], e["path"]) for e in result.errors]
    assert errors == [("FORBIDDEN", p) for p in forbidden], result


@pytest.mark.parametrize(
    "key", [key for key in PEOPLE if allowed("NEIGHBOURS_DIRECTORY", PERSON_COLUMN[key])]
)
async def test_personal_data_through_neighbours(api: Api, world: World, key: str) -> None:
    """Neighbours see a display name and premise number, never a neighbour's phone."""
    result = await api.post(NEIGHBOURS_PHONES, {"id": world.building_id}, as_=world[key])
    assert result.data is not None, result
    users = [node["user"] for node in result.data["building"]["neighbours"]["nodes"]]
    assert len(users) == 4
    assert_phones(result, world, key, users, ["building", "neighbours", "nodes"])


@pytest.mark.parametrize(
    "key", [key for key in PEOPLE if allowed("OWNERS_REGISTER", PERSON_COLUMN[key])]
)
async def test_personal_data_through_owners_register(api: Api, world: World, key: str) -> None:
    """The register names owners; their phones only for staff (and the owner themself)."""
    result = await api.post(OWNERS_PHONES, {"id": world.premise_id("1")}, as_=world[key])
    assert result.data is not None, result
    users = [owner["user"] for owner in result.data["node"]["owners"]]
    assert [user["id"] for user in users] == [world["owner"].id, world["co_owner"].id]
    assert_phones(result, world, key, users, ["node", "owners"])


async def test_personal_data_of_guests_through_grants(api: Api, world: World) -> None:
    """A host sees who their guests are while the grants run, never their phones; an
    ended grant shows its guest no more."""
    result = await api.post(
        "{ viewer { guestGrantsGiven(first: 10) { nodes { isActive grantee { id phone } } } } }",
        as_=world["owner"],
    )
    assert result.data is not None, result
    grants = result.data["viewer"]["guestGrantsGiven"]["nodes"]
    users = [grant["grantee"] for grant in grants if grant["isActive"]]
    assert sorted(user["id"] for user in users) == sorted(
        world[key].id for key in ("guest_elevated", "guest_basic", "guest_initial")
    )
    assert [grant["grantee"] for grant in grants if not grant["isActive"]] == [None, None]
    assert all(user["phone"] is None for user in users)
    assert sorted(tuple(map(str, e["path"])) for e in result.errors) == sorted(
        ("viewer", "guestGrantsGiven", "nodes", str(index), "grantee", "phone")
        for index, grant in enumerate(grants)
        if grant["isActive"]
    )
    assert {e["extensions"]["code"] for e in result.errors} == {"FORBIDDEN"}


OWN_PERSONAL = "{ viewer { user { id fullName phone email } } }"


@pytest.mark.parametrize("key", PEOPLE)
async def test_own_personal_data(api: Api, world: World, key: str) -> None:
    """Every user reads their own personal data."""
    result = await api.post(OWN_PERSONAL, as_=person(world, key))
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["viewer"])
        assert result.data is None
        return
    assert result.ok() == {"viewer": {"user": {"id": world[key].id, **personal_values(key)}}}


# -- guestInvitationCreate / guestInvitationCancel / guestAccessRevoke -----------------
# @requires(GUEST_ACCESS_MANAGE)

INVITE = """
mutation ($input: GuestInvitationCreateInput!) {
  guestInvitationCreate(input: $input) {
    invitation { id level expiresAt status premise { id number } }
    code
    userErrors { code field }
  }
}
"""
CANCEL = """
mutation ($input: GuestInvitationCancelInput!) {
  guestInvitationCancel(input: $input) { invitation { id status } userErrors { code field } }
}
"""
REVOKE = """
mutation ($input: GuestAccessRevokeInput!) {
  guestAccessRevoke(input: $input) {
    grant { id isActive revokedAt grantee { id } }
    userErrors { code field }
  }
}
"""


async def invitations_snapshot(api: Api, world: World) -> list[tuple[Any, ...]]:
    rows = await api.db.fetch(
        select(GuestInvitation.id, GuestInvitation.cancelled_at, GuestInvitation.accepted_at)
        .where(GuestInvitation.building_id == world.building_pk)
        .order_by(GuestInvitation.id)
    )
    return [tuple(row) for row in rows]


async def insert_invitation(api: Api, world: World, *, premise: str, grantor: str) -> int:
    now = datetime.now(UTC)
    async with api.db.transaction() as (session, _):
        pk: int = (
            await session.execute(
                insert(GuestInvitation)
                .values(
                    premise_id=world.premises[premise],
                    building_id=world.building_pk,
                    grantor_id=world[grantor].pk,
                    level=GuestLevel.BASIC,
                    expires_at=now + timedelta(days=7),
                    accept_by=now + timedelta(days=1),
                    code_hash=uuid.uuid4().hex + uuid.uuid4().hex,
                )
                .returning(GuestInvitation.id)
            )
        ).scalar_one()
    return pk


@pytest.mark.parametrize("number", ["1", "2", "3"])
@pytest.mark.parametrize("key", PEOPLE)
async def test_guest_invitation_create(api: Api, world: World, key: str, number: str) -> None:
    expires_at = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    variables = {
        "input": {
            "premiseId": world.premise_id(number),
            "level": "BASIC",
            "expiresAt": expires_at.isoformat(),
        }
    }
    before = await invitations_snapshot(api, world)
    result = await api.post(INVITE, variables, as_=person(world, key))
    after = await invitations_snapshot(api, world)

    if key == "anonymous" or not allowed("GUEST_ACCESS_MANAGE", premise_column(key, number)):
        code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
        assert_denied(result, code, ["guestInvitationCreate"])
        assert result.data == {"guestInvitationCreate": None}
        assert after == before
        return

    payload = result.ok()["guestInvitationCreate"]
    assert payload["userErrors"] == []
    (new,) = [row for row in after if row not in before]
    try:
        assert payload["invitation"] == {
            "id": encode_id("GuestInvitation", new[0]),
            "level": "BASIC",
            "expiresAt": payload["invitation"]["expiresAt"],
            "status": "PENDING",
            "premise": {"id": world.premise_id(number), "number": number},
        }
        assert datetime.fromisoformat(payload["invitation"]["expiresAt"]) == expires_at
        assert payload["code"]
    finally:  # leave the world as it was
        async with api.db.transaction() as (session, _):
            await session.execute(delete(GuestInvitation).where(GuestInvitation.id == new[0]))


@pytest.mark.parametrize(("number", "grantor"), [("1", "owner"), ("2", "registered")])
@pytest.mark.parametrize("key", PEOPLE)
async def test_guest_invitation_cancel(
    api: Api, world: World, key: str, number: str, grantor: str
) -> None:
    pk = await insert_invitation(api, world, premise=number, grantor=grantor)
    try:
        before = await invitations_snapshot(api, world)
        variables = {"input": {"invitationId": encode_id("GuestInvitation", pk)}}
        result = await api.post(CANCEL, variables, as_=person(world, key))
        after = await invitations_snapshot(api, world)
        if key == "anonymous" or not allowed("GUEST_ACCESS_MANAGE", premise_column(key, number)):
            code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
            assert_denied(result, code, ["guestInvitationCancel"])
            assert result.data == {"guestInvitationCancel": None}
            assert after == before
            return
        payload = result.ok()["guestInvitationCancel"]
        assert payload == {
            "invitation": {"id": encode_id("GuestInvitation", pk), "status": "CANCELLED"},
            "userErrors": [],
        }
    finally:
        async with api.db.transaction() as (session, _):
            await session.execute(delete(GuestInvitation).where(GuestInvitation.id == pk))


@pytest.mark.parametrize(("number", "grantor"), [("1", "owner"), ("2", "registered")])
@pytest.mark.parametrize("key", PEOPLE)
async def test_guest_access_revoke(
    api: Api, world: World, key: str, number: str, grantor: str
) -> None:
    guest = await insert_user(api, "guest")
    assert guest.pk is not None
    grant_pk = await insert_grant(api, world, premise=number, grantor=grantor, grantee=guest.pk)
    try:
        variables = {"input": {"grantId": encode_id("GuestGrant", grant_pk)}}
        grants_before = await grants_snapshot(api, world)
        result = await api.post(REVOKE, variables, as_=person(world, key))
        grants_after = await grants_snapshot(api, world)
        notifications = await notifications_of(api, [guest.pk])

        if key == "anonymous" or not allowed("GUEST_ACCESS_MANAGE", premise_column(key, number)):
            code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
            assert_denied(result, code, ["guestAccessRevoke"])
            assert result.data == {"guestAccessRevoke": None}
            assert grants_after == grants_before
            assert notifications == []
            return

        payload = result.ok()["guestAccessRevoke"]
        assert payload["userErrors"] == []
        assert payload["grant"]["id"] == encode_id("GuestGrant", grant_pk)
        assert payload["grant"]["isActive"] is False
        assert payload["grant"]["revokedAt"] is not None
        # the grant has ended: it no longer shows its guest to the host
        assert payload["grant"]["grantee"] is None
        row = await read_one(
            api,
            select(GuestGrant.revoked_at, GuestGrant.revoked_by_id).where(
                GuestGrant.id == grant_pk
            ),
        )
        assert row is not None
        assert row[0] is not None
        assert row[1] == world[key].pk
        assert [r for r in grants_after if r[0] != grant_pk] == [
            r for r in grants_before if r[0] != grant_pk
        ]
        assert notifications == [(guest.pk, "GUEST_ACCESS_REVOKED", "GuestGrant", grant_pk)]
    finally:  # leave the world as it was
        async with api.db.transaction() as (session, _):
            await session.execute(delete(GuestGrant).where(GuestGrant.id == grant_pk))


# -- polls: Building.polls @requires(NOTICES_VIEW), pollCreate @requires(POLL_CREATE),
# -- pollVote @requires(POLL_VOTE) ------------------------------------------------------

POLL_CREATE = """
mutation ($input: PollCreateInput!) {
  pollCreate(input: $input) { poll { id question } userErrors { code } }
}
"""
POLL_VOTE = """
mutation ($input: PollVoteInput!) {
  pollVote(input: $input) { poll { id viewerHasVoted } userErrors { code } }
}
"""
BUILDING_POLLS = """
query ($id: ID!) { building(id: $id) { polls(first: 100) { nodes { id question } } } }
"""


def poll_input(building_id: str, question: str = "Красим подъезд?") -> dict[str, Any]:
    return {
        "input": {
            "buildingId": building_id,
            "question": question,
            "options": ["Да", "Нет"],
            "multipleChoice": True,
            "resultsVisibility": "AFTER_VOTE",
            "closesAt": (datetime.now(UTC) + timedelta(days=7)).isoformat(),
        }
    }


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def matrix_poll(api: Api, world: World) -> dict[str, Any]:
    """A multiple-choice poll of the building, created by its owner."""
    result = await api.gql(
        POLL_CREATE.replace("question", "question options { id }"),
        poll_input(world.building_id, "Общий опрос"),
        as_=world["owner"],
    )
    poll: dict[str, Any] = result["pollCreate"]["poll"]
    return poll


async def polls_snapshot(api: Api, world: World) -> list[tuple[Any, ...]]:
    rows = await read(api, select(Poll.__table__).where(Poll.building_id == world.building_pk))
    return sorted(tuple(row) for row in rows)


@pytest.mark.parametrize("key", PEOPLE)
async def test_building_polls(
    api: Api, world: World, matrix_poll: dict[str, Any], key: str
) -> None:
    result = await api.post(BUILDING_POLLS, {"id": world.building_id}, as_=person(world, key))
    column = PERSON_COLUMN[key]
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["building"])
        assert result.data == {"building": None}
    elif not allowed("BUILDING_VIEW", column):
        assert result.ok() == {"building": None}
    elif not allowed("NOTICES_VIEW", column):
        assert_denied(result, "FORBIDDEN", ["building", "polls"])
        assert result.data == {"building": {"polls": None}}
    else:
        nodes = result.ok()["building"]["polls"]["nodes"]
        assert {"id": matrix_poll["id"], "question": "Общий опрос"} in nodes


@pytest.mark.parametrize("building", ["building", "other_building"])
@pytest.mark.parametrize("key", PEOPLE)
async def test_poll_create(api: Api, world: World, key: str, building: str) -> None:
    building_id = world.building_id if building == "building" else world.other_building_id
    column = PERSON_COLUMN[key] if building == "building" else OTHER_BUILDING_COLUMN[key]
    before = await polls_snapshot(api, world)
    result = await api.post(POLL_CREATE, poll_input(building_id), as_=person(world, key))
    after = await polls_snapshot(api, world)
    if key == "anonymous" or not allowed("POLL_CREATE", column):
        code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
        assert_denied(result, code, ["pollCreate"])
        assert result.data == {"pollCreate": None}
        assert after == before
        return
    payload = result.ok()["pollCreate"]
    assert payload["userErrors"] == []
    assert payload["poll"]["question"] == "Красим подъезд?"
    async with api.db.transaction() as (session, _):  # leave the world as it was
        pk = (
            await session.execute(
                delete(Poll)
                .where(Poll.author_id == world[key].pk, Poll.question == "Красим подъезд?")
                .returning(Poll.id)
            )
        ).scalar_one()
    assert payload["poll"]["id"] == encode_id("Poll", pk)


@pytest.mark.parametrize("key", PEOPLE)
async def test_poll_vote(api: Api, world: World, matrix_poll: dict[str, Any], key: str) -> None:
    poll_pk = (await read_one(api, select(Poll.id).where(Poll.question == "Общий опрос")))[0]
    ballots = select(PollBallot.user_id).where(PollBallot.poll_id == poll_pk)
    before = await read(api, ballots)
    variables = {
        "input": {"pollId": matrix_poll["id"], "optionIds": [matrix_poll["options"][0]["id"]]}
    }
    result = await api.post(POLL_VOTE, variables, as_=person(world, key))
    after = await read(api, ballots)
    if key == "anonymous" or not allowed("POLL_VOTE", PERSON_COLUMN[key]):
        code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
        assert_denied(result, code, ["pollVote"])
        assert result.data == {"pollVote": None}
        assert after == before
        return
    payload = result.ok()["pollVote"]
    assert payload == {"poll": {"id": matrix_poll["id"], "viewerHasVoted": True}, "userErrors": []}
    assert sorted(after) == sorted([*before, (world[key].pk,)])


# -- listings: Building.listings @requires(LISTINGS_VIEW), listingCreate
# -- @requires(LISTING_POST), listingRemove @requires(LISTING_MODERATE) ----------------

LISTING_CREATE = """
mutation ($input: ListingCreateInput!) {
  listingCreate(input: $input) { listing { id title } userErrors { code } }
}
"""
LISTING_REMOVE = """
mutation ($input: ListingRemoveInput!) {
  listingRemove(input: $input) { listing { id status } userErrors { code } }
}
"""
BUILDING_LISTINGS = """
query ($id: ID!) { building(id: $id) { listings(first: 100) { nodes { id title } } } }
"""


def listing_input(building_id: str, title: str = "Отдам диван") -> dict[str, Any]:
    return {
        "input": {"buildingId": building_id, "category": "GIVE_AWAY", "title": title, "body": "."}
    }


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def matrix_listing(api: Api, world: World) -> dict[str, Any]:
    """A listing on the building's board, posted by its owner."""
    result = await api.gql(
        LISTING_CREATE, listing_input(world.building_id, "Общее объявление"), as_=world["owner"]
    )
    listing: dict[str, Any] = result["listingCreate"]["listing"]
    return listing


async def listings_snapshot(api: Api, world: World) -> list[tuple[Any, ...]]:
    rows = await read(
        api, select(Listing.__table__).where(Listing.building_id == world.building_pk)
    )
    return sorted(tuple(row) for row in rows)


@pytest.mark.parametrize("key", PEOPLE)
async def test_building_listings(
    api: Api, world: World, matrix_listing: dict[str, Any], key: str
) -> None:
    result = await api.post(BUILDING_LISTINGS, {"id": world.building_id}, as_=person(world, key))
    column = PERSON_COLUMN[key]
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["building"])
        assert result.data == {"building": None}
    elif not allowed("BUILDING_VIEW", column):
        assert result.ok() == {"building": None}
    elif not allowed("LISTINGS_VIEW", column):
        assert_denied(result, "FORBIDDEN", ["building", "listings"])
        assert result.data == {"building": {"listings": None}}
    else:
        nodes = result.ok()["building"]["listings"]["nodes"]
        assert {"id": matrix_listing["id"], "title": "Общее объявление"} in nodes


@pytest.mark.parametrize("building", ["building", "other_building"])
@pytest.mark.parametrize("key", PEOPLE)
async def test_listing_create(api: Api, world: World, key: str, building: str) -> None:
    building_id = world.building_id if building == "building" else world.other_building_id
    column = PERSON_COLUMN[key] if building == "building" else OTHER_BUILDING_COLUMN[key]
    before = await listings_snapshot(api, world)
    result = await api.post(LISTING_CREATE, listing_input(building_id), as_=person(world, key))
    after = await listings_snapshot(api, world)
    if key == "anonymous" or not allowed("LISTING_POST", column):
        code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
        assert_denied(result, code, ["listingCreate"])
        assert result.data == {"listingCreate": None}
        assert after == before
        return
    payload = result.ok()["listingCreate"]
    assert payload["userErrors"] == []
    assert payload["listing"]["title"] == "Отдам диван"
    async with api.db.transaction() as (session, _):  # leave the world as it was
        pk = (
            await session.execute(
                delete(Listing)
                .where(Listing.author_id == world[key].pk, Listing.title == "Отдам диван")
                .returning(Listing.id)
            )
        ).scalar_one()
    assert payload["listing"]["id"] == encode_id("Listing", pk)


@pytest.mark.parametrize("key", PEOPLE)
async def test_listing_remove(api: Api, world: World, key: str) -> None:
    created = await api.gql(
        LISTING_CREATE, listing_input(world.building_id, "Удаляемое"), as_=world["registered"]
    )
    listing = created["listingCreate"]["listing"]
    variables = {"input": {"listingId": listing["id"], "reason": "Спам"}}
    result = await api.post(LISTING_REMOVE, variables, as_=person(world, key))
    pk = (await read_one(api, select(Listing.id).where(Listing.title == "Удаляемое")))[0]
    (current,) = await read_one(api, select(Listing.status).where(Listing.id == pk))
    async with api.db.transaction() as (session, _):
        await session.execute(delete(Listing).where(Listing.id == pk))
    if key == "anonymous" or not allowed("LISTING_MODERATE", PERSON_COLUMN[key]):
        code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
        assert_denied(result, code, ["listingRemove"])
        assert result.data == {"listingRemove": None}
        assert current.value == "ACTIVE"
        return
    payload = result.ok()["listingRemove"]
    assert payload == {"listing": {"id": listing["id"], "status": "REMOVED"}, "userErrors": []}
    assert current.value == "REMOVED"


# -- chats -------------------------------------------------------------------------------

BUILDING_CHAT_QUERY = "query ($id: ID!) { building(id: $id) { chat { kind } } }"
CHAT_SEND = """
mutation ($input: ChatMessageSendInput!) {
  chatMessageSend(input: $input) { message { id } userErrors { code } }
}
"""
CHAT_MESSAGE_REMOVE = """
mutation ($input: ChatMessageRemoveInput!) {
  chatMessageRemove(input: $input) { removed userErrors { code } }
}
"""
# -- repair requests: repairRequestCreate / Join / the author's mutations
# -- @requires(REPAIR_REQUEST_CREATE), the staff's mutations, repairRequestDesk and
# -- ManagementOrganisation.repairBoardCursor @requires(REPAIR_REQUEST_HANDLE) -------------

REPAIR_CREATE = """
mutation ($input: RepairRequestCreateInput!) {
  repairRequestCreate(input: $input) { repairRequest { id status } userErrors { code } }
}
"""
REPAIR_JOIN = """
mutation ($input: RepairRequestJoinInput!) {
  repairRequestJoin(input: $input) { repairRequest { id followerCount } userErrors { code } }
}
"""
REPAIR_ACCEPT = """
mutation ($input: RepairRequestAcceptInput!) {
  repairRequestAccept(input: $input) { repairRequest { id status } userErrors { code } }
}
"""
REPAIR_CANCEL = """
mutation ($input: RepairRequestCancelInput!) {
  repairRequestCancel(input: $input) { repairRequest { id status } userErrors { code } }
}
"""
REPAIR_DESK = """
query ($id: ID!) { repairRequestDesk(organisationId: $id, first: 100) { nodes { id } } }
"""
BOARD_CURSOR = """
query ($id: ID!) { node(id: $id) { ... on ManagementOrganisation { repairBoardCursor } } }
"""


def repair_input(building_id: str, description: str) -> dict[str, Any]:
    return {
        "input": {
            "buildingId": building_id,
            "scope": "YARD",
            "category": "YARD_UPKEEP",
            "description": description,
        }
    }


async def repair_snapshot(api: Api) -> list[tuple[Any, ...]]:
    rows = await read(api, select(RepairRequest.__table__))
    followers = await read(api, select(RepairRequestFollower.__table__))
    return sorted(tuple(row) for row in rows) + sorted(tuple(row) for row in followers)


async def new_repair_request(api: Api, world: World, description: str) -> str:
    result = await api.gql(
        REPAIR_CREATE, repair_input(world.building_id, description), as_=world["owner"]
    )
    request_id: str = result["repairRequestCreate"]["repairRequest"]["id"]
    return request_id


@pytest.mark.parametrize("building", ["building", "other_building"])
@pytest.mark.parametrize("key", PEOPLE)
async def test_building_chat(api: Api, world: World, key: str, building: str) -> None:
    building_id = world.building_id if building == "building" else world.other_building_id
    column = PERSON_COLUMN[key] if building == "building" else OTHER_BUILDING_COLUMN[key]
    result = await api.post(BUILDING_CHAT_QUERY, {"id": building_id}, as_=person(world, key))
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["building"])
    elif not allowed("BUILDING_VIEW", column):
        assert result.ok() == {"building": None}
    elif not allowed("BUILDING_CHAT", column):
        assert_denied(result, "FORBIDDEN", ["building", "chat"])
        assert result.data == {"building": {"chat": None}}
    else:
        assert result.ok() == {"building": {"chat": {"kind": "BUILDING"}}}


@pytest.mark.parametrize("key", PEOPLE)
async def test_chat_message_remove(api: Api, world: World, key: str) -> None:
    chat = await api.gql(
        BUILDING_CHAT_QUERY.replace("kind", "id"), {"id": world.building_id}, as_=world["owner"]
    )
    message = await api.gql(
        CHAT_SEND,
        {"input": {"chatId": chat["building"]["chat"]["id"], "body": "Грубость"}},
        as_=world["registered"],
    )
    message_id = message["chatMessageSend"]["message"]["id"]
    variables = {"input": {"messageId": message_id, "reason": "Оскорбление"}}
    result = await api.post(CHAT_MESSAGE_REMOVE, variables, as_=person(world, key))
    decoded = decode_id(message_id)
    assert decoded is not None
    pk = decoded[1]
    (removed_at,) = await read_one(api, select(ChatMessage.removed_at).where(ChatMessage.id == pk))
    async with api.db.transaction() as (session, _):  # leave the world as it was
        await session.execute(delete(ChatEvent).where(ChatEvent.message_id == pk))
        await session.execute(delete(ChatMessage).where(ChatMessage.id == pk))
    if key == "anonymous" or not allowed("CHAT_MODERATE", PERSON_COLUMN[key]):
        code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
        assert_denied(result, code, ["chatMessageRemove"])
        assert result.data == {"chatMessageRemove": None}
        assert removed_at is None
        return
    assert result.ok()["chatMessageRemove"] == {"removed": True, "userErrors": []}
    assert removed_at is not None


@pytest.mark.parametrize("building", ["building", "other_building"])
@pytest.mark.parametrize("key", PEOPLE)
async def test_repair_request_create(api: Api, world: World, key: str, building: str) -> None:
    building_id = world.building_id if building == "building" else world.other_building_id
    column = PERSON_COLUMN[key] if building == "building" else OTHER_BUILDING_COLUMN[key]
    description = f"Broken bench by {key} in {building}"
    before = await repair_snapshot(api)
    result = await api.post(
        REPAIR_CREATE, repair_input(building_id, description), as_=person(world, key)
    )
    after = await repair_snapshot(api)
    if key == "anonymous" or not allowed("REPAIR_REQUEST_CREATE", column):
        code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
        assert_denied(result, code, ["repairRequestCreate"])
        assert result.data == {"repairRequestCreate": None}
        assert after == before
        return
    payload = result.ok()["repairRequestCreate"]
    assert payload["userErrors"] == []
    assert payload["repairRequest"]["status"] == "NEW"
    (pk,) = await read_one(
        api, select(RepairRequest.id).where(RepairRequest.description == description)
    )
    assert payload["repairRequest"]["id"] == encode_id("RepairRequest", pk)


@pytest.mark.parametrize("key", PEOPLE)
async def test_repair_request_join(api: Api, world: World, key: str) -> None:
    request_id = await new_repair_request(api, world, f"Puddle in the yard ({key})")
    before = await repair_snapshot(api)
    result = await api.post(
        REPAIR_JOIN, {"input": {"requestId": request_id}}, as_=person(world, key)
    )
    after = await repair_snapshot(api)
    column = PERSON_COLUMN[key]
    if key == "anonymous" or not allowed("REPAIR_REQUEST_CREATE", column):
        code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
        assert_denied(result, code, ["repairRequestJoin"])
        assert after == before
        return
    payload = result.ok()["repairRequestJoin"]
    if key == "owner":  # the author
        assert payload == {
            "repairRequest": {"id": request_id, "followerCount": 0},
            "userErrors": [{"code": "OWN_REQUEST"}],
        }
        assert after == before
        return
    assert payload == {"repairRequest": {"id": request_id, "followerCount": 1}, "userErrors": []}


@pytest.mark.parametrize("key", PEOPLE)
async def test_repair_request_accept(api: Api, world: World, key: str) -> None:
    request_id = await new_repair_request(api, world, f"Gate does not close ({key})")
    before = await repair_snapshot(api)
    result = await api.post(
        REPAIR_ACCEPT, {"input": {"requestId": request_id}}, as_=person(world, key)
    )
    after = await repair_snapshot(api)
    column = PERSON_COLUMN[key]
    if key == "anonymous" or not allowed("REPAIR_REQUEST_HANDLE", column):
        code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
        assert_denied(result, code, ["repairRequestAccept"])
        assert after == before
        return
    payload = result.ok()["repairRequestAccept"]
    if column == "ENGINEER":  # staff, but accepting is the desk's job (the state machine)
        assert payload == {
            "repairRequest": {"id": request_id, "status": "NEW"},
            "userErrors": [{"code": "ILLEGAL_TRANSITION"}],
        }
        assert after == before
        return
    assert payload == {"repairRequest": {"id": request_id, "status": "ACCEPTED"}, "userErrors": []}


@pytest.mark.parametrize("key", PEOPLE)
async def test_repair_request_cancel(api: Api, world: World, key: str) -> None:
    request_id = await new_repair_request(api, world, f"Swing is broken ({key})")
    before = await repair_snapshot(api)
    result = await api.post(
        REPAIR_CANCEL, {"input": {"requestId": request_id}}, as_=person(world, key)
    )
    after = await repair_snapshot(api)
    column = PERSON_COLUMN[key]
    if key == "anonymous" or not allowed("REPAIR_REQUEST_CREATE", column):
        code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
        assert_denied(result, code, ["repairRequestCancel"])
        assert after == before
        return
    payload = result.ok()["repairRequestCancel"]
    if key != "owner":  # residents see the yard request but only its author may cancel
        assert payload == {
            "repairRequest": {"id": request_id, "status": "NEW"},
            "userErrors": [{"code": "ILLEGAL_TRANSITION"}],
        }
        assert after == before
        return
    assert payload == {
        "repairRequest": {"id": request_id, "status": "CANCELLED"},
        "userErrors": [],
    }


@pytest.mark.parametrize("organisation", ["organisation", "other_organisation"])
@pytest.mark.parametrize("key", PEOPLE)
async def test_repair_request_desk(api: Api, world: World, key: str, organisation: str) -> None:
    mine = organisation == "organisation"
    request_id = await new_repair_request(api, world, f"Desk check {key} {organisation}")
    org_pk = world.organisation_pk if mine else world.other_organisation_pk
    org_id = encode_id("ManagementOrganisation", org_pk)
    result = await api.post(REPAIR_DESK, {"id": org_id}, as_=person(world, key))
    column = PERSON_COLUMN[key] if mine else OTHER_BUILDING_COLUMN[key]
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["repairRequestDesk"])
    elif column not in STAFF_COLUMNS or not allowed("REPAIR_REQUEST_HANDLE", column):
        assert_denied(result, "FORBIDDEN", ["repairRequestDesk"])
        assert result.data == {"repairRequestDesk": None}
    else:
        ids = [node["id"] for node in result.ok()["repairRequestDesk"]["nodes"]]
        assert (request_id in ids) is mine


@pytest.mark.parametrize("key", PEOPLE)
async def test_repair_board_cursor(api: Api, world: World, key: str) -> None:
    await new_repair_request(api, world, f"Cursor check {key}")
    (latest,) = await read_one(
        api,
        select(func.max(RepairRequestEvent.id)).where(
            RepairRequestEvent.organisation_id == world.organisation_pk
        ),
    )
    org_id = encode_id("ManagementOrganisation", world.organisation_pk)
    result = await api.post(BOARD_CURSOR, {"id": org_id}, as_=person(world, key))
    column = PERSON_COLUMN[key]
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["node"])
    elif not allowed("BUILDING_VIEW", column):  # the organisation itself is not visible
        assert result.ok() == {"node": None}
    elif not allowed("REPAIR_REQUEST_HANDLE", column):
        assert_denied(result, "FORBIDDEN", ["node", "repairBoardCursor"])
        assert result.data == {"node": {"repairBoardCursor": None}}
    else:
        assert result.ok() == {"node": {"repairBoardCursor": encode_cursor((latest,))}}


ORGANISATION_ENGINEERS = """
query ($id: ID!) {
  node(id: $id) { ... on ManagementOrganisation { engineers(first: 10) { nodes { id } } } }
}
"""


@pytest.mark.parametrize("key", PEOPLE)
async def test_organisation_engineers(api: Api, world: World, key: str) -> None:
    """ManagementOrganisation.engineers @requires(REPAIR_REQUEST_HANDLE); more cases in
    tests/residents/test_organisation_engineers.py."""
    org_id = encode_id("ManagementOrganisation", world.organisation_pk)
    result = await api.post(ORGANISATION_ENGINEERS, {"id": org_id}, as_=person(world, key))
    column = PERSON_COLUMN[key]
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["node"])
    elif not allowed("BUILDING_VIEW", column):  # the organisation itself is not visible
        assert result.ok() == {"node": None}
    elif not allowed("REPAIR_REQUEST_HANDLE", column):
        assert_denied(result, "FORBIDDEN", ["node", "engineers"])
        assert result.data == {"node": {"engineers": None}}
    else:
        engineers = {"nodes": [{"id": world["engineer"].id}]}
        assert result.ok() == {"node": {"engineers": engineers}}


# The directive of every state-machine mutation, cell by cell: who gets past it (the state
# machine then decides, see tests/repairs/test_transitions.py) and who is refused with nothing
# changed. A NEW building request of the owner is the object in scope.
REPAIR_STATE_MUTATIONS = {
    "Cancel": ("REPAIR_REQUEST_CREATE", {}),
    "Confirm": ("REPAIR_REQUEST_CREATE", {}),
    "Reopen": ("REPAIR_REQUEST_CREATE", {"comment": "Still broken."}),
    "Rate": ("REPAIR_REQUEST_CREATE", {"rating": 5}),
    "Accept": ("REPAIR_REQUEST_HANDLE", {}),
    "Reject": ("REPAIR_REQUEST_HANDLE", {"reason": "Not ours."}),
    "Defer": ("REPAIR_REQUEST_HANDLE", {}),
    "Assign": ("REPAIR_REQUEST_HANDLE", {"assigneeId": "engineer"}),
    "Start": ("REPAIR_REQUEST_HANDLE", {}),
    "Complete": ("REPAIR_REQUEST_HANDLE", {"comment": "Done."}),
}


@pytest.mark.parametrize("action", REPAIR_STATE_MUTATIONS)
@pytest.mark.parametrize("key", PEOPLE)
async def test_repair_request_state_mutation(api: Api, world: World, key: str, action: str) -> None:
    capability, fields = REPAIR_STATE_MUTATIONS[action]
    if fields.get("assigneeId") == "engineer":
        fields = {**fields, "assigneeId": world["engineer"].id}
    request_id = await new_repair_request(api, world, f"{action} check by {key}")
    name = f"repairRequest{action}"
    query = (
        f"mutation ($input: RepairRequest{action}Input!) "
        f"{{ {name}(input: $input) {{ repairRequest {{ id }} userErrors {{ code }} }} }}"
    )
    before = await repair_snapshot(api)
    result = await api.post(
        query, {"input": {"requestId": request_id, **fields}}, as_=person(world, key)
    )
    if key == "anonymous" or not allowed(capability, PERSON_COLUMN[key]):
        code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
        assert_denied(result, code, [name])
        assert result.data == {name: None}
        assert await repair_snapshot(api) == before
        return
    payload = result.ok()[name]
    assert payload["repairRequest"] == {"id": request_id}


# -- the table covers everything -------------------------------------------------------

# Guarded fields of the schema and the capability each one names; a new guarded field
# fails test_every_guarded_field_is_tested until it gets its cells above.
GUARDED_FIELDS = {
    ("Building", "neighbours"): "NEIGHBOURS_DIRECTORY",
    ("Building", "eventsNearby"): "EVENTS_VIEW",
    ("Premise", "owners"): "OWNERS_REGISTER",
    ("User", "fullName"): "PERSONAL_DATA",
    ("User", "phone"): "PERSONAL_DATA",
    ("User", "email"): "PERSONAL_DATA",
    ("Mutation", "guestInvitationCreate"): "GUEST_ACCESS_MANAGE",
    ("Mutation", "guestInvitationCancel"): "GUEST_ACCESS_MANAGE",
    ("Mutation", "guestAccessRevoke"): "GUEST_ACCESS_MANAGE",
    ("Building", "polls"): "NOTICES_VIEW",
    ("Mutation", "pollCreate"): "POLL_CREATE",
    ("Mutation", "pollVote"): "POLL_VOTE",
    ("Building", "listings"): "LISTINGS_VIEW",
    ("Mutation", "listingCreate"): "LISTING_POST",
    ("Mutation", "listingUpdate"): "LISTINGS_VIEW",
    ("Mutation", "listingClose"): "LISTINGS_VIEW",
    ("Mutation", "listingRemove"): "LISTING_MODERATE",
    ("Building", "chat"): "BUILDING_CHAT",
    ("Mutation", "chatMessageRemove"): "CHAT_MODERATE",
    ("Mutation", "repairRequestCreate"): "REPAIR_REQUEST_CREATE",
    ("Mutation", "repairRequestJoin"): "REPAIR_REQUEST_CREATE",
    ("Mutation", "repairRequestCancel"): "REPAIR_REQUEST_CREATE",
    ("Mutation", "repairRequestConfirm"): "REPAIR_REQUEST_CREATE",
    ("Mutation", "repairRequestReopen"): "REPAIR_REQUEST_CREATE",
    ("Mutation", "repairRequestRate"): "REPAIR_REQUEST_CREATE",
    ("Mutation", "repairRequestAccept"): "REPAIR_REQUEST_HANDLE",
    ("Mutation", "repairRequestReject"): "REPAIR_REQUEST_HANDLE",
    ("Mutation", "repairRequestDefer"): "REPAIR_REQUEST_HANDLE",
    ("Mutation", "repairRequestAssign"): "REPAIR_REQUEST_HANDLE",
    ("Mutation", "repairRequestStart"): "REPAIR_REQUEST_HANDLE",
    ("Mutation", "repairRequestComplete"): "REPAIR_REQUEST_HANDLE",
    ("Query", "repairRequestDesk"): "REPAIR_REQUEST_HANDLE",
    ("ManagementOrganisation", "repairBoardCursor"): "REPAIR_REQUEST_HANDLE",
    ("ManagementOrganisation", "engineers"): "REPAIR_REQUEST_HANDLE",
    # cells in tests/meetings/test_access.py
    ("Building", "meetings"): "MEETING_RESULTS_VIEW",
    ("Mutation", "meetingCreate"): "MEETING_INITIATE",
    ("Mutation", "meetingSchedule"): "MEETING_INITIATE",
    ("Mutation", "meetingCancel"): "MEETING_INITIATE",
    ("Mutation", "meetingVoteCast"): "MEETING_VOTE",
    ("Mutation", "meetingVoteCastByAttorney"): "MEETING_VOTE_BY_ATTORNEY",
    ("Mutation", "meetingPaperBallotEnter"): "MEETING_INITIATE",
    ("Mutation", "powerOfAttorneyRegister"): "MEETING_INITIATE",
    # cells in tests/vehicles/test_vehicles.py (test_vehicles_of_a_person_are_personal_data)
    ("Query", "vehicles"): "PERSONAL_DATA",
    # cells in tests/billing/test_access.py (bills and payments are household records,
    # HOUSEHOLD_RECORDS_VIEW measured at their premise)
    ("Premise", "bills"): "HOUSEHOLD_RECORDS_VIEW",
    ("Premise", "payments"): "HOUSEHOLD_RECORDS_VIEW",
    ("Mutation", "billPay"): "BILLS_PAY",
    # cells in tests/meters/test_access.py (meters are seen with HOUSEHOLD_RECORDS_VIEW
    # measured at their premise)
    ("Premise", "meters"): "HOUSEHOLD_RECORDS_VIEW",
    ("Mutation", "meterReadingSubmit"): "METER_READING_SUBMIT",
    ("Mutation", "meterRegister"): "METERS_MANAGE",
    ("Mutation", "meterReplace"): "METERS_MANAGE",
    ("Mutation", "meterRetire"): "METERS_MANAGE",
    # cells in tests/intercom/test_access.py (codes and the entry log are household
    # records measured at their premise; opening at a premise behind that entrance)
    ("Premise", "intercomCodes"): "HOUSEHOLD_RECORDS_VIEW",
    ("Premise", "intercomEntries"): "HOUSEHOLD_RECORDS_VIEW",
    ("Premise", "intercomCalls"): "INTERCOM_OPEN",
    ("Mutation", "intercomApply"): "INTERCOM_APPLY",
    ("Mutation", "intercomApplicationReview"): "INTERCOM_MANAGE",
    ("Mutation", "intercomApplicationConnect"): "INTERCOM_MANAGE",
    ("Mutation", "intercomDoorOpen"): "INTERCOM_OPEN",
    ("Mutation", "intercomCodeCreate"): "INTERCOM_CODE_CREATE",
    ("Mutation", "intercomCodeRevoke"): "INTERCOM_CODE_CREATE",
    ("Mutation", "intercomCallAnswer"): "INTERCOM_OPEN",
    # cells in tests/notices/test_access.py
    ("Building", "notices"): "NOTICES_VIEW",
    ("Mutation", "noticePost"): "NOTICES_POST",
    ("Mutation", "noticeUpdate"): "NOTICES_POST",
    ("Mutation", "noticeWithdraw"): "NOTICES_POST",
}


def test_every_capability_has_a_row() -> None:
    missing = {capability.value for capability in Capability} - set(EXPECTED)
    assert not missing, f"add these capabilities to EXPECTED: {sorted(missing)}"
    assert set(EXPECTED) == {capability.value for capability in Capability}
    for capability in EXPECTED:
        marks(capability)


def test_every_person_has_a_column() -> None:
    assert set(PERSON_COLUMN) == set(PEOPLE)
    assert set(OTHER_BUILDING_COLUMN) == set(PEOPLE)


def test_every_guarded_field_is_tested() -> None:
    document = parse(build_schema().as_str())
    guarded: dict[tuple[str, str], str] = {}
    for definition in document.definitions:
        if not isinstance(definition, ObjectTypeDefinitionNode):
            continue
        for field in definition.fields or ():
            for directive in field.directives or ():
                if directive.name.value != "requires":
                    continue
                (argument,) = directive.arguments
                assert isinstance(argument.value, EnumValueNode | StringValueNode)
                guarded[(definition.name.value, field.name.value)] = argument.value.value
    assert guarded == GUARDED_FIELDS
