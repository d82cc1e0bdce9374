"""The face of residents: the viewer, users, ownership and guest access, and what they
add to buildings and premises (the neighbours directory, the register of owners) and to
organisations (their engineers)."""

from edom_graphql.buildings.types import Building, ManagementOrganisation, Premise
from edom_graphql.core.composition import Domain
from edom_graphql.residents.mutations import ResidentMutations
from edom_graphql.residents.queries import ResidentQueries
from edom_graphql.residents.types import (
    OWNERS_JOINED,
    BuildingNeighbours,
    GuestGrant,
    GuestInvitation,
    OrganisationEngineers,
    Ownership,
    PremiseOwners,
    User,
    read_owners,
)

DOMAIN = Domain(
    name="residents",
    queries=[ResidentQueries],
    mutations=[ResidentMutations],
    node_types=[User, Ownership, GuestGrant, GuestInvitation],
    extends={
        Building: [BuildingNeighbours],
        Premise: [PremiseOwners],
        ManagementOrganisation: [OrganisationEngineers],
    },
    read_ahead={(Premise, "owners"): read_owners},
    joined={(Premise, "owners"): OWNERS_JOINED},
)
