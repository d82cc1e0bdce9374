"""The face of vehicles."""

from edom_graphql.core.composition import Domain
from edom_graphql.vehicles.mutations import VehicleMutations
from edom_graphql.vehicles.queries import VehicleQueries
from edom_graphql.vehicles.types import Vehicle

DOMAIN = Domain(
    name="vehicles",
    queries=[VehicleQueries],
    mutations=[VehicleMutations],
    node_types=[Vehicle],
)
