"""Staff register, replace and retire meters: the defaults, every refusal (which changes
nothing), a replacement that retires the old meter with its removal reading and links its
successor, and malformed dates that get a code, never a 500."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from edom_graphql.meters.models import Meter, MeterReadingSource, MeterZone
from tests.factories import Api, Clock, World, make_world
from tests.meters.operations import METER, REGISTER, REPLACE, RETIRE
from tests.meters.scene import (
    MOSCOW,
    far_verification,
    meter_row,
    months_ahead,
    moscow,
    readings_of,
    register,
    rows,
    serial,
    set_clock,
    submit,
)

T1, T2 = MeterZone.T1, MeterZone.T2
SUBMITTED, INSTALLATION, REMOVAL = (
    MeterReadingSource.SUBMITTED,
    MeterReadingSource.INSTALLATION,
    MeterReadingSource.REMOVAL,
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api)


def today() -> date:
    return datetime.now(MOSCOW).date()


def window_day(months: int = 0) -> datetime:
    year, month = months_ahead(1 + months)
    return moscow(year, month, 16, 12)


async def meters_count(api: Api) -> int:
    ((count,),) = await rows(api, select(func.count()).select_from(Meter))
    return int(count)


def register_input(world: World, **fields: Any) -> dict[str, Any]:
    return {
        "premiseId": world.premise_id("2"),
        "kind": "COLD_WATER",
        "serialNumber": serial(),
        "nextVerificationOn": far_verification(),
        **fields,
    }


async def test_a_meter_is_registered_with_defaults(api: Api, world: World) -> None:
    values = register_input(world, serialNumber="  ВК 12/34-5.6  ")
    payload = (await api.gql(REGISTER, {"input": values}, as_=world["engineer"]))["meterRegister"]
    meter = payload["meter"]
    assert payload["userErrors"] == []
    assert {k: v for k, v in meter.items() if k not in ("id", "lastReadings")} == {
        "kind": "COLD_WATER",
        "zones": ["T1"],
        "serialNumber": "ВК 12/34-5.6",
        "installedOn": today().isoformat(),
        "nextVerificationOn": values["nextVerificationOn"],
        "precision": 3,
        "unit": "m³",
        "retiredAt": None,
        "premise": {"id": world.premise_id("2")},
    }
    assert [(r["zone"], r["period"], r["value"], r["source"]) for r in meter["lastReadings"]] == [
        ("T1", None, "0.000", "INSTALLATION")
    ]
    electricity = await register(
        api,
        world,
        kind="ELECTRICITY",
        zones=3,
        as_="manager",
        installedOn=(today() - timedelta(days=400)).isoformat(),
        initialReadings=[
            {"zone": "T3", "value": "3"},
            {"zone": "T1", "value": "1.5"},
            {"zone": "T2", "value": "2"},
        ],
    )
    assert electricity["zones"] == ["T1", "T2", "T3"]
    assert electricity["precision"] == 1
    assert electricity["unit"] == "kWh"
    assert [(r["zone"], r["value"]) for r in electricity["lastReadings"]] == [
        ("T1", "1.5"),
        ("T2", "2.0"),
        ("T3", "3.0"),
    ]


def register_refusals() -> list[Any]:
    t = today()
    cases: dict[str, tuple[dict[str, Any], str, list[str]]] = {
        "blank-serial": ({"serialNumber": "   "}, "INVALID_SERIAL_NUMBER", ["serialNumber"]),
        "long-serial": ({"serialNumber": "1" * 41}, "INVALID_SERIAL_NUMBER", ["serialNumber"]),
        "odd-serial": ({"serialNumber": "AB#12"}, "INVALID_SERIAL_NUMBER", ["serialNumber"]),
        "control-serial": (
            {"serialNumber": "AB\u200b12"},
            "INVALID_SERIAL_NUMBER",
            ["serialNumber"],
        ),
        "water-two-zones": ({"zones": 2}, "INVALID_ZONES", ["zones"]),
        "four-zones": ({"kind": "ELECTRICITY", "zones": 4}, "INVALID_ZONES", ["zones"]),
        "no-zones": ({"kind": "ELECTRICITY", "zones": 0}, "INVALID_ZONES", ["zones"]),
        "precision-7": ({"precision": 7}, "INVALID_PRECISION", ["precision"]),
        "precision-negative": ({"precision": -1}, "INVALID_PRECISION", ["precision"]),
        "installed-tomorrow": (
            {"installedOn": (t + timedelta(days=1)).isoformat()},
            "INSTALLED_IN_FUTURE",
            ["installedOn"],
        ),
        "verified-before-installation": (
            {
                "installedOn": (t - timedelta(days=10)).isoformat(),
                "nextVerificationOn": (t - timedelta(days=10)).isoformat(),
            },
            "INVALID_VERIFICATION_DATE",
            ["nextVerificationOn"],
        ),
        "verification-too-far": (
            {"nextVerificationOn": (t + timedelta(days=366 * 21)).isoformat()},
            "INVALID_VERIFICATION_DATE",
            ["nextVerificationOn"],
        ),
        "verification-passed": (
            {
                "installedOn": (t - timedelta(days=900)).isoformat(),
                "nextVerificationOn": (t - timedelta(days=1)).isoformat(),
            },
            "VERIFICATION_EXPIRED",
            ["nextVerificationOn"],
        ),
        "initial-zones": (
            {"initialReadings": [{"zone": "T2", "value": "1"}]},
            "WRONG_ZONES",
            ["initialReadings"],
        ),
        "initial-negative": (
            {"initialReadings": [{"value": "-1"}]},
            "NEGATIVE",
            ["initialReadings", "0", "value"],
        ),
        "initial-nan": (
            {"initialReadings": [{"value": "nan"}]},
            "NOT_FINITE",
            ["initialReadings", "0", "value"],
        ),
        "initial-precise": (
            {"initialReadings": [{"value": "1.0001"}]},
            "TOO_PRECISE",
            ["initialReadings", "0", "value"],
        ),
    }
    return [pytest.param(*case, id=name) for name, case in cases.items()]


@pytest.mark.parametrize(("fields", "code", "field"), register_refusals())
async def test_a_registration_is_refused(
    api: Api, world: World, fields: dict[str, Any], code: str, field: list[str]
) -> None:
    before = await meters_count(api)
    payload = (
        await api.gql(REGISTER, {"input": register_input(world, **fields)}, as_=world["engineer"])
    )["meterRegister"]
    assert payload["meter"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert payload["userErrors"][0]["message"]
    assert await meters_count(api) == before


async def test_a_serial_number_is_one_meter_in_service_per_building(api: Api, world: World) -> None:
    number = serial()
    meter = await register(api, world, serialNumber=number)
    before = await meters_count(api)
    payload = (
        await api.gql(
            REGISTER,
            {
                "input": register_input(
                    world, serialNumber=f" {number} ", premiseId=world.premise_id("3")
                )
            },
            as_=world["engineer"],
        )
    )["meterRegister"]
    assert payload["userErrors"] == [
        {
            "code": "SERIAL_IN_USE",
            "field": ["serialNumber"],
            "message": f"A meter with the serial number {number} is in service in this building.",
        }
    ]
    assert await meters_count(api) == before
    retired = await api.gql(RETIRE, {"input": {"meterId": meter["id"]}}, as_=world["engineer"])
    assert retired["meterRetire"]["userErrors"] == []
    again = await register(api, world, serialNumber=number)  # reinstalled after verification
    assert again["serialNumber"] == number


async def test_a_replacement_retires_the_old_meter_and_links_the_new(
    api: Api, world: World, clock: Clock
) -> None:
    owner, engineer = world["owner"], world["engineer"]
    old = await register(api, world, kind="ELECTRICITY", zones=2, precision=2)
    set_clock(clock, window_day(0))
    assert (await submit(api, owner, old["id"], ("T1", "500.25"), ("T2", "200")))[
        "userErrors"
    ] == []
    set_clock(clock, window_day(0) + timedelta(days=20))  # after the window, same period
    refused = await api.gql(
        REPLACE,
        {
            "input": {
                "meterId": old["id"],
                "serialNumber": serial(),
                "nextVerificationOn": far_verification(),
                "finalReadings": [{"zone": "T1", "value": "500.2"}, {"zone": "T2", "value": "210"}],
            }
        },
        as_=engineer,
    )
    assert refused["meterReplace"]["userErrors"] == [
        {
            "code": "BELOW_PREVIOUS",
            "field": ["finalReadings", "0", "value"],
            "message": "The T1 reading 500.20 kWh is below the previous one, 500.25 kWh "
            f"({window_day(0):%Y-%m}).",
        }
    ]
    assert (await meter_row(api, old["id"]))[11] is None  # retired_at: still in service

    number = serial()
    payload = (
        await api.gql(
            REPLACE,
            {
                "input": {
                    "meterId": old["id"],
                    "serialNumber": number,
                    "nextVerificationOn": far_verification(),
                    "finalReadings": [
                        {"zone": "T2", "value": "210"},
                        {"zone": "T1", "value": "512.5"},
                    ],
                    "initialReadings": [
                        {"zone": "T1", "value": "0.5"},
                        {"zone": "T2", "value": "0"},
                    ],
                }
            },
            as_=engineer,
        )
    )["meterReplace"]
    assert payload["userErrors"] == []
    new, replaced = payload["meter"], payload["replaced"]
    assert new["zones"] == ["T1", "T2"]
    assert new["precision"] == 2  # the old meter's
    assert new["serialNumber"] == number
    assert new["replaces"] == {"id": old["id"]}
    assert replaced["id"] == old["id"]
    assert replaced["replacedBy"] == {"id": new["id"]}
    assert replaced["retiredAt"] is not None
    assert [(r["zone"], r["value"], r["source"]) for r in replaced["lastReadings"]] == [
        ("T1", "512.50", "REMOVAL"),
        ("T2", "210.00", "REMOVAL"),
    ]
    assert [(r["zone"], r["value"], r["source"]) for r in new["lastReadings"]] == [
        ("T1", "0.50", "INSTALLATION"),
        ("T2", "0.00", "INSTALLATION"),
    ]
    period = window_day(0).date().replace(day=1)
    assert await readings_of(api, old["id"]) == [
        (T1, None, Decimal("0"), INSTALLATION, engineer.pk, True),
        (T2, None, Decimal("0"), INSTALLATION, engineer.pk, True),
        (T1, period, Decimal("500.25"), SUBMITTED, owner.pk, False),
        (T2, period, Decimal("200"), SUBMITTED, owner.pk, False),
        (T2, period, Decimal("210"), REMOVAL, engineer.pk, True),
        (T1, period, Decimal("512.5"), REMOVAL, engineer.pk, True),
    ]
    # the premise lists the new meter in service first, the old one after it
    premise = await api.gql(
        "query ($id: ID!) { node(id: $id) { ... on Premise { meters { id retiredAt } } } }",
        {"id": world.premise_id("1")},
        as_=owner,
    )
    ids = [m["id"] for m in premise["node"]["meters"]]
    assert ids.index(new["id"]) < ids.index(old["id"])
    # readings go to the new meter; the old one takes none
    set_clock(clock, window_day(1))
    assert (await submit(api, owner, new["id"], ("T1", "150"), ("T2", "60")))["userErrors"] == []
    refused_old = await submit(api, owner, old["id"], ("T1", "600"), ("T2", "250"))
    assert [e["code"] for e in refused_old["userErrors"]] == ["METER_RETIRED"]
    node = (await api.gql(METER, {"id": new["id"]}, as_=owner))["node"]
    assert [(c["zone"], c["consumption"]) for c in node["consumption"]] == [
        ("T1", "149.50"),
        ("T2", "60.00"),
    ]
    # a retired meter is replaced no more
    again = await api.gql(
        REPLACE,
        {
            "input": {
                "meterId": old["id"],
                "serialNumber": serial(),
                "nextVerificationOn": far_verification(),
            }
        },
        as_=engineer,
    )
    assert [e["code"] for e in again["meterReplace"]["userErrors"]] == ["METER_RETIRED"]


async def test_a_meter_is_retired_once(api: Api, world: World, clock: Clock) -> None:
    meter = await register(api, world, initialReadings=[{"value": "10"}])
    set_clock(clock, window_day(0))
    payload = (
        await api.gql(
            RETIRE,
            {"input": {"meterId": meter["id"], "finalReadings": [{"value": "12.345"}]}},
            as_=world["manager"],
        )
    )["meterRetire"]
    assert payload["userErrors"] == []
    assert payload["meter"]["retiredAt"] is not None
    assert [(r["value"], r["source"], r["period"]) for r in payload["meter"]["lastReadings"]] == [
        ("12.345", "REMOVAL", f"{window_day(0):%Y-%m}")
    ]
    before = await meter_row(api, meter["id"])
    again = (await api.gql(RETIRE, {"input": {"meterId": meter["id"]}}, as_=world["manager"]))[
        "meterRetire"
    ]
    assert again["userErrors"] == [
        {
            "code": "METER_RETIRED",
            "field": None,
            "message": "This meter has been taken out of service.",
        }
    ]
    assert await meter_row(api, meter["id"]) == before


@pytest.mark.parametrize(
    "value", ["2026-13-01", "yesterday", "2026-02-30", "", "02.12.2026", "99999-01-01"]
)
async def test_a_malformed_date_gets_a_code(api: Api, world: World, value: str) -> None:
    before = await meters_count(api)
    result = await api.post(
        REGISTER,
        {"input": register_input(world, nextVerificationOn=value)},
        as_=world["engineer"],
    )
    assert result.response.status_code in (200, 400), result
    assert result.codes == ["BAD_USER_INPUT"], result
    assert await meters_count(api) == before


async def test_a_premise_or_meter_id_of_another_kind_is_bad_input(api: Api, world: World) -> None:
    result = await api.post(
        REGISTER,
        {"input": register_input(world, premiseId=world.building_id)},
        as_=world["engineer"],
    )
    assert result.codes == ["BAD_USER_INPUT"]
    result = await api.post(
        RETIRE, {"input": {"meterId": world.premise_id("1")}}, as_=world["engineer"]
    )
    assert result.codes == ["BAD_USER_INPUT"]
