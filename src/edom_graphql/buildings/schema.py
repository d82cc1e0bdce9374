"""The face of buildings: the root field, and buildings, premises and organisations."""

from edom_graphql.buildings.queries import BuildingQueries
from edom_graphql.buildings.types import Building, ManagementOrganisation, Premise
from edom_graphql.core.composition import Domain

DOMAIN = Domain(
    name="buildings",
    queries=[BuildingQueries],
    node_types=[Building, Premise, ManagementOrganisation],
)
