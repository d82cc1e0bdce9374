"""GraphQL types of events and of the "events nearby" connection."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from edom_graphql.buildings.types import GeoPoint
from edom_graphql.core.context import Context
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import KeyedQuery, fetch_by_keys
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import PageInfo
from edom_graphql.events.models import Event as EventRow
from edom_graphql.events.service import EVENT_COLUMNS

EVENTS_BY_ID = KeyedQuery(EVENT_COLUMNS, EventRow.id, lambda row: Event.from_row(row))


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
        return await fetch_by_keys(context.db, EVENTS_BY_ID, pks)

    @classmethod
    def is_visible(cls, context: Context, node: Event) -> Verdict:
        """Events are city-wide: every signed-in viewer sees them."""
        return context.viewer_id is not None


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
