"""Guest access: an invitation (`guestInvitationCreate`) names nobody; whoever accepts its
code (`guestInvitationAccept`) becomes the guest; `guestInvitationCancel` withdraws it and
`guestAccessRevoke` ends a grant."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, insert, select, update

from edom_graphql.core.ids import encode_id
from edom_graphql.notifications.models import Notification
from edom_graphql.residents.models import (
    GuestGrant,
    GuestInvitation,
    GuestLevel,
    Ownership,
    Registration,
)
from tests.factories import (
    ACCEPT,
    ANONYMOUS,
    INVITE,
    Api,
    Clock,
    Person,
    World,
    accept,
    invite,
    make_user,
    make_world,
)

REVOKE = """
mutation Revoke($input: GuestAccessRevokeInput!) {
  guestAccessRevoke(input: $input) {
    grant { id revokedAt isActive }
    userErrors { __typename code field message }
  }
}
"""
CANCEL = """
mutation Cancel($input: GuestInvitationCancelInput!) {
  guestInvitationCancel(input: $input) {
    invitation { id status cancelledAt }
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
INVITATIONS = """
query ($pending: Boolean!) {
  viewer { guestInvitations(first: 50, pendingOnly: $pending) { nodes { id status grant { id } } } }
}
"""
INVITATION_NODE = "query ($id: ID!) { node(id: $id) { id ... on GuestInvitation { status } } }"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def later(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


def invite_input(world: World, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "premiseId": world.premise_id("1"),
        "level": "BASIC",
        "expiresAt": iso(later(days=7)),
    }
    values.update(overrides)
    return values


async def create(api: Api, by: Person, values: dict[str, Any]) -> Any:
    return await api.post(INVITE, {"input": values}, as_=by)


async def accepted(api: Api, guest: Person, code: str) -> dict[str, Any]:
    payload: dict[str, Any] = (await api.post(ACCEPT, {"input": {"code": code}}, as_=guest)).ok()[
        "guestInvitationAccept"
    ]
    return payload


async def revoke(api: Api, by: Person, grant_id: str) -> Any:
    return await api.post(REVOKE, {"input": {"grantId": grant_id}}, as_=by)


async def cancel(api: Api, by: Person, invitation_id: str) -> Any:
    return await api.post(CANCEL, {"input": {"invitationId": invitation_id}}, as_=by)


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


async def invitation_rows(api: Api, world: World) -> list[tuple[Any, ...]]:
    rows = await api.db.fetch(
        select(
            GuestInvitation.id,
            GuestInvitation.accepted_at,
            GuestInvitation.grant_id,
            GuestInvitation.cancelled_at,
        )
        .where(GuestInvitation.building_id == world.building_pk)
        .order_by(GuestInvitation.id)
    )
    return [tuple(row) for row in rows]


async def notifications(api: Api, user_pk: int | None, kind: str | None = None) -> list[str]:
    statement = select(Notification.message).where(Notification.user_id == user_pk)
    if kind is not None:
        statement = statement.where(Notification.kind == kind)
    return [row[0] for row in await api.db.fetch(statement.order_by(Notification.id))]


async def all_notification_count(api: Api) -> int:
    row = await api.db.fetch_one(select(func.count()).select_from(Notification))
    assert row is not None
    return int(row[0])


def only_error(payload: dict[str, Any], typename: str) -> dict[str, Any]:
    (error,) = payload["userErrors"]
    assert error["__typename"] == typename
    assert error["message"]
    return dict(error)


async def tier_in_building(api: Api, world: World, person: Person) -> str | None:
    data = await api.gql(BUILDING, {"id": world.building_id}, as_=person)
    return None if data["building"] is None else data["building"]["viewerTier"]


# == an invitation, accepted =============================================================


@pytest.mark.parametrize(
    ("level", "tier"),
    [("ELEVATED", "GUEST_ELEVATED"), ("BASIC", "GUEST_BASIC"), ("INITIAL", "GUEST_INITIAL")],
)
async def test_invitation_accepted(api: Api, level: str, tier: str) -> None:
    world = await make_world(api)
    owner, guest = world["owner"], await make_user(api, "guest")
    expires = later(days=3)
    assert await tier_in_building(api, world, guest) is None

    made = await create(api, owner, invite_input(world, level=level, expiresAt=iso(expires)))
    payload = made.ok()["guestInvitationCreate"]
    assert payload["userErrors"] == []
    invitation, code = payload["invitation"], payload["code"]
    assert (invitation["status"], invitation["level"], invitation["startsAt"]) == (
        "PENDING",
        level,
        None,
    )
    assert invitation["expiresAt"] == iso(expires)
    # accepted for 7 days (or until access ends, when that is sooner)
    accept_by = datetime.fromisoformat(invitation["acceptBy"])
    assert abs(accept_by - expires) < timedelta(seconds=5)
    assert len(code) == 29
    assert code.count("-") == 5
    # the code is kept only as its hash
    stored = await api.db.fetch_one(
        select(GuestInvitation.code_hash).where(GuestInvitation.building_id == world.building_pk)
    )
    assert stored is not None
    assert stored[0] == hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    assert code.replace("-", "") not in stored[0]
    # nothing happens until someone accepts
    assert await notifications(api, guest.pk) == []

    result = await accepted(api, guest, code)

    assert result["userErrors"] == []
    grant = result["grant"]
    assert grant["level"] == level
    assert grant["expiresAt"] == iso(expires)
    assert grant["isActive"] is True
    assert grant["premise"] == {"id": world.premise_id("1"), "number": "1"}
    assert grant["grantor"] == {"id": owner.id}
    starts = datetime.fromisoformat(grant["startsAt"])
    assert abs(starts - datetime.now(UTC)) < timedelta(minutes=1)
    (row,) = [r for r in await grant_rows(api, world) if r[1] == guest.pk]
    assert encode_id("GuestGrant", row[0]) == grant["id"]
    assert await tier_in_building(api, world, guest) == tier
    # the guest and the host are told once each
    data = await api.gql(NOTIFICATIONS, as_=guest)
    (told,) = [edge["node"] for edge in data["viewer"]["notifications"]["edges"]]
    assert (told["kind"], told["subjectId"]) == ("GUEST_ACCESS_GRANTED", grant["id"])
    assert "помещению 1" in told["message"]
    assert {"ELEVATED": "расширенный", "BASIC": "базовый", "INITIAL": "начальный"}[level] in (
        told["message"]
    )
    assert len(await notifications(api, owner.pk, "GUEST_INVITATION_ACCEPTED")) == 1
    # the invitation shows its grant to its grantor, never to the guest
    status = await api.gql(INVITATION_NODE, {"id": invitation["id"]}, as_=owner)
    assert status["node"] == {"id": invitation["id"], "status": "ACCEPTED"}
    assert (await api.gql(INVITATION_NODE, {"id": invitation["id"]}, as_=guest))["node"] is None


async def test_the_code_is_typed_as_people_type_it(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    code = await invite(api, world["owner"], world.premise_id("1"))
    typed = " " + code.lower().replace("-", " ") + " "
    assert (await accepted(api, guest, typed))["userErrors"] == []


async def test_registered_user_invites_to_their_premise(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    code = await invite(api, world["registered"], world.premise_id("2"))
    assert (await accepted(api, guest, code))["grant"]["premise"]["number"] == "2"
    assert await tier_in_building(api, world, guest) == "GUEST_BASIC"


async def test_invitation_with_a_start_and_an_offset(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    moscow = timezone(timedelta(hours=3))
    starts = (datetime.now(UTC) + timedelta(days=1)).astimezone(moscow).replace(microsecond=0)
    expires = starts + timedelta(days=2)
    payload = (
        await create(
            api,
            world["owner"],
            invite_input(world, startsAt=starts.isoformat(), expiresAt=expires.isoformat()),
        )
    ).ok()["guestInvitationCreate"]
    assert payload["invitation"]["startsAt"] == iso(starts)  # times come back in UTC
    grant = (await accepted(api, guest, payload["code"]))["grant"]
    assert (grant["startsAt"], grant["expiresAt"]) == (iso(starts), iso(expires))
    assert grant["isActive"] is False
    assert await tier_in_building(api, world, guest) is None  # access begins at the start


async def test_accepted_after_its_start_the_grant_starts_now(api: Api, clock: Clock) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    code = await invite(
        api,
        world["owner"],
        world.premise_id("1"),
        starts_at=later(hours=1),
        expires_at=later(days=3),
    )
    clock.advance(timedelta(hours=2))
    grant = (await accepted(api, guest, code))["grant"]
    starts = datetime.fromisoformat(grant["startsAt"])
    assert abs(starts - (datetime.now(UTC) + timedelta(hours=2))) < timedelta(minutes=1)
    assert grant["isActive"] is True


async def test_a_second_grant_after_the_first_ends(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    first_end = later(days=2)
    await accept(
        api, guest, await invite(api, world["owner"], world.premise_id("1"), expires_at=first_end)
    )
    code = await invite(
        api,
        world["owner"],
        world.premise_id("1"),
        starts_at=first_end,
        expires_at=first_end + timedelta(days=2),
    )
    assert (await accepted(api, guest, code))["userErrors"] == []
    assert len([r for r in await grant_rows(api, world) if r[1] == guest.pk]) == 2


async def test_expired_or_revoked_guest_may_accept_again(api: Api) -> None:
    world = await make_world(api)
    for key in ("guest_expired", "guest_revoked"):
        code = await invite(api, world["owner"], world.premise_id("1"))
        assert (await accepted(api, world[key], code))["userErrors"] == []
        assert await tier_in_building(api, world, world[key]) == "GUEST_BASIC"


async def test_invitations_of_the_viewer(api: Api) -> None:
    world = await make_world(api)
    owner = world["owner"]
    used = await invite(api, owner, world.premise_id("1"))
    await accept(api, await make_user(api, "guest"), used)
    await invite(api, owner, world.premise_id("1"))
    everything = (await api.gql(INVITATIONS, {"pending": False}, as_=owner))["viewer"]
    statuses = [node["status"] for node in everything["guestInvitations"]["nodes"]]
    assert statuses == ["PENDING", "ACCEPTED"]  # newest first
    pending = (await api.gql(INVITATIONS, {"pending": True}, as_=owner))["viewer"]
    assert [node["status"] for node in pending["guestInvitations"]["nodes"]] == ["PENDING"]
    # another's list is their own
    other = (await api.gql(INVITATIONS, {"pending": False}, as_=world["co_owner"]))["viewer"]
    assert other["guestInvitations"]["nodes"] == []


# -- refusals of guestInvitationCreate ---------------------------------------------------


async def assert_not_made(
    api: Api, world: World, by: Person, values: dict[str, Any], code: str, field: list[str] | None
) -> None:
    before = await invitation_rows(api, world)
    payload = (await create(api, by, values)).ok()["guestInvitationCreate"]
    assert (payload["invitation"], payload["code"]) == (None, None)
    error = only_error(payload, "GuestInvitationCreateError")
    assert (error["code"], error["field"]) == (code, field)
    assert await invitation_rows(api, world) == before


@pytest.mark.parametrize(
    ("times", "field"),
    [
        ({"expiresAt": -1}, ["expiresAt"]),
        ({"expiresAt": 0}, ["expiresAt"]),
        ({"startsAt": 48, "expiresAt": 24}, ["expiresAt"]),
        ({"startsAt": 24, "expiresAt": 24}, ["expiresAt"]),
        ({"startsAt": -1, "expiresAt": 24}, ["startsAt"]),
        ({"startsAt": -48, "expiresAt": -24}, ["startsAt"]),
        ({"expiresAt": 48, "acceptBy": -1}, ["acceptBy"]),
        ({"expiresAt": 48, "acceptBy": 49}, ["acceptBy"]),
        ({"expiresAt": 24 * 30, "acceptBy": 24 * 15}, ["acceptBy"]),
    ],
    ids=[
        "expired",
        "expires-now",
        "expires-before-start",
        "empty-span",
        "starts-an-hour-ago",
        "wholly-past",
        "accept-by-past",
        "accept-by-after-access-ends",
        "accept-by-beyond-14-days",
    ],
)
async def test_invalid_time(api: Api, times: dict[str, int], field: list[str]) -> None:
    world = await make_world(api)
    base = datetime.now(UTC)
    values = invite_input(
        world, **{key: iso(base + timedelta(hours=hours)) for key, hours in times.items()}
    )
    await assert_not_made(api, world, world["owner"], values, "INVALID_TIME", field)


@pytest.mark.parametrize(
    ("span", "code"),
    [(timedelta(days=365), None), (timedelta(days=365, seconds=1), "SPAN_TOO_LONG")],
)
async def test_span_limit(api: Api, span: timedelta, code: str | None) -> None:
    world = await make_world(api)
    starts = later(hours=1)
    values = invite_input(world, startsAt=iso(starts), expiresAt=iso(starts + span))
    if code is None:
        payload = (await create(api, world["owner"], values)).ok()["guestInvitationCreate"]
        assert payload["userErrors"] == []
    else:
        await assert_not_made(api, world, world["owner"], values, code, ["expiresAt"])


async def test_far_future_start(api: Api) -> None:
    world = await make_world(api)
    starts = later(days=366)
    values = invite_input(world, startsAt=iso(starts), expiresAt=iso(starts + timedelta(days=1)))
    await assert_not_made(api, world, world["owner"], values, "INVALID_TIME", ["startsAt"])


async def test_too_many_open_invitations(api: Api) -> None:
    world = await make_world(api)
    for _ in range(20):
        await invite(api, world["owner"], world.premise_id("1"))
    await assert_not_made(
        api, world, world["co_owner"], invite_input(world), "TOO_MANY_INVITATIONS", None
    )
    # a cancelled one frees a place
    invitations = (await api.gql(INVITATIONS, {"pending": True}, as_=world["owner"]))["viewer"]
    first = invitations["guestInvitations"]["nodes"][0]["id"]
    assert (await cancel(api, world["owner"], first)).ok()["guestInvitationCancel"][
        "userErrors"
    ] == []
    assert (await create(api, world["owner"], invite_input(world))).ok()["guestInvitationCreate"][
        "userErrors"
    ] == []


@pytest.mark.parametrize(
    "key", ["resident", "guest_elevated", "registered", "stranger", "manager", "admin"]
)
async def test_who_may_not_invite_to_premise_1(api: Api, key: str) -> None:
    world = await make_world(api)
    before = await invitation_rows(api, world)
    result = await create(api, world[key], invite_input(world))
    assert result.codes == ["FORBIDDEN"]
    assert (result.data or {}).get("guestInvitationCreate") is None  # no payload
    assert await invitation_rows(api, world) == before


async def test_unknown_premise_is_forbidden(api: Api) -> None:
    world = await make_world(api)
    values = invite_input(world, premiseId=encode_id("Premise", 9_000_000_000_000))
    result = await create(api, world["owner"], values)
    assert result.codes == ["FORBIDDEN"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"level": "ADMIN"},
        {"level": "OWNER"},
        {"level": None},
        {"expiresAt": "tomorrow"},
        {"expiresAt": "2030-13-45T00:00:00+00:00"},
        {"expiresAt": 1893456000},
        {"expiresAt": (datetime.now(UTC) + timedelta(hours=1)).replace(tzinfo=None).isoformat()},
        {"expiresAt": "9999-12-31T23:59:59-23:59"},
        {"startsAt": "now"},
        {"startsAt": "9999-12-31T23:00:00-10:00"},
        {"acceptBy": "0001-01-01T00:00:00+01:00"},
        {"premiseId": "garbage"},
        {"premiseId": "VXNlcjox"},  # User:1
        {"premiseId": None},
        {"granteeId": "VXNlcjox"},  # an invitation names nobody
    ],
    ids=[
        "level-admin",
        "level-owner",
        "level-null",
        "expires-tomorrow",
        "expires-impossible-date",
        "expires-number",
        "expires-without-offset",
        "expires-beyond-year-9999-in-utc",
        "starts-now",
        "starts-in-year-10000",
        "accept-by-before-year-1",
        "premise-garbage",
        "premise-of-another-type",
        "premise-null",
        "grantee",
    ],
)
async def test_malformed_input(api: Api, overrides: dict[str, Any]) -> None:
    world = await make_world(api)
    before = await invitation_rows(api, world)
    result = await create(api, world["owner"], invite_input(world, **overrides))
    assert result.response.status_code in (200, 400), result.body
    assert result.codes == ["BAD_USER_INPUT"], result.body
    assert (result.data or {}).get("guestInvitationCreate") is None  # no payload
    assert await invitation_rows(api, world) == before


# -- refusals of guestInvitationAccept ---------------------------------------------------


async def assert_not_accepted(
    api: Api, world: World, guest: Person, code: str, error_code: str
) -> dict[str, Any]:
    grants, invitations = await grant_rows(api, world), await invitation_rows(api, world)
    notified = await all_notification_count(api)
    payload = await accepted(api, guest, code)
    assert payload["grant"] is None
    error = only_error(payload, "GuestInvitationAcceptError")
    assert error["code"] == error_code
    assert await grant_rows(api, world) == grants
    assert await invitation_rows(api, world) == invitations
    assert await all_notification_count(api) == notified
    return error


async def test_a_code_reveals_nothing_about_its_invitation(api: Api, clock: Clock) -> None:
    """Unknown, malformed, used, cancelled and lapsed codes get the one same answer."""
    world = await make_world(api)
    owner, guest = world["owner"], await make_user(api, "guest")
    used = await invite(api, owner, world.premise_id("1"))
    await accept(api, await make_user(api, "first"), used)
    withdrawn = await invite(api, owner, world.premise_id("1"))
    invitations = (await api.gql(INVITATIONS, {"pending": True}, as_=owner))["viewer"]
    await cancel(api, owner, invitations["guestInvitations"]["nodes"][0]["id"])
    lapsing = await invite(api, owner, world.premise_id("1"), expires_at=later(days=30))
    errors = [
        await assert_not_accepted(api, world, guest, code, "INVALID_CODE")
        for code in (
            "AAAA-BBBB-CCCC-DDDD-EEEE-FFFF",  # well formed, unknown
            "not a code",
            "",
            "x" * 5000,
            used,
            withdrawn,
        )
    ]
    clock.advance(timedelta(days=7, minutes=1))  # past acceptBy
    errors.append(await assert_not_accepted(api, world, guest, lapsing, "INVALID_CODE"))
    assert all(error == errors[0] for error in errors), errors
    assert await tier_in_building(api, world, guest) is None


async def test_an_invitation_lapses_when_its_grantor_may_no_longer_give_access(
    api: Api,
) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    code = await invite(api, world["owner"], world.premise_id("1"))
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(Ownership)
            .where(Ownership.user_id == world["owner"].pk)
            .values(ended_at=datetime.now(UTC))
        )
    await assert_not_accepted(api, world, guest, code, "INVALID_CODE")


async def test_own_invitation(api: Api) -> None:
    world = await make_world(api)
    code = await invite(api, world["owner"], world.premise_id("1"))
    await assert_not_accepted(api, world, world["owner"], code, "SELF_GRANT")


async def register(api: Api, world: World, person: Person, number: str) -> None:
    async with api.db.transaction() as (session, _):
        await session.execute(
            insert(Registration).values(
                premise_id=world.premises[number], building_id=world.building_pk, user_id=person.pk
            )
        )


@pytest.mark.parametrize("key", ["co_owner", "registered-there", "confirmed-resident"])
async def test_who_lives_there_is_no_guest_there(api: Api, key: str) -> None:
    world = await make_world(api)
    person = world["co_owner"] if key == "co_owner" else world["newcomer"]
    if key == "registered-there":
        await register(api, world, person, "1")
    elif key == "confirmed-resident":
        confirmed = await api.post(
            "mutation($c: String!) { residencyConfirm(input: {payerCode: $c}) { tier } }",
            {"c": world.payer_code("1")},
            as_=person,
        )
        assert confirmed.ok()["residencyConfirm"]["tier"] == "RESIDENT"
    code = await invite(api, world["owner"], world.premise_id("1"))
    await assert_not_accepted(api, world, person, code, "ALREADY_HAS_ACCESS")


async def test_resident_elsewhere_in_the_building_may_be_a_guest(api: Api) -> None:
    world = await make_world(api)
    code = await invite(api, world["registered"], world.premise_id("2"))
    assert (await accepted(api, world["resident"], code))["userErrors"] == []
    # the building tier is the highest over the premises
    assert await tier_in_building(api, world, world["resident"]) == "RESIDENT"


async def test_grant_already_active(api: Api) -> None:
    world = await make_world(api)
    # guest_basic holds a grant at premise 1 for the next 30 days
    code = await invite(api, world["co_owner"], world.premise_id("1"), level="ELEVATED")
    await assert_not_accepted(api, world, world["guest_basic"], code, "GRANT_ALREADY_ACTIVE")
    assert await tier_in_building(api, world, world["guest_basic"]) == "GUEST_BASIC"


async def test_overlapping_future_grants(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    start = later(days=10)
    premise = world.premise_id("1")
    first = await invite(
        api, world["owner"], premise, starts_at=start, expires_at=start + timedelta(days=5)
    )
    await accept(api, guest, first)
    overlapping = await invite(
        api,
        world["owner"],
        premise,
        starts_at=start + timedelta(days=4),
        expires_at=start + timedelta(days=8),
    )
    await assert_not_accepted(api, world, guest, overlapping, "GRANT_ALREADY_ACTIVE")


async def test_too_many_guests(api: Api) -> None:
    world = await make_world(api)
    # the world has 3 active grants at premise 1 (elevated, basic, initial)
    guests = [await make_user(api, f"guest{n}") for n in range(18)]
    codes = [await invite(api, world["owner"], world.premise_id("1")) for _ in range(18)]
    for guest, code in zip(guests[:17], codes[:17], strict=True):
        assert (await accepted(api, guest, code))["userErrors"] == []
    await assert_not_accepted(api, world, guests[17], codes[17], "TOO_MANY_GUESTS")
    # a revoked grant frees a place, and the invitation still works
    await revoke(api, world["owner"], encode_id("GuestGrant", world.grants["guest_basic"]))
    assert (await accepted(api, guests[17], codes[17]))["userErrors"] == []


async def test_anonymous_cannot_accept(api: Api) -> None:
    world = await make_world(api)
    code = await invite(api, world["owner"], world.premise_id("1"))
    result = await api.post(ACCEPT, {"input": {"code": code}}, as_=ANONYMOUS)
    assert result.codes == ["UNAUTHENTICATED"]
    assert all(row[1] is None for row in await invitation_rows(api, world))


async def test_guessing_codes_is_rate_limited(api: Api) -> None:
    world = await make_world(api)
    guesser = await make_user(api, "guesser")
    for n in range(10):
        payload = await accepted(api, guesser, f"AAAA-BBBB-CCCC-DDDD-EEEE-{n:04d}")
        assert payload["userErrors"][0]["code"] == "INVALID_CODE"
    code = await invite(api, world["owner"], world.premise_id("1"))
    result = await api.post(ACCEPT, {"input": {"code": code}}, as_=guesser)
    assert result.codes == ["RATE_LIMITED"], result
    assert result.errors[0]["extensions"]["retryAfter"] > 0
    assert [row for row in await invitation_rows(api, world) if row[1] is not None] == []


# -- races ---------------------------------------------------------------------------------


async def test_one_code_accepted_at_once_by_many_makes_one_grant(api: Api) -> None:
    world = await make_world(api)
    guests = [await make_user(api, f"guest{n}") for n in range(10)]
    code = await invite(api, world["owner"], world.premise_id("1"))
    payloads = await asyncio.gather(*(accepted(api, guest, code) for guest in guests))
    assert sum(1 for p in payloads if not p["userErrors"]) == 1
    assert (
        sorted(p["userErrors"][0]["code"] for p in payloads if p["userErrors"])
        == ["INVALID_CODE"] * 9
    )
    grantees = {row[1] for row in await grant_rows(api, world)}
    assert len(grantees & {guest.pk for guest in guests}) == 1
    assert len(await notifications(api, world["owner"].pk, "GUEST_INVITATION_ACCEPTED")) == 1


async def test_concurrent_accepts_respect_the_limit(api: Api) -> None:
    world = await make_world(api)
    guests = [await make_user(api, f"guest{n}") for n in range(20)]
    codes = [await invite(api, world["owner"], world.premise_id("1")) for _ in range(20)]
    payloads = await asyncio.gather(
        *(accepted(api, guest, code) for guest, code in zip(guests, codes, strict=True))
    )
    assert sum(1 for p in payloads if not p["userErrors"]) == 17
    assert (
        sorted(p["userErrors"][0]["code"] for p in payloads if p["userErrors"])
        == ["TOO_MANY_GUESTS"] * 3
    )
    active = [r for r in await grant_rows(api, world) if r[5] is None and r[4] > datetime.now(UTC)]
    assert len(active) == 20


async def test_cancel_and_accept_at_once(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    payload = (await create(api, world["owner"], invite_input(world))).ok()["guestInvitationCreate"]
    invitation_id, code = payload["invitation"]["id"], payload["code"]
    cancelled, took = await asyncio.gather(
        cancel(api, world["owner"], invitation_id), accepted(api, guest, code)
    )
    cancel_errors = cancelled.ok()["guestInvitationCancel"]["userErrors"]
    # exactly one of the two wins
    assert (cancel_errors == []) != (took["userErrors"] == [])
    (row,) = await invitation_rows(api, world)
    assert (row[1] is None) == (row[3] is not None)


# == guestInvitationCancel ================================================================


async def test_cancel(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    payload = (await create(api, world["owner"], invite_input(world))).ok()["guestInvitationCreate"]
    invitation_id, code = payload["invitation"]["id"], payload["code"]
    # the co-owner manages guest access to the premise too
    result = (await cancel(api, world["co_owner"], invitation_id)).ok()["guestInvitationCancel"]
    assert result["userErrors"] == []
    assert result["invitation"]["status"] == "CANCELLED"
    assert result["invitation"]["cancelledAt"] is not None
    await assert_not_accepted(api, world, guest, code, "INVALID_CODE")
    again = (await cancel(api, world["owner"], invitation_id)).ok()["guestInvitationCancel"]
    assert only_error(again, "GuestInvitationCancelError")["code"] == "ALREADY_CANCELLED"


async def test_an_accepted_invitation_is_not_cancelled(api: Api) -> None:
    world = await make_world(api)
    payload = (await create(api, world["owner"], invite_input(world))).ok()["guestInvitationCreate"]
    await accept(api, await make_user(api, "guest"), payload["code"])
    before = await invitation_rows(api, world)
    result = (await cancel(api, world["owner"], payload["invitation"]["id"])).ok()
    error = only_error(result["guestInvitationCancel"], "GuestInvitationCancelError")
    assert (error["code"], error["field"]) == ("ALREADY_ACCEPTED", ["invitationId"])
    assert await invitation_rows(api, world) == before


@pytest.mark.parametrize("key", ["registered", "resident", "guest_elevated", "stranger", "manager"])
async def test_who_may_not_cancel(api: Api, key: str) -> None:
    world = await make_world(api)
    payload = (await create(api, world["owner"], invite_input(world))).ok()["guestInvitationCreate"]
    before = await invitation_rows(api, world)
    result = await cancel(api, world[key], payload["invitation"]["id"])
    assert result.codes == ["FORBIDDEN"]
    assert await invitation_rows(api, world) == before


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


async def test_revoke_a_grant_made_by_an_invitation(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    grant_id = await accept(api, guest, await invite(api, world["owner"], world.premise_id("1")))
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
