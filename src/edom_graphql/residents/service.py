"""Business rules of residents: provisioning, residency, guest access, profiles."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import Premise
from edom_graphql.core.db import Database, Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.notifications.service import notify
from edom_graphql.residents.models import (
    GuestGrant,
    GuestLevel,
    Ownership,
    Registration,
    ResidencyConfirmation,
    User,
)

PAYER_CODE = re.compile(r"[0-9]{10}")
PHONE = re.compile(r"\+[1-9][0-9]{7,14}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")
MAX_GRANT_SPAN = timedelta(days=365)
MAX_GRANT_LEAD = timedelta(days=365)
GRANT_START_TOLERANCE = timedelta(minutes=5)
MAX_ACTIVE_GRANTS_PER_PREMISE = 20
GUEST_LOCK_CLASS = 1_002


# Control and format characters (zero-width, bidi overrides), lone surrogates (which
# PostgreSQL cannot store) and line/paragraph separators: invisible or unprintable in a
# one-line value.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def has_invisible(text: str) -> bool:
    return any(unicodedata.category(ch) in INVISIBLE_CATEGORIES for ch in text)


def clean_text(value: str, *, field: str, max_length: int, required: bool = True) -> str | None:
    """Trim and NFC-normalise; refuse control characters and over-long values."""
    text = unicodedata.normalize("NFC", value).strip()
    if has_invisible(text):
        raise ServiceError("INVALID", f"`{field}` contains control characters.", [field])
    if len(text) > max_length:
        raise ServiceError(
            "TOO_LONG", f"`{field}` is longer than {max_length} characters.", [field]
        )
    if not text:
        if required:
            raise ServiceError("REQUIRED", f"`{field}` must not be empty.", [field])
        return None
    return text


async def provision_user(db: Database, *, subject: str, name: str | None) -> int:
    """The user id of an SSO subject, creating the user on first sight."""
    row = await db.fetch_one(select(User.id).where(User.subject == subject))
    if row is not None:
        return int(row[0])
    display_name = (name or "").strip()[:100] or "Resident"
    async with db.transaction() as (session, _):
        await session.execute(
            pg_insert(User)
            .values(subject=subject, display_name=display_name)
            .on_conflict_do_nothing(index_elements=[User.subject])
        )
        user_id = (
            await session.execute(select(User.id).where(User.subject == subject))
        ).scalar_one()
    return int(user_id)


@dataclass(frozen=True, slots=True)
class ResidencyConfirmed:
    premise_id: int
    residency_id: int


async def confirm_residency(
    session: AsyncSession, *, user_id: int, payer_code: str
) -> ResidencyConfirmed:
    code = payer_code.strip()
    if not PAYER_CODE.fullmatch(code):
        raise ServiceError("INVALID_PAYER_CODE", "A payer code is 10 digits.", ["payerCode"])
    premise = (
        await session.execute(
            select(Premise.id, Premise.building_id).where(Premise.payer_code == code)
        )
    ).one_or_none()
    if premise is None:
        raise ServiceError("PAYER_CODE_NOT_FOUND", "No premise has this payer code.", ["payerCode"])
    premise_id, building_id = premise
    for table in (Ownership, Registration, ResidencyConfirmation):
        existing = await session.execute(
            select(table.id).where(
                table.premise_id == premise_id, table.user_id == user_id, table.ended_at.is_(None)
            )
        )
        if existing.first() is not None:
            raise ServiceError(
                "ALREADY_CONFIRMED", "You already live at this premise.", ["payerCode"]
            )
    residency_id = (
        await session.execute(
            pg_insert(ResidencyConfirmation)
            .values(premise_id=premise_id, building_id=building_id, user_id=user_id)
            .on_conflict_do_nothing()
            .returning(ResidencyConfirmation.id)
        )
    ).scalar_one_or_none()
    if residency_id is None:  # a concurrent request confirmed it first
        raise ServiceError("ALREADY_CONFIRMED", "You already live at this premise.", ["payerCode"])
    return ResidencyConfirmed(premise_id=premise_id, residency_id=residency_id)


GUEST_LEVEL_NAMES = {
    GuestLevel.ELEVATED: "elevated",
    GuestLevel.BASIC: "basic",
    GuestLevel.INITIAL: "initial",
}


def grant_message(
    level: GuestLevel, premise_number: str, *, starts: datetime, expires_at: datetime, now: datetime
) -> str:
    """What the guest is told: the level, the premise and the span, in UTC."""
    span = f"until {expires_at.astimezone(UTC).isoformat()}"
    if starts > now:
        span = f"from {starts.astimezone(UTC).isoformat()} {span}"
    return f"You have {GUEST_LEVEL_NAMES[level]} guest access to premise {premise_number} {span}."


async def grant_guest_access(
    session: AsyncSession,
    outbox: Outbox,
    *,
    grantor_id: int,
    premise_id: int,
    grantee_id: int,
    level: GuestLevel,
    starts_at: datetime | None,
    expires_at: datetime,
    now: datetime,
) -> int:
    """Grant ``level`` at the premise to an existing user.

    The caller has checked the grantor's right (``GUEST_ACCESS_MANAGE`` at the premise).
    """
    if starts_at is not None and starts_at.utcoffset() is None:
        raise ServiceError("INVALID_TIME", "Times need a UTC offset.", ["startsAt"])
    if expires_at.utcoffset() is None:
        raise ServiceError("INVALID_TIME", "Times need a UTC offset.", ["expiresAt"])
    starts = starts_at or now
    if starts < now - GRANT_START_TOLERANCE:
        raise ServiceError("INVALID_TIME", "Access cannot start in the past.", ["startsAt"])
    if starts - now > MAX_GRANT_LEAD:
        # A grant far ahead would hold one of the premise's guest places for years.
        raise ServiceError(
            "INVALID_TIME", "Access must start within 365 days from now.", ["startsAt"]
        )
    if expires_at <= starts or expires_at <= now:
        raise ServiceError("INVALID_TIME", "Access must end after it starts.", ["expiresAt"])
    if expires_at - starts > MAX_GRANT_SPAN:
        raise ServiceError("SPAN_TOO_LONG", "Guest access lasts at most 365 days.", ["expiresAt"])
    if grantee_id == grantor_id:
        raise ServiceError("SELF_GRANT", "You cannot grant access to yourself.", ["granteeId"])
    grantee = (await session.execute(select(User.id).where(User.id == grantee_id))).first()
    if grantee is None:
        raise ServiceError("GRANTEE_NOT_FOUND", "No such user.", ["granteeId"])
    premise = (
        await session.execute(
            select(Premise.building_id, Premise.number).where(Premise.id == premise_id)
        )
    ).one()
    building_id, premise_number = premise
    await session.execute(select(func.pg_advisory_xact_lock(GUEST_LOCK_CLASS, premise_id)))
    for table in (Ownership, Registration, ResidencyConfirmation):
        lives_there = await session.execute(
            select(table.id).where(
                table.premise_id == premise_id,
                table.user_id == grantee_id,
                table.ended_at.is_(None),
            )
        )
        if lives_there.first() is not None:
            raise ServiceError(
                "ALREADY_HAS_ACCESS", "This user already lives at the premise.", ["granteeId"]
            )
    active = GuestGrant.revoked_at.is_(None), GuestGrant.expires_at > now
    overlapping = await session.execute(
        select(GuestGrant.id).where(
            GuestGrant.premise_id == premise_id,
            GuestGrant.grantee_id == grantee_id,
            *active,
            GuestGrant.starts_at < expires_at,
            GuestGrant.expires_at > starts,
        )
    )
    if overlapping.first() is not None:
        raise ServiceError(
            "GRANT_ALREADY_ACTIVE",
            "This user already has guest access to the premise for that time; revoke it first.",
            ["granteeId"],
        )
    active_count = (
        await session.execute(
            select(func.count()).where(GuestGrant.premise_id == premise_id, *active)
        )
    ).scalar_one()
    if active_count >= MAX_ACTIVE_GRANTS_PER_PREMISE:
        raise ServiceError(
            "TOO_MANY_GUESTS",
            f"A premise has at most {MAX_ACTIVE_GRANTS_PER_PREMISE} active guest grants.",
            None,
        )
    grant_id: int = (
        await session.execute(
            insert(GuestGrant)
            .values(
                premise_id=premise_id,
                building_id=building_id,
                grantor_id=grantor_id,
                grantee_id=grantee_id,
                level=level,
                starts_at=starts,
                expires_at=expires_at,
            )
            .returning(GuestGrant.id)
        )
    ).scalar_one()
    await notify(
        session,
        outbox,
        user_id=grantee_id,
        kind="GUEST_ACCESS_GRANTED",
        message=grant_message(level, premise_number, starts=starts, expires_at=expires_at, now=now),
        subject_type="GuestGrant",
        subject_id=grant_id,
    )
    return grant_id


async def revoke_guest_access(
    session: AsyncSession, outbox: Outbox, *, actor_id: int, grant_id: int, now: datetime
) -> None:
    grant = (
        await session.execute(
            select(GuestGrant.grantee_id, GuestGrant.revoked_at, GuestGrant.expires_at)
            .where(GuestGrant.id == grant_id)
            .with_for_update()
        )
    ).one()
    grantee_id, revoked_at, expires_at = grant
    if revoked_at is not None:
        raise ServiceError("ALREADY_REVOKED", "This grant is already revoked.", ["grantId"])
    if expires_at <= now:
        raise ServiceError("ALREADY_EXPIRED", "This grant has already expired.", ["grantId"])
    await session.execute(
        update(GuestGrant)
        .where(GuestGrant.id == grant_id)
        .values(revoked_at=now, revoked_by_id=actor_id)
    )
    await notify(
        session,
        outbox,
        user_id=grantee_id,
        kind="GUEST_ACCESS_REVOKED",
        message="Your guest access was revoked.",
        subject_type="GuestGrant",
        subject_id=grant_id,
    )


PROFILE_FIELDS = ("display_name", "full_name", "phone", "email")


async def update_profile(
    session: AsyncSession, *, user_id: int, changes: Mapping[str, str | None], now: datetime
) -> None:
    """Change the named profile fields (a None value clears an optional field)."""
    values: dict[str, object] = {}
    if "display_name" in changes:
        name = changes["display_name"]
        if name is None:
            raise ServiceError("REQUIRED", "`displayName` must not be empty.", ["displayName"])
        values["display_name"] = clean_text(name, field="displayName", max_length=100)
    if "full_name" in changes:
        full_name = changes["full_name"]
        values["full_name"] = (
            None
            if full_name is None
            else clean_text(full_name, field="fullName", max_length=200, required=False)
        )
    if "phone" in changes:
        phone = re.sub(r"[\s()\-]", "", changes["phone"] or "")
        if phone and not PHONE.fullmatch(phone):
            raise ServiceError(
                "INVALID_PHONE", "A phone number is written like +79161234567.", ["phone"]
            )
        values["phone"] = phone or None
    if "email" in changes:
        email = (changes["email"] or "").strip()
        if email and (len(email) > 254 or has_invisible(email) or not EMAIL.fullmatch(email)):
            raise ServiceError("INVALID_EMAIL", "This is not an e-mail address.", ["email"])
        values["email"] = email or None
    if values:
        values["updated_at"] = now
        await session.execute(update(User).where(User.id == user_id).values(**values))
