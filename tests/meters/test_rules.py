"""The rules of a reading, each refusal with its code and numbers and without changing
anything: below the previous reading, above it by more than a plausible consumption,
past the verification date, a retired meter, the wrong zones, and values that are not a
reading of the meter (never a 500)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import update

from edom_graphql.meters.models import MeterKind, MeterPlausibilityLimit
from tests.factories import Api, Clock, GraphQLResult, World, make_world
from tests.meters.operations import METER, RETIRE, SUBMIT
from tests.meters.scene import (
    awards_of,
    frozen_at,
    months_ahead,
    moscow,
    readings_of,
    register,
    set_clock,
    submit,
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api)


def window_day(months: int = 0, day: int = 16) -> datetime:
    """Noon (Moscow) of ``day`` in the month ``months`` after next: both windows are
    open on the 15th to the 26th."""
    year, month = months_ahead(1 + months)
    return moscow(year, month, day, 12)


def period(months: int = 0) -> str:
    year, month = months_ahead(1 + months)
    return f"{year}-{month:02d}"


def refused(code: str, message: str, field: list[str] | None, meter_id: str) -> dict[str, Any]:
    return {
        "meter": {"id": meter_id},
        "readings": [],
        "pointsAwarded": 0,
        "userErrors": [{"code": code, "field": field, "message": message}],
    }


VALUE = ["readings", "0", "value"]


async def test_a_reading_below_the_previous_one_is_refused(
    api: Api, world: World, clock: Clock
) -> None:
    owner = world["owner"]
    meter = await register(api, world, initialReadings=[{"value": "95"}])
    set_clock(clock, window_day(0))
    assert (await submit(api, owner, meter["id"], "100"))["userErrors"] == []
    set_clock(clock, window_day(1))
    before = await readings_of(api, meter["id"])
    awards = await awards_of(api, meter["id"])
    payload = await submit(api, owner, meter["id"], "99.999")
    assert payload == refused(
        "BELOW_PREVIOUS",
        f"The T1 reading 99.999 m³ is below the previous one, 100.000 m³ ({period(0)}).",
        VALUE,
        meter["id"],
    )
    assert await readings_of(api, meter["id"]) == before
    assert await awards_of(api, meter["id"]) == awards
    # the same value again is fine (nothing was used)
    assert (await submit(api, owner, meter["id"], "100"))["userErrors"] == []


async def test_below_the_installation_reading_is_refused(
    api: Api, world: World, clock: Clock
) -> None:
    meter = await register(api, world, initialReadings=[{"zone": "T1", "value": "500.5"}])
    set_clock(clock, window_day(0))
    before = await readings_of(api, meter["id"])
    payload = await submit(api, world["owner"], meter["id"], "500.499")
    assert payload == refused(
        "BELOW_PREVIOUS",
        "The T1 reading 500.499 m³ is below the previous one, 500.500 m³ (at installation).",
        VALUE,
        meter["id"],
    )
    assert await readings_of(api, meter["id"]) == before


async def test_a_zone_below_its_previous_reading_is_named(
    api: Api, world: World, clock: Clock
) -> None:
    owner = world["owner"]
    meter = await register(api, world, kind="ELECTRICITY", zones=2)
    set_clock(clock, window_day(0))
    payload = await submit(api, owner, meter["id"], ("T1", "1500.5"), ("T2", "700"))
    assert payload["userErrors"] == []
    set_clock(clock, window_day(1))
    before = await readings_of(api, meter["id"])
    payload = await submit(api, owner, meter["id"], ("T1", "1600"), ("T2", "699.9"))
    assert payload == refused(
        "BELOW_PREVIOUS",
        f"The T2 reading 699.9 kWh is below the previous one, 700.0 kWh ({period(0)}).",
        ["readings", "1", "value"],
        meter["id"],
    )
    assert await readings_of(api, meter["id"]) == before


async def test_a_jump_above_a_plausible_month_is_refused(
    api: Api, world: World, clock: Clock
) -> None:
    owner = world["owner"]
    meter = await register(api, world, initialReadings=[{"value": "95"}])
    set_clock(clock, window_day(0))
    assert (await submit(api, owner, meter["id"], "100"))["userErrors"] == []
    set_clock(clock, window_day(1))
    before = await readings_of(api, meter["id"])
    payload = await submit(api, owner, meter["id"], "130.001")
    assert payload == refused(
        "IMPLAUSIBLE_JUMP",
        f"The T1 reading 130.001 m³ is 30.001 m³ above the previous one, 100.000 m³ "
        f"({period(0)}): more than the plausible 30.000 m³ of 1 month for a cold water meter.",
        VALUE,
        meter["id"],
    )
    assert await readings_of(api, meter["id"]) == before
    # exactly the plausible month is accepted
    assert (await submit(api, owner, meter["id"], "130"))["userErrors"] == []


async def test_the_plausible_jump_grows_with_the_months_between(
    api: Api, world: World, clock: Clock
) -> None:
    owner = world["owner"]
    meter = await register(api, world, kind="ELECTRICITY")
    set_clock(clock, window_day(0))
    assert (await submit(api, owner, meter["id"], "1000"))["userErrors"] == []
    set_clock(clock, window_day(2))  # a period skipped: two months' worth
    payload = await submit(api, owner, meter["id"], "7000.1")
    assert payload["userErrors"] == [
        {
            "code": "IMPLAUSIBLE_JUMP",
            "field": VALUE,
            "message": f"The T1 reading 7000.1 kWh is 6000.1 kWh above the previous one, "
            f"1000.0 kWh ({period(0)}): more than the plausible 6000.0 kWh of 2 months for an "
            "electricity meter.",
        }
    ]
    assert (await submit(api, owner, meter["id"], "7000"))["userErrors"] == []


async def test_the_plausible_consumption_is_configurable(
    api: Api, world: World, clock: Clock
) -> None:
    owner = world["owner"]
    meter = await register(api, world, kind="HOT_WATER")
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(MeterPlausibilityLimit)
            .where(MeterPlausibilityLimit.kind == MeterKind.HOT_WATER)
            .values(max_per_month=Decimal("10"))
        )
    try:
        set_clock(clock, window_day(0))
        payload = await submit(api, owner, meter["id"], "10.001")
        assert [e["code"] for e in payload["userErrors"]] == ["IMPLAUSIBLE_JUMP"]
        assert (
            "more than the plausible 10.000 m³ of 1 month for a hot water meter"
            in (payload["userErrors"][0]["message"])
        )
        assert (await submit(api, owner, meter["id"], "10"))["userErrors"] == []
    finally:
        async with api.db.transaction() as (session, _):
            await session.execute(
                update(MeterPlausibilityLimit)
                .where(MeterPlausibilityLimit.kind == MeterKind.HOT_WATER)
                .values(max_per_month=Decimal("30"))
            )


async def test_a_meter_past_its_verification_date_takes_no_readings(
    api: Api, world: World, clock: Clock
) -> None:
    """Its last day counts (Moscow time); the next day it is refused."""
    owner = world["owner"]
    due = window_day(0, day=20).date()
    meter = await register(api, world, nextVerificationOn=due.isoformat())
    with frozen_at(clock, moscow(due.year, due.month, due.day, 23, 59)):
        assert (await submit(api, owner, meter["id"], "3"))["userErrors"] == []
        node = (await api.gql(METER, {"id": meter["id"]}, as_=owner))["node"]
        assert node["verificationExpired"] is False
    day_after = due + timedelta(days=1)
    with frozen_at(clock, moscow(day_after.year, day_after.month, day_after.day)):
        before = await readings_of(api, meter["id"])
        payload = await submit(api, owner, meter["id"], "4")
        node = (await api.gql(METER, {"id": meter["id"]}, as_=owner))["node"]
    assert payload == refused(
        "VERIFICATION_EXPIRED",
        f"This meter was due for verification on {due.isoformat()}: it takes no readings "
        "until it is verified or replaced.",
        None,
        meter["id"],
    )
    assert await readings_of(api, meter["id"]) == before
    assert node["verificationExpired"] is True


async def test_a_retired_meter_takes_no_readings(api: Api, world: World, clock: Clock) -> None:
    meter = await register(api, world)
    retired = await api.gql(RETIRE, {"input": {"meterId": meter["id"]}}, as_=world["engineer"])
    assert retired["meterRetire"]["userErrors"] == []
    set_clock(clock, window_day(0))
    before = await readings_of(api, meter["id"])
    payload = await submit(api, world["owner"], meter["id"], "1")
    assert payload == refused(
        "METER_RETIRED", "This meter has been taken out of service.", None, meter["id"]
    )
    assert await readings_of(api, meter["id"]) == before


@pytest.mark.parametrize(
    ("kind", "zones", "given", "names"),
    [
        ("ELECTRICITY", 2, [("T1", "1")], "zones T1, T2"),
        ("ELECTRICITY", 2, [("T1", "1"), ("T1", "2")], "zones T1, T2"),
        ("ELECTRICITY", 2, [("T1", "1"), ("T2", "1"), ("T3", "1")], "zones T1, T2"),
        ("ELECTRICITY", 3, [("T3", "1"), ("T2", "1")], "zones T1, T2, T3"),
        ("COLD_WATER", 1, [("T2", "1")], "zone T1"),
        ("COLD_WATER", 1, [], "zone T1"),
        ("HOT_WATER", 1, [("T1", "1"), ("T1", "1")], "zone T1"),
    ],
)
async def test_the_zones_given_must_be_the_meters(
    api: Api,
    world: World,
    clock: Clock,
    kind: str,
    zones: int,
    given: list[tuple[str, str]],
    names: str,
) -> None:
    meter = await register(api, world, kind=kind, zones=zones)
    set_clock(clock, window_day(0))
    before = await readings_of(api, meter["id"])
    payload = await submit(api, world["owner"], meter["id"], *given)
    assert payload == refused(
        "WRONG_ZONES",
        f"This meter has the {names}: give one reading of each.",
        ["readings"],
        meter["id"],
    )
    assert await readings_of(api, meter["id"]) == before


# -- values --------------------------------------------------------------------------------

BAD_VALUES = {
    "minus": ("-5", "NEGATIVE", "A reading cannot be negative (-5)."),
    "minus-zero": ("-0", "NEGATIVE", "A reading cannot be negative (-0)."),
    "nan": ("NaN", "NOT_FINITE", '"NaN" is not a finite number.'),
    "infinity": ("Infinity", "NOT_FINITE", '"Infinity" is not a finite number.'),
    "minus-inf": ("-inf", "NOT_FINITE", '"-inf" is not a finite number.'),
    "snan": ("sNaN", "NOT_FINITE", '"sNaN" is not a finite number.'),
    "plus": ("+5", "NOT_A_NUMBER", '"+5": write the reading without a sign.'),
    "too-precise": ("12.3456", "TOO_PRECISE", "This meter shows 3 decimal places; 12.3456 has 4."),
    "too-large": (
        "12345678901",
        "TOO_LARGE",
        "A reading has at most 10 digits before the decimal point.",
    ),
    "too-long": ("1" * 33, "TOO_LONG", "A reading is at most 32 characters; this one has 33."),
    "absurdly-long": (
        "9" * 100_000,
        "TOO_LONG",
        "A reading is at most 32 characters; this one has 100000.",
    ),
}
NOT_NUMBERS = {
    "empty": "",
    "blank": "   ",
    "letters": "abc",
    "exponent": "1e3",
    "hex": "0x10",
    "two-points": "12.5.1",
    "trailing-point": "12.",
    "leading-point": ".5",
    "space-inside": "12 345",
    "tab": "\t5",
    "fullwidth-digits": "１２",
    "arabic-indic-digits": "١٢",
    "superscript": "²",
    "double-minus": "--5",
    "thousands": "1,234.5",
}


@pytest.mark.parametrize("name", [*BAD_VALUES, *NOT_NUMBERS])
async def test_a_value_that_is_not_a_reading_is_refused(
    api: Api, world: World, clock: Clock, name: str
) -> None:
    meter = await register(api, world)
    set_clock(clock, window_day(0))
    before = await readings_of(api, meter["id"])
    if name in BAD_VALUES:
        value, code, message = BAD_VALUES[name]
    else:
        value, code = NOT_NUMBERS[name], "NOT_A_NUMBER"
        message = (
            f'"{value}" is not a reading: write digits with at most one decimal point, '
            'e.g. "123.45".'
        )
    payload = await submit(api, world["owner"], meter["id"], value)
    assert payload == refused(code, message, VALUE, meter["id"])
    assert await readings_of(api, meter["id"]) == before
    assert await awards_of(api, meter["id"]) == []


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("12,5", "12.500"),
        (" 12.5 ", "12.500"),
        ("12.5000000", "12.500"),
        ("007", "7.000"),
        ("0", "0.000"),
        ("999999999.999", "999999999.999"),
    ],
)
async def test_values_are_exact_decimals_of_the_meters_precision(
    api: Api, world: World, clock: Clock, value: str, written: str
) -> None:
    meter = await register(api, world, initialReadings=[{"zone": "T1", "value": "0"}])
    async with api.db.transaction() as (session, _):  # no plausibility limit for this one
        await session.execute(
            update(MeterPlausibilityLimit)
            .where(MeterPlausibilityLimit.kind == MeterKind.COLD_WATER)
            .values(max_per_month=Decimal("999999999.999"))
        )
    try:
        set_clock(clock, window_day(0))
        payload = await submit(api, world["owner"], meter["id"], value)
    finally:
        async with api.db.transaction() as (session, _):
            await session.execute(
                update(MeterPlausibilityLimit)
                .where(MeterPlausibilityLimit.kind == MeterKind.COLD_WATER)
                .values(max_per_month=Decimal("30"))
            )
    assert payload["userErrors"] == []
    assert [r["value"] for r in payload["readings"]] == [written]
    (*_, last) = await readings_of(api, meter["id"])
    assert last[2] == Decimal(written)


async def test_a_meter_of_whole_units_takes_no_decimals(
    api: Api, world: World, clock: Clock
) -> None:
    meter = await register(api, world, kind="ELECTRICITY", precision=0)
    set_clock(clock, window_day(0))
    payload = await submit(api, world["owner"], meter["id"], "12.5")
    assert payload["userErrors"] == [
        {
            "code": "TOO_PRECISE",
            "field": VALUE,
            "message": "This meter shows 0 decimal places; 12.5 has 1.",
        }
    ]
    payload = await submit(api, world["owner"], meter["id"], "12.0")
    assert [r["value"] for r in payload["readings"]] == ["12"]


# -- malformed requests: coded errors, never a 500 ----------------------------------------


@pytest.mark.parametrize(
    ("variables", "code"),
    [
        ({"meterId": "garbage", "readings": [{"value": "1"}]}, "BAD_USER_INPUT"),
        ({"meterId": "UHJlbWlzZTox", "readings": [{"value": "1"}]}, "BAD_USER_INPUT"),  # Premise:1
        ({"meterId": "TWV0ZXI6OTk5OTk5OTk5", "readings": [{"value": "1"}]}, "FORBIDDEN"),  # none
        ({"meterId": "METER", "readings": [{"value": 12.5}]}, "BAD_USER_INPUT"),
        ({"meterId": "METER", "readings": [{"value": None}]}, "BAD_USER_INPUT"),
        ({"meterId": "METER", "readings": [{"zone": "T4", "value": "1"}]}, "BAD_USER_INPUT"),
        ({"meterId": "METER", "readings": [{"value": "1\u0000"}]}, "BAD_USER_INPUT"),
        ({"meterId": "METER", "readings": [{"value": "\ud800"}]}, "BAD_USER_INPUT"),
        ({"meterId": "METER"}, "BAD_USER_INPUT"),
    ],
)
async def test_malformed_input_gets_a_code(
    api: Api, world: World, clock: Clock, variables: dict[str, Any], code: str
) -> None:
    meter = await register(api, world)
    if variables["meterId"] == "METER":
        variables = {**variables, "meterId": meter["id"]}
    set_clock(clock, window_day(0))
    before = await readings_of(api, meter["id"])
    body = json.dumps({"query": SUBMIT, "variables": {"input": variables}})  # ASCII escapes
    response = await api.client.post(
        "/graphql",
        content=body,
        headers={**world["owner"].headers, "Content-Type": "application/json"},
    )
    result = GraphQLResult(response)
    assert response.status_code in (200, 400), result
    assert result.codes == [code], result
    assert await readings_of(api, meter["id"]) == before
