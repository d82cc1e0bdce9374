"""Users: provisioning from a token, residency by payer code, the profile."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import Premise
from edom_graphql.core.db import Database
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.text import has_invisible
from edom_graphql.notifications.service.messages import LOCALES
from edom_graphql.residents.models import (
    Ownership,
    Registration,
    ResidencyConfirmation,
    User,
)

PAYER_CODE = re.compile(r"[0-9]{10}")
PHONE = re.compile(r"\+[1-9][0-9]{7,14}")
EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}")


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


async def provision_user(
    db: Database, *, subject: str, display_name: str, full_name: str | None
) -> int:
    """The user id of an SSO subject, creating the user on first sight: the token's full
    name is personal data (``full_name``); neighbours see the non-identifying
    ``display_name`` until the user picks another."""
    row = await db.fetch_one(select(User.id).where(User.subject == subject))
    if row is not None:
        return int(row[0])
    async with db.transaction() as (session, _):
        await session.execute(
            pg_insert(User)
            .values(subject=subject, display_name=display_name, full_name=full_name)
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


PROFILE_FIELDS = ("display_name", "full_name", "phone", "email", "locale")


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
    if "locale" in changes:
        locale = changes["locale"]
        if locale not in LOCALES:
            raise ServiceError(
                "INVALID_LOCALE", "The language is one of: " + ", ".join(LOCALES) + ".", ["locale"]
            )
        values["locale"] = locale
    if values:
        values["updated_at"] = now
        await session.execute(update(User).where(User.id == user_id).values(**values))
