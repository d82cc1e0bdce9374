"""Entrance codes: made for a premise, at most :data:`MAX_ACTIVE` active at a time,
pushed to every panel of its entrance with its validity, revoked there too.

Only a code's SHA-256 is stored; the code itself is shown once to its creator and held
by the devices, which refuse it once it has expired or been revoked.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import Premise
from edom_graphql.core.errors import ServiceError
from edom_graphql.intercom.models import BuildingEntrance, IntercomCode, IntercomPanel
from edom_graphql.intercom.service.devices import PanelAddress, Reply, device_for, hash_code

MAX_ACTIVE = 10
MIN_HOURS, MAX_HOURS = 1, 24
CODE_DIGITS = 6


def check_duration(hours: int | None, permanent: bool) -> None:
    if permanent == (hours is not None):
        raise ServiceError(
            "INVALID_DURATION", "Give either `hours` (1–24) or `permanent: true`.", ["hours"]
        )
    if hours is not None and not MIN_HOURS <= hours <= MAX_HOURS:
        raise ServiceError("INVALID_DURATION", f"`hours` is {MIN_HOURS}–{MAX_HOURS}.", ["hours"])


def active(now: datetime) -> object:
    return (IntercomCode.revoked_at.is_(None)) & or_(
        IntercomCode.expires_at.is_(None), IntercomCode.expires_at > now
    )


async def _panels(session: AsyncSession, entrance_id: int) -> list[PanelAddress]:
    rows = await session.execute(
        select(IntercomPanel.api_url, IntercomPanel.secret)
        .where(IntercomPanel.entrance_id == entrance_id)
        .order_by(IntercomPanel.id)
    )
    return [PanelAddress(url, secret) for url, secret in rows]


def _device_error(reply: Reply) -> ServiceError:
    code = "TIMEOUT" if reply is Reply.TIMEOUT else "DEVICE_OFFLINE"
    return ServiceError(code, "A panel of the entrance did not take the change; try again.")


async def create(
    session: AsyncSession,
    *,
    premise_id: int,
    entrance_id: int | None,
    creator_id: int,
    hours: int | None,
    permanent: bool,
    now: datetime,
) -> tuple[int, str]:
    """A new code of the premise, pushed to its entrance's panels: its id and the code."""
    check_duration(hours, permanent)
    # The premise's row lock serialises its codes' creation: the limit holds under races.
    building_id, number = (
        await session.execute(
            select(Premise.building_id, Premise.entrance)
            .where(Premise.id == premise_id)
            .with_for_update()
        )
    ).one()
    own = None
    if number is not None:
        own = (
            await session.execute(
                select(BuildingEntrance.id).where(
                    BuildingEntrance.building_id == building_id, BuildingEntrance.number == number
                )
            )
        ).scalar_one_or_none()
    if entrance_id is not None and entrance_id != own:
        raise ServiceError("WRONG_ENTRANCE", "The premise is not in that entrance.", ["entranceId"])
    panels = await _panels(session, own) if own is not None else []
    if own is None or not panels:
        raise ServiceError(
            "NOT_CONNECTED", "The premise's entrance has no smart intercom.", ["premiseId"]
        )
    count = (
        await session.execute(
            select(func.count())
            .select_from(IntercomCode)
            .where(IntercomCode.premise_id == premise_id, active(now))  # type: ignore[arg-type]
        )
    ).scalar_one()
    if count >= MAX_ACTIVE:
        raise ServiceError(
            "TOO_MANY_CODES",
            f"The premise has {MAX_ACTIVE} active codes; revoke one first.",
            ["premiseId"],
        )
    taken = set(
        (
            await session.execute(
                select(IntercomCode.code_hash).where(
                    IntercomCode.entrance_id == own,
                    active(now),  # type: ignore[arg-type]
                )
            )
        ).scalars()
    )
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    while hash_code(code) in taken:
        code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    expires_at = now + timedelta(hours=hours) if hours is not None else None
    code_id: int = (
        await session.execute(
            pg_insert(IntercomCode)
            .values(
                building_id=building_id,
                entrance_id=own,
                premise_id=premise_id,
                creator_id=creator_id,
                code_hash=hash_code(code),
                expires_at=expires_at,
            )
            .returning(IntercomCode.id)
        )
    ).scalar_one()
    for address in panels:
        reply = await device_for(address).set_code(code_id, code, expires_at)
        if reply is not Reply.OK:
            for done in panels:  # best effort: take back what some panel may hold
                await device_for(done).revoke_code(code_id)
            raise _device_error(reply)
    return code_id, code


async def revoke(session: AsyncSession, *, code_id: int, now: datetime) -> int:
    """Revoke an active code, on every panel first; its id."""
    row = (
        await session.execute(
            select(IntercomCode.entrance_id, IntercomCode.revoked_at, IntercomCode.expires_at)
            .where(IntercomCode.id == code_id)
            .with_for_update()
        )
    ).one()
    entrance_id, revoked_at, expires_at = row
    if revoked_at is not None or (expires_at is not None and expires_at <= now):
        raise ServiceError("NOT_ACTIVE", "The code has expired or was revoked.", ["codeId"])
    for address in await _panels(session, entrance_id):
        reply = await device_for(address).revoke_code(code_id)
        if reply is not Reply.OK:
            raise _device_error(reply)
    await session.execute(
        update(IntercomCode).where(IntercomCode.id == code_id).values(revoked_at=now)
    )
    return code_id
