"""The rules of "events nearby": the search window, the radius, and the bounding box
that narrows the search (the statement is :func:`edom_graphql.events.reads.events_nearby`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from edom_graphql.core.errors import BadUserInput

EARTH_RADIUS_KM = 6371.0088
"""The mean Earth radius (IUGG), the radius of the haversine distance."""
MAX_RADIUS_KM = 50.0
MAX_WINDOW = timedelta(days=366)
MM_PER_KM = 1_000_000
_BOX_MARGIN_DEGREES = Decimal("0.000010")
"""Widens the bounding box by about a metre: coordinates are stored to 1e-6 degree."""
_COORDINATE = Decimal("0.000001")


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
