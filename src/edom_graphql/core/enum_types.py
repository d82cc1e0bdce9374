"""GraphQL enums of the access model."""

from edom_graphql.core.capabilities import StaffRole, Tier
from edom_graphql.core.enums import graphql_enum

graphql_enum(
    Tier,
    "A user's relation to a premise; in a building, the highest over their premises there.",
    {
        Tier.OWNER: "Owns the premise or a share of it.",
        Tier.REGISTERED: "Registered at the premise's address.",
        Tier.RESIDENT: "Lives there without registration, confirmed by the payer code.",
        Tier.GUEST_ELEVATED: "Temporary occupant with elevated guest access.",
        Tier.GUEST_BASIC: "Temporary occupant with basic guest access.",
        Tier.GUEST_INITIAL: "Temporary occupant with initial guest access.",
    },
)
graphql_enum(
    StaffRole,
    "A role in the staff of a management organisation.",
    {
        StaffRole.DISPATCHER: "Takes in and routes repair requests.",
        StaffRole.ENGINEER: "Carries out repair work.",
        StaffRole.MANAGER: "Runs the organisation's side of polls and owners' meetings.",
    },
)
