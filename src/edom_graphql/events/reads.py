"""Every read of events: by id, and "events nearby".

The nearby statement finds the events in a bounding box of the circle (in the GiST index
``ix_events_location`` of their points, which also holds their ids, coordinates and
times), computes the exact great-circle distance of each (haversine, in double
precision), keeps those within the radius and orders by it; only the page's events are
then read from the table. Distances are
compared and paged as whole millimetres, so cursors are exact integers and pages are
stable.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    Double,
    bindparam,
    cast,
    func,
    literal_column,
    select,
)

from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery
from edom_graphql.core.pagination import AnySelect, PageRequest, keyset, page_params
from edom_graphql.events.models import Event, location_point
from edom_graphql.events.service import (
    EARTH_RADIUS_KM,
    MM_PER_KM,
    Window,
    bounding_box,
    check_radius,
)

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


EVENT_BY_ID = KeyedQuery(EVENT_COLUMNS, Event.id)


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
    in_box = location_point(Event.longitude, Event.latitude).op("<@")(
        func.box(
            func.point(
                bindparam("longitude_min", type_=Double), bindparam("latitude_min", type_=Double)
            ),
            func.point(
                bindparam("longitude_max", type_=Double), bindparam("latitude_max", type_=Double)
            ),
        )
    )
    # The candidates come from ix_events_location alone (it holds every column read here).
    candidates = select(Event.id, _distance_mm().label("distance_mm")).where(
        in_box, Event.ends_at >= bindparam("window_start", type_=DateTime(timezone=True))
    )
    if bounded:
        candidates = candidates.where(
            Event.starts_at <= bindparam("window_end", type_=DateTime(timezone=True))
        )
    # OFFSET 0 keeps the candidates a subquery of their own: flattened into the page's
    # query, the distance would be computed twice for each event of the box (for the
    # radius and again for the order).
    found = candidates.offset(literal_column("0")).subquery("candidates")
    within: AnySelect = select(found.c.id, found.c.distance_mm).where(
        found.c.distance_mm <= bindparam("radius_mm", type_=BigInteger)
    )
    page = keyset(within, (found.c.distance_mm, found.c.id), has_after=has_after).subquery("page")
    # Only the page's events are read from the table.
    return Prepared(
        EVENT_COLUMNS.add_columns(page.c.distance_mm)
        .join_from(Event, page, page.c.id == Event.id)
        .order_by(page.c.distance_mm, page.c.id)
    )


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
        # The box has a margin (events.service): as doubles it still holds the circle.
        "latitude_min": float(box.latitude_min),
        "latitude_max": float(box.latitude_max),
        "longitude_min": float(box.longitude_min),
        "longitude_max": float(box.longitude_max),
        "window_start": window.start,
        "radius_mm": radius_mm,
        **page_params(page),
    }
    if window.end is not None:
        params["window_end"] = window.end
    return list(await db.fetch(NEARBY[(window.end is not None, page.after is not None)], **params))
