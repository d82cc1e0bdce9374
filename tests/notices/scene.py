"""The notices tests' scene: a world whose apartment 3 (the resident's) is in entrance 2,
and helpers to post notices and read the tables."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from edom_graphql.buildings.models import Premise
from edom_graphql.core.ids import decode_id
from edom_graphql.notices.models import Notice, NoticeCategoryMute, NoticeVersion
from edom_graphql.notifications.models import Notification
from tests.factories import Api, World, make_world
from tests.notices.operations import POST


async def notices_world(api: Api) -> World:
    """``make_world`` with apartment 3 (the resident's) moved to entrance 2."""
    world = await make_world(api)
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(Premise).where(Premise.id == world.premises["3"]).values(entrance=2)
        )
    return world


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def content(now: datetime | None = None, **changes: Any) -> dict[str, Any]:
    """A valid hot-water outage notice, visible from now for a week."""
    now = now or datetime.now(UTC)
    values: dict[str, Any] = {
        "category": "HOT_WATER_OUTAGE",
        "title": "Отключение горячей воды",
        "text": "Плановые работы на теплосети.",
        "visibleFrom": iso(now - timedelta(minutes=1)),
        "visibleUntil": iso(now + timedelta(days=7)),
        "outageStart": iso(now + timedelta(days=2)),
        "outageEnd": iso(now + timedelta(days=3)),
    }
    values.update(changes)
    return values


async def post(api: Api, world: World, as_: str = "manager", **changes: Any) -> dict[str, Any]:
    """Post a notice to the world's building as ``as_``; the notice."""
    now = changes.pop("now", None)
    result = await api.post(
        POST,
        {"input": {"buildingId": world.building_id, **content(now, **changes)}},
        as_=world[as_],
    )
    payload = result.ok()["noticePost"]
    assert payload["userErrors"] == [], payload
    notice: dict[str, Any] = payload["notice"]
    return notice


async def rows(api: Api, statement: Any) -> list[tuple[Any, ...]]:
    async with api.db.transaction() as (session, _):
        return [tuple(row) for row in (await session.execute(statement)).all()]


async def snapshot(api: Api, world: World) -> list[Any]:
    """The building's notices and their versions, and the notifications about notices."""
    notices = await rows(
        api, select(Notice.__table__).where(Notice.building_id == world.building_pk)
    )
    ids = [row[0] for row in notices]
    versions = await rows(
        api, select(NoticeVersion.__table__).where(NoticeVersion.notice_id.in_(ids))
    )
    notified = await rows(
        api,
        select(Notification.user_id, Notification.subject_id).where(
            Notification.subject_type == "Notice", Notification.subject_id.in_(ids)
        ),
    )
    return sorted(notices) + sorted(versions) + sorted(notified)


async def notified_about(api: Api, notice_id: str) -> list[int]:
    """The users notified of the notice, one entry per notification."""
    found = await rows(
        api,
        select(Notification.user_id).where(
            Notification.subject_type == "Notice",
            Notification.subject_id == pk(notice_id),
            Notification.kind == "NOTICE_POSTED",
        ),
    )
    return sorted(row[0] for row in found)


def pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None
    return decoded[1]


async def mutes_of(api: Api, user_pk: int) -> list[Any]:
    return await rows(
        api, select(NoticeCategoryMute.category).where(NoticeCategoryMute.user_id == user_pk)
    )
