"""GraphQL types of meetings: the meeting and its agenda (``meetings``), the register,
ballots and powers of attorney (``register``), the tally and protocol (``results``), and
the values they share (``shared``)."""

from edom_graphql.meetings.types.meetings import (
    BuildingMeetings,
    Meeting,
    MeetingByIdLoader,
    tally_of,
    visible_meeting,
    visible_meeting_id,
)
from edom_graphql.meetings.types.register import (
    MeetingRegister,
    MeetingRegisterEntry,
    PowerOfAttorney,
    visible_attorney,
    visible_entry,
)
from edom_graphql.meetings.types.results import MeetingTally

__all__ = [
    "BuildingMeetings",
    "Meeting",
    "MeetingByIdLoader",
    "MeetingRegister",
    "MeetingRegisterEntry",
    "MeetingTally",
    "PowerOfAttorney",
    "tally_of",
    "visible_attorney",
    "visible_entry",
    "visible_meeting",
    "visible_meeting_id",
]
