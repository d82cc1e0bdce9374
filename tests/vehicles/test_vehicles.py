"""Vehicles: `vehicleAdd`, `vehicleRemove`, `myVehicles`, `node` visibility, and
`vehicleOwnerContact` (plates normalised, owners notified live, the sender told nothing,
rate limits), through the served API."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import encode_id
from edom_graphql.core.ratelimit import RateLimitHit
from edom_graphql.residents.models import Registration
from edom_graphql.vehicles.models import Vehicle
from edom_graphql.vehicles.service import normalize_plate
from tests.factories import ANONYMOUS, Api, Clock, Person, make_user, make_world

ADD = """
mutation Add($input: VehicleAddInput!) {
  vehicleAdd(input: $input) {
    vehicle { id plate createdAt }
    userErrors { __typename code field message }
  }
}
"""
REMOVE = """
mutation Remove($input: VehicleRemoveInput!) {
  vehicleRemove(input: $input) {
    removedVehicleId
    userErrors { __typename code field message }
  }
}
"""
CONTACT = """
mutation Contact($input: VehicleOwnerContactInput!) {
  vehicleOwnerContact(input: $input) {
    sent
    userErrors { __typename code field message }
  }
}
"""
MINE = "{ myVehicles { id plate createdAt } }"
NODE = """
query Node($id: ID!) {
  node(id: $id) { __typename id ... on Vehicle { plate } }
  nodes(ids: [$id]) { id }
}
"""
NOTIFICATIONS = """
{ viewer { notifications(first: 100) { edges { node { kind message subjectId } } } } }
"""
RECEIVED = "subscription { notificationReceived { kind message subjectId } }"

CYRILLIC = str.maketrans("ABEKMHOPCTYX", "АВЕКМНОРСТУХ")
SENT = {"vehicleOwnerContact": {"sent": True, "userErrors": []}}


def fresh_plate() -> str:
    """A Latin plate no other test uses (contacts reach owners platform-wide)."""
    digits = random.randrange(1_000_000)
    return f"A{digits // 1000:03d}BC{digits % 1000:03d}"


async def add(api: Api, person: Person, plate: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await api.gql(ADD, {"input": {"plate": plate}}, as_=person))[
        "vehicleAdd"
    ]
    return payload


async def added(api: Api, person: Person, plate: str) -> dict[str, Any]:
    payload = await add(api, person, plate)
    assert payload["userErrors"] == [], payload
    vehicle: dict[str, Any] = payload["vehicle"]
    return vehicle


async def contact(api: Api, person: Person, plate: str, template: str = "BLOCKING_EXIT") -> Any:
    return await api.post(CONTACT, {"input": {"plate": plate, "template": template}}, as_=person)


async def mine(api: Api, person: Person) -> list[dict[str, Any]]:
    vehicles: list[dict[str, Any]] = (await api.gql(MINE, as_=person))["myVehicles"]
    return vehicles


async def received(api: Api, person: Person) -> list[dict[str, Any]]:
    """The person's vehicle contacts, newest first."""
    data = await api.gql(NOTIFICATIONS, as_=person)
    nodes = [edge["node"] for edge in data["viewer"]["notifications"]["edges"]]
    return [node for node in nodes if node["kind"] == "VEHICLE_OWNER_CONTACT"]


async def stored_plates(api: Api, person: Person) -> list[str]:
    rows = await api.db.fetch(
        select(Vehicle.plate_normalized).where(Vehicle.user_id == person.pk).order_by(Vehicle.id)
    )
    return [row[0] for row in rows]


async def contact_hits(api: Api, person: Person) -> int:
    row = await api.db.fetch_one(
        select(func.count()).where(
            RateLimitHit.bucket.like("vehicle_contact%"), RateLimitHit.user_id == person.pk
        )
    )
    assert row is not None
    return int(row[0])


def rate_limited(result: Any) -> int:
    assert result.response.status_code == 200, result.body
    assert result.data is None
    (error,) = result.errors
    assert error["extensions"]["code"] == "RATE_LIMITED"
    assert error["path"] == ["vehicleOwnerContact"]
    retry_after = error["extensions"]["retryAfter"]
    assert isinstance(retry_after, int)
    assert retry_after > 0
    return retry_after


# -- the normaliser ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "normalized"),
    [
        ("а 123 вс 77", "A123BC77"),
        ("A123BC77", "A123BC77"),
        ("a123bc77", "A123BC77"),
        ("А123ВС77", "A123BC77"),
        ("A-123-BC 77", "A123BC77"),
        ("Х777ХХ 199", "X777XX199"),
        ("X777XX199", "X777XX199"),
        ("  е001кх\t50 ", "E001KX50"),
        ("AМ 1234 77", "AM123477"),
    ],
)
def test_plates_fold_to_one_form(typed: str, normalized: str) -> None:
    assert normalize_plate(typed).normalized == normalized


def test_cyrillic_and_latin_look_alikes_are_one_plate() -> None:
    assert normalize_plate("а 123 вс 77").normalized == normalize_plate("A123BC77").normalized
    assert normalize_plate("Х777ХХ 199").normalized == normalize_plate("X777XX199").normalized
    assert normalize_plate("Х777ХХ 199").normalized.isascii()


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "A12",
        "A1234567890BC",
        "Ж123ЖЖ77",
        "A123BC77!",
        "A_123_BC",
        "A123\u200bBC77",
        "A123\x00BC77",
        "１２３ＡＢＣ",
        "A" * 1000,
        "A 1 2 3 B C 7 7" + " " * 40,
    ],
)
def test_implausible_plates_are_refused(typed: str) -> None:
    with pytest.raises(ServiceError) as refused:
        normalize_plate(typed)
    assert refused.value.code == "INVALID_PLATE"
    assert refused.value.field == ["plate"]


def test_display_form_keeps_what_was_typed() -> None:
    assert normalize_plate(" а123  вс-77 ").display == "А123 ВС 77"
    # Too many separators for the display column: the normalised form is shown.
    assert normalize_plate("A 1 2 3 B C 7 7 7 7 7").display == "A123BC77777"


# -- add, list, remove ------------------------------------------------------------------


async def test_add_list_and_remove(api: Api) -> None:
    user = await make_user(api, "driver")
    assert await mine(api, user) == []
    first = await added(api, user, "а123вс77")
    second = await added(api, user, "X 777 XX 199")
    assert first["plate"] == "А123ВС77"
    assert second["plate"] == "X 777 XX 199"
    assert await mine(api, user) == [second, first]  # newest first
    assert await stored_plates(api, user) == ["A123BC77", "X777XX199"]

    result = await api.gql(REMOVE, {"input": {"vehicleId": first["id"]}}, as_=user)
    assert result == {"vehicleRemove": {"removedVehicleId": first["id"], "userErrors": []}}
    assert await mine(api, user) == [second]
    assert await stored_plates(api, user) == ["X777XX199"]


async def test_the_same_plate_in_another_spelling_is_already_added(api: Api) -> None:
    user = await make_user(api, "driver")
    vehicle = await added(api, user, "а123вс77")
    payload = await add(api, user, "A 123 BC 77")
    assert payload == {
        "vehicle": None,
        "userErrors": [
            {
                "__typename": "VehicleAddError",
                "code": "ALREADY_ADDED",
                "field": ["plate"],
                "message": payload["userErrors"][0]["message"],
            }
        ],
    }
    assert await mine(api, user) == [vehicle]


async def test_two_users_may_add_the_same_plate(api: Api) -> None:
    first, second = await make_user(api, "first"), await make_user(api, "second")
    plate = fresh_plate()
    await added(api, first, plate)
    await added(api, second, plate.translate(CYRILLIC))
    assert await stored_plates(api, first) == await stored_plates(api, second) == [plate]


async def test_at_most_ten_vehicles(api: Api) -> None:
    user = await make_user(api, "fleet")
    for n in range(10):
        await added(api, user, f"A{n:03d}AA77")
    payload = await add(api, user, "B001BB77")
    assert payload["vehicle"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["TOO_MANY_VEHICLES"]
    assert len(await mine(api, user)) == 10
    assert "B001BB77" not in await stored_plates(api, user)


async def test_concurrent_adds_cannot_pass_the_limit(api: Api) -> None:
    user = await make_user(api, "fleet")
    payloads = await asyncio.gather(*(add(api, user, f"C{n:03d}CC77") for n in range(14)))
    codes = sorted(p["userErrors"][0]["code"] for p in payloads if p["userErrors"])
    assert codes == ["TOO_MANY_VEHICLES"] * 4
    assert len(await stored_plates(api, user)) == 10


@pytest.mark.parametrize("plate", ["", "A12", "Ж123ЖЖ77", "A123BC77!", "A" * 500])
async def test_invalid_plate_is_not_added(api: Api, plate: str) -> None:
    user = await make_user(api, "driver")
    payload = await add(api, user, plate)
    assert payload["vehicle"] is None
    (error,) = payload["userErrors"]
    assert error["code"] == "INVALID_PLATE"
    assert error["field"] == ["plate"]
    assert error["message"]
    assert await stored_plates(api, user) == []


async def test_removing_what_is_not_yours_is_not_found(api: Api) -> None:
    owner, other = await make_user(api, "owner"), await make_user(api, "other")
    vehicle = await added(api, owner, fresh_plate())
    plates = await stored_plates(api, owner)
    for vehicle_id in (
        vehicle["id"],  # someone else's
        encode_id("Vehicle", 2**62),  # missing
        encode_id("User", other.pk or 0),  # not a vehicle
        "not-an-id",
    ):
        result = await api.gql(REMOVE, {"input": {"vehicleId": vehicle_id}}, as_=other)
        assert result == {
            "vehicleRemove": {
                "removedVehicleId": None,
                "userErrors": [
                    {
                        "__typename": "VehicleRemoveError",
                        "code": "NOT_FOUND",
                        "field": ["vehicleId"],
                        "message": "You have no such vehicle.",
                    }
                ],
            }
        }
    assert await stored_plates(api, owner) == plates
    assert await mine(api, owner) == [vehicle]


async def test_removing_twice_is_not_found(api: Api) -> None:
    user = await make_user(api, "driver")
    vehicle = await added(api, user, fresh_plate())
    await api.gql(REMOVE, {"input": {"vehicleId": vehicle["id"]}}, as_=user)
    again = await api.gql(REMOVE, {"input": {"vehicleId": vehicle["id"]}}, as_=user)
    assert [e["code"] for e in again["vehicleRemove"]["userErrors"]] == ["NOT_FOUND"]


async def test_anonymous_is_refused_everything(api: Api) -> None:
    user = await make_user(api, "driver")
    vehicle = await added(api, user, fresh_plate())
    for query, variables in (
        (MINE, None),
        (ADD, {"input": {"plate": fresh_plate()}}),
        (REMOVE, {"input": {"vehicleId": vehicle["id"]}}),
        (CONTACT, {"input": {"plate": fresh_plate(), "template": "LIGHTS_ON"}}),
        (NODE, {"id": vehicle["id"]}),
    ):
        result = await api.post(query, variables, as_=ANONYMOUS)
        assert result.data is None, result
        assert "UNAUTHENTICATED" in result.codes, result
    assert await mine(api, user) == [vehicle]
    assert len(await stored_plates(api, user)) == 1


async def test_my_vehicles_is_one_statement_beyond_the_access_profile(api: Api) -> None:
    user = await make_user(api, "fleet")
    for n in range(5):
        await added(api, user, f"D{n:03d}DD77")
    await api.gql(MINE, as_=user)  # warm any per-process caches
    with api.count_statements() as statements:
        vehicles = await mine(api, user)
    assert len(vehicles) == 5
    assert len(statements) == 2, statements
    assert sum("vehicles" in statement for statement in statements) == 1, statements


# -- node visibility: plates are personal data ------------------------------------------


VEHICLES_OF = "query ($owner: ID!) { vehicles(ownerId: $owner) { id plate } }"


async def test_a_vehicle_is_visible_to_its_owner_and_their_buildings_staff(api: Api) -> None:
    world = await make_world(api)
    owner = world["owner"]
    vehicle = await added(api, owner, fresh_plate())
    seen = {"__typename": "Vehicle", "id": vehicle["id"], "plate": vehicle["plate"]}
    for key in ("owner", "dispatcher", "engineer", "manager"):
        data = await api.gql(NODE, {"id": vehicle["id"]}, as_=world[key])
        assert data == {"node": seen, "nodes": [{"id": vehicle["id"]}]}, key
    others = ("co_owner", "registered", "resident", "guest_basic", "other_staff", "stranger")
    for other in (*others, "admin"):
        data = await api.gql(NODE, {"id": vehicle["id"]}, as_=world[other])
        assert data == {"node": None, "nodes": [None]}, other


@pytest.mark.parametrize(
    ("key", "allowed"),
    [
        ("owner", True),
        ("dispatcher", True),
        ("engineer", True),
        ("manager", True),
        ("co_owner", False),
        ("registered", False),
        ("guest_basic", False),
        ("guest_revoked", False),
        ("other_staff", False),
        ("stranger", False),
        ("admin", False),
    ],
)
async def test_vehicles_of_a_person_are_personal_data(api: Api, key: str, allowed: bool) -> None:
    """``vehicles(ownerId:)`` @requires(PERSONAL_DATA): the owner and the staff of their
    building's organisation, cell by cell."""
    world = await make_world(api)
    vehicle = await added(api, world["owner"], fresh_plate())
    result = await api.post(VEHICLES_OF, {"owner": world["owner"].id}, as_=world[key])
    if allowed:
        assert result.ok() == {"vehicles": [{"id": vehicle["id"], "plate": vehicle["plate"]}]}
    else:
        assert result.data == {"vehicles": None}, result
        assert result.codes == ["FORBIDDEN"], result


async def test_vehicles_of_a_person_who_left_are_not_staffs_to_see(api: Api) -> None:
    world = await make_world(api)
    vehicle = await added(api, world["registered"], fresh_plate())
    assert (await api.gql(VEHICLES_OF, {"owner": world["registered"].id}, as_=world["manager"]))[
        "vehicles"
    ] == [{"id": vehicle["id"], "plate": vehicle["plate"]}]
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(Registration)
            .where(Registration.user_id == world["registered"].pk)
            .values(ended_at=datetime.now(UTC))
        )
    result = await api.post(VEHICLES_OF, {"owner": world["registered"].id}, as_=world["manager"])
    assert result.codes == ["FORBIDDEN"], result
    data = await api.gql(NODE, {"id": vehicle["id"]}, as_=world["manager"])
    assert data == {"node": None, "nodes": [None]}


# -- contacting an owner ----------------------------------------------------------------


async def test_contact_reaches_the_owner_whatever_the_spelling(api: Api) -> None:
    owner, sender = await make_user(api, "owner"), await make_user(api, "sender")
    vehicle = await added(api, owner, "а123вс77")
    before = len(await received(api, owner))

    result = await contact(api, sender, "A 123 BC 77", "LIGHTS_ON")

    assert result.ok() == SENT
    notes = await received(api, owner)
    assert len(notes) == before + 1
    assert notes[0] == {
        "kind": "VEHICLE_OWNER_CONTACT",
        "message": "У вашего автомобиля А123ВС77 включены фары.",
        "subjectId": vehicle["id"],
    }


async def test_every_owner_of_the_plate_is_notified_but_not_the_sender(api: Api) -> None:
    first, second = await make_user(api, "first"), await make_user(api, "second")
    sender = await make_user(api, "sender")
    plate = fresh_plate()
    await added(api, first, plate)
    await added(api, second, plate.translate(CYRILLIC))
    await added(api, sender, plate)  # the sender's car too (shared, or a mistake)

    assert (await contact(api, sender, plate.lower(), "ALARM_SOUNDING")).ok() == SENT

    for owner in (first, second):
        assert [n["message"] for n in await received(api, owner)] == [
            f"У вашего автомобиля {(await mine(api, owner))[0]['plate']} сработала сигнализация."
        ]
    assert await received(api, sender) == []


async def test_contacting_your_own_car_notifies_nobody(api: Api) -> None:
    sender = await make_user(api, "sender")
    plate = fresh_plate()
    await added(api, sender, plate)
    assert (await contact(api, sender, plate)).ok() == SENT
    assert await received(api, sender) == []


async def test_the_sender_learns_nothing_about_owners(api: Api) -> None:
    owner, sender = await make_user(api, "owner"), await make_user(api, "sender")
    owned, unowned = fresh_plate(), fresh_plate()
    await added(api, owner, owned)
    with_owner = await contact(api, sender, owned)
    without_owner = await contact(api, sender, unowned)
    assert with_owner.body == without_owner.body == {"data": SENT}
    assert (
        with_owner.response.headers["content-type"]
        == (without_owner.response.headers["content-type"])
    )
    assert len(await received(api, owner)) == 1
    assert await contact_hits(api, sender) == 4  # both counted: per plate and per sender


async def test_a_contact_arrives_live(api: Api) -> None:
    owner, sender = await make_user(api, "owner"), await make_user(api, "sender")
    vehicle = await added(api, owner, "в 456 ор 99")
    with api.count_statements() as statements:
        async with signed_in(api, owner) as ws:
            seen = replays(statements)
            await ws.send({"id": "1", "type": "subscribe", "payload": {"query": RECEIVED}})
            async with asyncio.timeout(RECEIVE_TIMEOUT):  # the server listens once it replays
                while True:
                    if replays(statements) > seen:
                        break
                    await asyncio.sleep(0.005)

            assert (await contact(api, sender, "B456OP99", "WINDOW_OPEN")).ok() == SENT

            message = await ws.receive()
            assert message == {
                "id": "1",
                "type": "next",
                "payload": {
                    "data": {
                        "notificationReceived": {
                            "kind": "VEHICLE_OWNER_CONTACT",
                            "message": "У вашего автомобиля В 456 ОР 99 открыто окно.",
                            "subjectId": vehicle["id"],
                        }
                    }
                },
            }


@pytest.mark.parametrize("plate", ["", "12", "Ж123ЖЖ77", "A123BC77?", "A" * 500])
async def test_invalid_plate_is_refused_and_not_counted(api: Api, plate: str) -> None:
    sender = await make_user(api, "sender")
    result = await contact(api, sender, plate)
    payload = result.ok()["vehicleOwnerContact"]
    assert payload["sent"] is False
    (error,) = payload["userErrors"]
    assert error["__typename"] == "VehicleOwnerContactError"
    assert error["code"] == "INVALID_PLATE"
    assert error["field"] == ["plate"]
    assert await contact_hits(api, sender) == 0


@pytest.mark.parametrize(
    "input",
    [{"plate": "A123BC77"}, {"plate": "A123BC77", "template": "HELLO"}, {"template": "LIGHTS_ON"}],
    ids=["no-template", "unknown-template", "no-plate"],
)
async def test_malformed_input_is_a_bad_request(api: Api, input: dict[str, Any]) -> None:
    sender = await make_user(api, "sender")
    result = await api.post(CONTACT, {"input": input}, as_=sender)
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.data is None
    assert await contact_hits(api, sender) == 0


async def test_one_message_per_plate_in_15_minutes(api: Api, clock: Clock) -> None:
    owner, sender = await make_user(api, "owner"), await make_user(api, "sender")
    plate = fresh_plate()
    await added(api, owner, plate)
    assert (await contact(api, sender, plate)).ok() == SENT

    clock.advance(timedelta(minutes=5))
    # The same plate in another spelling is the same plate.
    retry_after = rate_limited(await contact(api, sender, plate.translate(CYRILLIC)))
    assert 9 * 60 <= retry_after <= 10 * 60 + 1
    assert len(await received(api, owner)) == 1
    # Another plate, and another sender for this plate, are not held up.
    assert (await contact(api, sender, fresh_plate())).ok() == SENT
    assert (await contact(api, await make_user(api, "another"), plate)).ok() == SENT
    assert len(await received(api, owner)) == 2

    clock.advance(timedelta(minutes=11))
    assert (await contact(api, sender, plate, "TOW_TRUCK_NEARBY")).ok() == SENT
    notes = await received(api, owner)
    assert len(notes) == 3
    assert notes[0]["message"].startswith("Рядом с вашим автомобилем")


async def test_ten_messages_a_day(api: Api, clock: Clock) -> None:
    owner, sender = await make_user(api, "owner"), await make_user(api, "sender")
    plates = [fresh_plate() for _ in range(11)]
    await added(api, owner, plates[10])
    for plate in plates[:10]:  # nobody owns these: they count all the same
        assert (await contact(api, sender, plate)).ok() == SENT
        clock.advance(timedelta(minutes=1))

    retry_after = rate_limited(await contact(api, sender, plates[10]))
    assert 24 * 3600 - 10 * 60 - 5 <= retry_after <= 24 * 3600 - 10 * 60 + 1
    assert await received(api, owner) == []
    assert await contact_hits(api, sender) == 20  # the refusal counted nothing

    clock.advance(timedelta(seconds=retry_after))
    assert (await contact(api, sender, plates[10])).ok() == SENT
    assert len(await received(api, owner)) == 1


async def test_concurrent_messages_cannot_pass_the_limit(api: Api) -> None:
    sender = await make_user(api, "sender")
    plate = fresh_plate()
    results = await asyncio.gather(*(contact(api, sender, plate) for _ in range(6)))
    assert sorted("RATE_LIMITED" if r.errors else "SENT" for r in results) == (
        ["RATE_LIMITED"] * 5 + ["SENT"]
    )
    assert await contact_hits(api, sender) == 2


# -- a few lines of graphql-transport-ws ------------------------------------------------

RECEIVE_TIMEOUT = 5.0


def replays(statements: list[str]) -> int:
    """Catch-up queries of ``notificationReceived`` sent so far."""
    return sum("notifications.id >" in statement for statement in statements)


class WebSocket:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    async def send(self, message: dict[str, Any]) -> None:
        await self.ws.send(json.dumps(message))

    async def receive(self) -> dict[str, Any]:
        async with asyncio.timeout(RECEIVE_TIMEOUT):
            while True:
                message: dict[str, Any] = json.loads(await self.ws.recv())
                if message["type"] == "ping":
                    await self.send({"type": "pong"})
                elif message["type"] != "pong":
                    return message


@asynccontextmanager
async def signed_in(api: Api, person: Person) -> AsyncIterator[WebSocket]:
    assert person.token is not None
    async with connect(
        api.ws_url,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        open_timeout=RECEIVE_TIMEOUT,
        close_timeout=2,
    ) as ws:
        client = WebSocket(ws)
        await client.send(
            {"type": "connection_init", "payload": {"authorization": f"Bearer {person.token}"}}
        )
        assert (await client.receive())["type"] == "connection_ack"
        yield client
