"""`guestAccessGrant` and `guestAccessRevoke`: temporary access to a premise."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, insert, select

from edom_graphql.core.ids import encode_id
from edom_graphql.notifications.models import Notification
from edom_graphql.residents.models import GuestGrant, GuestLevel, Registration
from tests.factories import Api, Clock, Person, World, make_user, make_world

GRANT = """
mutation Grant($input: GuestAccessGrantInput!) {
  guestAccessGrant(input: $input) {
    grant {
      id level startsAt expiresAt revokedAt isActive
      premise { id number }
      grantor { id }
      grantee { id displayName }
    }
    userErrors { __typename code field message }
  }
}
"""

REVOKE = """
mutation Revoke($input: GuestAccessRevokeInput!) {
  guestAccessRevoke(input: $input) {
    grant { id revokedAt isActive }
    userErrors { __typename code field message }
  }
}
"""

BUILDING = """
query Building($id: ID!) { building(id: $id) { id viewerTier } }
"""

NOTIFICATIONS = """
{ viewer { notifications(first: 20) { edges { node { kind message subjectId } } } } }
"""


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def later(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


def grant_input(world: World, grantee: Person | str, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "premiseId": world.premise_id("1"),
        "granteeId": grantee if isinstance(grantee, str) else grantee.id,
        "level": "BASIC",
        "expiresAt": iso(later(days=7)),
    }
    values.update(overrides)
    return values


async def grant(api: Api, by: Person, values: dict[str, Any]) -> Any:
    return await api.post(GRANT, {"input": values}, as_=by)


async def revoke(api: Api, by: Person, grant_id: str) -> Any:
    return await api.post(REVOKE, {"input": {"grantId": grant_id}}, as_=by)


async def grant_rows(api: Api, world: World) -> list[tuple[Any, ...]]:
    rows = await api.db.fetch(
        select(
            GuestGrant.id,
            GuestGrant.grantee_id,
            GuestGrant.level,
            GuestGrant.starts_at,
            GuestGrant.expires_at,
            GuestGrant.revoked_at,
            GuestGrant.revoked_by_id,
        )
        .where(GuestGrant.building_id == world.building_pk)
        .order_by(GuestGrant.id)
    )
    return [(r[0], r[1], GuestLevel(r[2]), *r[3:]) for r in rows]


async def notifications(api: Api, user_pk: int | None, kind: str | None = None) -> list[str]:
    statement = select(Notification.message).where(Notification.user_id == user_pk)
    if kind is not None:
        statement = statement.where(Notification.kind == kind)
    return [row[0] for row in await api.db.fetch(statement.order_by(Notification.id))]


async def all_notification_count(api: Api) -> int:
    row = await api.db.fetch_one(select(func.count()).select_from(Notification))
    assert row is not None
    return int(row[0])


def grant_error(result: Any) -> dict[str, Any]:
    payload = result.ok()["guestAccessGrant"]
    assert payload["grant"] is None
    (error,) = payload["userErrors"]
    assert error["__typename"] == "GuestAccessGrantError"
    assert error["message"]
    return dict(error)


async def tier_in_building(api: Api, world: World, person: Person) -> str | None:
    data = await api.gql(BUILDING, {"id": world.building_id}, as_=person)
    return None if data["building"] is None else data["building"]["viewerTier"]


# == guestAccessGrant =====================================================================


@pytest.mark.parametrize(
    ("level", "tier"),
    [("ELEVATED", "GUEST_ELEVATED"), ("BASIC", "GUEST_BASIC"), ("INITIAL", "GUEST_INITIAL")],
)
async def test_grant(api: Api, level: str, tier: str) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    expires = later(days=3)
    assert await tier_in_building(api, world, guest) is None

    result = await grant(
        api, world["owner"], grant_input(world, guest, level=level, expiresAt=iso(expires))
    )

    payload = result.ok()["guestAccessGrant"]
    assert payload["userErrors"] == []
    new = payload["grant"]
    assert new["level"] == level
    assert new["expiresAt"] == iso(expires)
    assert new["revokedAt"] is None
    assert new["isActive"] is True
    assert new["premise"] == {"id": world.premise_id("1"), "number": "1"}
    assert new["grantor"] == {"id": world["owner"].id}
    assert new["grantee"] == {"id": guest.id, "displayName": "guest"}
    starts = datetime.fromisoformat(new["startsAt"])
    assert abs(starts - datetime.now(UTC)) < timedelta(minutes=1)

    (row,) = [r for r in await grant_rows(api, world) if r[1] == guest.pk]
    assert encode_id("GuestGrant", row[0]) == new["id"]
    assert GuestLevel(row[2]) == GuestLevel(level)
    assert row[4] == expires
    # The guest is told, and has the level's tier in the building at once.
    assert await tier_in_building(api, world, guest) == tier
    data = await api.gql(NOTIFICATIONS, as_=guest)
    (notification,) = [edge["node"] for edge in data["viewer"]["notifications"]["edges"]]
    assert notification["kind"] == "GUEST_ACCESS_GRANTED"
    assert notification["subjectId"] == new["id"]
    assert "premise 1" in notification["message"]
    assert level.lower() in notification["message"]


async def test_registered_user_grants_at_their_premise(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    result = await grant(
        api, world["registered"], grant_input(world, guest, premiseId=world.premise_id("2"))
    )
    assert result.ok()["guestAccessGrant"]["grant"]["premise"]["number"] == "2"
    assert await tier_in_building(api, world, guest) == "GUEST_BASIC"


async def test_grant_with_start_and_offset(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    moscow = timezone(timedelta(hours=3))
    starts = (datetime.now(UTC) + timedelta(days=1)).astimezone(moscow).replace(microsecond=0)
    expires = starts + timedelta(days=2)
    result = await grant(
        api,
        world["owner"],
        grant_input(world, guest, startsAt=starts.isoformat(), expiresAt=expires.isoformat()),
    )
    new = result.ok()["guestAccessGrant"]["grant"]
    # Times come back in UTC.
    assert new["startsAt"] == iso(starts)
    assert new["expiresAt"] == iso(expires)
    assert new["isActive"] is False
    # Access begins at the start, not before.
    assert await tier_in_building(api, world, guest) is None
    assert await notifications(api, guest.pk, "GUEST_ACCESS_GRANTED") != []


async def test_grant_starting_within_the_tolerance(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    result = await grant(
        api, world["owner"], grant_input(world, guest, startsAt=iso(later(minutes=-2)))
    )
    assert result.ok()["guestAccessGrant"]["userErrors"] == []


async def test_grant_after_an_earlier_grant_ends(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    first_end = later(days=2)
    (await grant(api, world["owner"], grant_input(world, guest, expiresAt=iso(first_end)))).ok()
    result = await grant(
        api,
        world["owner"],
        grant_input(
            world, guest, startsAt=iso(first_end), expiresAt=iso(first_end + timedelta(days=2))
        ),
    )
    assert result.ok()["guestAccessGrant"]["userErrors"] == []
    assert len([r for r in await grant_rows(api, world) if r[1] == guest.pk]) == 2


async def test_expired_or_revoked_guest_may_be_granted_again(api: Api) -> None:
    world = await make_world(api)
    for key in ("guest_expired", "guest_revoked"):
        result = await grant(api, world["owner"], grant_input(world, world[key]))
        assert result.ok()["guestAccessGrant"]["userErrors"] == []
        assert await tier_in_building(api, world, world[key]) == "GUEST_BASIC"


# -- refusals ----------------------------------------------------------------------------


async def assert_refused(
    api: Api, world: World, by: Person, values: dict[str, Any], code: str, field: list[str] | None
) -> None:
    before = await grant_rows(api, world)
    notified = await all_notification_count(api)
    error = grant_error(await grant(api, by, values))
    assert (error["code"], error["field"]) == (code, field)
    assert await grant_rows(api, world) == before
    assert await all_notification_count(api) == notified


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ({"expiresAt": -1}, ["expiresAt"]),
        ({"expiresAt": 0}, ["expiresAt"]),
        ({"startsAt": 48, "expiresAt": 24}, ["expiresAt"]),
        ({"startsAt": 24, "expiresAt": 24}, ["expiresAt"]),
        ({"startsAt": -1, "expiresAt": 24}, ["startsAt"]),
        ({"startsAt": -48, "expiresAt": -24}, ["startsAt"]),
    ],
    ids=[
        "expired",
        "expires-now",
        "expires-before-start",
        "empty-span",
        "starts-an-hour-ago",
        "wholly-past",
    ],
)
async def test_invalid_time(api: Api, times: dict[str, int], field: list[str]) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    base = datetime.now(UTC)
    values = grant_input(
        world, guest, **{key: iso(base + timedelta(hours=hours)) for key, hours in times.items()}
    )
    await assert_refused(api, world, world["owner"], values, "INVALID_TIME", field)
    assert await tier_in_building(api, world, guest) is None


@pytest.mark.parametrize("key", ["expiresAt", "startsAt"])
async def test_time_without_offset(api: Api, key: str) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    naive = (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None)
    values = grant_input(world, guest, **{key: naive.isoformat()})
    if key == "startsAt":
        values["expiresAt"] = iso(later(days=1))
    await assert_refused(api, world, world["owner"], values, "INVALID_TIME", [key])


@pytest.mark.parametrize(
    ("span", "code"),
    [(timedelta(days=365), None), (timedelta(days=365, seconds=1), "SPAN_TOO_LONG")],
)
async def test_span_limit(api: Api, span: timedelta, code: str | None) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    starts = later(hours=1)
    values = grant_input(world, guest, startsAt=iso(starts), expiresAt=iso(starts + span))
    if code is None:
        assert (await grant(api, world["owner"], values)).ok()["guestAccessGrant"][
            "userErrors"
        ] == []
    else:
        await assert_refused(api, world, world["owner"], values, code, ["expiresAt"])


async def test_far_future_expiry(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    values = grant_input(world, guest, expiresAt="9999-12-31T23:59:59+00:00")
    await assert_refused(api, world, world["owner"], values, "SPAN_TOO_LONG", ["expiresAt"])


@pytest.mark.parametrize(
    ("starts", "expires"),
    [
        ("9999-12-31T23:00:00-10:00", "9999-12-31T23:30:00-10:00"),
        ("9999-12-31T13:00:00+00:00", "9999-12-31T13:30:00+00:00"),
    ],
    ids=["beyond-year-9999-in-utc", "year-9999"],
)
async def test_far_future_start(api: Api, starts: str, expires: str) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    values = grant_input(world, guest, startsAt=starts, expiresAt=expires)
    await assert_refused(api, world, world["owner"], values, "INVALID_TIME", ["startsAt"])


async def test_self_grant(api: Api) -> None:
    world = await make_world(api)
    values = grant_input(world, world["owner"])
    await assert_refused(api, world, world["owner"], values, "SELF_GRANT", ["granteeId"])


@pytest.mark.parametrize(
    "grantee_id",
    [
        encode_id("User", 9_000_000_000_000),
        "not-an-id",
        "",
        "VXNlcjo=",  # "User:" without a number
        "VXNlcjrCsg==",  # "User:²": a digit to str.isdigit, not to int()
        "x" * 5000,
        "premise",
    ],
    ids=["unknown", "garbage", "empty", "no-pk", "superscript-digit", "huge", "other-type"],
)
async def test_grantee_not_found(api: Api, grantee_id: str) -> None:
    world = await make_world(api)
    if grantee_id == "premise":
        grantee_id = world.premise_id("3")
    values = grant_input(world, grantee_id)
    await assert_refused(api, world, world["owner"], values, "GRANTEE_NOT_FOUND", ["granteeId"])


async def test_grantee_of_another_type_with_a_users_pk(api: Api) -> None:
    world = await make_world(api)
    values = grant_input(world, encode_id("Building", world["newcomer"].pk or 0))
    await assert_refused(api, world, world["owner"], values, "GRANTEE_NOT_FOUND", ["granteeId"])
    assert await tier_in_building(api, world, world["newcomer"]) is None


async def register(api: Api, world: World, person: Person, number: str) -> None:
    async with api.db.transaction() as (session, _):
        await session.execute(
            insert(Registration).values(
                premise_id=world.premises[number], building_id=world.building_pk, user_id=person.pk
            )
        )


async def test_grantee_registered_there(api: Api) -> None:
    world = await make_world(api)
    await register(api, world, world["newcomer"], "1")
    values = grant_input(world, world["newcomer"])
    await assert_refused(api, world, world["owner"], values, "ALREADY_HAS_ACCESS", ["granteeId"])
    assert await tier_in_building(api, world, world["newcomer"]) == "REGISTERED"


async def test_owner_is_registered_users_grantee_there(api: Api) -> None:
    world = await make_world(api)
    await register(api, world, world["owner"], "2")
    values = grant_input(world, world["owner"], premiseId=world.premise_id("2"))
    await assert_refused(
        api, world, world["registered"], values, "ALREADY_HAS_ACCESS", ["granteeId"]
    )


async def test_grantee_owns_the_premise(api: Api) -> None:
    world = await make_world(api)
    values = grant_input(world, world["co_owner"])
    await assert_refused(api, world, world["owner"], values, "ALREADY_HAS_ACCESS", ["granteeId"])


async def test_grantee_is_a_confirmed_resident_there(api: Api) -> None:
    world = await make_world(api)
    confirmed = await api.post(
        "mutation($c: String!) { residencyConfirm(input: {payerCode: $c}) { tier } }",
        {"c": world.payer_code("1")},
        as_=world["newcomer"],
    )
    assert confirmed.ok()["residencyConfirm"]["tier"] == "RESIDENT"
    values = grant_input(world, world["newcomer"])
    await assert_refused(api, world, world["owner"], values, "ALREADY_HAS_ACCESS", ["granteeId"])


async def test_resident_elsewhere_in_the_building_may_be_a_guest(api: Api) -> None:
    world = await make_world(api)
    values = grant_input(world, world["resident"], premiseId=world.premise_id("2"))
    result = await grant(api, world["registered"], values)
    assert result.ok()["guestAccessGrant"]["userErrors"] == []
    # The building tier is the highest over the premises.
    assert await tier_in_building(api, world, world["resident"]) == "RESIDENT"


async def test_grant_already_active(api: Api) -> None:
    world = await make_world(api)
    # guest_basic holds a grant at premise 1 for the next 30 days.
    values = grant_input(world, world["guest_basic"], level="ELEVATED")
    await assert_refused(
        api, world, world["co_owner"], values, "GRANT_ALREADY_ACTIVE", ["granteeId"]
    )
    assert await tier_in_building(api, world, world["guest_basic"]) == "GUEST_BASIC"


async def test_overlapping_future_grants(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    start = later(days=10)
    first = grant_input(world, guest, startsAt=iso(start), expiresAt=iso(start + timedelta(days=5)))
    (await grant(api, world["owner"], first)).ok()
    overlapping = grant_input(
        world,
        guest,
        startsAt=iso(start + timedelta(days=4)),
        expiresAt=iso(start + timedelta(days=8)),
    )
    await assert_refused(
        api, world, world["owner"], overlapping, "GRANT_ALREADY_ACTIVE", ["granteeId"]
    )


async def test_too_many_guests(api: Api) -> None:
    world = await make_world(api)
    # The world has 3 active grants at premise 1 (elevated, basic, initial).
    guests = [await make_user(api, f"guest{n}") for n in range(18)]
    for guest in guests[:17]:
        result = await grant(api, world["owner"], grant_input(world, guest))
        assert result.ok()["guestAccessGrant"]["userErrors"] == []
    await assert_refused(
        api, world, world["owner"], grant_input(world, guests[17]), "TOO_MANY_GUESTS", None
    )
    assert await notifications(api, guests[17].pk) == []
    # A revoked grant frees a place.
    await revoke(api, world["owner"], encode_id("GuestGrant", world.grants["guest_basic"]))
    result = await grant(api, world["owner"], grant_input(world, guests[17]))
    assert result.ok()["guestAccessGrant"]["userErrors"] == []


# -- access and malformed input ------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["resident", "guest_elevated", "registered", "stranger", "manager", "admin"]
)
async def test_who_may_not_grant_at_premise_1(api: Api, key: str) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    before = await grant_rows(api, world)
    result = await grant(api, world[key], grant_input(world, guest))
    assert result.codes == ["FORBIDDEN"]
    assert (result.data or {}).get("guestAccessGrant") is None  # no payload
    assert await grant_rows(api, world) == before
    assert await notifications(api, guest.pk) == []


async def test_unknown_premise_is_forbidden(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    values = grant_input(world, guest, premiseId=encode_id("Premise", 9_000_000_000_000))
    result = await grant(api, world["owner"], values)
    assert result.codes == ["FORBIDDEN"]
    assert await notifications(api, guest.pk) == []


@pytest.mark.parametrize(
    "overrides",
    [
        {"level": "ADMIN"},
        {"level": "OWNER"},
        {"level": None},
        {"expiresAt": "tomorrow"},
        {"expiresAt": "2030-13-45T00:00:00+00:00"},
        {"expiresAt": 1893456000},
        {"startsAt": "now"},
        {"premiseId": "garbage"},
        {"premiseId": "VXNlcjox"},  # User:1
        {"premiseId": None},
        {"granteeId": None},
    ],
    ids=[
        "level-admin",
        "level-owner",
        "level-null",
        "expires-tomorrow",
        "expires-impossible-date",
        "expires-number",
        "starts-now",
        "premise-garbage",
        "premise-of-another-type",
        "premise-null",
        "grantee-null",
    ],
)
async def test_malformed_input(api: Api, overrides: dict[str, Any]) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    before = await grant_rows(api, world)
    result = await grant(api, world["owner"], grant_input(world, guest, **overrides))
    assert result.response.status_code in (200, 400), result.body
    assert result.codes == ["BAD_USER_INPUT"], result.body
    assert (result.data or {}).get("guestAccessGrant") is None  # no payload
    assert await grant_rows(api, world) == before
    assert await notifications(api, guest.pk) == []


async def test_malformed_literal(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    premise_id, guest_id = world.premise_id("1"), guest.id
    query = (
        f'mutation {{ guestAccessGrant(input: {{premiseId: "{premise_id}", '
        f'granteeId: "{guest_id}", level: ADMIN, expiresAt: "tomorrow"}}) {{ grant {{ id }} }} }}'
    )
    result = await api.post(query, as_=world["owner"])
    assert result.codes, result.body
    assert set(result.codes) == {"BAD_USER_INPUT"}, result.body
    assert (result.data or {}).get("guestAccessGrant") is None  # no payload
    assert await notifications(api, guest.pk) == []


# -- race ---------------------------------------------------------------------------------


async def test_concurrent_identical_grants(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    values = grant_input(world, guest)
    results = await asyncio.gather(*(grant(api, world["owner"], values) for _ in range(10)))
    payloads = [r.ok()["guestAccessGrant"] for r in results]
    granted = [p for p in payloads if not p["userErrors"]]
    assert len(granted) == 1
    assert (
        sorted(p["userErrors"][0]["code"] for p in payloads if p["userErrors"])
        == ["GRANT_ALREADY_ACTIVE"] * 9
    )
    assert len([r for r in await grant_rows(api, world) if r[1] == guest.pk]) == 1
    assert len(await notifications(api, guest.pk, "GUEST_ACCESS_GRANTED")) == 1


async def test_concurrent_grants_to_many_guests_respect_the_limit(api: Api) -> None:
    world = await make_world(api)
    guests = [await make_user(api, f"guest{n}") for n in range(20)]
    results = await asyncio.gather(
        *(grant(api, world["owner"], grant_input(world, guest)) for guest in guests)
    )
    payloads = [r.ok()["guestAccessGrant"] for r in results]
    assert sum(1 for p in payloads if not p["userErrors"]) == 17
    assert (
        sorted(p["userErrors"][0]["code"] for p in payloads if p["userErrors"])
        == ["TOO_MANY_GUESTS"] * 3
    )
    active = [r for r in await grant_rows(api, world) if r[5] is None and r[4] > datetime.now(UTC)]
    assert len(active) == 20


# == guestAccessRevoke ====================================================================


def revoke_payload(result: Any) -> dict[str, Any]:
    payload: dict[str, Any] = result.ok()["guestAccessRevoke"]
    return payload


async def test_revoke(api: Api) -> None:
    world = await make_world(api)
    guest = world["guest_elevated"]
    grant_id = encode_id("GuestGrant", world.grants["guest_elevated"])
    assert await tier_in_building(api, world, guest) == "GUEST_ELEVATED"

    payload = revoke_payload(await revoke(api, world["owner"], grant_id))

    assert payload["userErrors"] == []
    assert payload["grant"]["id"] == grant_id
    assert payload["grant"]["isActive"] is False
    revoked_at = datetime.fromisoformat(payload["grant"]["revokedAt"])
    assert abs(revoked_at - datetime.now(UTC)) < timedelta(minutes=1)
    (row,) = [r for r in await grant_rows(api, world) if r[0] == world.grants["guest_elevated"]]
    assert row[5] == revoked_at
    assert row[6] == world["owner"].pk
    # The guest loses access at once and is told.
    assert (await api.gql(BUILDING, {"id": world.building_id}, as_=guest))["building"] is None
    data = await api.gql(NOTIFICATIONS, as_=guest)
    (notification,) = [edge["node"] for edge in data["viewer"]["notifications"]["edges"]]
    assert notification["kind"] == "GUEST_ACCESS_REVOKED"
    assert notification["subjectId"] == grant_id


async def test_revoke_grant_given_by_api(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    new = (await grant(api, world["owner"], grant_input(world, guest))).ok()
    grant_id = new["guestAccessGrant"]["grant"]["id"]
    assert await tier_in_building(api, world, guest) == "GUEST_BASIC"
    assert revoke_payload(await revoke(api, world["owner"], grant_id))["userErrors"] == []
    assert await tier_in_building(api, world, guest) is None


async def test_co_owner_revokes_the_owners_grant(api: Api) -> None:
    world = await make_world(api)
    grant_id = encode_id("GuestGrant", world.grants["guest_basic"])
    payload = revoke_payload(await revoke(api, world["co_owner"], grant_id))
    assert payload["userErrors"] == []
    (row,) = [r for r in await grant_rows(api, world) if r[0] == world.grants["guest_basic"]]
    assert row[6] == world["co_owner"].pk
    assert await tier_in_building(api, world, world["guest_basic"]) is None


async def test_already_revoked(api: Api) -> None:
    world = await make_world(api)
    grant_id = encode_id("GuestGrant", world.grants["guest_revoked"])
    before = await grant_rows(api, world)
    notified = await all_notification_count(api)
    payload = revoke_payload(await revoke(api, world["owner"], grant_id))
    assert payload["grant"]["id"] == grant_id
    (error,) = payload["userErrors"]
    assert (error["__typename"], error["code"], error["field"]) == (
        "GuestAccessRevokeError",
        "ALREADY_REVOKED",
        ["grantId"],
    )
    assert await grant_rows(api, world) == before
    assert await all_notification_count(api) == notified


async def test_already_expired(api: Api) -> None:
    world = await make_world(api)
    grant_id = encode_id("GuestGrant", world.grants["guest_expired"])
    before = await grant_rows(api, world)
    notified = await all_notification_count(api)
    payload = revoke_payload(await revoke(api, world["owner"], grant_id))
    (error,) = payload["userErrors"]
    assert (error["code"], error["field"]) == ("ALREADY_EXPIRED", ["grantId"])
    assert await grant_rows(api, world) == before
    assert await all_notification_count(api) == notified


async def test_grant_expires_with_the_clock(api: Api, clock: Clock) -> None:
    world = await make_world(api)
    grant_id = encode_id("GuestGrant", world.grants["guest_initial"])
    clock.advance(timedelta(days=31))
    assert await tier_in_building(api, world, world["guest_initial"]) is None
    payload = revoke_payload(await revoke(api, world["owner"], grant_id))
    assert payload["userErrors"][0]["code"] == "ALREADY_EXPIRED"


@pytest.mark.parametrize(
    "key", ["registered", "resident", "guest_elevated", "stranger", "manager", "admin"]
)
async def test_who_may_not_revoke(api: Api, key: str) -> None:
    world = await make_world(api)
    grant_id = encode_id("GuestGrant", world.grants["guest_elevated"])
    before = await grant_rows(api, world)
    result = await revoke(api, world[key], grant_id)
    assert result.codes == ["FORBIDDEN"]
    assert (result.data or {}).get("guestAccessRevoke") is None  # no payload
    assert await grant_rows(api, world) == before
    assert await tier_in_building(api, world, world["guest_elevated"]) == "GUEST_ELEVATED"


@pytest.mark.parametrize(
    "grant_id", ["garbage", encode_id("Premise", 1), ""], ids=["garbage", "other-type", "empty"]
)
async def test_revoke_malformed_id(api: Api, grant_id: str) -> None:
    world = await make_world(api)
    result = await revoke(api, world["owner"], grant_id)
    assert result.codes == ["BAD_USER_INPUT"]
    assert (result.data or {}).get("guestAccessRevoke") is None  # no payload


async def test_revoke_unknown_grant(api: Api) -> None:
    world = await make_world(api)
    result = await revoke(api, world["owner"], encode_id("GuestGrant", 9_000_000_000_000))
    assert result.codes == ["FORBIDDEN"]


async def test_concurrent_revokes(api: Api) -> None:
    world = await make_world(api)
    grant_id = encode_id("GuestGrant", world.grants["guest_basic"])
    first, second = await asyncio.gather(
        revoke(api, world["owner"], grant_id), revoke(api, world["co_owner"], grant_id)
    )
    payloads = [revoke_payload(first), revoke_payload(second)]
    assert sorted(len(p["userErrors"]) for p in payloads) == [0, 1]
    (refused,) = [p for p in payloads if p["userErrors"]]
    assert refused["userErrors"][0]["code"] == "ALREADY_REVOKED"
    assert len(await notifications(api, world["guest_basic"].pk, "GUEST_ACCESS_REVOKED")) == 1
    (row,) = [r for r in await grant_rows(api, world) if r[0] == world.grants["guest_basic"]]
    assert row[5] is not None
    # Both payloads show the one revocation time.
    assert payloads[0]["grant"]["revokedAt"] == payloads[1]["grant"]["revokedAt"]
