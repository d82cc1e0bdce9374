"""Resolvers of events: ``Building.eventsNearby`` and the node fetcher of ``Event``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.db import Prepared
from edom_graphql.core.loaders import keys_param
from edom_graphql.core.nodes import node_fetcher
from edom_graphql.core.pagination import build_connection, page_request
from edom_graphql.events import service
from edom_graphql.events.models import Event as EventRow
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


_EVENTS_BY_ID = Prepared(service.EVENT_COLUMNS.where(EventRow.id == keys_param()))


@node_fetcher("Event")
async def fetch_events(context: Context, pks: Sequence[int]) -> list[Event | None]:
    """Events are city-wide: any signed-in viewer may refetch one."""
    context.require_viewer()
    rows = await context.db.fetch(_EVENTS_BY_ID, keys=list(pks))
    found = {row[0]: Event.from_row(row) for row in rows}
    return [found.get(pk) for pk in pks]
