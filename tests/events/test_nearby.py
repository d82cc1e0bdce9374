"""``Building.eventsNearby``: events around a building, nearest first, through the API.

Events are city-wide, so every test moves its building to a random spot of its own on the
globe: events other tests create never fall within its 50 km.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import pytest
from sqlalchemy import insert, update

from edom_graphql.buildings.models import Building
from edom_graphql.core.ids import encode_id
from edom_graphql.core.pagination import PageRequest, page_params
from edom_graphql.events import reads, service
from edom_graphql.events.models import Event
from tests.factories import ANONYMOUS, Api, Clock, Person, World, make_world

NEARBY = """
query Nearby($id: ID!, $radius: Float!, $first: Int!, $after: String, $from: DateTime,
             $to: DateTime) {
  building(id: $id) {
    eventsNearby(radiusKm: $radius, first: $first, after: $after, from: $from, to: $to) {
      edges { cursor distanceKm node { id title place location { latitude longitude }
        startsAt endsAt } }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""
BUILDING_ONLY = "query B($id: ID!) { building(id: $id) { id address } }"
NODE = "query N($id: ID!) { node(id: $id) { id ... on Event { title place startsAt } } }"
_places = random.Random()


@dataclass
class Site:
    world: World
    latitude: float
    longitude: float


def haversine_mm(lat1: float, lon1: float, lat2: float, lon2: float) -> int:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2) - math.radians(lon1)
    a = math.sin(dp * 0.5) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl * 0.5) ** 2
    return round(math.asin(math.sqrt(min(1.0, a))) * 2 * service.EARTH_RADIUS_KM * 1_000_000)


def offset(site: Site, km: float, bearing_degrees: float) -> tuple[Decimal, Decimal]:
    """A point ``km`` from the site towards ``bearing`` (0 north, 90 east), to 1e-6 degree."""
    angle = km / service.EARTH_RADIUS_KM
    bearing = math.radians(bearing_degrees)
    lat1, lon1 = math.radians(site.latitude), math.radians(site.longitude)
    lat2 = math.asin(
        math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(bearing)
    )
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(lat1),
        math.cos(angle) - math.sin(lat1) * math.sin(lat2),
    )
    return (
        Decimal(math.degrees(lat2)).quantize(Decimal("0.000001")),
        Decimal(math.degrees(lon2)).quantize(Decimal("0.000001")),
    )


async def make_site(api: Api) -> Site:
    """A world whose building stands at a random spot of its own (latitude within ±60°)."""
    world = await make_world(api)
    latitude = round(_places.uniform(-60, 60), 6)
    longitude = round(_places.uniform(-170, 170), 6)
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(Building)
            .where(Building.id == world.building_pk)
            .values(latitude=Decimal(str(latitude)), longitude=Decimal(str(longitude)))
        )
    return Site(world, latitude, longitude)


async def add_event(
    api: Api,
    site: Site,
    title: str,
    km: float,
    bearing: float = 0,
    *,
    starts: timedelta = timedelta(days=1),
    lasts: timedelta = timedelta(hours=3),
) -> str:
    """An event ``km`` from the site, starting ``starts`` from now; its global id."""
    latitude, longitude = offset(site, km, bearing)
    begin = datetime.now(UTC) + starts
    async with api.db.transaction() as (session, _):
        pk = (
            await session.execute(
                insert(Event)
                .values(
                    title=title,
                    description=f"About {title}.",
                    place=f"Place of {title}",
                    latitude=latitude,
                    longitude=longitude,
                    starts_at=begin,
                    ends_at=begin + lasts,
                )
                .returning(Event.id)
            )
        ).scalar_one()
    return encode_id("Event", pk)


async def nearby(api: Api, site: Site, as_: Person | None = None, **variables: Any) -> Any:
    """The eventsNearby connection (the request must succeed)."""
    variables = {"id": site.world.building_id, "radius": 50, "first": 100, **variables}
    data = await api.gql(NEARBY, variables, as_=as_ or site.world["owner"])
    return data["building"]["eventsNearby"]


def titles(connection: Any) -> list[str]:
    return [edge["node"]["title"] for edge in connection["edges"]]


async def test_nearest_first_with_exact_distances(api: Api) -> None:
    site = await make_site(api)
    for title, km, bearing in (
        ("20 km N", 20, 0),
        ("1 km E", 1, 90),
        ("5 km E", 5, 90),
        ("0.5 km N", 0.5, 0),
        ("2 km N", 2, 0),
        ("49 km S", 49, 180),
        ("60 km N", 60, 0),
    ):
        await add_event(api, site, title, km, bearing)
    twin = await add_event(api, site, "2 km N twin", 2, 0)
    connection = await nearby(api, site)
    assert titles(connection) == [
        "0.5 km N",
        "1 km E",
        "2 km N",
        "2 km N twin",  # the same distance: then by id
        "5 km E",
        "20 km N",
        "49 km S",
    ]
    assert connection["edges"][3]["node"]["id"] == twin
    for edge, km in zip(connection["edges"], (0.5, 1, 2, 2, 5, 20, 49), strict=True):
        location = edge["node"]["location"]
        expected = haversine_mm(
            site.latitude, site.longitude, location["latitude"], location["longitude"]
        )
        assert abs(edge["distanceKm"] - expected / 1e6) < 2e-6, edge
        assert abs(edge["distanceKm"] - km) < 0.001, edge
    assert connection["pageInfo"] == {
        "hasNextPage": False,
        "hasPreviousPage": False,
        "endCursor": connection["edges"][-1]["cursor"],
    }


async def test_radius_keeps_only_events_within_it(api: Api) -> None:
    site = await make_site(api)
    for title, km, bearing in (
        ("0.5 km N", 0.5, 0),
        ("1 km E", 1, 90),
        ("2 km N", 2, 0),
        ("5 km E", 5, 90),
        ("20 km N", 20, 0),
        # inside the bounding box of a 2 km radius (its corner) but 2.5 km away
        ("2.5 km NE", 2.5, 45),
    ):
        await add_event(api, site, title, km, bearing)
    assert titles(await nearby(api, site, radius=2.2)) == ["0.5 km N", "1 km E", "2 km N"]
    assert titles(await nearby(api, site, radius=0.4)) == []
    assert titles(await nearby(api, site, radius=10)) == [
        "0.5 km N",
        "1 km E",
        "2 km N",
        "2.5 km NE",
        "5 km E",
    ]
    assert len(titles(await nearby(api, site, radius=50))) == 6


async def test_time_window(api: Api, clock: Clock) -> None:
    site = await make_site(api)
    await add_event(api, site, "past", 1, starts=-timedelta(days=2), lasts=timedelta(days=1))
    await add_event(api, site, "ongoing", 2, starts=-timedelta(days=1), lasts=timedelta(days=2))
    await add_event(api, site, "next week", 3, starts=timedelta(days=7))
    await add_event(api, site, "next year", 4, starts=timedelta(days=300))
    now = datetime.now(UTC)

    def at(**delta: float) -> str:
        return (now + timedelta(**delta)).isoformat()

    # by default: events that have not ended yet
    assert titles(await nearby(api, site)) == ["ongoing", "next week", "next year"]
    # events overlapping [from, to]
    assert titles(await nearby(api, site, **{"from": at(days=-3), "to": at(days=-1.5)})) == ["past"]
    assert titles(await nearby(api, site, **{"from": at(days=-3), "to": at(days=8)})) == [
        "past",
        "ongoing",
        "next week",
    ]
    assert titles(await nearby(api, site, **{"from": at(days=5), "to": at(days=10)})) == [
        "next week"
    ]
    assert titles(await nearby(api, site, to=at(days=30))) == ["ongoing", "next week"]
    assert titles(await nearby(api, site, **{"from": at(days=200)})) == ["next year"]
    # "now" is the server's clock
    clock.advance(timedelta(days=10))
    assert titles(await nearby(api, site)) == ["next year"]


async def test_pages_follow_on_without_gaps_or_duplicates(api: Api) -> None:
    site = await make_site(api)
    for km in (1, 2, 3, 3, 3, 4, 5, 6):
        await add_event(api, site, f"{km} km", km, bearing=30 * km)
    everything = await nearby(api, site)
    expected = [edge["node"]["id"] for edge in everything["edges"]]
    assert len(expected) == 8

    first = await nearby(api, site, first=3)
    assert [edge["node"]["id"] for edge in first["edges"]] == expected[:3]
    assert first["pageInfo"]["hasNextPage"] is True
    assert first["pageInfo"]["hasPreviousPage"] is False
    # cursors are stable: the same request gives the same page and cursors
    assert await nearby(api, site, first=3) == first

    # events inserted between requests: one before the cursor (not shown), one after
    await add_event(api, site, "0.1 km", 0.1)
    late = await add_event(api, site, "4.5 km", 4.5)
    second = await nearby(api, site, first=3, after=first["pageInfo"]["endCursor"])
    assert second["pageInfo"]["hasPreviousPage"] is True
    third = await nearby(api, site, first=3, after=second["pageInfo"]["endCursor"])
    fourth = await nearby(api, site, first=3, after=third["pageInfo"]["endCursor"])
    seen = [edge["node"]["id"] for page in (first, second, third) for edge in page["edges"]]
    assert seen == [*expected[:6], late, *expected[6:]]
    assert third["pageInfo"]["hasNextPage"] is False
    assert fourth["edges"] == []
    assert fourth["pageInfo"]["hasNextPage"] is False
    distances = [edge["distanceKm"] for page in (first, second, third) for edge in page["edges"]]
    assert distances == sorted(distances)


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"radius": 0}, "radiusKm"),
        ({"radius": 51}, "radiusKm"),
        ({"radius": 50.000001}, "radiusKm"),
        ({"radius": -1}, "radiusKm"),
        ({"first": 0}, "first"),
        ({"first": 101}, "first"),
        ({"after": "garbage"}, "after"),
        ({"after": "WzEsMiwzXQ=="}, "after"),  # [1,2,3]: a cursor of another list
        ({"from": "2026-02-01T00:00:00+00:00", "to": "2026-01-01T00:00:00+00:00"}, "from"),
        ({"from": "2026-01-01T00:00:00+00:00", "to": "2027-01-03T00:00:00+00:00"}, "to"),
    ],
)
async def test_bad_input(api: Api, variables: dict[str, Any], field: str) -> None:
    site = await make_site(api)
    await add_event(api, site, "an event", 1)
    result = await api.post(
        NEARBY,
        {"id": site.world.building_id, "radius": 5, "first": 10, **variables},
        as_=site.world["owner"],
    )
    assert result.response.status_code == 200, result
    assert result.codes == ["BAD_USER_INPUT"], result
    assert result.errors[0]["path"] == ["building", "eventsNearby"], result
    assert result.data == {"building": {"eventsNearby": None}}


@pytest.mark.parametrize(
    "instant", ["2026-01-01T00:00:00", "9999-12-31T23:59:59-23:59", "1899-12-31T23:59:59Z"]
)
async def test_instants_without_a_place_in_time_are_malformed(api: Api, instant: str) -> None:
    """No offset, or no instant a database can hold: refused before anything runs."""
    site = await make_site(api)
    result = await api.post(
        NEARBY,
        {"id": site.world.building_id, "radius": 5, "first": 10, "from": instant},
        as_=site.world["owner"],
    )
    assert result.codes == ["BAD_USER_INPUT"], result
    assert result.data is None


@pytest.mark.parametrize(
    ("key", "sees"),
    [
        ("owner", True),
        ("guest_initial", True),
        ("dispatcher", True),
        ("manager", True),
        ("stranger", False),
        ("newcomer", False),
        ("guest_expired", False),
    ],
)
async def test_who_sees_events(api: Api, key: str, sees: bool) -> None:
    site = await make_site(api)
    await add_event(api, site, "an event", 1)
    result = await api.post(
        NEARBY, {"id": site.world.building_id, "radius": 5, "first": 10}, as_=site.world[key]
    )
    assert result.response.status_code == 200, result
    assert not result.errors, result
    if sees:
        assert titles(result.data["building"]["eventsNearby"]) == ["an event"]
    else:
        assert result.data == {"building": None}


async def test_anonymous_is_unauthenticated(api: Api) -> None:
    site = await make_site(api)
    result = await api.post(
        NEARBY, {"id": site.world.building_id, "radius": 5, "first": 10}, as_=ANONYMOUS
    )
    assert result.codes == ["UNAUTHENTICATED"], result
    assert result.data == {"building": None}


async def test_node_refetch_by_any_signed_in_user(api: Api) -> None:
    site = await make_site(api)
    event_id = await add_event(api, site, "a fair", 1)
    for key in ("owner", "stranger", "newcomer", "guest_expired"):
        data = await api.gql(NODE, {"id": event_id}, as_=site.world[key])
        assert data["node"]["id"] == event_id
        assert data["node"]["title"] == "a fair"
    missing = encode_id("Event", 2**62)
    assert await api.gql(NODE, {"id": missing}, as_=site.world["owner"]) == {"node": None}
    result = await api.post(NODE, {"id": event_id}, as_=ANONYMOUS)
    assert result.codes == ["UNAUTHENTICATED"], result


def _event_statements(statements: Sequence[str]) -> list[str]:
    return [sql for sql in statements if "FROM events" in sql]


async def test_one_statement_per_page(api: Api) -> None:
    site = await make_site(api)
    for km in (1, 2, 3):
        await add_event(api, site, f"{km} km", km)
    viewer = site.world["owner"]
    variables = {"id": site.world.building_id}
    await api.gql(BUILDING_ONLY, variables, as_=viewer)
    with api.count_statements() as baseline:
        await api.gql(BUILDING_ONLY, variables, as_=viewer)
    await nearby(api, site, first=2)
    with api.count_statements() as first_page:
        connection = await nearby(api, site, first=2)
    with api.count_statements() as next_page:
        await nearby(api, site, first=2, after=connection["pageInfo"]["endCursor"])
    for statements in (first_page, next_page):
        assert len(statements) == len(baseline) + 1, statements
        assert len(_event_statements(statements)) == 1, statements


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes.extend(_plan_nodes(child))
    return nodes


async def test_bounding_box_uses_the_index_on_100k_events(api: Api, database_url: str) -> None:
    """EXPLAIN of the very SQL the app runs, over 100k events spread across Moscow."""
    site = await make_site(api)
    await add_event(api, site, "1 km", 1)
    with api.count_statements() as statements:
        await nearby(api, site, radius=3, first=20)
    (sql,) = _event_statements(statements)

    latitude, longitude, radius_km = 55.758463, 37.611185, 3.0
    page = PageRequest(20, None)
    box = service.bounding_box(latitude, longitude, radius_km)
    now = datetime.now(UTC)
    app_sql, args = reads.NEARBY[(False, False)].bind(
        {
            "origin_latitude": latitude,
            "origin_longitude": longitude,
            "latitude_min": float(box.latitude_min),
            "latitude_max": float(box.latitude_max),
            "longitude_min": float(box.longitude_min),
            "longitude_max": float(box.longitude_max),
            "window_start": now,
            "radius_mm": service.check_radius(radius_km),
            **page_params(page),
        }
    )
    assert app_sql == sql

    conn = await asyncpg.connect(database_url)
    try:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute(
                """
                INSERT INTO events (title, description, place, latitude, longitude,
                                    starts_at, ends_at)
                SELECT 'Bench ' || g, 'Generated.', 'Moscow',
                       round((55.55 + (g::bigint * 7919 % 100000) * 0.000004)::numeric, 6),
                       round((37.30 + (g::bigint * 104729 % 100000) * 0.000006)::numeric, 6),
                       now() - interval '10 days' + (g % 60) * interval '1 day',
                       now() - interval '10 days' + (g % 60) * interval '1 day'
                         + interval '3 hours'
                FROM generate_series(1, 100000) AS g
                """
            )
            await conn.execute("ANALYZE events")
            plan = await conn.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *args)
            nodes = _plan_nodes(json.loads(plan)[0]["Plan"])
            on_events = [node for node in nodes if node.get("Relation Name") == "events"]
            assert not any(node["Node Type"] == "Seq Scan" for node in on_events), nodes
            index_scans = [
                node
                for node in nodes
                # An index-only scan once the table is vacuumed; the rows just written
                # (in this transaction) are not yet all-visible.
                if node["Node Type"] in ("Index Scan", "Bitmap Index Scan", "Index Only Scan")
                and node.get("Index Name") == "ix_events_location"
            ]
            assert index_scans, nodes

            rows = await conn.fetch(sql, *args)
            everything = await conn.fetch(
                "SELECT id, latitude, longitude FROM events WHERE ends_at >= $1", now
            )
            expected = sorted(
                (distance, row["id"])
                for row in everything
                if (
                    distance := haversine_mm(
                        latitude, longitude, float(row["latitude"]), float(row["longitude"])
                    )
                )
                <= 3_000_000
            )
            assert len(expected) > 21
            assert [(row["distance_mm"], row["id"]) for row in rows] == expected[:21]
        finally:
            await transaction.rollback()
    finally:
        await conn.close()


async def test_a_buildings_location_is_the_double_nearest_its_stored_decimal(api: Api) -> None:
    """Read as a double by PostgreSQL's cast: the float Python makes of the decimal."""
    for _ in range(5):
        site = await make_site(api)
        data = await api.gql(
            "query ($id: ID!) { building(id: $id) { location { latitude longitude } } }",
            {"id": site.world.building_id},
            as_=site.world["owner"],
        )
        location = data["building"]["location"]
        assert location == {
            "latitude": float(Decimal(str(site.latitude))),
            "longitude": float(Decimal(str(site.longitude))),
        }
