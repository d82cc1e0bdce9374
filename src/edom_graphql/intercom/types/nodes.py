"""The intercom's node types: entrances, panels, applications, codes, entries, calls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from edom_graphql.buildings.types import Premise, PremiseByIdLoader
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader, ListByKeyLoader, PageLoader, later
from edom_graphql.core.nodes import Node, Verdict, visible
from edom_graphql.intercom import access, reads
from edom_graphql.intercom.models import ApplicationStatus, CallState, DoorOutcome, EntryMethod

graphql_enum(
    ApplicationStatus,
    "Where an application to connect an entrance stands.",
    {
        ApplicationStatus.SUBMITTED: "Sent to the organisation, awaiting its review.",
        ApplicationStatus.APPROVED: "Approved: the panels are being installed.",
        ApplicationStatus.REJECTED: "Rejected, with the reason.",
        ApplicationStatus.CONNECTED: "The entrance is connected: its panels are listed.",
    },
)
graphql_enum(
    EntryMethod,
    "How a door was opened.",
    {
        EntryMethod.APP: "From the app (`intercomDoorOpen`).",
        EntryMethod.CODE: "With an entrance code typed at the panel.",
        EntryMethod.KEY_FOB: "With a key fob.",
        EntryMethod.CALL: "From an answered call.",
    },
)
graphql_enum(
    DoorOutcome,
    "What the panel answered when asked to open.",
    {
        DoorOutcome.OPENED: "The door opened.",
        DoorOutcome.DEVICE_OFFLINE: "The panel is offline or refused: the door did not open.",
        DoorOutcome.TIMEOUT: "The panel did not answer in time: the door may not have opened.",
    },
)
graphql_enum(
    CallState,
    "Where a call from the panel stands.",
    {
        CallState.RINGING: "Ringing now.",
        CallState.ANSWERED: "Answered by an occupant.",
        CallState.MISSED: "Nobody answered (the caller hung up or it rang out).",
        CallState.ENDED: "Answered, then ended.",
    },
)


@strawberry.type(description="A panel (an intercom device at a door) of an entrance.")
class IntercomPanel(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    entrance_pk: strawberry.Private[int]
    name: str = strawberry.field(description='Where it is ("Main door", "Yard gate").')

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> IntercomPanel:
        return cls(
            id=strawberry.ID(encode_id("IntercomPanel", row[0])),
            pk=row[0],
            building_pk=row[1],
            entrance_pk=row[2],
            name=row[3],
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Any]:
        return await PanelByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: IntercomPanel) -> Verdict:
        return access.panel_visible(context, node)


@strawberry.type(description="One step of an application: its new status, when and why.")
class IntercomApplicationStep:
    status: ApplicationStatus = strawberry.field(description="The status it moved to.")
    reason: str | None = strawberry.field(description="Why (a rejection's reason).")
    at: datetime = strawberry.field(description="When.")


@strawberry.type(description="An application to connect an entrance to the smart intercom.")
class IntercomApplication(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    entrance_pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    applicant_pk: strawberry.Private[int]
    status: ApplicationStatus = strawberry.field(description="Where it stands.")
    reason: str | None = strawberry.field(description="Why it was rejected.")
    created_at: datetime = strawberry.field(description="When it was submitted.")
    updated_at: datetime = strawberry.field(description="When it last moved.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> IntercomApplication:
        return cls(
            id=strawberry.ID(encode_id("IntercomApplication", row[0])),
            pk=row[0],
            building_pk=row[1],
            entrance_pk=row[2],
            premise_pk=row[3],
            applicant_pk=row[4],
            status=ApplicationStatus(row[5]),
            reason=row[6],
            created_at=row[7],
            updated_at=row[8],
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Any]:
        return await ApplicationByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: IntercomApplication) -> Verdict:
        return access.application_visible(context, node)

    @strawberry.field(description="Every step so far, oldest first.")
    async def steps(self, info: AppInfo) -> list[IntercomApplicationStep]:
        return await StepsOfApplicationLoader.of(info.context).load(self.pk)

    @strawberry.field(description="The entrance applied for.")
    def entrance(self, info: AppInfo) -> Entrance:
        return later(EntranceByIdLoader.of(info.context).load(self.entrance_pk))

    @strawberry.field(description="The viewer submitted it.")
    def applied_by_viewer(self, info: AppInfo) -> bool:
        return info.context.viewer_id == self.applicant_pk


@strawberry.type(
    description="An entrance (подъезд) of a building: its premises are those "
    "with its number (`Premise.entrance`)."
)
class Entrance(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    number: int = strawberry.field(description="The entrance's number.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Entrance:
        return cls(
            id=strawberry.ID(encode_id("Entrance", row[0])),
            pk=row[0],
            building_pk=row[1],
            number=row[2],
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Any]:
        return await EntranceByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Entrance) -> Verdict:
        return access.entrance_visible(context, node)

    @strawberry.field(description="The panels of a connected entrance (empty otherwise).")
    async def panels(self, info: AppInfo) -> list[IntercomPanel]:
        return await PanelsOfEntranceLoader.of(info.context).load(self.pk)

    @strawberry.field(description="The entrance has the smart intercom (at least one panel).")
    async def connected(self, info: AppInfo) -> bool:
        return bool(await PanelsOfEntranceLoader.of(info.context).load(self.pk))

    @strawberry.field(description="Applications to connect it, newest first.")
    async def applications(self, info: AppInfo) -> list[IntercomApplication]:
        return await ApplicationsOfEntranceLoader.of(info.context).load(self.pk)


@strawberry.type(
    description="An entrance code of a premise (the code itself is shown only "
    "once, to its creator, by `intercomCodeCreate`)."
)
class IntercomCode(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    entrance_pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    creator_pk: strawberry.Private[int]
    expires_at: datetime | None = strawberry.field(description="Until when; null: permanent.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked.")
    created_at: datetime = strawberry.field(description="When it was made.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> IntercomCode:
        return cls(
            id=strawberry.ID(encode_id("IntercomCode", row[0])),
            pk=row[0],
            building_pk=row[1],
            entrance_pk=row[2],
            premise_pk=row[3],
            creator_pk=row[4],
            expires_at=row[5],
            revoked_at=row[6],
            created_at=row[7],
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Any]:
        return await CodeByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: IntercomCode) -> Verdict:
        return access.code_visible(context, node)

    @strawberry.field(description="It opens the door now (neither expired nor revoked).")
    def active(self, info: AppInfo) -> bool:
        now = info.context.now
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @strawberry.field(description="The viewer made it.")
    def created_by_viewer(self, info: AppInfo) -> bool:
        return info.context.viewer_id == self.creator_pk


@strawberry.type(
    description="An opening of a door in the entry log (or an attempt from the "
    "app, with what the panel answered)."
)
class IntercomEntry(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    panel_pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int | None]
    user_pk: strawberry.Private[int | None]
    code_pk: strawberry.Private[int | None]
    method: EntryMethod = strawberry.field(description="How.")
    outcome: DoorOutcome = strawberry.field(description="What the panel answered.")
    at: datetime = strawberry.field(description="When.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> IntercomEntry:
        return cls(
            id=strawberry.ID(encode_id("IntercomEntry", row[0])),
            pk=row[0],
            building_pk=row[1],
            panel_pk=row[2],
            premise_pk=row[3],
            method=EntryMethod(row[4]),
            outcome=DoorOutcome(row[5]),
            user_pk=row[6],
            code_pk=row[7],
            at=row[9],
        )

    @staticmethod
    def sort_key(entry: IntercomEntry) -> tuple[int]:
        return (entry.pk,)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Any]:
        return await EntryByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: IntercomEntry) -> Verdict:
        return access.entry_visible(context, node)

    @strawberry.field(description="The panel of the door.")
    def panel(self, info: AppInfo) -> IntercomPanel:
        return later(PanelByIdLoader.of(info.context).load(self.panel_pk))

    @strawberry.field(description="The viewer opened it (from the app or a call).")
    def by_viewer(self, info: AppInfo) -> bool:
        return self.user_pk is not None and info.context.viewer_id == self.user_pk

    @strawberry.field(description="The premise's code it was opened with.")
    def code(self, info: AppInfo) -> IntercomCode | None:
        if self.code_pk is None:
            return None
        return later(CodeByIdLoader.of(info.context).load(self.code_pk))


@strawberry.type(description="A call from a panel to an apartment.")
class IntercomCall(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    panel_pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    answered_by_pk: strawberry.Private[int | None]
    media_url: str | None = strawberry.field(description="The call's video, from the device.")
    state: CallState = strawberry.field(description="Where it stands.")
    rang_at: datetime = strawberry.field(description="When it rang.")
    answered_at: datetime | None = strawberry.field(description="When it was answered.")
    ended_at: datetime | None = strawberry.field(description="When it was missed or ended.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> IntercomCall:
        return cls(
            id=strawberry.ID(encode_id("IntercomCall", row[0])),
            pk=row[0],
            building_pk=row[1],
            panel_pk=row[2],
            premise_pk=row[3],
            media_url=row[4],
            state=CallState(row[5]),
            rang_at=row[6],
            answered_by_pk=row[7],
            answered_at=row[8],
            ended_at=row[9],
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Any]:
        return await CallByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: IntercomCall) -> Verdict:
        return access.call_visible(context, node)

    @strawberry.field(description="The panel calling.")
    def panel(self, info: AppInfo) -> IntercomPanel:
        return later(PanelByIdLoader.of(info.context).load(self.panel_pk))

    @strawberry.field(description="The apartment called.")
    def premise(self, info: AppInfo) -> Premise:
        return later(PremiseByIdLoader.of(info.context).load(self.premise_pk))

    @strawberry.field(description="The viewer answered it.")
    def answered_by_viewer(self, info: AppInfo) -> bool:
        return self.answered_by_pk is not None and info.context.viewer_id == self.answered_by_pk


# -- loaders ----------------------------------------------------------------------------


class EntranceByIdLoader(ByIdLoader[Entrance]):
    query = reads.ENTRANCE_BY_ID
    convert = Entrance.from_row


class EntrancesOfBuildingLoader(ListByKeyLoader[Entrance]):
    query = reads.ENTRANCES_OF_BUILDING
    convert = Entrance.from_row


class PanelByIdLoader(ByIdLoader[IntercomPanel]):
    query = reads.PANEL_BY_ID
    convert = IntercomPanel.from_row


class PanelsOfEntranceLoader(ListByKeyLoader[IntercomPanel]):
    query = reads.PANELS_OF_ENTRANCE
    convert = IntercomPanel.from_row


class ApplicationByIdLoader(ByIdLoader[IntercomApplication]):
    query = reads.APPLICATION_BY_ID
    convert = IntercomApplication.from_row


class ApplicationsOfEntranceLoader(ListByKeyLoader[IntercomApplication]):
    query = reads.APPLICATIONS_OF_ENTRANCE
    convert = IntercomApplication.from_row


class StepsOfApplicationLoader(ListByKeyLoader[IntercomApplicationStep]):
    query = reads.STEPS_OF_APPLICATION

    @staticmethod
    def convert(row: Sequence[Any]) -> IntercomApplicationStep:
        return IntercomApplicationStep(status=ApplicationStatus(row[0]), reason=row[1], at=row[2])


class CodeByIdLoader(ByIdLoader[IntercomCode]):
    query = reads.CODE_BY_ID
    convert = IntercomCode.from_row


class CodesOfPremiseLoader(PageLoader[IntercomCode]):
    children = reads.CODES_OF_PREMISE
    convert = IntercomCode.from_row


class EntryByIdLoader(ByIdLoader[IntercomEntry]):
    query = reads.ENTRY_BY_ID
    convert = IntercomEntry.from_row


class EntriesOfPremiseLoader(PageLoader[IntercomEntry]):
    children = reads.ENTRIES_OF_PREMISE
    convert = IntercomEntry.from_row


class CallByIdLoader(ByIdLoader[IntercomCall]):
    query = reads.CALL_BY_ID
    convert = IntercomCall.from_row


class CallsOfPremiseLoader(PageLoader[IntercomCall]):
    children = reads.CALLS_OF_PREMISE
    convert = IntercomCall.from_row


async def visible_node(context: Context, loader: type[ByIdLoader[Any]], pk: int) -> Any:
    """The object of ``pk`` if the viewer may see it, else None."""
    return await visible(context, await loader.of(context).load(pk))
