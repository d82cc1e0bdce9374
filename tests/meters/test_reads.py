"""Reading meters: a page of premises with their meters and readings in a constant number
of statements, the history page by page, consumption per period, the current window, and
arguments out of range refused with a code."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from edom_graphql.core.pagination import encode_cursor
from tests.factories import Api, Clock, World, make_world
from tests.meters.operations import BUILDING_METERS, HISTORY, METER
from tests.meters.scene import months_ahead, moscow, register, set_clock, submit

PREMISES = 20


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    """A building of 20 apartments, each with a water and a two-zone electricity meter."""
    world = await make_world(api, premises=PREMISES)
    for number in range(1, PREMISES + 1):
        await register(api, world, premise=str(number))
        await register(api, world, premise=str(number), kind="ELECTRICITY", zones=2)
    return world


def meters_of(data: Any) -> dict[str, list[Any] | None]:
    return {node["number"]: node["meters"] for node in data["building"]["premises"]["nodes"]}


async def test_a_page_of_premises_with_meters_and_readings_is_a_few_statements(
    api: Api, world: World
) -> None:
    manager = world["manager"]
    await api.gql("{ viewer { user { id } } }", as_=manager)  # the token's subject is known
    counted = {}
    for first in (5, PREMISES):
        with api.count_statements() as statements:
            result = await api.post(
                BUILDING_METERS, {"id": world.building_id, "first": first}, as_=manager
            )
        data = result.ok()
        premises = meters_of(data)
        assert len(premises) == first
        assert all(meters is not None and len(meters) == 2 for meters in premises.values())
        readings = [
            len(meter["readings"]["nodes"])
            for meters in premises.values()
            for meter in meters or []
        ]
        assert readings == [1, 2] * first  # the installation readings
        counted[first] = len(statements)
    # the viewer's profile, the building, the page of premises, their meters, the meters'
    # readings: whatever the page's size
    assert counted == {5: 5, PREMISES: 5}


async def test_an_occupant_sees_the_meters_of_their_premise_only(api: Api, world: World) -> None:
    result = await api.post(
        BUILDING_METERS, {"id": world.building_id, "first": 6}, as_=world["registered"]
    )
    premises = meters_of(result.data)
    assert [number for number, meters in premises.items() if meters is not None] == ["2"]
    assert sorted(tuple(e["path"]) for e in result.errors) == sorted(
        ("building", "premises", "nodes", index, "meters") for index in range(6) if index != 1
    )
    assert {e["extensions"]["code"] for e in result.errors} == {"FORBIDDEN"}


async def test_the_history_comes_page_by_page(api: Api, world: World, clock: Clock) -> None:
    owner = world["owner"]
    meter = await register(api, world, initialReadings=[{"value": "1"}])
    submitted = []
    for months in range(3):
        year, month = months_ahead(1 + months)
        set_clock(clock, moscow(year, month, 16, 10))
        for value in (f"{2 + months}.5", f"{2 + months}.75"):
            payload = await submit(api, owner, meter["id"], value)
            submitted.append(payload["readings"][0]["id"])
    expected = [*reversed(submitted)]
    seen: list[str] = []
    after = None
    while True:
        data = await api.gql(HISTORY, {"id": meter["id"], "first": 3, "after": after}, as_=owner)
        page = data["node"]["readings"]
        seen += [reading["id"] for reading in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen[:6] == expected
    assert len(seen) == 7  # and the installation reading last
    node = (await api.gql(METER, {"id": meter["id"], "periods": 3}, as_=owner))["node"]
    labels = [f"{y}-{m:02d}" for y, m in (months_ahead(3), months_ahead(2), months_ahead(1))]
    assert node["consumption"] == [
        {"period": labels[0], "zone": "T1", "reading": "4.750", "consumption": "1.000"},
        {"period": labels[1], "zone": "T1", "reading": "3.750", "consumption": "1.000"},
        {"period": labels[2], "zone": "T1", "reading": "2.750", "consumption": "1.750"},
    ]


@pytest.mark.parametrize(
    ("query", "variables", "path"),
    [
        (HISTORY, {"first": 0}, ["node", "readings"]),
        (HISTORY, {"first": 101}, ["node", "readings"]),
        (HISTORY, {"first": 5, "after": "garbage"}, ["node", "readings"]),
        (HISTORY, {"first": 5, "after": encode_cursor((2**63,))}, ["node", "readings"]),
        (HISTORY, {"first": 5, "after": encode_cursor(("x",))}, ["node", "readings"]),
        (METER, {"periods": 0}, ["node", "consumption"]),
        (METER, {"periods": 61}, ["node", "consumption"]),
    ],
)
async def test_arguments_out_of_range_get_a_code(
    api: Api, world: World, query: str, variables: dict[str, Any], path: list[str]
) -> None:
    meter = await register(api, world)
    result = await api.post(query, {"id": meter["id"], **variables}, as_=world["owner"])
    assert result.response.status_code == 200, result
    assert [(e["extensions"]["code"], e["path"]) for e in result.errors] == [
        ("BAD_USER_INPUT", path)
    ]
