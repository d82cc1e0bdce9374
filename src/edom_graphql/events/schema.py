"""The face of events: city events, and ``Building.eventsNearby``."""

from edom_graphql.buildings.types import Building
from edom_graphql.core.composition import Domain
from edom_graphql.events.types import BuildingEvents, Event

DOMAIN = Domain(
    name="events",
    node_types=[Event],
    extends={Building: [BuildingEvents]},
)
