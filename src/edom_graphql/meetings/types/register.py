"""The register of owners of a meeting, its entries with their ballots, and powers of
attorney."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from edom_graphql.buildings.types import Premise, PremiseByIdLoader
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader, ListByKeyLoader, Loader, PageLoader, later
from edom_graphql.core.nodes import Node, Verdict, visible, visible_only
from edom_graphql.core.pagination import After, Connection, First, build_connection, page_request
from edom_graphql.meetings import access, reads
from edom_graphql.meetings.models import BallotChannel, Decision, MeetingState
from edom_graphql.meetings.reads import MeetingRef, MeetingRefLoader
from edom_graphql.meetings.service.tally import weight
from edom_graphql.meetings.types.shared import MeetingFile, VoteShare, share, square_metres
from edom_graphql.residents.types.users import User, UserByIdLoader


@strawberry.type(
    description="The register of owners of a meeting, fixed when voting opened: one entry "
    "per ownership record, with its vote weight and how it voted."
)
class MeetingRegister(Node):
    meeting: strawberry.Private[Any]
    """The meeting (or its :class:`MeetingRef`): what the gatekeeper decides on."""
    fixed_at: datetime | None = strawberry.field(description="When it was fixed.")

    @property
    def pk(self) -> int:
        return int(self.meeting.pk)

    @classmethod
    async def load_nodes(
        cls, context: Context, pks: Sequence[int]
    ) -> Sequence[MeetingRegister | None]:
        refs = await MeetingRefLoader.of(context).load_many(list(pks))
        return [
            register_of(ref) if ref is not None and ref.total_area_centi is not None else None
            for ref in refs
        ]

    @classmethod
    def is_visible(cls, context: Context, node: MeetingRegister) -> Verdict:
        return access.register_visible(context, node.meeting)

    @strawberry.field(description="The meeting whose register it is.")
    def meeting_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Meeting", self.pk))

    @strawberry.field(description="Area of all the building's premises, m² (a decimal string).")
    def total_area(self) -> str:
        return square_metres(self.meeting.total_area_centi)

    @strawberry.field(
        description="The register with every ownership's decisions as a PDF: the protocol's "
        "annex, formed when voting ended."
    )
    def annex(self) -> MeetingFile | None:
        key = self.meeting.register_key
        return (
            MeetingFile(key=key, content_type="application/pdf", size_bytes=None) if key else None
        )

    @strawberry.field(description="The entries, in the register's order.")
    async def entries(
        self, info: AppInfo, first: First, after: After = None
    ) -> MeetingRegisterEntryConnection:
        context = info.context
        page = page_request(first, after, types=(int,))
        entries = await EntriesOfMeetingLoader.of(context).load((self.pk, page, ()))
        connection = build_connection(entries, page, MeetingRegisterEntry.sort_key)
        return MeetingRegisterEntryConnection(
            edges=connection.edges, page_info=connection.page_info
        )


def register_of(meeting: Any) -> MeetingRegister:
    """The register of a meeting (a :class:`Meeting` or :class:`MeetingRef`) once fixed."""
    return MeetingRegister(
        id=strawberry.ID(encode_id("MeetingRegister", meeting.pk)),
        meeting=meeting,
        fixed_at=meeting.voting_opened_at,
    )


@strawberry.type(description="A decision of a ballot.")
class MeetingBallotDecision:
    number: int = strawberry.field(description="The question's number on the agenda.")
    decision: Decision = strawberry.field(description="The decision.")


@strawberry.type(description="How an ownership record voted.")
class MeetingBallot:
    entry_pk: strawberry.Private[int]
    cast_by_pk: strawberry.Private[int]
    attorney_pk: strawberry.Private[int | None]
    channel: BallotChannel = strawberry.field(description="Online or on paper.")
    cast_at: datetime = strawberry.field(description="When it was cast (or entered).")
    received_on: datetime | None = strawberry.field(
        description="A paper decision: when the administrator received it."
    )

    @strawberry.field(
        description="Who cast it: the owner, their representative, or (paper) the "
        "administrator who entered it."
    )
    async def cast_by(self, info: AppInfo) -> User | None:
        return await UserByIdLoader.of(info.context).load(self.cast_by_pk)

    @strawberry.field(description="The power of attorney it was cast under, if any.")
    def power_of_attorney(self, info: AppInfo) -> PowerOfAttorney | None:
        if self.attorney_pk is None:
            return None
        return later(PowerOfAttorneyByIdLoader.of(info.context).load(self.attorney_pk))

    @strawberry.field(description="Its decision on every question, in agenda order.")
    async def decisions(self, info: AppInfo) -> list[MeetingBallotDecision]:
        return await DecisionsLoader.of(info.context).load(self.entry_pk)

    @strawberry.field(description="A paper decision: its scan.")
    async def scan(self, info: AppInfo) -> MeetingFile | None:
        scans = await ScansLoader.of(info.context).load(self.entry_pk)
        return scans[0] if scans else None


@strawberry.type(description="One ownership record in a meeting's register.")
class MeetingRegisterEntry(Node):
    pk: strawberry.Private[int]
    meeting_pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    owner_pk: strawberry.Private[int]
    area_centi: strawberry.Private[int]
    numerator: strawberry.Private[int]
    denominator: strawberry.Private[int]
    total_centi: strawberry.Private[int]
    ballot: MeetingBallot | None = strawberry.field(
        description="Its ballot; null while it has not voted."
    )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> MeetingRegisterEntry:
        """Of a row of ``reads.ENTRY_COLUMNS``."""
        ballot = None
        if row[9] is not None:
            ballot = MeetingBallot(
                entry_pk=row[0],
                channel=BallotChannel(row[10]),
                cast_by_pk=row[11],
                attorney_pk=row[12],
                received_on=row[13],
                cast_at=row[14],
            )
        return cls(
            id=strawberry.ID(encode_id("MeetingRegisterEntry", row[0])),
            pk=row[0],
            meeting_pk=row[1],
            building_pk=row[2],
            premise_pk=row[3],
            owner_pk=row[4],
            area_centi=row[5],
            numerator=row[6],
            denominator=row[7],
            total_centi=row[8],
            ballot=ballot,
        )

    @staticmethod
    def sort_key(entry: MeetingRegisterEntry) -> tuple[int]:
        return (entry.pk,)

    @classmethod
    async def load_nodes(
        cls, context: Context, pks: Sequence[int]
    ) -> Sequence[MeetingRegisterEntry | None]:
        return await EntryByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: MeetingRegisterEntry) -> Verdict:
        return access.entry_visible(context, node)

    @strawberry.field(description="The meeting whose register it is in.")
    def meeting_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Meeting", self.meeting_pk))

    @strawberry.field(description="The premise owned.")
    async def premise(self, info: AppInfo) -> Premise | None:
        return await PremiseByIdLoader.of(info.context).load(self.premise_pk)

    @strawberry.field(description="The owner.")
    async def owner(self, info: AppInfo) -> User | None:
        return await UserByIdLoader.of(info.context).load(self.owner_pk)

    @strawberry.field(description="The owner's share of the premise, e.g. 1/2.")
    def share(self) -> str:
        return f"{self.numerator}/{self.denominator}"

    @strawberry.field(description="The premise's area, m² (a decimal string).")
    def area(self) -> str:
        return square_metres(self.area_centi)

    @strawberry.field(description="Its vote: area × share ÷ area of all premises, exactly.")
    def weight(self) -> VoteShare:
        return share(
            weight(
                area_centi=self.area_centi,
                numerator=self.numerator,
                denominator=self.denominator,
                total_centi=self.total_centi,
            )
        )

    @strawberry.field(
        description="The viewer may cast its ballot now: voting runs, it has not voted, and "
        "it is the viewer's or they hold its owner's power of attorney."
    )
    async def viewer_may_vote(self, info: AppInfo) -> bool:
        context = info.context
        viewer_id = context.viewer_id
        if self.ballot is not None or viewer_id is None:
            return False
        meeting = await MeetingRefLoader.of(context).load(self.meeting_pk)
        if meeting is None or meeting.state is not MeetingState.VOTING:
            return False
        if not meeting.voting_starts_at <= context.now < meeting.voting_ends_at:
            return False
        if self.owner_pk == viewer_id:
            return True
        # a representative: under a power of attorney valid now (as `viewerEntries` lists)
        voted = await ViewerEntriesLoader.of(context).load(self.meeting_pk)
        return any(entry.pk == self.pk for entry in voted)


@strawberry.type(description="A page of a register's entries.")
class MeetingRegisterEntryConnection(Connection[MeetingRegisterEntry]):
    pass


@strawberry.type(
    description="A representative's authority to vote for an owner at a meeting, registered "
    "by its administrator after checking the document."
)
class PowerOfAttorney(Node):
    pk: strawberry.Private[int]
    meeting_pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    principal_pk: strawberry.Private[int]
    representative_pk: strawberry.Private[int]
    scan_key: strawberry.Private[str]
    scan_content_type: strawberry.Private[str]
    scan_size: strawberry.Private[int]
    document_number: str = strawberry.field(description="The document's number.")
    valid_from: datetime = strawberry.field(description="Valid from.")
    valid_until: datetime = strawberry.field(description="Valid until (exclusive).")
    created_at: datetime = strawberry.field(description="When it was registered.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> PowerOfAttorney:
        """Of a row of ``reads.ATTORNEY_COLUMNS``."""
        return cls(
            id=strawberry.ID(encode_id("PowerOfAttorney", row[0])),
            pk=row[0],
            meeting_pk=row[1],
            building_pk=row[2],
            principal_pk=row[3],
            representative_pk=row[4],
            document_number=row[5],
            valid_from=row[6],
            valid_until=row[7],
            scan_key=row[8],
            scan_content_type=row[9],
            scan_size=row[10],
            created_at=row[11],
        )

    @classmethod
    async def load_nodes(
        cls, context: Context, pks: Sequence[int]
    ) -> Sequence[PowerOfAttorney | None]:
        return await PowerOfAttorneyByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: PowerOfAttorney) -> Verdict:
        return access.attorney_visible(context, node)

    @strawberry.field(description="The meeting it was registered for.")
    def meeting_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Meeting", self.meeting_pk))

    @strawberry.field(description="The owner represented.")
    async def principal(self, info: AppInfo) -> User | None:
        return await UserByIdLoader.of(info.context).load(self.principal_pk)

    @strawberry.field(description="The representative.")
    async def representative(self, info: AppInfo) -> User | None:
        return await UserByIdLoader.of(info.context).load(self.representative_pk)

    @strawberry.field(
        description="The representative's display name, for whoever sees the power of "
        "attorney (`representative` is null where the user is not otherwise visible, e.g. "
        "to neighbours when the representative lives elsewhere)."
    )
    async def representative_name(self, info: AppInfo) -> str:
        user = await UserByIdLoader.of(info.context).load(self.representative_pk)
        return user.display_name if user is not None else ""

    @strawberry.field(description="The scan of the document.")
    def scan(self) -> MeetingFile:
        return MeetingFile(
            key=self.scan_key, content_type=self.scan_content_type, size_bytes=self.scan_size
        )


def _decision(row: Sequence[Any]) -> MeetingBallotDecision:
    return MeetingBallotDecision(number=row[0], decision=Decision(row[1]))


def _scan(row: Sequence[Any]) -> MeetingFile:
    return MeetingFile(key=row[0], content_type=row[1], size_bytes=row[2])


class EntryByIdLoader(ByIdLoader[MeetingRegisterEntry]):
    query = reads.ENTRY_BY_ID
    convert = MeetingRegisterEntry.from_row


class EntriesOfMeetingLoader(PageLoader[MeetingRegisterEntry]):
    """A page of a meeting's register."""

    children = reads.ENTRIES_OF_MEETING
    convert = MeetingRegisterEntry.from_row


class DecisionsLoader(ListByKeyLoader[MeetingBallotDecision]):
    query = reads.DECISIONS
    convert = _decision


class ScansLoader(ListByKeyLoader[MeetingFile]):
    query = reads.BALLOT_SCANS
    convert = _scan


class PowerOfAttorneyByIdLoader(ByIdLoader[PowerOfAttorney]):
    query = reads.ATTORNEY_BY_ID
    convert = PowerOfAttorney.from_row


class AttorneysOfMeetingLoader(ListByKeyLoader[PowerOfAttorney]):
    query = reads.ATTORNEYS_OF_MEETING
    convert = PowerOfAttorney.from_row


class ViewerEntriesLoader(Loader[int, list[MeetingRegisterEntry]]):
    """The entries the viewer votes, per meeting: one statement a batch."""

    async def batch_load_fn(self, keys: list[int]) -> list[list[MeetingRegisterEntry]]:
        context = self.context
        viewer_id = context.require_viewer()
        grouped: dict[int, list[MeetingRegisterEntry]] = defaultdict(list)
        for row in await reads.entries_of_voter(self.db, keys, viewer_id, context.now):
            entry = MeetingRegisterEntry.from_row(row)
            grouped[entry.meeting_pk].append(entry)
        return [grouped.get(key, []) for key in keys]


async def entries_of_viewer(context: Context, meeting_pk: int) -> list[MeetingRegisterEntry]:
    return await ViewerEntriesLoader.of(context).load(meeting_pk)


async def attorneys_of(context: Context, meeting_pk: int) -> list[PowerOfAttorney]:
    attorneys = await AttorneysOfMeetingLoader.of(context).load(meeting_pk)
    return [a for a in await visible_only(context, list(attorneys)) if a is not None]


async def visible_entry(context: Context, entry_id: int) -> MeetingRegisterEntry | None:
    return await visible(context, await EntryByIdLoader.of(context).load(entry_id))


async def visible_attorney(context: Context, attorney_id: int) -> PowerOfAttorney | None:
    return await visible(context, await PowerOfAttorneyByIdLoader.of(context).load(attorney_id))


__all__ = [
    "MeetingBallot",
    "MeetingRef",
    "MeetingRegister",
    "MeetingRegisterEntry",
    "PowerOfAttorney",
    "attorneys_of",
    "entries_of_viewer",
    "register_of",
    "visible_attorney",
    "visible_entry",
]
