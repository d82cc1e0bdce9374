"""Unit tests of the residents' service verbs and the rate limiter, each called with a
real session: the rules themselves, boundaries, and races made deterministic by holding
one transaction open while a second one runs."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select, update

from edom_graphql.access.profiles import load_profile, premise_occupants
from edom_graphql.core.capabilities import MATRIX, Capability
from edom_graphql.core.errors import RateLimited, ServiceError
from edom_graphql.core.ratelimit import RateLimitHit, Window, check_and_count
from edom_graphql.notifications.models import Notification
from edom_graphql.residents import service
from edom_graphql.residents.models import (
    GuestGrant,
    GuestLevel,
    Registration,
    ResidencyConfirmation,
    User,
)
from tests.factories import Api, World, make_user, make_world

T = TypeVar("T")


def service_error(excinfo: pytest.ExceptionInfo[ServiceError]) -> tuple[str, list[str] | None]:
    return excinfo.value.code, excinfo.value.field


async def count(api: Api, statement: Any) -> int:
    row = await api.db.fetch_one(statement)
    assert row is not None
    return int(row[0])


async def still_blocked(task: asyncio.Task[T]) -> None:
    """The task is waiting (on a lock held by the test's open transaction)."""
    await asyncio.sleep(0.3)
    assert not task.done()


# == clean_text ============================================================================


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("  Анна  ", "Анна"),
        ("e\u0301", "é"),  # NFC
        ("Zoë 🏠", "Zoë 🏠"),
        ("x" * 100, "x" * 100),
        ("\u00a0Anna\u3000", "Anna"),
    ],
)
def test_clean_text_accepts(value: str, expected: str) -> None:
    assert service.clean_text(value, field="displayName", max_length=100) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("", "REQUIRED"),
        (" \t\n", "REQUIRED"),
        ("x" * 101, "TOO_LONG"),
        ("a\x00b", "INVALID"),
        ("a\x1bb", "INVALID"),
        ("a\u200bb", "INVALID"),
        ("a\u200eb", "INVALID"),
        ("a\u2029b", "INVALID"),
        ("a\udfffb", "INVALID"),
    ],
)
def test_clean_text_refuses(value: str, code: str) -> None:
    with pytest.raises(ServiceError) as excinfo:
        service.clean_text(value, field="displayName", max_length=100)
    assert service_error(excinfo) == (code, ["displayName"])


def test_clean_text_optional_empty_is_none() -> None:
    assert service.clean_text("  ", field="fullName", max_length=200, required=False) is None


# == confirm_residency =====================================================================


async def residency_count(api: Api, user_pk: int | None) -> int:
    return await count(
        api,
        select(func.count()).where(
            ResidencyConfirmation.user_id == user_pk, ResidencyConfirmation.ended_at.is_(None)
        ),
    )


async def test_confirm_residency(api: Api) -> None:
    world = await make_world(api)
    user_pk = world["newcomer"].pk
    assert user_pk is not None
    async with api.db.transaction() as (session, _):
        result = await service.confirm_residency(
            session, user_id=user_pk, payer_code=world.payer_code("4")
        )
    assert result.premise_id == world.premises["4"]
    row = await api.db.fetch_one(
        select(
            ResidencyConfirmation.premise_id,
            ResidencyConfirmation.building_id,
            ResidencyConfirmation.user_id,
        ).where(ResidencyConfirmation.id == result.residency_id)
    )
    assert row is not None
    assert tuple(row) == (world.premises["4"], world.building_pk, user_pk)


@pytest.mark.parametrize(
    "payer_code",
    ["", "123456789", "12345678901", "12345abcde", "٠١٢٣٤٥٦٧٨٩", "0123456789\n0", "9" * 10_000],
)
async def test_confirm_residency_invalid_code(api: Api, payer_code: str) -> None:
    user = await make_user(api)
    assert user.pk is not None
    with pytest.raises(ServiceError) as excinfo:
        async with api.db.transaction() as (session, _):
            await service.confirm_residency(session, user_id=user.pk, payer_code=payer_code)
    assert service_error(excinfo) == ("INVALID_PAYER_CODE", ["payerCode"])
    assert await residency_count(api, user.pk) == 0


async def test_confirm_residency_unknown_code(api: Api) -> None:
    user = await make_user(api)
    assert user.pk is not None
    with pytest.raises(ServiceError) as excinfo:
        async with api.db.transaction() as (session, _):
            await service.confirm_residency(session, user_id=user.pk, payer_code="0000000000")
    assert service_error(excinfo) == ("PAYER_CODE_NOT_FOUND", ["payerCode"])


@pytest.mark.parametrize(
    ("key", "number"), [("owner", "1"), ("registered", "2"), ("resident", "3")]
)
async def test_confirm_residency_already_there(api: Api, key: str, number: str) -> None:
    world = await make_world(api)
    user_pk = world[key].pk
    assert user_pk is not None
    before = await residency_count(api, user_pk)
    with pytest.raises(ServiceError) as excinfo:
        async with api.db.transaction() as (session, _):
            await service.confirm_residency(
                session, user_id=user_pk, payer_code=world.payer_code(number)
            )
    assert service_error(excinfo) == ("ALREADY_CONFIRMED", ["payerCode"])
    assert await residency_count(api, user_pk) == before


async def test_confirm_residency_race(api: Api) -> None:
    """The second of two overlapping confirmations waits for the first and is refused."""
    world = await make_world(api)
    user_pk = world["newcomer"].pk
    assert user_pk is not None
    code = world.payer_code("5")

    async def second() -> service.ResidencyConfirmed:
        async with api.db.transaction() as (session, _):
            return await service.confirm_residency(session, user_id=user_pk, payer_code=code)

    async with api.db.transaction() as (session, _):
        await service.confirm_residency(session, user_id=user_pk, payer_code=code)
        task = asyncio.create_task(second())
        await still_blocked(task)
    with pytest.raises(ServiceError) as excinfo:
        await task
    assert service_error(excinfo) == ("ALREADY_CONFIRMED", ["payerCode"])
    assert await residency_count(api, user_pk) == 1


# == create_invitation / accept_invitation ==============================================

NOW = datetime.now(UTC).replace(microsecond=0)


async def grants_of(api: Api, world: World, grantee_pk: int | None) -> list[tuple[Any, ...]]:
    rows = await api.db.fetch(
        select(GuestGrant.level, GuestGrant.starts_at, GuestGrant.expires_at, GuestGrant.revoked_at)
        .where(GuestGrant.building_id == world.building_pk, GuestGrant.grantee_id == grantee_pk)
        .order_by(GuestGrant.id)
    )
    return [(GuestLevel(row[0]), *row[1:]) for row in rows]


async def notification_messages(api: Api, user_pk: int | None) -> list[tuple[str, str]]:
    rows = await api.db.fetch(
        select(Notification.kind, Notification.message)
        .where(Notification.user_id == user_pk)
        .order_by(Notification.id)
    )
    return [(row[0], row[1]) for row in rows]


async def do_invite(
    api: Api,
    world: World,
    *,
    grantor: str = "owner",
    premise: str = "1",
    level: GuestLevel = GuestLevel.BASIC,
    starts_at: datetime | None = None,
    expires_at: datetime | None = None,
    now: datetime = NOW,
) -> str:
    grantor_pk = world[grantor].pk
    assert grantor_pk is not None
    async with api.db.transaction() as (session, _):
        made = await service.create_invitation(
            session,
            grantor_id=grantor_pk,
            premise_id=world.premises[premise],
            level=level,
            starts_at=starts_at,
            expires_at=expires_at if expires_at is not None else now + timedelta(days=7),
            accept_by=None,
            now=now,
        )
    return made.code


async def do_accept(api: Api, guest_pk: int, code: str, *, now: datetime = NOW) -> int:
    """Accept as the API does: with the guest's tiers and the grantor's standing now."""
    profile = await load_profile(api.db, user_id=guest_pk, now=now)

    async def grantor_may_grant(grantor_id: int, premise_id: int) -> bool:
        occupants = await premise_occupants(api.db, premise_id=premise_id, now=now)
        return occupants.get(grantor_id) in MATRIX[Capability.GUEST_ACCESS_MANAGE].tiers

    async with api.db.transaction() as (session, outbox):
        return await service.accept_invitation(
            session,
            outbox,
            guest_id=guest_pk,
            code=code,
            guest_tiers=profile.premise_tiers,
            grantor_may_grant=grantor_may_grant,
            now=now,
        )


async def do_grant(
    api: Api,
    world: World,
    grantee_pk: int | None,
    *,
    grantor: str = "owner",
    premise: str = "1",
    level: GuestLevel = GuestLevel.BASIC,
    starts_at: datetime | None = None,
    expires_at: datetime | None = None,
    now: datetime = NOW,
) -> int:
    """An invitation of ``grantor``, accepted by ``grantee_pk``: the grant's id."""
    assert grantee_pk is not None
    code = await do_invite(
        api,
        world,
        grantor=grantor,
        premise=premise,
        level=level,
        starts_at=starts_at,
        expires_at=expires_at,
        now=now,
    )
    return await do_accept(api, grantee_pk, code, now=now)


async def refused_grant(api: Api, world: World, grantee_pk: int | None, **kwargs: Any) -> Any:
    """The error of a grant that must be refused, after checking it changed nothing."""
    before = await grants_of(api, world, grantee_pk)
    notified = await notification_messages(api, grantee_pk)
    with pytest.raises(ServiceError) as excinfo:
        await do_grant(api, world, grantee_pk, **kwargs)
    assert await grants_of(api, world, grantee_pk) == before
    assert await notification_messages(api, grantee_pk) == notified
    return service_error(excinfo)


async def test_invitation_code_and_hash(api: Api) -> None:
    code = service.new_invitation_code()
    assert len(code) == 29
    assert service.invitation_code_hash(code) == service.invitation_code_hash(
        " " + code.lower().replace("-", " ")
    )
    assert service.invitation_code_hash(code) != code
    for typed in ("", "x" * 40, code[:-1], code.replace(code[0], "I"), code + "A"):
        assert service.invitation_code_hash(typed) is None
    assert len({service.new_invitation_code() for _ in range(1000)}) == 1000


async def test_grant_guest_access(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    expires = NOW + timedelta(days=3)
    grant_id = await do_grant(api, world, guest.pk, level=GuestLevel.ELEVATED, expires_at=expires)
    assert grant_id > 0
    assert await grants_of(api, world, guest.pk) == [(GuestLevel.ELEVATED, NOW, expires, None)]
    assert await notification_messages(api, guest.pk) == [
        (
            "GUEST_ACCESS_GRANTED",
            f"У вас расширенный гостевой доступ к помещению 1 до {expires.isoformat()}.",
        )
    ]


async def test_grant_default_start_is_now(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    await do_grant(api, world, guest.pk)
    ((_, starts, _, _),) = await grants_of(api, world, guest.pk)
    assert starts == NOW


@pytest.mark.parametrize(
    ("starts", "expires", "field"),
    [
        (None, NOW, ["expiresAt"]),
        (None, NOW - timedelta(seconds=1), ["expiresAt"]),
        (NOW + timedelta(days=2), NOW + timedelta(days=1), ["expiresAt"]),
        (NOW + timedelta(days=1), NOW + timedelta(days=1), ["expiresAt"]),
        (NOW - timedelta(minutes=5, seconds=1), NOW + timedelta(days=1), ["startsAt"]),
        (NOW - timedelta(days=3), NOW - timedelta(days=2), ["startsAt"]),
        (NOW.replace(tzinfo=None), NOW + timedelta(days=1), ["startsAt"]),
        (None, (NOW + timedelta(days=1)).replace(tzinfo=None), ["expiresAt"]),
    ],
    ids=[
        "expires-now",
        "expired",
        "ends-before-start",
        "empty",
        "past-start-beyond-tolerance",
        "wholly-past",
        "naive-start",
        "naive-expiry",
    ],
)
async def test_grant_invalid_time(
    api: Api, starts: datetime | None, expires: datetime, field: list[str]
) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    error = await refused_grant(api, world, guest.pk, starts_at=starts, expires_at=expires)
    assert error == ("INVALID_TIME", field)


async def test_grant_start_within_tolerance(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    starts = NOW - timedelta(minutes=5)
    await do_grant(api, world, guest.pk, starts_at=starts)
    ((_, stored_start, _, _),) = await grants_of(api, world, guest.pk)
    assert stored_start == NOW  # a grant never starts before it is accepted


async def test_grant_times_with_offsets(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    vladivostok = timezone(timedelta(hours=10))
    starts = (NOW + timedelta(hours=1)).astimezone(vladivostok)
    expires = starts + timedelta(days=1)
    await do_grant(api, world, guest.pk, starts_at=starts, expires_at=expires)
    ((_, stored_start, stored_end, _),) = await grants_of(api, world, guest.pk)
    assert (stored_start, stored_end) == (starts, expires)
    assert stored_start.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("span", "refused"),
    [(timedelta(days=365), False), (timedelta(days=365, microseconds=1), True)],
)
async def test_grant_span_limit(api: Api, span: timedelta, refused: bool) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    starts = NOW + timedelta(days=10)
    if refused:
        error = await refused_grant(
            api, world, guest.pk, starts_at=starts, expires_at=starts + span
        )
        assert error == ("SPAN_TOO_LONG", ["expiresAt"])
    else:
        await do_grant(api, world, guest.pk, starts_at=starts, expires_at=starts + span)
        assert len(await grants_of(api, world, guest.pk)) == 1


@pytest.mark.parametrize(
    ("lead", "refused"),
    [(timedelta(days=365), False), (timedelta(days=365, microseconds=1), True)],
)
async def test_grant_start_lead_limit(api: Api, lead: timedelta, refused: bool) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    starts = NOW + lead
    if refused:
        error = await refused_grant(
            api, world, guest.pk, starts_at=starts, expires_at=starts + timedelta(days=1)
        )
        assert error == ("INVALID_TIME", ["startsAt"])
    else:
        await do_grant(
            api, world, guest.pk, starts_at=starts, expires_at=starts + timedelta(days=1)
        )
        assert len(await grants_of(api, world, guest.pk)) == 1


async def test_grant_message_of_a_future_grant(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    moscow = timezone(timedelta(hours=3))
    starts = (NOW + timedelta(days=2)).astimezone(moscow)
    expires = (NOW + timedelta(days=4)).astimezone(moscow)
    await do_grant(
        api, world, guest.pk, level=GuestLevel.INITIAL, starts_at=starts, expires_at=expires
    )
    assert await notification_messages(api, guest.pk) == [
        (
            "GUEST_ACCESS_GRANTED",
            "У вас начальный гостевой доступ к помещению 1 с "
            f"{(NOW + timedelta(days=2)).isoformat()} "
            f"до {(NOW + timedelta(days=4)).isoformat()}.",
        )
    ]


async def test_grant_to_self(api: Api) -> None:
    world = await make_world(api)
    error = await refused_grant(api, world, world["owner"].pk)
    assert error == ("SELF_GRANT", ["code"])


async def test_invitation_whose_grantor_left_is_refused(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    assert guest.pk is not None
    code = await do_invite(api, world, grantor="registered", premise="2")
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(Registration)
            .where(Registration.user_id == world["registered"].pk)
            .values(ended_at=NOW)
        )
    with pytest.raises(ServiceError) as excinfo:
        await do_accept(api, guest.pk, code)
    assert service_error(excinfo) == ("INVALID_CODE", ["code"])
    assert await grants_of(api, world, guest.pk) == []


@pytest.mark.parametrize(
    ("grantee", "grantor", "premise"),
    [("co_owner", "owner", "1"), ("owner", "co_owner", "1")],
)
async def test_grant_to_someone_living_there(
    api: Api, grantee: str, grantor: str, premise: str
) -> None:
    world = await make_world(api)
    error = await refused_grant(api, world, world[grantee].pk, grantor=grantor, premise=premise)
    assert error == ("ALREADY_HAS_ACCESS", ["code"])


async def test_grant_to_a_confirmed_resident(api: Api) -> None:
    world = await make_world(api)
    newcomer_pk = world["newcomer"].pk
    assert newcomer_pk is not None
    async with api.db.transaction() as (session, _):
        await service.confirm_residency(
            session, user_id=newcomer_pk, payer_code=world.payer_code("2")
        )
    error = await refused_grant(api, world, newcomer_pk, grantor="registered", premise="2")
    assert error == ("ALREADY_HAS_ACCESS", ["code"])


async def test_overlapping_grants(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    start = NOW + timedelta(days=10)
    end = start + timedelta(days=5)
    await do_grant(api, world, guest.pk, starts_at=start, expires_at=end)
    for overlap_start, overlap_end in (
        (start - timedelta(days=1), start + timedelta(seconds=1)),
        (end - timedelta(seconds=1), end + timedelta(days=1)),
        (start + timedelta(days=1), end - timedelta(days=1)),
        (start - timedelta(days=1), end + timedelta(days=1)),
    ):
        error = await refused_grant(
            api, world, guest.pk, starts_at=overlap_start, expires_at=overlap_end
        )
        assert error == ("GRANT_ALREADY_ACTIVE", ["code"])
    # Adjacent spans do not overlap.
    await do_grant(api, world, guest.pk, starts_at=end, expires_at=end + timedelta(days=1))
    await do_grant(api, world, guest.pk, starts_at=start - timedelta(days=1), expires_at=start)
    assert len(await grants_of(api, world, guest.pk)) == 3


async def test_revoked_and_expired_grants_do_not_overlap(api: Api) -> None:
    world = await make_world(api)
    for key in ("guest_expired", "guest_revoked"):
        await do_grant(api, world, world[key].pk)
        assert len(await grants_of(api, world, world[key].pk)) == 2


async def test_too_many_guests(api: Api) -> None:
    world = await make_world(api)
    # The world has 3 active grants at premise 1; future grants count as well.
    guests = [await make_user(api, f"guest{n}") for n in range(18)]
    for n, guest in enumerate(guests[:17]):
        starts = NOW + timedelta(days=n) if n % 2 else None
        await do_grant(api, world, guest.pk, starts_at=starts, expires_at=NOW + timedelta(days=30))
    error = await refused_grant(api, world, guests[17].pk)
    assert error == ("TOO_MANY_GUESTS", None)
    # Later, once grants have expired, there is room again.
    later = NOW + timedelta(days=31)
    await do_grant(api, world, guests[17].pk, now=later, expires_at=later + timedelta(days=1))


async def test_grant_race(api: Api) -> None:
    """An acceptance that overlaps one still being written waits for it and is refused."""
    world = await make_world(api)
    guest = await make_user(api, "guest")
    guest_pk = guest.pk
    assert guest_pk is not None
    first, second = await do_invite(api, world), await do_invite(api, world, grantor="co_owner")
    profile = await load_profile(api.db, user_id=guest_pk, now=NOW)

    async def may(grantor_id: int, premise_id: int) -> bool:
        return True

    task: asyncio.Task[int] | None = None
    async with api.db.transaction() as (session, outbox):
        await service.accept_invitation(
            session,
            outbox,
            guest_id=guest_pk,
            code=first,
            guest_tiers=profile.premise_tiers,
            grantor_may_grant=may,
            now=NOW,
        )
        task = asyncio.create_task(do_accept(api, guest_pk, second))
        await still_blocked(task)
    with pytest.raises(ServiceError) as excinfo:
        await task
    assert service_error(excinfo) == ("GRANT_ALREADY_ACTIVE", ["code"])
    assert len(await grants_of(api, world, guest.pk)) == 1
    assert len(await notification_messages(api, guest.pk)) == 1


# == revoke_guest_access ===================================================================


async def do_revoke(
    api: Api, world: World, grant_pk: int, *, actor: str = "owner", now: datetime = NOW
) -> None:
    actor_pk = world[actor].pk
    assert actor_pk is not None
    async with api.db.transaction() as (session, outbox):
        await service.revoke_guest_access(
            session, outbox, actor_id=actor_pk, grant_id=grant_pk, now=now
        )


async def grant_state(api: Api, grant_pk: int) -> tuple[Any, ...]:
    row = await api.db.fetch_one(
        select(GuestGrant.revoked_at, GuestGrant.revoked_by_id).where(GuestGrant.id == grant_pk)
    )
    assert row is not None
    return tuple(row)


async def test_revoke(api: Api) -> None:
    world = await make_world(api)
    grant_pk = world.grants["guest_initial"]
    await do_revoke(api, world, grant_pk, actor="co_owner")
    assert await grant_state(api, grant_pk) == (NOW, world["co_owner"].pk)
    assert await notification_messages(api, world["guest_initial"].pk) == [
        ("GUEST_ACCESS_REVOKED", "Ваш гостевой доступ отозван.")
    ]


async def test_revoke_a_grant_not_yet_started(api: Api) -> None:
    world = await make_world(api)
    guest = await make_user(api, "guest")
    grant_pk = await do_grant(
        api,
        world,
        guest.pk,
        starts_at=NOW + timedelta(days=5),
        expires_at=NOW + timedelta(days=6),
    )
    await do_revoke(api, world, grant_pk)
    assert await grant_state(api, grant_pk) == (NOW, world["owner"].pk)


@pytest.mark.parametrize(
    ("key", "now", "code"),
    [
        ("guest_revoked", NOW, "ALREADY_REVOKED"),
        ("guest_expired", NOW, "ALREADY_EXPIRED"),
        ("guest_basic", NOW + timedelta(days=31), "ALREADY_EXPIRED"),
    ],
)
async def test_revoke_refused(api: Api, key: str, now: datetime, code: str) -> None:
    world = await make_world(api)
    grant_pk = world.grants[key]
    before = await grant_state(api, grant_pk)
    notified = await notification_messages(api, world[key].pk)
    with pytest.raises(ServiceError) as excinfo:
        await do_revoke(api, world, grant_pk, now=now)
    assert service_error(excinfo) == (code, ["grantId"])
    assert await grant_state(api, grant_pk) == before
    assert await notification_messages(api, world[key].pk) == notified


async def test_revoke_race(api: Api) -> None:
    world = await make_world(api)
    grant_pk = world.grants["guest_elevated"]
    async with api.db.transaction() as (session, outbox):
        owner_pk = world["owner"].pk
        assert owner_pk is not None
        await service.revoke_guest_access(
            session, outbox, actor_id=owner_pk, grant_id=grant_pk, now=NOW
        )
        task = asyncio.create_task(do_revoke(api, world, grant_pk, actor="co_owner"))
        await still_blocked(task)
    with pytest.raises(ServiceError) as excinfo:
        await task
    assert service_error(excinfo) == ("ALREADY_REVOKED", ["grantId"])
    assert await grant_state(api, grant_pk) == (NOW, world["owner"].pk)
    revoked = [
        kind
        for kind, _ in await notification_messages(api, world["guest_elevated"].pk)
        if kind == "GUEST_ACCESS_REVOKED"
    ]
    assert revoked == ["GUEST_ACCESS_REVOKED"]


# == update_profile ========================================================================


async def profile_row(api: Api, user_pk: int | None) -> tuple[Any, ...]:
    row = await api.db.fetch_one(
        select(User.display_name, User.full_name, User.phone, User.email, User.updated_at).where(
            User.id == user_pk
        )
    )
    assert row is not None
    return tuple(row)


async def do_update(api: Api, user_pk: int | None, changes: dict[str, str | None]) -> None:
    assert user_pk is not None
    async with api.db.transaction() as (session, _):
        await service.update_profile(session, user_id=user_pk, changes=changes, now=NOW)


async def test_update_profile(api: Api) -> None:
    user = await make_user(api)
    await do_update(
        api,
        user.pk,
        {
            "display_name": " Пётр ",
            "full_name": " Пётр Петров ",
            "phone": "+7 (916) 123-45-67",
            "email": " petr@example.org ",
        },
    )
    assert await profile_row(api, user.pk) == (
        "Пётр",
        "Пётр Петров",
        "+79161234567",
        "petr@example.org",
        NOW,
    )
    await do_update(api, user.pk, {"full_name": None, "phone": "", "email": None})
    assert (await profile_row(api, user.pk))[:4] == ("Пётр", None, None, None)


async def test_update_profile_nothing_to_change(api: Api) -> None:
    user = await make_user(api)
    before = await profile_row(api, user.pk)
    await do_update(api, user.pk, {})
    assert await profile_row(api, user.pk) == before


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"display_name": None}, ("REQUIRED", ["displayName"])),
        ({"display_name": " "}, ("REQUIRED", ["displayName"])),
        ({"display_name": "n" * 101}, ("TOO_LONG", ["displayName"])),
        ({"display_name": "a\u200bb"}, ("INVALID", ["displayName"])),
        ({"full_name": "f" * 201}, ("TOO_LONG", ["fullName"])),
        ({"phone": "8 916 123 45 67"}, ("INVALID_PHONE", ["phone"])),
        ({"phone": "+79161234567\x00"}, ("INVALID_PHONE", ["phone"])),
        ({"phone": "+7916123456\u0667"}, ("INVALID_PHONE", ["phone"])),
        ({"email": "no-at-sign"}, ("INVALID_EMAIL", ["email"])),
        ({"email": "a@b.org\nBcc: c@d.org"}, ("INVALID_EMAIL", ["email"])),
        ({"email": "a\x00@b.org"}, ("INVALID_EMAIL", ["email"])),
        ({"email": "a\u202e@b.org"}, ("INVALID_EMAIL", ["email"])),
        ({"email": "x" * 64 + "@" + "d" * 186 + ".org"}, ("INVALID_EMAIL", ["email"])),
        (
            {"display_name": "Fine", "phone": "+79161234567", "email": "bad"},
            ("INVALID_EMAIL", ["email"]),
        ),
    ],
)
async def test_update_profile_refused(
    api: Api, changes: dict[str, str | None], error: tuple[str, list[str]]
) -> None:
    user = await make_user(api)
    before = await profile_row(api, user.pk)
    with pytest.raises(ServiceError) as excinfo:
        await do_update(api, user.pk, changes)
    assert service_error(excinfo) == error
    assert await profile_row(api, user.pk) == before


@pytest.mark.parametrize("email", ["x" * 64 + "@" + "d" * 185 + ".org", "ÄNNA@пример.рф"])
async def test_update_profile_email_edge(api: Api, email: str) -> None:
    user = await make_user(api)
    await do_update(api, user.pk, {"email": email})
    assert (await profile_row(api, user.pk))[3] == email


# == check_and_count =======================================================================

WINDOWS = (Window(3, timedelta(minutes=10)), Window(5, timedelta(hours=1)))


async def hit(api: Api, key: str, now: datetime, windows: tuple[Window, ...] = WINDOWS) -> None:
    async with api.db.transaction() as (session, _):
        await check_and_count(session, bucket="test", key=key, user_id=0, windows=windows, now=now)


async def refused_after(api: Api, key: str, now: datetime) -> int:
    with pytest.raises(RateLimited) as excinfo:
        await hit(api, key, now)
    return excinfo.value.retry_after_seconds


async def hits(api: Api, key: str) -> int:
    return await count(
        api,
        select(func.count()).where(RateLimitHit.bucket == "test", RateLimitHit.key == key),
    )


async def test_rate_limit_windows(api: Api) -> None:
    key = uuid.uuid4().hex
    for minute in (0, 1, 2):
        await hit(api, key, NOW + timedelta(minutes=minute))
    # Full until the first hit is 10 minutes old.
    assert await refused_after(api, key, NOW + timedelta(minutes=3)) == 7 * 60
    assert await hits(api, key) == 3
    await hit(api, key, NOW + timedelta(minutes=10, seconds=1))
    assert await refused_after(api, key, NOW + timedelta(minutes=10, seconds=2)) == 58
    await hit(api, key, NOW + timedelta(minutes=11, seconds=1))
    # Five in the hour: the short window has room again at 12:00, the hour at 60:00.
    retry = await refused_after(api, key, NOW + timedelta(minutes=30))
    assert retry == 30 * 60
    assert await hits(api, key) == 5


async def test_rate_limit_retry_covers_every_full_window(api: Api) -> None:
    """When both windows are full, the wait is the longer one, not the first found."""
    key = uuid.uuid4().hex
    for moment in ((0, 0), (1, 0), (30, 0), (30, 1), (30, 2)):
        await hit(api, key, NOW + timedelta(minutes=moment[0], seconds=moment[1]))
    # The 10-minute window is full until 40:00, the hour until the 00:00 hit leaves at 60:00.
    assert await refused_after(api, key, NOW + timedelta(minutes=30, seconds=3)) == 30 * 60 - 3
    assert await refused_after(api, key, NOW + timedelta(minutes=45)) == 15 * 60
    assert await refused_after(api, key, NOW + timedelta(minutes=59, seconds=59)) == 1
    await hit(api, key, NOW + timedelta(minutes=60))


async def test_rate_limit_is_per_key(api: Api) -> None:
    key, other = uuid.uuid4().hex, uuid.uuid4().hex
    for _ in range(3):
        await hit(api, key, NOW)
    await refused_after(api, key, NOW)
    await hit(api, other, NOW)
    assert await hits(api, other) == 1


async def test_rate_limit_forgets_old_hits(api: Api) -> None:
    key = uuid.uuid4().hex
    for minute in range(0, 50, 11):
        await hit(api, key, NOW + timedelta(minutes=minute))
    assert await hits(api, key) == 5
    await hit(api, key, NOW + timedelta(hours=3))
    assert await hits(api, key) == 1


async def test_rate_limit_concurrent(api: Api) -> None:
    key = uuid.uuid4().hex
    results = await asyncio.gather(*(hit(api, key, NOW) for _ in range(8)), return_exceptions=True)
    assert sum(1 for r in results if r is None) == 3
    assert all(isinstance(r, RateLimited) for r in results if r is not None)
    assert await hits(api, key) == 3
