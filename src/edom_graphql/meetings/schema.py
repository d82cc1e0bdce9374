"""The face of meetings: owners' general meetings of a building."""

from sqlalchemy import literal

from edom_graphql.buildings.types import Building
from edom_graphql.core.composition import Domain, PhotoTable
from edom_graphql.meetings import models
from edom_graphql.meetings.mutations.attorney import PowerOfAttorneyRegisterMutation
from edom_graphql.meetings.mutations.create import MeetingCreateMutation
from edom_graphql.meetings.mutations.manage import MeetingManageMutations
from edom_graphql.meetings.mutations.paper import MeetingPaperBallotMutation
from edom_graphql.meetings.mutations.vote import MeetingVoteMutations
from edom_graphql.meetings.scheduled import meetings_task
from edom_graphql.meetings.subscriptions import MeetingSubscriptions
from edom_graphql.meetings.types import (
    BuildingMeetings,
    Meeting,
    MeetingRegister,
    MeetingRegisterEntry,
    PowerOfAttorney,
)

PDF = literal("application/pdf")

DOMAIN = Domain(
    name="meetings",
    mutations=[
        MeetingCreateMutation,
        MeetingManageMutations,
        MeetingVoteMutations,
        MeetingPaperBallotMutation,
        PowerOfAttorneyRegisterMutation,
    ],
    subscriptions=[MeetingSubscriptions],
    node_types=[Meeting, MeetingRegister, MeetingRegisterEntry, PowerOfAttorney],
    extends={Building: [BuildingMeetings]},
    photos=[
        PhotoTable(
            Meeting,
            models.MeetingMaterial.storage_key,
            models.MeetingMaterial.meeting_id,
            models.MeetingMaterial.content_type,
        ),
        PhotoTable(Meeting, models.Meeting.protocol_key, models.Meeting.id, PDF),
        PhotoTable(MeetingRegister, models.Meeting.register_key, models.Meeting.id, PDF),
        PhotoTable(
            MeetingRegisterEntry,
            models.MeetingBallot.scan_key,
            models.MeetingBallot.entry_id,
            models.MeetingBallot.scan_content_type,
        ),
        PhotoTable(
            PowerOfAttorney,
            models.PowerOfAttorney.scan_key,
            models.PowerOfAttorney.id,
            models.PowerOfAttorney.scan_content_type,
        ),
    ],
    scheduled=[meetings_task],
)
