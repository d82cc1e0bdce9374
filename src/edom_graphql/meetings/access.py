"""Who may see what of an owners' meeting: the gatekeepers of Meeting, MeetingRegister,
MeetingRegisterEntry and PowerOfAttorney, and who administers.

- A meeting put to the owners (scheduled, even if later cancelled) is seen by whoever may
  see the building's meeting results (every resident tier, its staff, support) and by a
  representative registered at it; a draft only by its initiator (while they may
  initiate there) and whoever administers it.
- The register, with owners' names and how each ownership voted, is seen by the
  building's owners and staff (OWNERS_REGISTER) and whoever administers the meeting; an
  entry also by its owner and a representative the administrator registered for them.
- A power of attorney is seen by the administrator, the building's staff, and the two
  people it names.
- Administering is the administrator user, or a manager of the administering
  organisation, while they may initiate meetings in the building.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from edom_graphql.core.capabilities import Capability, StaffRole
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.ids import expect_id
from edom_graphql.core.nodes import Verdict, either, remembered
from edom_graphql.core.permissions import Target
from edom_graphql.meetings.models import MeetingState
from edom_graphql.meetings.reads import (
    AttorneyRefLoader,
    EntryMeetingLoader,
    MeetingBuildingLoader,
    MeetingRefLoader,
    RepresentativeLoader,
    RepresentsLoader,
)

if TYPE_CHECKING:
    from edom_graphql.meetings.types import MeetingRegisterEntry, PowerOfAttorney


class AnyMeeting(Protocol):
    """What the gatekeepers read of a meeting: a ``Meeting`` or a :class:`MeetingRef`."""

    @property
    def pk(self) -> int: ...
    @property
    def building_pk(self) -> int: ...
    @property
    def state(self) -> MeetingState: ...
    @property
    def initiator_pk(self) -> int: ...
    @property
    def administrator_user_pk(self) -> int | None: ...
    @property
    def administrator_organisation_pk(self) -> int | None: ...
    @property
    def scheduled_at(self) -> datetime | None: ...


async def administers(context: Context, meeting: AnyMeeting) -> bool:
    """The viewer administers the meeting now."""
    viewer_id = context.viewer_id
    if viewer_id is None:
        return False
    if not await context.can(Capability.MEETING_INITIATE, building_id=meeting.building_pk):
        return False
    if meeting.administrator_user_pk is not None:
        return meeting.administrator_user_pk == viewer_id
    profile = await context.profile()
    return StaffRole.MANAGER in profile.roles_in(meeting.administrator_organisation_pk)


async def initiates(context: Context, meeting: AnyMeeting) -> bool:
    """The viewer initiated the meeting and may still initiate meetings there."""
    return meeting.initiator_pk == context.viewer_id and await context.can(
        Capability.MEETING_INITIATE, building_id=meeting.building_pk
    )


async def runs(context: Context, meeting: AnyMeeting) -> bool:
    """The viewer initiates or administers the meeting."""
    return await initiates(context, meeting) or await administers(context, meeting)


def meeting_visible(context: Context, meeting: AnyMeeting) -> Verdict:
    return remembered(context, ("Meeting", meeting.pk), lambda: _meeting_visible(context, meeting))


def _meeting_visible(context: Context, meeting: AnyMeeting) -> Verdict:
    viewer_id = context.viewer_id
    if viewer_id is None:
        return False
    if meeting.scheduled_at is not None:
        # a representative registered at the meeting sees it (to find whom they vote for),
        # whether or not they live in the building
        return either(
            lambda: context.allows(
                Capability.MEETING_RESULTS_VIEW, building_id=meeting.building_pk
            ),
            lambda: RepresentativeLoader.of(context).load((meeting.pk, viewer_id)),
        )
    return runs(context, meeting)


def register_visible(context: Context, meeting: AnyMeeting) -> Verdict:
    return remembered(
        context, ("MeetingRegister", meeting.pk), lambda: _register_visible(context, meeting)
    )


def _register_visible(context: Context, meeting: AnyMeeting) -> Verdict:
    if meeting.state in (MeetingState.DRAFT, MeetingState.SCHEDULED, MeetingState.CANCELLED):
        return False
    return either(
        lambda: context.allows(Capability.OWNERS_REGISTER, building_id=meeting.building_pk),
        lambda: administers(context, meeting),
    )


async def _entry_visible(
    context: Context, entry: MeetingRegisterEntry, meeting: AnyMeeting
) -> bool:
    viewer_id = context.viewer_id
    if viewer_id is None:
        return False
    verdict = register_visible(context, meeting)
    if verdict if isinstance(verdict, bool) else await verdict:
        return True
    if entry.owner_pk == viewer_id:
        return True
    return await RepresentsLoader.of(context).load((entry.meeting_pk, entry.owner_pk, viewer_id))


def entry_visible(context: Context, entry: MeetingRegisterEntry) -> Verdict:
    return remembered(
        context, ("MeetingRegisterEntry", entry.pk), lambda: _entry_with_meeting(context, entry)
    )


async def _entry_with_meeting(context: Context, entry: MeetingRegisterEntry) -> bool:
    meeting = await MeetingRefLoader.of(context).load(entry.meeting_pk)
    if meeting is None:
        return False
    return await _entry_visible(context, entry, meeting)


def attorney_visible(context: Context, attorney: PowerOfAttorney) -> Verdict:
    viewer_id = context.viewer_id
    if viewer_id is None:
        return False
    if viewer_id in (attorney.principal_pk, attorney.representative_pk):
        return True
    return remembered(
        context, ("PowerOfAttorney", attorney.pk), lambda: _attorney_visible(context, attorney)
    )


async def _attorney_visible(context: Context, attorney: PowerOfAttorney) -> bool:
    meeting = await MeetingRefLoader.of(context).load(attorney.meeting_pk)
    if meeting is None:
        return False
    if await administers(context, meeting):
        return True
    organisation_id = await context.gate.organisation_of(meeting.building_pk)
    return bool((await context.profile()).roles_in(organisation_id))


async def input_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    """The scope of a mutation whose input names a building (``buildingId``)."""
    return Target(
        building_id=expect_id(kwargs["input"].building_id, "Building", field="buildingId")
    )


async def input_meeting_building(
    source: Any, info: AppInfo, kwargs: dict[str, Any]
) -> Target | None:
    """The scope of a mutation whose input names a meeting: its building."""
    meeting_id = expect_id(kwargs["input"].meeting_id, "Meeting", field="meetingId")
    building_id = await MeetingBuildingLoader.of(info.context).load(meeting_id)
    return Target(building_id=building_id) if building_id is not None else None


async def input_entry_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    """The scope of a mutation whose input names a register entry: its building."""
    entry_id = expect_id(kwargs["input"].entry_id, "MeetingRegisterEntry", field="entryId")
    meeting_id = await EntryMeetingLoader.of(info.context).load(entry_id)
    if meeting_id is None:
        return None
    building_id = await MeetingBuildingLoader.of(info.context).load(meeting_id)
    return Target(building_id=building_id) if building_id is not None else None


async def input_attorney_representative(
    source: Any, info: AppInfo, kwargs: dict[str, Any]
) -> Target | None:
    """The scope of a vote under a power of attorney: the representative it names."""
    attorney_id = expect_id(
        kwargs["input"].power_of_attorney_id, "PowerOfAttorney", field="powerOfAttorneyId"
    )
    attorney = await AttorneyRefLoader.of(info.context).load(attorney_id)
    return Target(user_id=attorney[1]) if attorney is not None else None
