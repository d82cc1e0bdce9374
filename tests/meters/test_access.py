"""The capability cells of meters, for every person of ``make_world``: ``Premise.meters``
(HOUSEHOLD_RECORDS_VIEW measured at the premise), ``meterReadingSubmit``
(METER_READING_SUBMIT at the meter's premise), ``meterRegister``, ``meterReplace`` and
``meterRetire`` (METERS_MANAGE at the premise). A refused call changes nothing: the
building's meters, readings and the points for them are compared before and after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from edom_graphql.core.ids import encode_id
from edom_graphql.meters.models import Meter, MeterReading
from edom_graphql.points.models import PointEntry
from tests.access.test_access_matrix import (
    PEOPLE,
    PERSON_COLUMN,
    allowed,
    assert_denied,
    person,
    premise_column,
)
from tests.factories import Api, Clock, World, make_world
from tests.meters.operations import PREMISE_METERS, REGISTER, REPLACE, RETIRE, SUBMIT
from tests.meters.scene import (
    MOSCOW,
    far_verification,
    moscow,
    register,
    rows,
    serial,
    set_clock,
)


def open_moment() -> datetime:
    """Soon, with the water window open for at least a day (and guests' grants, 30 days
    long from today, still running)."""
    now = datetime.now(MOSCOW)
    if now.day >= 15 or now.day <= 2:
        return now.astimezone(UTC) + timedelta(minutes=1)
    return moscow(now.year, now.month, 15, 12).astimezone(UTC)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def listed(api: Api, world: World) -> dict[str, list[dict[str, Any]]]:
    """The meters of apartments 1 and 2, by apartment."""
    found = {}
    for number in ("1", "2"):
        cold = await register(api, world, premise=number)
        power = await register(api, world, premise=number, kind="ELECTRICITY", zones=2)
        found[number] = [cold, power]
    return found


async def snapshot(api: Api, world: World) -> list[Any]:
    meters = await rows(api, select(Meter.__table__).where(Meter.building_id == world.building_pk))
    readings = await rows(
        api, select(MeterReading.__table__).where(MeterReading.building_id == world.building_pk)
    )
    points = await rows(
        api,
        select(PointEntry.user_id, PointEntry.source_key).where(
            PointEntry.source_key.like("meter-reading:%")
        ),
    )
    return sorted(map(tuple, meters)) + sorted(map(tuple, readings)) + sorted(map(tuple, points))


def denied_code(key: str) -> str:
    return "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"


# -- Premise.meters @requires(HOUSEHOLD_RECORDS_VIEW, at the premise) ----------------------


@pytest.mark.parametrize("number", ["1", "2"])
@pytest.mark.parametrize("key", PEOPLE)
async def test_premise_meters(
    api: Api, world: World, listed: dict[str, list[dict[str, Any]]], key: str, number: str
) -> None:
    result = await api.post(
        PREMISE_METERS, {"id": world.premise_id(number)}, as_=person(world, key)
    )
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["node"])
        assert result.data == {"node": None}
    elif not allowed("BUILDING_VIEW", PERSON_COLUMN[key]):
        assert result.ok() == {"node": None}
    elif not allowed("HOUSEHOLD_RECORDS_VIEW", premise_column(key, number)):
        assert_denied(result, "FORBIDDEN", ["node", "meters"])
        assert result.data == {"node": {"id": world.premise_id(number), "meters": None}}
    else:
        meters = result.ok()["node"]["meters"]
        assert [m["id"] for m in meters] == [m["id"] for m in listed[number]]
        assert [m["kind"] for m in meters] == ["COLD_WATER", "ELECTRICITY"]


# -- meterReadingSubmit @requires(METER_READING_SUBMIT, at the meter's premise) ------------


@pytest.mark.parametrize("key", PEOPLE)
async def test_meter_reading_submit(api: Api, world: World, clock: Clock, key: str) -> None:
    meter = await register(api, world, premise="1")
    set_clock(clock, open_moment())
    before = await snapshot(api, world)
    result = await api.post(
        SUBMIT,
        {"input": {"meterId": meter["id"], "readings": [{"value": "1.5"}]}},
        as_=person(world, key),
    )
    if key == "anonymous" or not allowed("METER_READING_SUBMIT", premise_column(key, "1")):
        assert_denied(result, denied_code(key), ["meterReadingSubmit"])
        assert result.data == {"meterReadingSubmit": None}
        assert await snapshot(api, world) == before
        return
    payload = result.ok()["meterReadingSubmit"]
    assert payload["userErrors"] == []
    assert [(r["value"], r["isCurrent"]) for r in payload["readings"]] == [("1.500", True)]
    assert payload["pointsAwarded"] == 5


# -- meterRegister / meterReplace / meterRetire @requires(METERS_MANAGE, at the premise) ----


@pytest.mark.parametrize("key", PEOPLE)
async def test_meter_register(api: Api, world: World, key: str) -> None:
    before = await snapshot(api, world)
    values = {
        "premiseId": world.premise_id("3"),
        "kind": "HOT_WATER",
        "serialNumber": serial(),
        "nextVerificationOn": far_verification(),
    }
    result = await api.post(REGISTER, {"input": values}, as_=person(world, key))
    if key == "anonymous" or not allowed("METERS_MANAGE", premise_column(key, "3")):
        assert_denied(result, denied_code(key), ["meterRegister"])
        assert result.data == {"meterRegister": None}
        assert await snapshot(api, world) == before
        return
    payload = result.ok()["meterRegister"]
    assert payload["userErrors"] == []
    assert payload["meter"]["serialNumber"] == values["serialNumber"]


@pytest.mark.parametrize("key", PEOPLE)
async def test_meter_replace(api: Api, world: World, key: str) -> None:
    meter = await register(api, world, premise="2")
    before = await snapshot(api, world)
    values = {
        "meterId": meter["id"],
        "serialNumber": serial(),
        "nextVerificationOn": far_verification(),
    }
    result = await api.post(REPLACE, {"input": values}, as_=person(world, key))
    if key == "anonymous" or not allowed("METERS_MANAGE", premise_column(key, "2")):
        assert_denied(result, denied_code(key), ["meterReplace"])
        assert result.data == {"meterReplace": None}
        assert await snapshot(api, world) == before
        return
    payload = result.ok()["meterReplace"]
    assert payload["userErrors"] == []
    assert payload["replaced"]["replacedBy"] == {"id": payload["meter"]["id"]}


@pytest.mark.parametrize("key", PEOPLE)
async def test_meter_retire(api: Api, world: World, key: str) -> None:
    meter = await register(api, world, premise="4")
    before = await snapshot(api, world)
    result = await api.post(RETIRE, {"input": {"meterId": meter["id"]}}, as_=person(world, key))
    if key == "anonymous" or not allowed("METERS_MANAGE", premise_column(key, "4")):
        assert_denied(result, denied_code(key), ["meterRetire"])
        assert result.data == {"meterRetire": None}
        assert await snapshot(api, world) == before
        return
    payload = result.ok()["meterRetire"]
    assert payload["userErrors"] == []
    assert payload["meter"]["retiredAt"] is not None


# -- the other building: its own occupants and staff ----------------------------------------


async def test_another_buildings_meters_are_its_own(api: Api, world: World, clock: Clock) -> None:
    """The other organisation's manager registers a meter there and its owner (the stranger)
    submits and sees it; this building's staff and residents may do neither."""
    premise_id = encode_id("Premise", world.other_premises["1"])
    values = {
        "premiseId": premise_id,
        "kind": "COLD_WATER",
        "serialNumber": serial(),
        "nextVerificationOn": far_verification(),
    }
    refused = await api.post(REGISTER, {"input": values}, as_=world["engineer"])
    assert_denied(refused, "FORBIDDEN", ["meterRegister"])
    payload = (await api.gql(REGISTER, {"input": values}, as_=world["other_staff"]))[
        "meterRegister"
    ]
    assert payload["userErrors"] == []
    meter_id = payload["meter"]["id"]
    set_clock(clock, open_moment())
    submitted = await api.gql(
        SUBMIT,
        {"input": {"meterId": meter_id, "readings": [{"value": "2"}]}},
        as_=world["stranger"],
    )
    assert submitted["meterReadingSubmit"]["userErrors"] == []
    seen = await api.gql(PREMISE_METERS, {"id": premise_id}, as_=world["stranger"])
    assert [m["id"] for m in seen["node"]["meters"]] == [meter_id]
    for key in ("engineer", "manager", "owner"):
        denied = await api.post(
            SUBMIT,
            {"input": {"meterId": meter_id, "readings": [{"value": "3"}]}},
            as_=world[key],
        )
        assert_denied(denied, "FORBIDDEN", ["meterReadingSubmit"])
