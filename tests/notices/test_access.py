"""The capability cells of notices for every person of ``make_world``: ``Building.notices``
and a notice's node (NOTICES_VIEW, narrowed to the entrances a notice is addressed to),
``noticePost``, ``noticeUpdate`` and ``noticeWithdraw`` (NOTICES_POST). A refused call
changes nothing: the building's notices, their versions and the notifications about them
are compared before and after."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from tests.access.test_access_matrix import PEOPLE, PERSON_COLUMN, allowed, assert_denied, person
from tests.factories import Api, World
from tests.notices.operations import BUILDING_NOTICES, NOTICE_NODE, POST, UPDATE, WITHDRAW
from tests.notices.scene import content, notices_world, post, snapshot

# Who sees a notice addressed to entrance 2 (apartment 3, the resident's), besides staff.
IN_ENTRANCE_2 = {"resident"}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await notices_world(api)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def posted(api: Api, world: World) -> dict[str, dict[str, Any]]:
    """A notice to the whole building and one to entrance 2."""
    return {
        "building": await post(api, world, title="Для всего дома"),
        "entrance": await post(api, world, title="Для подъезда 2", entrances=[2]),
    }


def denied_code(key: str) -> str:
    return "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"


def sees_everything(key: str) -> bool:
    return PERSON_COLUMN[key] in {"DISPATCHER", "ENGINEER", "MANAGER", "ADMIN"}


def expected_titles(key: str) -> list[str]:
    if sees_everything(key) or key in IN_ENTRANCE_2:
        return ["Для подъезда 2", "Для всего дома"]
    return ["Для всего дома"]


# -- Building.notices @requires(NOTICES_VIEW) ---------------------------------------------


@pytest.mark.parametrize("key", PEOPLE)
async def test_building_notices(
    api: Api, world: World, posted: dict[str, dict[str, Any]], key: str
) -> None:
    result = await api.post(
        BUILDING_NOTICES, {"id": world.building_id, "first": 10}, as_=person(world, key)
    )
    column = PERSON_COLUMN[key]
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["node"])
        assert result.data == {"node": None}
    elif not allowed("BUILDING_VIEW", column):
        assert result.ok() == {"node": None}
    elif not allowed("NOTICES_VIEW", column):
        assert_denied(result, "FORBIDDEN", ["node", "notices"])
    else:
        edges = result.ok()["node"]["notices"]["edges"]
        assert [edge["node"]["title"] for edge in edges] == expected_titles(key)


@pytest.mark.parametrize("which", ["building", "entrance"])
@pytest.mark.parametrize("key", PEOPLE)
async def test_notice_node(
    api: Api, world: World, posted: dict[str, dict[str, Any]], key: str, which: str
) -> None:
    notice = posted[which]
    result = await api.post(NOTICE_NODE, {"id": notice["id"]}, as_=person(world, key))
    column = PERSON_COLUMN[key]
    if key == "anonymous":
        assert result.data == {"node": None}
        assert "UNAUTHENTICATED" in result.codes
        return
    visible = allowed("NOTICES_VIEW", column) and (
        which == "building" or sees_everything(key) or key in IN_ENTRANCE_2
    )
    assert result.ok() == {
        "node": {"id": notice["id"], "title": notice["title"]} if visible else None
    }


# -- noticePost / noticeUpdate / noticeWithdraw @requires(NOTICES_POST) -------------------


@pytest.mark.parametrize("key", PEOPLE)
async def test_notice_post(api: Api, world: World, key: str) -> None:
    before = await snapshot(api, world)
    values = {"buildingId": world.building_id, **content(title=f"От {key}")}
    result = await api.post(POST, {"input": values}, as_=person(world, key))
    if not allowed("NOTICES_POST", PERSON_COLUMN[key]):
        assert_denied(result, denied_code(key), ["noticePost"])
        assert result.data == {"noticePost": None}
        assert await snapshot(api, world) == before
        return
    payload = result.ok()["noticePost"]
    assert payload["userErrors"] == []
    assert payload["notice"]["title"] == f"От {key}"
    assert payload["notice"]["building"] == {"id": world.building_id}


@pytest.mark.parametrize("key", PEOPLE)
async def test_notice_update(api: Api, world: World, key: str) -> None:
    notice = await post(api, world, title="До правки")
    before = await snapshot(api, world)
    values = {"noticeId": notice["id"], **content(title="После правки")}
    result = await api.post(UPDATE, {"input": values}, as_=person(world, key))
    if not allowed("NOTICES_POST", PERSON_COLUMN[key]):
        assert_denied(result, denied_code(key), ["noticeUpdate"])
        assert result.data == {"noticeUpdate": None}
        assert await snapshot(api, world) == before
        return
    payload = result.ok()["noticeUpdate"]
    assert payload["userErrors"] == []
    assert (payload["notice"]["title"], payload["notice"]["edited"]) == ("После правки", True)


@pytest.mark.parametrize("key", PEOPLE)
async def test_notice_withdraw(api: Api, world: World, key: str) -> None:
    notice = await post(api, world, title="Снять")
    before = await snapshot(api, world)
    result = await api.post(WITHDRAW, {"input": {"noticeId": notice["id"]}}, as_=person(world, key))
    if not allowed("NOTICES_POST", PERSON_COLUMN[key]):
        assert_denied(result, denied_code(key), ["noticeWithdraw"])
        assert result.data == {"noticeWithdraw": None}
        assert await snapshot(api, world) == before
        return
    payload = result.ok()["noticeWithdraw"]
    assert payload["userErrors"] == []
    assert payload["notice"]["withdrawn"] is True


async def test_other_organisations_staff_cannot_post(api: Api, world: World) -> None:
    """The manager of another organisation may not post to this building."""
    before = await snapshot(api, world)
    values = {"buildingId": world.building_id, **content()}
    result = await api.post(POST, {"input": values}, as_=world["other_staff"])
    assert_denied(result, "FORBIDDEN", ["noticePost"])
    assert await snapshot(api, world) == before
