"""Guest access: invitations by code, the grants they make, revocation."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import Premise
from edom_graphql.core.capabilities import Tier
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.notifications.service import messages, notify
from edom_graphql.notifications.service.messages import Text
from edom_graphql.residents.models import (
    GuestGrant,
    GuestInvitation,
    GuestLevel,
    User,
)

MAX_GRANT_SPAN = timedelta(days=365)
MAX_GRANT_LEAD = timedelta(days=365)
GRANT_START_TOLERANCE = timedelta(minutes=5)
MAX_ACTIVE_GRANTS_PER_PREMISE = 20
GUEST_LOCK_CLASS = 1_002


GUEST_LEVEL_NAMES = {
    GuestLevel.ELEVATED: "elevated",
    GuestLevel.BASIC: "basic",
    GuestLevel.INITIAL: "initial",
}


def grant_message(
    level: GuestLevel, premise_number: str, *, starts: datetime, expires_at: datetime, now: datetime
) -> Text:
    """What the guest is told: the level, the premise and the span, in UTC."""
    expires = expires_at.astimezone(UTC).isoformat()
    level_text = messages.GUEST_LEVEL[level.value]
    if starts > now:
        return messages.GUEST_ACCESS_GRANTED_LATER(
            level=level_text,
            premise=premise_number,
            starts=starts.astimezone(UTC).isoformat(),
            expires=expires,
        )
    return messages.GUEST_ACCESS_GRANTED(level=level_text, premise=premise_number, expires=expires)


INVITATION_VALIDITY = timedelta(days=7)
"""How long an invitation may be accepted, unless the grantor says otherwise."""
MAX_INVITATION_VALIDITY = timedelta(days=14)
MAX_PENDING_INVITATIONS_PER_PREMISE = 20
CODE_GROUPS = 6
"""An invitation code is 6 groups of 4 letters and digits (120 random bits)."""
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ0123456789"  # Crockford's base 32, no I L O U
_CODE = re.compile(rf"[{CODE_ALPHABET}]{{{4 * CODE_GROUPS}}}")
INVALID_CODE = "No invitation has this code, or it can no longer be accepted."


def new_invitation_code() -> str:
    """A fresh code, e.g. ``7KQ2-M9XD-…``: shown once to the grantor, stored only hashed."""
    letters = "".join(secrets.choice(CODE_ALPHABET) for _ in range(4 * CODE_GROUPS))
    return "-".join(letters[i : i + 4] for i in range(0, len(letters), 4))


def invitation_code_hash(code: str) -> str | None:
    """The stored hash of a code as the guest typed it (case, spaces and dashes do not
    matter); None for text that cannot be a code."""
    canonical = re.sub(r"[\s-]", "", code).upper()
    if not _CODE.fullmatch(canonical):
        return None
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def _check_span(starts_at: datetime | None, expires_at: datetime, now: datetime) -> datetime:
    """When access starts (``starts_at`` or now), once the span is found acceptable."""
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
    return starts


@dataclass(frozen=True, slots=True)
class InvitationCreated:
    invitation_id: int
    code: str


async def create_invitation(
    session: AsyncSession,
    *,
    grantor_id: int,
    premise_id: int,
    level: GuestLevel,
    starts_at: datetime | None,
    expires_at: datetime,
    accept_by: datetime | None,
    now: datetime,
) -> InvitationCreated:
    """An invitation to be a guest at the premise, and its code.

    Nobody is named: whoever the grantor gives the code to accepts it
    (:func:`accept_invitation`). The caller has checked the grantor's right
    (``GUEST_ACCESS_MANAGE`` at the premise).
    """
    _check_span(starts_at, expires_at, now)
    if accept_by is None:
        accept_by = min(now + INVITATION_VALIDITY, expires_at)
    elif accept_by.utcoffset() is None:
        raise ServiceError("INVALID_TIME", "Times need a UTC offset.", ["acceptBy"])
    if not now < accept_by <= min(now + MAX_INVITATION_VALIDITY, expires_at):
        raise ServiceError(
            "INVALID_TIME",
            "An invitation may be accepted for at most 14 days, and not after access ends.",
            ["acceptBy"],
        )
    building_id = (
        await session.execute(select(Premise.building_id).where(Premise.id == premise_id))
    ).scalar_one()
    await session.execute(select(func.pg_advisory_xact_lock(GUEST_LOCK_CLASS, premise_id)))
    pending = (
        await session.execute(
            select(func.count()).where(
                GuestInvitation.premise_id == premise_id,
                GuestInvitation.accepted_at.is_(None),
                GuestInvitation.cancelled_at.is_(None),
                GuestInvitation.accept_by > now,
            )
        )
    ).scalar_one()
    if pending >= MAX_PENDING_INVITATIONS_PER_PREMISE:
        raise ServiceError(
            "TOO_MANY_INVITATIONS",
            f"A premise has at most {MAX_PENDING_INVITATIONS_PER_PREMISE} open invitations; "
            "cancel one first.",
            None,
        )
    code = new_invitation_code()
    code_hash = invitation_code_hash(code)
    assert code_hash is not None
    invitation_id: int = (
        await session.execute(
            insert(GuestInvitation)
            .values(
                premise_id=premise_id,
                building_id=building_id,
                grantor_id=grantor_id,
                level=level,
                starts_at=starts_at,
                expires_at=expires_at,
                accept_by=accept_by,
                code_hash=code_hash,
                created_at=now,
            )
            .returning(GuestInvitation.id)
        )
    ).scalar_one()
    return InvitationCreated(invitation_id, code)


async def accept_invitation(
    session: AsyncSession,
    outbox: Outbox,
    *,
    guest_id: int,
    code: str,
    guest_tiers: Mapping[int, Tier],
    grantor_may_grant: Callable[[int, int], Awaitable[bool]],
    now: datetime,
) -> int:
    """Make the guest grant an invitation promises, for the user who accepts it; the id
    of the grant.

    A code that is unknown, used, cancelled or past its ``accept_by`` is refused alike
    (``INVALID_CODE``): a code tells nothing about the invitation behind it. So is one
    whose grantor may no longer give guest access there (``grantor_may_grant(grantor,
    premise)``). The guest and the grantor are told once each.
    """
    code_hash = invitation_code_hash(code)
    if code_hash is None:
        raise ServiceError("INVALID_CODE", INVALID_CODE, ["code"])
    invitation = (
        await session.execute(
            select(GuestInvitation).where(GuestInvitation.code_hash == code_hash).with_for_update()
        )
    ).scalar_one_or_none()
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.cancelled_at is not None
        or invitation.accept_by <= now
        or invitation.expires_at <= now
        or not await grantor_may_grant(invitation.grantor_id, invitation.premise_id)
    ):
        raise ServiceError("INVALID_CODE", INVALID_CODE, ["code"])
    if invitation.grantor_id == guest_id:
        raise ServiceError("SELF_GRANT", "You cannot accept your own invitation.", ["code"])
    if guest_tiers.get(invitation.premise_id, 0) >= Tier.RESIDENT:
        raise ServiceError("ALREADY_HAS_ACCESS", "You already live at this premise.", ["code"])
    starts = max(invitation.starts_at or now, now)
    premise_id = invitation.premise_id
    await session.execute(select(func.pg_advisory_xact_lock(GUEST_LOCK_CLASS, premise_id)))
    active = GuestGrant.revoked_at.is_(None), GuestGrant.expires_at > now
    overlapping = await session.execute(
        select(GuestGrant.id).where(
            GuestGrant.premise_id == premise_id,
            GuestGrant.grantee_id == guest_id,
            *active,
            GuestGrant.starts_at < invitation.expires_at,
            GuestGrant.expires_at > starts,
        )
    )
    if overlapping.first() is not None:
        raise ServiceError(
            "GRANT_ALREADY_ACTIVE",
            "You already have guest access to this premise for that time.",
            ["code"],
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
                building_id=invitation.building_id,
                grantor_id=invitation.grantor_id,
                grantee_id=guest_id,
                level=invitation.level,
                starts_at=starts,
                expires_at=invitation.expires_at,
            )
            .returning(GuestGrant.id)
        )
    ).scalar_one()
    await session.execute(
        update(GuestInvitation)
        .where(GuestInvitation.id == invitation.id)
        .values(accepted_at=now, grant_id=grant_id)
    )
    number, guest_name = (
        await session.execute(
            select(Premise.number, User.display_name)
            .where(Premise.id == premise_id)
            .join(User, User.id == guest_id)
        )
    ).one()
    await notify(
        session,
        outbox,
        user_id=guest_id,
        kind="GUEST_ACCESS_GRANTED",
        message=grant_message(
            invitation.level, number, starts=starts, expires_at=invitation.expires_at, now=now
        ),
        subject_type="GuestGrant",
        subject_id=grant_id,
    )
    await notify(
        session,
        outbox,
        user_id=invitation.grantor_id,
        kind="GUEST_INVITATION_ACCEPTED",
        message=messages.GUEST_INVITATION_ACCEPTED(guest=guest_name, premise=number),
        subject_type="GuestGrant",
        subject_id=grant_id,
    )
    return grant_id


async def cancel_invitation(session: AsyncSession, *, invitation_id: int, now: datetime) -> None:
    """Withdraw an invitation that nobody has accepted yet."""
    invitation = (
        await session.execute(
            select(GuestInvitation.accepted_at, GuestInvitation.cancelled_at)
            .where(GuestInvitation.id == invitation_id)
            .with_for_update()
        )
    ).one()
    if invitation.accepted_at is not None:
        raise ServiceError(
            "ALREADY_ACCEPTED",
            "The guest has accepted it: revoke their grant instead.",
            ["invitationId"],
        )
    if invitation.cancelled_at is not None:
        raise ServiceError("ALREADY_CANCELLED", "It was cancelled before.", ["invitationId"])
    await session.execute(
        update(GuestInvitation).where(GuestInvitation.id == invitation_id).values(cancelled_at=now)
    )


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
        message=messages.GUEST_ACCESS_REVOKED(),
        subject_type="GuestGrant",
        subject_id=grant_id,
    )
