"""The rules of "events nearby": the search window, the radius, and the statement that
finds events by distance.

The statement narrows events with a bounding box on latitude and longitude (a range scan
of ``ix_events_latitude_longitude``), then computes the exact great-circle distance
(haversine, in double precision) and keeps and orders by it. Distances are compared and
paged as whole millimetres, so cursors are exact integers and pages are stable.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Double,
    Numeric,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)

from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.errors import BadUserInput
from edom_graphql.core.pagination import AnySelect, PageRequest, keyset, page_params
from edom_graphql.events.models import Event

EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius (IUGG), the radius of the haversine distance."""
MAX_RADIUS_KM = 50.0
MAX_WINDOW = timedelta(days=366)
MM_PER_KM = 1_000_000
_BOX_MARGIN_DEGREES = Decimal("0.000010")
"""Widens the bounding box by about a metre: coordinates are stored to 1e-6 degree."""
_COORDINATE = Decimal("0.000001")

EVENT_COLUMNS = select(
    Event.id,
    Event.title,
    Event.description,
    Event.place,
    Event.latitude,
    Event.longitude,
    Event.starts_at,
    Event.ends_at,
)


@dataclass(frozen=True, slots=True)
class Window:
    """Events that have not ended by ``start`` and, when ``end`` is set, start by ``end``."""

    start: datetime
    end: datetime | None


@dataclass(frozen=True, slots=True)
class Box:
    latitude_min: Decimal
    latitude_max: Decimal
    longitude_min: Decimal
    longitude_max: Decimal


def check_radius(radius_km: float) -> int:
    """The radius in whole millimetres; it must be in (0, 50] km."""
    if not 0 < radius_km <= MAX_RADIUS_KM:
        raise BadUserInput(
            f"`radiusKm` must be greater than 0 and at most {MAX_RADIUS_KM:g}.", field="radiusKm"
        )
    return round(radius_km * MM_PER_KM)


def search_window(*, start: datetime | None, end: datetime | None, now: datetime) -> Window:
    """Events overlapping [start, end]; ``start`` defaults to now (events not yet ended)."""
    for name, value in (("from", start), ("to", end)):
        if value is not None and value.utcoffset() is None:
            raise BadUserInput(f"`{name}` must include a time zone.", field=name)
    if start is not None and end is not None and start > end:
        raise BadUserInput("`from` must not be later than `to`.", field="from")
    window_start = start if start is not None else now
    if end is not None and end - window_start > MAX_WINDOW:
        raise BadUserInput(
            f"The window from `from` (or now) to `to` spans at most {MAX_WINDOW.days} days.",
            field="to",
        )
    return Window(window_start, end)


def bounding_box(latitude: float, longitude: float, radius_km: float) -> Box:
    """Latitude and longitude ranges that contain every point within ``radius_km``.

    The longitude half-width is the exact one of a spherical cap, asin(sin(d)/cos(lat));
    near a pole or across the antimeridian the box spans every longitude.
    """
    angle = radius_km / EARTH_RADIUS_KM
    half_height = math.degrees(angle)
    south, north = latitude - half_height, latitude + half_height
    west, east = -180.0, 180.0
    if south > -90 and north < 90:
        ratio = math.sin(angle) / math.cos(math.radians(latitude))
        if ratio < 1:
            half_width = math.degrees(math.asin(ratio))
            if longitude - half_width > -180 and longitude + half_width < 180:
                west, east = longitude - half_width, longitude + half_width

    def down(value: float) -> Decimal:
        return Decimal(value).quantize(_COORDINATE, ROUND_FLOOR) - _BOX_MARGIN_DEGREES

    def up(value: float) -> Decimal:
        return Decimal(value).quantize(_COORDINATE, ROUND_CEILING) + _BOX_MARGIN_DEGREES

    return Box(
        latitude_min=max(down(south), Decimal(-90)),
        latitude_max=min(up(north), Decimal(90)),
        longitude_min=max(down(west), Decimal(-180)),
        longitude_max=min(up(east), Decimal(180)),
    )


def _constant(value: float) -> Any:
    """A double-precision constant written into the SQL text (not a parameter)."""
    return literal_column(f"{value!r}::float8", Double)


def _distance_mm() -> Any:
    """Haversine distance from ``$origin_latitude, $origin_longitude``, in whole millimetres."""
    origin_latitude = func.radians(bindparam("origin_latitude", type_=Double))
    origin_longitude = func.radians(bindparam("origin_longitude", type_=Double))
    latitude = func.radians(cast(Event.latitude, Double))
    longitude = func.radians(cast(Event.longitude, Double))
    half = _constant(0.5)
    half_chord = func.power(
        func.sin((latitude - origin_latitude) * half), _constant(2.0)
    ) + func.cos(origin_latitude) * func.cos(latitude) * func.power(
        func.sin((longitude - origin_longitude) * half), _constant(2.0)
    )
    central_angle = func.asin(func.sqrt(func.least(_constant(1.0), half_chord)))
    millimetres = central_angle * _constant(2 * EARTH_RADIUS_KM * MM_PER_KM)
    return cast(func.round(millimetres), BigInteger)


def _nearby(*, bounded: bool, has_after: bool) -> Prepared:
    coordinate = Numeric(9, 6)
    candidates = EVENT_COLUMNS.add_columns(_distance_mm().label("distance_mm")).where(
        Event.latitude.between(
            bindparam("latitude_min", type_=coordinate),
            bindparam("latitude_max", type_=coordinate),
        ),
        Event.longitude.between(
            bindparam("longitude_min", type_=coordinate),
            bindparam("longitude_max", type_=coordinate),
        ),
        Event.ends_at >= bindparam("window_start", type_=DateTime(timezone=True)),
    )
    if bounded:
        candidates = candidates.where(
            Event.starts_at <= bindparam("window_end", type_=DateTime(timezone=True))
        )
    found = candidates.subquery("candidates")
    statement: AnySelect = select(*found.c).where(
        found.c.distance_mm <= bindparam("radius_mm", type_=BigInteger)
    )
    return Prepared(keyset(statement, (found.c.distance_mm, found.c.id), has_after=has_after))


NEARBY = {
    (bounded, has_after): _nearby(bounded=bounded, has_after=has_after)
    for bounded in (False, True)
    for has_after in (False, True)
}


async def events_nearby(
    db: Database,
    *,
    latitude: float,
    longitude: float,
    radius_km: float,
    window: Window,
    page: PageRequest,
) -> list[Any]:
    """Rows of events within ``radius_km`` in ``window``, nearest first (then by id):
    the event's columns, then its distance in millimetres; one extra row tells a next page."""
    radius_mm = check_radius(radius_km)
    box = bounding_box(latitude, longitude, radius_km)
    params: dict[str, Any] = {
        "origin_latitude": latitude,
        "origin_longitude": longitude,
        "latitude_min": box.latitude_min,
        "latitude_max": box.latitude_max,
        "longitude_min": box.longitude_min,
        "longitude_max": box.longitude_max,
        "window_start": window.start,
        "radius_mm": radius_mm,
        **page_params(page),
    }
    if window.end is not None:
        params["window_end"] = window.end
    return list(await db.fetch(NEARBY[(window.end is not None, page.after is not None)], **params))
