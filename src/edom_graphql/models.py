"""Every table of the application, imported in one place for migrations and tests."""

from edom_graphql.buildings.models import Building, ManagementOrganisation, Premise, StaffMembership
from edom_graphql.chats.models import Chat, ChatEvent, ChatMessage, ChatMessageReport, ChatRead
from edom_graphql.core.db import Base
from edom_graphql.core.ratelimit import RateLimitHit
from edom_graphql.events.models import Event
from edom_graphql.listings.models import Listing, ListingPhoto
from edom_graphql.notifications.models import Notification
from edom_graphql.polls.models import Poll, PollBallot, PollOption, PollVote
from edom_graphql.repairs.models import (
    RepairRequest,
    RepairRequestEvent,
    RepairRequestFollower,
    RepairRequestPhoto,
)
from edom_graphql.residents.models import (
    GuestGrant,
    GuestInvitation,
    Ownership,
    Registration,
    ResidencyConfirmation,
    User,
)
from edom_graphql.vehicles.models import Vehicle

metadata = Base.metadata

__all__ = [
    "Building",
    "Chat",
    "ChatEvent",
    "ChatMessage",
    "ChatMessageReport",
    "ChatRead",
    "Event",
    "GuestGrant",
    "GuestInvitation",
    "Listing",
    "ListingPhoto",
    "ManagementOrganisation",
    "Notification",
    "Ownership",
    "Poll",
    "PollBallot",
    "PollOption",
    "PollVote",
    "Premise",
    "RateLimitHit",
    "Registration",
    "RepairRequest",
    "RepairRequestEvent",
    "RepairRequestFollower",
    "RepairRequestPhoto",
    "ResidencyConfirmation",
    "StaffMembership",
    "User",
    "Vehicle",
    "metadata",
]
