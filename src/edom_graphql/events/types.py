"""GraphQL types of events and of the "events nearby" connection."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import strawberry

from edom_graphql.buildings.types import Building, GeoPoint
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import After, First, PageInfo, build_connection, page_request
from edom_graphql.core.permissions import requires
from edom_graphql.events import access, reads, service


@strawberry.type(description="A city event with a place and a time (public to signed-in users).")
class Event(Node):
    pk: strawberry.Private[int]
    title: str = strawberry.field(description="What the event is called.")
    description: str = strawberry.field(description="What happens there.")
    place: str = strawberry.field(description="Where it is, as people name the place.")
    location: GeoPoint = strawberry.field(description="Where it is on the map.")
    starts_at: datetime = strawberry.field(description="When it begins.")
    ends_at: datetime = strawberry.field(description="When it ends.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Event:
        return cls(
            id=strawberry.ID(encode_id("Event", row[0])),
            pk=row[0],
            title=row[1],
            description=row[2],
            place=row[3],
            location=GeoPoint(latitude=float(row[4]), longitude=float(row[5])),
            starts_at=row[6],
            ends_at=row[7],
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Event | None]:
        return await EventByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Event) -> Verdict:
        return access.event_visible(context, node)


@strawberry.type(description="An event near a building, with its distance and cursor.")
class EventNearbyEdge:
    cursor: str = strawberry.field(description="Opaque position of this item.")
    node: Event = strawberry.field(description="The event.")
    distance_km: float = strawberry.field(
        description="Great-circle distance from the building, km (to the millimetre)."
    )


@strawberry.type(description="A page of events near a building, nearest first.")
class EventNearbyConnection:
    edges: list[EventNearbyEdge] = strawberry.field(
        description="The events of this page with distances and cursors."
    )
    page_info: PageInfo = strawberry.field(description="Paging state.")

    @strawberry.field(description="The events of this page.")
    def nodes(self) -> list[Event]:
        return [edge.node for edge in self.edges]


class EventByIdLoader(ByIdLoader[Event]):
    query = reads.EVENT_BY_ID
    convert = Event.from_row


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
    rows = await reads.events_nearby(
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


@strawberry.type
class BuildingEvents:
    """``Building.eventsNearby``."""

    @requires(
        Capability.EVENTS_VIEW,
        description="Events around the building, nearest first (then by id).",
    )
    async def events_nearby(
        self: Building,
        info: AppInfo,
        radius_km: Annotated[
            float, strawberry.argument(description="Search radius, km: more than 0, at most 50.")
        ],
        first: First,
        after: After = None,
        from_: Annotated[
            datetime | None,
            strawberry.argument(
                name="from",
                description="Only events not ended by then (default: now).",
            ),
        ] = None,
        to: Annotated[
            datetime | None,
            strawberry.argument(
                description="Only events that start by then; at most 366 days after `from`."
            ),
        ] = None,
    ) -> EventNearbyConnection | None:
        return await events_nearby(
            info,
            latitude=self.location.latitude,
            longitude=self.location.longitude,
            radius_km=radius_km,
            start=from_,
            end=to,
            first=first,
            after=after,
        )
