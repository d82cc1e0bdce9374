"""The capability matrix of the product, as data.

Every permission directive in the schema names a :class:`Capability`; whether a
viewer has it in a building is decided by :data:`MATRIX` and nothing else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from edom_graphql.core.enums import graphql_enum


class Tier(enum.IntEnum):
    """A user's relation to a premise, ordered: a higher value outranks a lower one."""

    GUEST_INITIAL = 1
    GUEST_BASIC = 2
    GUEST_ELEVATED = 3
    RESIDENT = 4
    REGISTERED = 5
    OWNER = 6


class StaffRole(enum.Enum):
    DISPATCHER = "DISPATCHER"
    ENGINEER = "ENGINEER"
    MANAGER = "MANAGER"


class Scope(enum.Enum):
    """Where a capability's tier is measured."""

    BUILDING = "BUILDING"
    """The viewer's highest tier over all their premises in the building."""
    PREMISE = "PREMISE"
    """The viewer's tier at the one premise concerned (e.g. their own apartment)."""
    SELF = "SELF"
    """The user themself; staff of a building the user belongs to."""


class Capability(enum.Enum):
    BUILDING_VIEW = "BUILDING_VIEW"
    NOTICES_VIEW = "NOTICES_VIEW"
    MEETING_RESULTS_VIEW = "MEETING_RESULTS_VIEW"
    LISTINGS_VIEW = "LISTINGS_VIEW"
    EVENTS_VIEW = "EVENTS_VIEW"
    INTERCOM_OPEN = "INTERCOM_OPEN"
    NEIGHBOURS_DIRECTORY = "NEIGHBOURS_DIRECTORY"
    BUILDING_CHAT = "BUILDING_CHAT"
    DIRECT_CHAT = "DIRECT_CHAT"
    CHAT_MODERATE = "CHAT_MODERATE"
    LISTING_POST = "LISTING_POST"
    LISTING_MODERATE = "LISTING_MODERATE"
    REPAIR_REQUEST_CREATE = "REPAIR_REQUEST_CREATE"
    REPAIR_REQUEST_HANDLE = "REPAIR_REQUEST_HANDLE"
    MANAGEMENT_CHAT = "MANAGEMENT_CHAT"
    MANAGEMENT_CHAT_ANSWER = "MANAGEMENT_CHAT_ANSWER"
    POLL_VOTE = "POLL_VOTE"
    METER_READING_SUBMIT = "METER_READING_SUBMIT"
    BILLS_PAY = "BILLS_PAY"
    INTERCOM_CODE_CREATE = "INTERCOM_CODE_CREATE"
    HOUSEHOLD_RECORDS_VIEW = "HOUSEHOLD_RECORDS_VIEW"
    METERS_MANAGE = "METERS_MANAGE"
    POLL_CREATE = "POLL_CREATE"
    GUEST_ACCESS_MANAGE = "GUEST_ACCESS_MANAGE"
    INTERCOM_APPLY = "INTERCOM_APPLY"
    INTERCOM_MANAGE = "INTERCOM_MANAGE"
    MEETING_INITIATE = "MEETING_INITIATE"
    MEETING_VOTE = "MEETING_VOTE"
    MEETING_VOTE_BY_ATTORNEY = "MEETING_VOTE_BY_ATTORNEY"
    OWNERS_REGISTER = "OWNERS_REGISTER"
    PERSONAL_DATA = "PERSONAL_DATA"
    NOTICES_POST = "NOTICES_POST"

    # Members are singletons compared by identity: hashing them by identity in C keeps
    # the gatekeepers' decision keys (capability, building, …) cheap. Enum's own hash
    # hashes the name in Python, ~180 times a request on the budgeted read.
    __hash__ = object.__hash__


@dataclass(frozen=True, slots=True)
class Rule:
    description: str
    tiers: frozenset[Tier]
    staff: frozenset[StaffRole] = frozenset()
    admin: bool = False
    scope: Scope = Scope.BUILDING


_ALL = frozenset(Tier)
_NO_INITIAL = _ALL - {Tier.GUEST_INITIAL}
_TO_ELEVATED = frozenset({Tier.OWNER, Tier.REGISTERED, Tier.RESIDENT, Tier.GUEST_ELEVATED})
_OWNER_REGISTERED = frozenset({Tier.OWNER, Tier.REGISTERED})
_OWNER = frozenset({Tier.OWNER})
_NOBODY: frozenset[Tier] = frozenset()
_STAFF = frozenset(StaffRole)
_MANAGER = frozenset({StaffRole.MANAGER})

MATRIX: dict[Capability, Rule] = {
    # building info, notices, meeting results/protocols, listings board, events
    Capability.BUILDING_VIEW: Rule(
        "See the building, its premises and organisation", _ALL, _STAFF, admin=True
    ),
    Capability.NOTICES_VIEW: Rule("Read the building's notices", _ALL, _STAFF, admin=True),
    Capability.MEETING_RESULTS_VIEW: Rule(
        "See owners' meeting results and protocols", _ALL, _STAFF, admin=True
    ),
    Capability.LISTINGS_VIEW: Rule("Read the building's listings board", _ALL, _STAFF),
    Capability.EVENTS_VIEW: Rule("See events near the building", _ALL, _STAFF),
    # open the entrance door (smart intercom)
    Capability.INTERCOM_OPEN: Rule("Open the entrance door", _ALL),
    # neighbours directory, building chat, direct chats
    Capability.NEIGHBOURS_DIRECTORY: Rule(
        "See who of the building is on the platform", _NO_INITIAL
    ),
    Capability.BUILDING_CHAT: Rule("Read and write the building chat", _NO_INITIAL),
    Capability.DIRECT_CHAT: Rule("Chat directly with a neighbour", _NO_INITIAL),
    # staff remove abusive messages from the building chat (without reading it)
    Capability.CHAT_MODERATE: Rule(
        "Remove abusive messages from the building chat",
        _NOBODY,
        frozenset({StaffRole.DISPATCHER, StaffRole.MANAGER}),
    ),
    # post listings; create/follow repair requests (staff: handle all requests)
    Capability.LISTING_POST: Rule("Post on the listings board", _NO_INITIAL),
    Capability.LISTING_MODERATE: Rule("Remove listings from the building's board", _NOBODY, _STAFF),
    Capability.REPAIR_REQUEST_CREATE: Rule("Create and follow repair requests", _NO_INITIAL),
    Capability.REPAIR_REQUEST_HANDLE: Rule(
        "Handle the building's repair requests", _NOBODY, _STAFF
    ),
    # chat with management organisation (staff: answer)
    Capability.MANAGEMENT_CHAT: Rule("Chat with the management organisation", _TO_ELEVATED),
    Capability.MANAGEMENT_CHAT_ANSWER: Rule("Answer residents' management chats", _NOBODY, _STAFF),
    # vote in polls; meter readings; bills; intercom codes (staff: read only)
    Capability.POLL_VOTE: Rule("Vote in polls", _TO_ELEVATED),
    Capability.METER_READING_SUBMIT: Rule(
        "Submit meter readings", _TO_ELEVATED, scope=Scope.PREMISE
    ),
    Capability.BILLS_PAY: Rule("See and pay bills", _TO_ELEVATED, scope=Scope.PREMISE),
    Capability.INTERCOM_CODE_CREATE: Rule(
        "Create entrance codes", _TO_ELEVATED, scope=Scope.PREMISE
    ),
    Capability.HOUSEHOLD_RECORDS_VIEW: Rule(
        "Read polls' votes, meter readings, bills and entrance codes", _TO_ELEVATED, _STAFF
    ),
    # Staff of the building's organisation register, replace and retire a premise's
    # meters: its engineers (who install them) and managers; dispatchers route requests.
    # Residents submit readings (METER_READING_SUBMIT) and see them, with all staff
    # (HOUSEHOLD_RECORDS_VIEW, measured at the premise for meters).
    Capability.METERS_MANAGE: Rule(
        "Register, replace and retire a premise's meters",
        _NOBODY,
        frozenset({StaffRole.ENGINEER, StaffRole.MANAGER}),
        scope=Scope.PREMISE,
    ),
    Capability.POLL_CREATE: Rule("Create polls", _OWNER_REGISTERED, _MANAGER),
    Capability.GUEST_ACCESS_MANAGE: Rule(
        "Grant and revoke guest access to one's own premise", _OWNER_REGISTERED, scope=Scope.PREMISE
    ),
    Capability.INTERCOM_APPLY: Rule(
        "Apply for smart intercom connection", _OWNER_REGISTERED, scope=Scope.PREMISE
    ),
    # Staff of the building's organisation review intercom applications and connect the
    # entrances' panels: its engineers (who install them) and managers.
    Capability.INTERCOM_MANAGE: Rule(
        "Review intercom applications and connect entrances",
        _NOBODY,
        frozenset({StaffRole.ENGINEER, StaffRole.MANAGER}),
    ),
    Capability.MEETING_INITIATE: Rule(
        "Initiate and administer an owners' meeting", _OWNER, _MANAGER
    ),
    Capability.MEETING_VOTE: Rule("Vote in an owners' meeting", _OWNER),
    # A representative votes for an owner under a power of attorney: measured on the
    # representative the document names (the viewer themself), whoever they are.
    Capability.MEETING_VOTE_BY_ATTORNEY: Rule(
        "Vote for an owner under a power of attorney", _NOBODY, scope=Scope.SELF
    ),
    # Housing Code art. 45 §3.1: the register of owners is kept by the organisation
    # and is needed by owners who convene a meeting.
    Capability.OWNERS_REGISTER: Rule("See the owners of premises and their shares", _OWNER, _STAFF),
    # Personal data: the user and the staff of their building's organisation (DOMAIN:
    # "visible to the user and to staff of the building's organisation"), nobody else.
    Capability.PERSONAL_DATA: Rule(
        "See a user's phone, full name and e-mail", _NOBODY, _STAFF, scope=Scope.SELF
    ),
    # The organisation posts notices to its buildings (outages, works, meetings,
    # announcements), edits and withdraws them: its dispatchers, who take in outage
    # reports, and its managers; engineers carry out the work. Residents read them
    # (NOTICES_VIEW).
    Capability.NOTICES_POST: Rule(
        "Post, edit and withdraw the building's notices",
        _NOBODY,
        frozenset({StaffRole.DISPATCHER, StaffRole.MANAGER}),
    ),
}

assert set(MATRIX) == set(Capability), "every capability needs a rule"


# -- as GraphQL enums ------------------------------------------------------------------

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
graphql_enum(
    Capability,
    "Something a viewer may do in a building, as listed in the capability matrix.",
    {capability: MATRIX[capability].description for capability in Capability},
)
