"""Bad input to the notice mutations gets a coded error (a user error, or a GraphQL
error with a code for malformed ids and arguments), never a 500, and changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio

from edom_graphql.core.ids import encode_id
from tests.factories import Api, World
from tests.notices.operations import BUILDING_NOTICES, POST, UPDATE, WITHDRAW
from tests.notices.scene import content, iso, notices_world, post, snapshot

NOW = datetime.now(UTC)

# (changes to a valid notice, code, field)
BAD_CONTENT: list[tuple[dict[str, Any], str, list[str]]] = [
    ({"title": "   "}, "BLANK", ["title"]),
    ({"text": ""}, "BLANK", ["text"]),
    ({"title": "Т" * 201}, "TOO_LONG", ["title"]),
    ({"text": "т" * 4001}, "TOO_LONG", ["text"]),
    (
        {"visibleUntil": iso(NOW - timedelta(days=2))},
        "WINDOW_END_BEFORE_START",
        ["visibleUntil"],
    ),
    (
        {"visibleFrom": iso(NOW), "visibleUntil": iso(NOW)},
        "WINDOW_END_BEFORE_START",
        ["visibleUntil"],
    ),
    ({"visibleUntil": iso(NOW + timedelta(days=200))}, "WINDOW_TOO_LONG", ["visibleUntil"]),
    (
        {
            "visibleFrom": iso(NOW - timedelta(days=3)),
            "visibleUntil": iso(NOW - timedelta(days=1)),
        },
        "WINDOW_IN_PAST",
        ["visibleUntil"],
    ),
    ({"category": "WORKS"}, "OUTAGE_NOT_ALLOWED", ["outageStart"]),
    ({"outageEnd": None}, "OUTAGE_INCOMPLETE", ["outageEnd"]),
    ({"outageStart": None}, "OUTAGE_INCOMPLETE", ["outageStart"]),
    (
        {"outageStart": iso(NOW + timedelta(days=3)), "outageEnd": iso(NOW + timedelta(days=2))},
        "OUTAGE_END_BEFORE_START",
        ["outageEnd"],
    ),
    ({"outageEnd": iso(NOW + timedelta(days=70))}, "OUTAGE_TOO_LONG", ["outageEnd"]),
    ({"entrances": [3]}, "UNKNOWN_ENTRANCE", ["entrances", "0"]),
    ({"entrances": [1, -1]}, "UNKNOWN_ENTRANCE", ["entrances", "1"]),
    ({"entrances": [99999]}, "UNKNOWN_ENTRANCE", ["entrances", "0"]),
]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await notices_world(api)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def notice(api: Api, world: World) -> dict[str, Any]:
    return await post(api, world, title="Для правки")


def codes_of(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["userErrors"]]


@pytest.mark.parametrize(("changes", "code", "field"), BAD_CONTENT)
async def test_bad_post(
    api: Api, world: World, changes: dict[str, Any], code: str, field: list[str]
) -> None:
    before = await snapshot(api, world)
    values = {"buildingId": world.building_id, **content(NOW, **changes)}
    result = await api.post(POST, {"input": values}, as_=world["manager"])
    payload = result.ok()["noticePost"]
    assert codes_of(payload) == [(code, field)]
    assert payload["notice"] is None
    assert await snapshot(api, world) == before


@pytest.mark.parametrize(("changes", "code", "field"), BAD_CONTENT)
async def test_bad_update(
    api: Api,
    world: World,
    notice: dict[str, Any],
    changes: dict[str, Any],
    code: str,
    field: list[str],
) -> None:
    before = await snapshot(api, world)
    values = {"noticeId": notice["id"], **content(NOW, **changes)}
    result = await api.post(UPDATE, {"input": values}, as_=world["dispatcher"])
    payload = result.ok()["noticeUpdate"]
    assert codes_of(payload) == [(code, field)]
    assert payload["notice"]["title"] == "Для правки"
    assert payload["notice"]["edited"] is False
    assert await snapshot(api, world) == before


@pytest.mark.parametrize(
    "notice_id",
    ["garbage", "", encode_id("Building", 1), encode_id("Notice", 2**62)],
)
@pytest.mark.parametrize("document", ["update", "withdraw"])
async def test_bad_notice_ids(api: Api, world: World, notice_id: str, document: str) -> None:
    before = await snapshot(api, world)
    if document == "update":
        result = await api.post(
            UPDATE, {"input": {"noticeId": notice_id, **content()}}, as_=world["manager"]
        )
    else:
        result = await api.post(WITHDRAW, {"input": {"noticeId": notice_id}}, as_=world["manager"])
    assert result.response.status_code == 200, result
    assert result.errors, result
    assert all(code and code != "INTERNAL_SERVER_ERROR" for code in result.codes), result
    assert await snapshot(api, world) == before


@pytest.mark.parametrize(
    "variables",
    [
        {"first": 0},
        {"first": 1000},
        {"first": 5, "after": "not-a-cursor"},
        {"first": -1},
    ],
)
async def test_bad_page_arguments(api: Api, world: World, variables: dict[str, Any]) -> None:
    result = await api.post(
        BUILDING_NOTICES, {"id": world.building_id, **variables}, as_=world["owner"]
    )
    assert result.response.status_code == 200, result
    assert result.errors, result
    assert all(code and code != "INTERNAL_SERVER_ERROR" for code in result.codes), result


@pytest.mark.parametrize(
    "changes",
    [
        {"category": "FIREWORKS"},
        {"visibleFrom": "2026-12-01T10:00:00"},
        {"outageEnd": "2030-01-01T10:00:00"},
        {"visibleUntil": "tomorrow"},
        {"entrances": ["one"]},
        {"title": None},
    ],
)
async def test_malformed_input_is_a_coded_error(
    api: Api, world: World, changes: dict[str, Any]
) -> None:
    """Values the schema refuses (an unknown category, a time without a UTC offset, ...)."""
    before = await snapshot(api, world)
    values = {"buildingId": world.building_id, **content(**changes)}
    result = await api.post(POST, {"input": values}, as_=world["manager"])
    assert result.response.status_code == 200, result
    assert result.codes == ["BAD_USER_INPUT"], result
    assert await snapshot(api, world) == before
