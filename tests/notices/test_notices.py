"""Notices as residents and staff live them: who is notified (once, unless they muted
the category), entrance scoping, edits shown as such with the earlier versions kept,
withdrawn notices gone for residents and flagged for staff, validity windows on the
server's clock, paging, races decided by the database and the statement count of a
page."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from edom_graphql.notices.models import NoticeVersion
from tests.factories import Api, Clock, World
from tests.notices.operations import (
    BUILDING_NOTICES,
    MUTE,
    NOTICE_NODE,
    SETTINGS,
    UNMUTE,
    UPDATE,
    WITHDRAW,
)
from tests.notices.scene import content, iso, notices_world, notified_about, pk, post, rows

TIER_HOLDERS = (
    "owner",
    "co_owner",
    "registered",
    "resident",
    "guest_elevated",
    "guest_basic",
    "guest_initial",
)


async def titles(api: Api, world: World, key: str, **variables: Any) -> list[str]:
    data = await api.gql(
        BUILDING_NOTICES,
        {"id": world.building_id, "first": 50, **variables},
        as_=world[key],
    )
    return [edge["node"]["title"] for edge in data["node"]["notices"]["edges"]]


async def listed(api: Api, world: World, key: str, notice_id: str) -> dict[str, Any] | None:
    data = await api.gql(
        BUILDING_NOTICES,
        {"id": world.building_id, "first": 50, "includeExpired": True},
        as_=world[key],
    )
    for edge in data["node"]["notices"]["edges"]:
        if edge["node"]["id"] == notice_id:
            found: dict[str, Any] = edge["node"]
            return found
    return None


async def test_posting_notifies_each_resident_once(api: Api) -> None:
    world = await notices_world(api)
    notice = await post(api, world)
    expected = sorted(world[key].pk for key in TIER_HOLDERS)
    assert await notified_about(api, notice["id"]) == expected  # no staff, no lapsed guests


async def test_entrance_notice_notifies_only_that_entrance(api: Api) -> None:
    world = await notices_world(api)
    notice = await post(api, world, entrances=[2], category="LIFT_OUTAGE")
    assert notice["entrances"] == [2]
    assert await notified_about(api, notice["id"]) == [world["resident"].pk]
    assert "Отключение горячей воды" not in await titles(api, world, "owner")
    assert await titles(api, world, "resident") == ["Отключение горячей воды"]
    assert await titles(api, world, "dispatcher") == ["Отключение горячей воды"]


async def test_entrances_are_sorted_and_unique(api: Api) -> None:
    world = await notices_world(api)
    notice = await post(api, world, entrances=[2, 1, 2])
    assert notice["entrances"] == [1, 2]
    assert len(await notified_about(api, notice["id"])) == len(TIER_HOLDERS)


async def test_muted_category_is_not_notified_but_still_listed(api: Api) -> None:
    world = await notices_world(api)
    resident = world["resident"]
    result = await api.gql(MUTE, {"input": {"category": "HOT_WATER_OUTAGE"}}, as_=resident)
    assert result["noticeCategoryMute"] == {
        "noticeSettings": {"mutedCategories": ["HOT_WATER_OUTAGE"]},
        "userErrors": [],
    }
    again = await api.gql(MUTE, {"input": {"category": "HOT_WATER_OUTAGE"}}, as_=resident)
    assert [e["code"] for e in again["noticeCategoryMute"]["userErrors"]] == ["ALREADY_MUTED"]
    hot = await post(api, world, title="Горячая вода")
    works = await post(
        api, world, title="Работы", category="WORKS", outageStart=None, outageEnd=None
    )
    assert resident.pk not in await notified_about(api, hot["id"])
    assert resident.pk in await notified_about(api, works["id"])
    assert world["owner"].pk in await notified_about(api, hot["id"])
    assert await titles(api, world, "resident") == ["Работы", "Горячая вода"]
    settings = await api.gql(SETTINGS, as_=resident)
    assert settings["viewer"]["noticeSettings"] == {"mutedCategories": ["HOT_WATER_OUTAGE"]}

    unmuted = await api.gql(UNMUTE, {"input": {"category": "HOT_WATER_OUTAGE"}}, as_=resident)
    assert unmuted["noticeCategoryUnmute"]["noticeSettings"] == {"mutedCategories": []}
    twice = await api.gql(UNMUTE, {"input": {"category": "HOT_WATER_OUTAGE"}}, as_=resident)
    assert [e["code"] for e in twice["noticeCategoryUnmute"]["userErrors"]] == ["NOT_MUTED"]
    later = await post(api, world, title="Снова горячая вода")
    assert resident.pk in await notified_about(api, later["id"])


async def test_mute_needs_a_viewer(api: Api) -> None:
    result = await api.post(MUTE, {"input": {"category": "WORKS"}})
    assert result.response.status_code == 200
    assert result.codes == ["UNAUTHENTICATED"]


async def test_concurrent_mutes_store_one(api: Api) -> None:
    world = await notices_world(api)
    owner = world["owner"]
    results = await asyncio.gather(
        *(api.gql(MUTE, {"input": {"category": "WORKS"}}, as_=owner) for _ in range(6))
    )
    codes = sorted(e["code"] for r in results for e in r["noticeCategoryMute"]["userErrors"])
    assert codes == ["ALREADY_MUTED"] * 5


async def test_edit_is_visible_as_such_and_history_kept(api: Api, clock: Clock) -> None:
    world = await notices_world(api)
    notice = await post(api, world, title="Первая редакция")
    assert (notice["edited"], notice["editCount"], notice["editedAt"]) == (False, 0, None)
    for title in ("Вторая редакция", "Третья редакция"):
        clock.advance(timedelta(minutes=5))
        result = await api.gql(
            UPDATE,
            {"input": {"noticeId": notice["id"], **content(title=title, entrances=[2])}},
            as_=world["dispatcher"],
        )
        assert result["noticeUpdate"]["userErrors"] == []
    seen = await listed(api, world, "resident", notice["id"])
    assert seen is not None
    assert (seen["title"], seen["edited"], seen["editCount"]) == ("Третья редакция", True, 2)
    assert datetime.fromisoformat(seen["editedAt"]) > datetime.fromisoformat(seen["createdAt"])
    assert seen["entrances"] == [2]
    assert await listed(api, world, "owner", notice["id"]) is None  # moved to entrance 2
    versions = await rows(
        api,
        select(NoticeVersion.title, NoticeVersion.entrances)
        .where(NoticeVersion.notice_id == pk(notice["id"]))
        .order_by(NoticeVersion.id),
    )
    assert versions == [("Первая редакция", []), ("Вторая редакция", [2])]
    # an edit notifies nobody again
    assert len(await notified_about(api, notice["id"])) == len(TIER_HOLDERS)


async def test_withdrawn_notice_leaves_residents_lists(api: Api) -> None:
    world = await notices_world(api)
    notice = await post(api, world, title="Будет снято")
    result = await api.gql(WITHDRAW, {"input": {"noticeId": notice["id"]}}, as_=world["manager"])
    assert result["noticeWithdraw"]["notice"]["withdrawn"] is True
    for key in TIER_HOLDERS:
        assert await listed(api, world, key, notice["id"]) is None, key
    # opened from its notification, it is shown flagged as withdrawn
    node = await api.gql(NOTICE_NODE, {"id": notice["id"]}, as_=world["owner"])
    assert node == {"node": {"id": notice["id"], "title": "Будет снято"}}
    for key in ("dispatcher", "engineer", "manager", "admin"):
        seen = await listed(api, world, key, notice["id"])
        assert seen is not None, key
        assert seen["withdrawn"] is True, key
        assert seen["withdrawnAt"], key

    again = await api.gql(WITHDRAW, {"input": {"noticeId": notice["id"]}}, as_=world["manager"])
    assert [e["code"] for e in again["noticeWithdraw"]["userErrors"]] == ["ALREADY_WITHDRAWN"]
    edit = await api.gql(
        UPDATE, {"input": {"noticeId": notice["id"], **content()}}, as_=world["manager"]
    )
    assert [e["code"] for e in edit["noticeUpdate"]["userErrors"]] == ["WITHDRAWN"]
    assert edit["noticeUpdate"]["notice"]["editCount"] == 0


async def test_concurrent_withdrawals_one_wins(api: Api) -> None:
    world = await notices_world(api)
    notice = await post(api, world)
    results = await asyncio.gather(
        *(
            api.gql(WITHDRAW, {"input": {"noticeId": notice["id"]}}, as_=world[key])
            for key in ("manager", "dispatcher") * 3
        )
    )
    codes = sorted(e["code"] for r in results for e in r["noticeWithdraw"]["userErrors"])
    assert codes == ["ALREADY_WITHDRAWN"] * 5


async def test_validity_window_on_the_clock(api: Api, clock: Clock) -> None:
    world = await notices_world(api)
    now = datetime.now(UTC)
    await post(
        api,
        world,
        title="Сегодня",
        visibleFrom=iso(now - timedelta(hours=1)),
        visibleUntil=iso(now + timedelta(days=1)),
    )
    upcoming = await post(
        api,
        world,
        title="Скоро",
        visibleFrom=iso(now + timedelta(days=2)),
        visibleUntil=iso(now + timedelta(days=5)),
    )
    assert upcoming["isCurrent"] is False
    assert await titles(api, world, "owner") == ["Скоро", "Сегодня"]

    clock.advance(timedelta(days=3))
    for key in ("owner", "manager"):
        assert await titles(api, world, key) == ["Скоро"], key
        assert await titles(api, world, key, includeExpired=True) == ["Скоро", "Сегодня"], key
    seen = await listed(api, world, "owner", upcoming["id"])
    assert seen is not None
    assert seen["isCurrent"] is True

    clock.advance(timedelta(days=3))
    assert await titles(api, world, "owner") == []


async def test_pages_newest_first(api: Api) -> None:
    world = await notices_world(api)
    for n in range(5):
        await post(api, world, title=f"Объявление {n}")
    seen: list[str] = []
    after = None
    while True:
        data = await api.gql(
            BUILDING_NOTICES,
            {"id": world.building_id, "first": 2, "after": after},
            as_=world["registered"],
        )
        connection = data["node"]["notices"]
        seen += [edge["node"]["title"] for edge in connection["edges"]]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]
    assert seen == [f"Объявление {n}" for n in reversed(range(5))]


async def test_a_page_costs_the_same_statements_however_long(api: Api) -> None:
    world = await notices_world(api)
    for n in range(8):
        await post(api, world, title=f"N{n}", entrances=[2] if n % 2 else None)
    costs = []
    for key in ("resident", "manager"):
        for first in (1, 8):
            variables = {"id": world.building_id, "first": first}
            await api.gql(BUILDING_NOTICES, variables, as_=world[key])  # warm
            with api.count_statements() as statements:
                data = await api.gql(BUILDING_NOTICES, variables, as_=world[key])
            assert len(data["node"]["notices"]["edges"]) == first
            costs.append(len(statements))
    assert costs[0] == costs[1], costs
    assert costs[2] == costs[3], costs
