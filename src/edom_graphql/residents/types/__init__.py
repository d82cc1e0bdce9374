"""GraphQL types of residents: users and ownership (``users``), guest access
(``guests``) and the signed-in viewer (``viewer``)."""

from edom_graphql.residents.types.guests import (
    GrantsGivenLoader,
    GrantsReceivedLoader,
    GuestGrant,
    GuestGrantByIdLoader,
    GuestGrantConnection,
    GuestInvitation,
    GuestInvitationByIdLoader,
    GuestInvitationConnection,
    GuestInvitationStatus,
    InvitationsGivenLoader,
)
from edom_graphql.residents.types.staff import (
    EngineersOfOrganisationLoader,
    OrganisationEngineers,
    UserConnection,
)
from edom_graphql.residents.types.users import (
    OWNERS_JOINED,
    BuildingNeighbours,
    Fraction,
    Neighbour,
    NeighbourConnection,
    Ownership,
    OwnershipByIdLoader,
    OwnershipsOfPremiseLoader,
    PremiseOwners,
    User,
    UserByIdLoader,
    read_owners,
)
from edom_graphql.residents.types.viewer import StaffMembership, Viewer, ViewerPremise

__all__ = [
    "OWNERS_JOINED",
    "BuildingNeighbours",
    "EngineersOfOrganisationLoader",
    "Fraction",
    "GrantsGivenLoader",
    "GrantsReceivedLoader",
    "GuestGrant",
    "GuestGrantByIdLoader",
    "GuestGrantConnection",
    "GuestInvitation",
    "GuestInvitationByIdLoader",
    "GuestInvitationConnection",
    "GuestInvitationStatus",
    "InvitationsGivenLoader",
    "Neighbour",
    "NeighbourConnection",
    "OrganisationEngineers",
    "Ownership",
    "OwnershipByIdLoader",
    "OwnershipsOfPremiseLoader",
    "PremiseOwners",
    "StaffMembership",
    "User",
    "UserByIdLoader",
    "UserConnection",
    "Viewer",
    "ViewerPremise",
    "read_owners",
]
