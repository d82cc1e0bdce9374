"""Business rules of notices: posting one (and notifying the residents it concerns),
editing it (the version it replaces is kept), withdrawing it, and the per-category
opt-out of notifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import SmallInteger, any_, bindparam, delete, insert, literal, select, union, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import Building, Premise
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.notices.models import (
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    OUTAGE_CATEGORIES,
    Notice,
    NoticeCategory,
    NoticeCategoryMute,
    NoticeVersion,
)
from edom_graphql.notifications.service import messages, notify_many
from edom_graphql.residents.models import GuestGrant, Ownership, Registration, ResidencyConfirmation

MAX_WINDOW_DAYS = 180
MAX_OUTAGE_DAYS = 60
NOTICE_POSTED = "NOTICE_POSTED"
"""The notification kind of a new notice (its subject is the notice)."""


@dataclass(frozen=True, slots=True)
class Draft:
    """A notice as its author gives it."""

    category: NoticeCategory
    title: str
    text: str
    entrances: list[int] | None
    visible_from: datetime
    visible_until: datetime
    outage_start: datetime | None
    outage_end: datetime | None


def validate(draft: Draft, *, now: datetime, entrances_of_building: set[int]) -> Draft:
    """The draft as it will be stored (texts trimmed, entrances sorted and unique), or the
    first rule it breaks."""
    title, body = draft.title.strip(), draft.text.strip()
    for value, field, limit in (
        (title, "title", MAX_TITLE_LENGTH),
        (body, "text", MAX_TEXT_LENGTH),
    ):
        if not value:
            raise ServiceError("BLANK", f"The {field} must not be empty.", [field])
        if len(value) > limit:
            raise ServiceError("TOO_LONG", f"The {field} has at most {limit} characters.", [field])
    if draft.visible_until <= draft.visible_from:
        raise ServiceError(
            "WINDOW_END_BEFORE_START",
            "A notice is visible until after it is visible from.",
            ["visibleUntil"],
        )
    if draft.visible_until - draft.visible_from > timedelta(days=MAX_WINDOW_DAYS):
        raise ServiceError(
            "WINDOW_TOO_LONG",
            f"A notice is visible at most {MAX_WINDOW_DAYS} days.",
            ["visibleUntil"],
        )
    if draft.visible_until <= now:
        raise ServiceError("WINDOW_IN_PAST", "The notice would never be visible.", ["visibleUntil"])
    outage = (draft.outage_start, draft.outage_end)
    if outage != (None, None):
        if draft.category not in OUTAGE_CATEGORIES:
            raise ServiceError(
                "OUTAGE_NOT_ALLOWED", "Only outage notices have an outage period.", ["outageStart"]
            )
        if draft.outage_start is None or draft.outage_end is None:
            field = "outageStart" if draft.outage_start is None else "outageEnd"
            raise ServiceError(
                "OUTAGE_INCOMPLETE", "An outage period has both a start and an end.", [field]
            )
        if draft.outage_end <= draft.outage_start:
            raise ServiceError(
                "OUTAGE_END_BEFORE_START", "An outage ends after it starts.", ["outageEnd"]
            )
        if draft.outage_end - draft.outage_start > timedelta(days=MAX_OUTAGE_DAYS):
            raise ServiceError(
                "OUTAGE_TOO_LONG", f"An outage lasts at most {MAX_OUTAGE_DAYS} days.", ["outageEnd"]
            )
    entrances = sorted(set(draft.entrances or ()))
    for entrance in entrances:
        if entrance not in entrances_of_building:
            index = (draft.entrances or []).index(entrance)
            raise ServiceError(
                "UNKNOWN_ENTRANCE",
                f"The building has no entrance {entrance}.",
                ["entrances", str(index)],
            )
    return Draft(
        category=draft.category,
        title=title,
        text=body,
        entrances=entrances,
        visible_from=draft.visible_from,
        visible_until=draft.visible_until,
        outage_start=draft.outage_start,
        outage_end=draft.outage_end,
    )


async def entrances_of(session: AsyncSession, building_id: int) -> set[int]:
    """The entrance numbers of the building's premises."""
    rows = await session.execute(
        select(Premise.entrance)
        .where(Premise.building_id == building_id, Premise.entrance.is_not(None))
        .distinct()
    )
    return {int(entrance) for entrance in rows.scalars() if entrance is not None}


def _values(draft: Draft) -> dict[str, object]:
    return {
        "category": draft.category,
        "title": draft.title,
        "text": draft.text,
        "entrances": draft.entrances or [],
        "visible_from": draft.visible_from,
        "visible_until": draft.visible_until,
        "outage_start": draft.outage_start,
        "outage_end": draft.outage_end,
    }


async def recipients(
    session: AsyncSession,
    *,
    building_id: int,
    entrances: list[int],
    category: NoticeCategory,
    now: datetime,
) -> list[int]:
    """The users with a tier at a premise the notice concerns now (in one of its entrances,
    or anywhere in the building), less those who muted its category; in id order."""

    def current(table: Any) -> Any:
        return select(table.user_id.label("user_id"), table.premise_id.label("premise_id")).where(
            table.building_id == building_id, table.ended_at.is_(None)
        )

    relations = union(
        current(Ownership),
        current(Registration),
        current(ResidencyConfirmation),
        select(GuestGrant.grantee_id, GuestGrant.premise_id).where(
            GuestGrant.building_id == building_id,
            GuestGrant.revoked_at.is_(None),
            GuestGrant.starts_at <= now,
            GuestGrant.expires_at > now,
        ),
    ).subquery("relations")
    statement = (
        select(relations.c.user_id)
        .join(Premise, Premise.id == relations.c.premise_id)
        .where(
            ~select(literal(1))
            .where(
                NoticeCategoryMute.user_id == relations.c.user_id,
                NoticeCategoryMute.category == category,
            )
            .exists()
        )
        .distinct()
    )
    if entrances:
        statement = statement.where(
            Premise.entrance == any_(bindparam("entrances", entrances, type_=ARRAY(SmallInteger)))
        )
    return sorted((await session.execute(statement)).scalars())


async def post(
    session: AsyncSession,
    outbox: Outbox,
    *,
    building_id: int,
    author_id: int,
    draft: Draft,
    now: datetime,
) -> int:
    """Post a notice to the building; its id. The residents concerned are notified."""
    notice = validate(
        draft, now=now, entrances_of_building=await entrances_of(session, building_id)
    )
    organisation_id = (
        await session.execute(select(Building.organisation_id).where(Building.id == building_id))
    ).scalar_one()
    notice_id: int = (
        await session.execute(
            insert(Notice)
            .values(
                building_id=building_id,
                organisation_id=organisation_id,
                author_id=author_id,
                created_at=now,
                **_values(notice),
            )
            .returning(Notice.id)
        )
    ).scalar_one()
    users = await recipients(
        session,
        building_id=building_id,
        entrances=notice.entrances or [],
        category=notice.category,
        now=now,
    )
    await notify_many(
        session,
        outbox,
        user_ids=[user for user in users if user != author_id],
        kind=NOTICE_POSTED,
        message=messages.NOTICE_POSTED(title=notice.title),
        subject_type="Notice",
        subject_id=notice_id,
    )
    return notice_id


async def _locked(session: AsyncSession, notice_id: int) -> Notice:
    notice = (
        await session.execute(select(Notice).where(Notice.id == notice_id).with_for_update())
    ).scalar_one()
    if notice.withdrawn_at is not None:
        raise ServiceError("WITHDRAWN", "The notice has been withdrawn.", ["noticeId"])
    return notice


async def edit(
    session: AsyncSession, *, notice_id: int, editor_id: int, draft: Draft, now: datetime
) -> None:
    """Replace the notice's content; the version it replaces is kept in its history."""
    notice = await _locked(session, notice_id)
    new = validate(
        draft, now=now, entrances_of_building=await entrances_of(session, notice.building_id)
    )
    await session.execute(
        insert(NoticeVersion).values(
            notice_id=notice_id,
            category=notice.category,
            title=notice.title,
            text=notice.text,
            entrances=list(notice.entrances),
            visible_from=notice.visible_from,
            visible_until=notice.visible_until,
            outage_start=notice.outage_start,
            outage_end=notice.outage_end,
            replaced_at=now,
            replaced_by=editor_id,
        )
    )
    await session.execute(
        update(Notice)
        .where(Notice.id == notice_id)
        .values(edit_count=Notice.edit_count + 1, edited_at=now, **_values(new))
    )


async def withdraw(session: AsyncSession, *, notice_id: int, user_id: int, now: datetime) -> None:
    """Withdraw the notice: residents no longer see it; staff see it flagged."""
    try:
        await _locked(session, notice_id)
    except ServiceError:
        raise ServiceError(
            "ALREADY_WITHDRAWN", "The notice has been withdrawn already.", ["noticeId"]
        ) from None
    await session.execute(
        update(Notice).where(Notice.id == notice_id).values(withdrawn_at=now, withdrawn_by=user_id)
    )


async def set_muted(
    session: AsyncSession, *, user_id: int, category: NoticeCategory, muted: bool, now: datetime
) -> None:
    """Mute (or unmute) the user's notifications of notices of ``category``."""
    if muted:
        changed = (
            await session.execute(
                pg_insert(NoticeCategoryMute)
                .values(user_id=user_id, category=category, created_at=now)
                .on_conflict_do_nothing(index_elements=["user_id", "category"])
                .returning(NoticeCategoryMute.user_id)
            )
        ).scalar_one_or_none()
        if changed is None:
            raise ServiceError("ALREADY_MUTED", "This category is muted already.", ["category"])
        return
    changed = (
        await session.execute(
            delete(NoticeCategoryMute)
            .where(NoticeCategoryMute.user_id == user_id, NoticeCategoryMute.category == category)
            .returning(NoticeCategoryMute.user_id)
        )
    ).scalar_one_or_none()
    if changed is None:
        raise ServiceError("NOT_MUTED", "This category is not muted.", ["category"])
