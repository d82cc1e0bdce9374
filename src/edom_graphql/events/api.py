"""Resolvers of events: ``Building.eventsNearby`` and the node fetcher of ``Event``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from edom_graphql.core.context import AppInfo
from edom_graphql.core.pagination import build_connection, page_request
from edom_graphql.events import service
from edom_graphql.events.types import Event, EventNearbyConnection, EventNearbyEdge


@dataclass(frozen=True, slots=True)
class _Nearby:
    event: Event
    distance_mm: int

    def sort_key(self) -> tuple[int, int]:
        return (self.distance_mm, self.event.pk)


async def events_nearby(
    info: AppInfo,
    *,
    latitude: float,
    longitude: float,
    radius_km: float,
    start: datetime | None,
    end: datetime | None,
    first: int,
    after: str | None,
) -> EventNearbyConnection:
    """A page of events around a point (``Building.eventsNearby``): one statement."""
    service.check_radius(radius_km)
    window = service.search_window(start=start, end=end, now=info.context.now)
    page = page_request(first, after, types=(int, int))
    rows = await service.events_nearby(
        info.context.db,
        latitude=latitude,
        longitude=longitude,
        radius_km=radius_km,
        window=window,
        page=page,
    )
    items = [_Nearby(Event.from_row(row), row[8]) for row in rows]
    connection = build_connection(items, page, _Nearby.sort_key)
    return EventNearbyConnection(
        edges=[
            EventNearbyEdge(
                cursor=edge.cursor,
                node=edge.node.event,
                distance_km=edge.node.distance_mm / service.MM_PER_KM,
            )
            for edge in connection.edges
        ],
        page_info=connection.page_info,
    )
