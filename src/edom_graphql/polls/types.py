"""GraphQL types of polls."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry

from edom_graphql.buildings.types import Building, BuildingByIdLoader
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import Loader, later
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import After, Connection, First, build_connection, page_request
from edom_graphql.core.permissions import requires
from edom_graphql.polls import access, reads
from edom_graphql.polls.models import PollResultsVisibility
from edom_graphql.polls.reads import Totals, TotalsLoader

graphql_enum(
    PollResultsVisibility,
    "When voters may see a poll's results.",
    {
        PollResultsVisibility.AFTER_VOTE: "Once they have voted (and to everyone once it closes).",
        PollResultsVisibility.AFTER_CLOSE: "Only once the poll has closed.",
    },
)


@strawberry.type(description="One of a poll's answers.")
class PollOption:
    pk: strawberry.Private[int]
    id: strawberry.ID = strawberry.field(description="Opaque id: pass it to `pollVote`.")
    text: str = strawberry.field(description="The answer's text.")
    position: int = strawberry.field(description="Place in the poll's order, from 1.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> PollOption:
        """Of ``(id, poll_id, position, text)``."""
        return cls(
            pk=row[0],
            id=strawberry.ID(encode_id("PollOption", row[0])),
            position=row[2],
            text=row[3],
        )


@strawberry.type(description="How many votes an option has.")
class PollOptionResult:
    option: PollOption = strawberry.field(description="The option.")
    votes: int = strawberry.field(description="Ballots that chose it.")


@strawberry.type(description="A poll's counts at one moment.")
class PollResults:
    poll_id: strawberry.ID = strawberry.field(description="The poll counted.")
    ballots: int = strawberry.field(
        description="How many users voted (on a multiple-choice poll, one ballot may choose "
        "several options)."
    )
    options: list[PollOptionResult] = strawberry.field(
        description="Votes per option, in the poll's order."
    )


@strawberry.type(description="A non-binding poll of a building's residents.")
class Poll(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    author_pk: strawberry.Private[int]
    voted: strawberry.Private[bool]
    question: str = strawberry.field(description="What is asked.")
    options: list[PollOption] = strawberry.field(description="The answers, in order.")
    multiple_choice: bool = strawberry.field(
        description="A voter may choose several options (otherwise exactly one)."
    )
    results_visibility: PollResultsVisibility = strawberry.field(
        description="When voters may see the results."
    )
    closes_at: datetime = strawberry.field(description="When voting ends.")
    created_at: datetime = strawberry.field(description="When the poll was created.")

    @classmethod
    def from_row(cls, row: Sequence[Any], options: list[PollOption], voted: bool) -> Poll:
        """Of a row of ``reads.POLL_COLUMNS``, its options and whether the viewer voted."""
        return cls(
            id=strawberry.ID(encode_id("Poll", row[0])),
            pk=row[0],
            building_pk=row[1],
            author_pk=row[2],
            question=row[3],
            multiple_choice=row[4],
            results_visibility=PollResultsVisibility(row[5]),
            closes_at=row[6],
            created_at=row[7],
            options=options,
            voted=voted,
        )

    @staticmethod
    def sort_key(poll: Poll) -> tuple[int]:
        return (poll.pk,)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Poll | None]:
        return await PollByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Poll) -> Verdict:
        return access.poll_visible(context, node)

    @strawberry.field(description="The building the poll is in.")
    def building(self, info: AppInfo) -> Building:
        return later(BuildingByIdLoader.of(info.context).load(self.building_pk))

    @strawberry.field(description="Voting is still possible (the poll has not closed).")
    def is_open(self, info: AppInfo) -> bool:
        return self.closes_at > info.context.now

    @strawberry.field(description="The viewer has voted in this poll.")
    def viewer_has_voted(self) -> bool:
        return self.voted

    @strawberry.field(
        description="The viewer may vote now: the poll is open, they have not voted and "
        "they may vote in polls of the building."
    )
    async def viewer_can_vote(self, info: AppInfo) -> bool:
        context = info.context
        return (
            self.closes_at > context.now
            and not self.voted
            and await context.can(Capability.POLL_VOTE, building_id=self.building_pk)
        )

    @strawberry.field(
        description="Votes per option; null while hidden from the viewer: with `AFTER_VOTE` "
        "until they vote, with `AFTER_CLOSE` until the poll closes. The author and the "
        "building's staff always see them."
    )
    async def results(self, info: AppInfo) -> PollResults | None:
        if not await access.results_visible(info.context, self):
            return None
        return await results_of(info.context, self)


async def results_of(context: Context, poll: Poll) -> PollResults:
    totals = await TotalsLoader.of(context).load(poll.pk)
    return results_from(poll, totals)


def results_from(poll: Poll, totals: Totals) -> PollResults:
    votes = dict(totals.votes)
    return PollResults(
        poll_id=poll.id,
        ballots=totals.ballots,
        options=[
            PollOptionResult(option=option, votes=votes.get(option.pk, 0))
            for option in poll.options
        ],
    )


@strawberry.type(description="A page of polls, newest first.")
class PollConnection(Connection[Poll]):
    pass


async def polls_from_rows(context: Context, rows: Sequence[Any]) -> list[Poll]:
    """Polls of the given rows with their options and the viewer's ballots (two statements)."""
    if not rows:
        return []
    pks = [row[0] for row in rows]
    options: dict[int, list[PollOption]] = {pk: [] for pk in pks}
    for option in await reads.options_of(context.db, pks):
        options[option[1]].append(PollOption.from_row(option))
    voted = await reads.voted_in(context.db, context.viewer_id, pks)
    return [Poll.from_row(row, options[row[0]], row[0] in voted) for row in rows]


class PollByIdLoader(Loader[int, Poll | None]):
    """Polls by id with their options and the viewer's ballots: three statements a batch."""

    async def batch_load_fn(self, keys: list[int]) -> list[Poll | None]:
        rows = await reads.polls_by_id(self.db, keys)
        found = {poll.pk: poll for poll in await polls_from_rows(self.context, rows)}
        return [found.get(key) for key in keys]


async def polls_of(
    info: AppInfo, building_id: int, *, first: int, after: str | None, open_: bool | None
) -> PollConnection:
    """A page of a building's polls, newest first (``Building.polls``)."""
    context = info.context
    page = page_request(first, after, types=(int,))
    rows = await reads.page_of(context.db, building_id, page, open_=open_, now=context.now)
    connection = build_connection(await polls_from_rows(context, rows), page, Poll.sort_key)
    return PollConnection(edges=connection.edges, page_info=connection.page_info)


@strawberry.type
class BuildingPolls:
    """``Building.polls``."""

    @requires(Capability.NOTICES_VIEW, description="The building's polls, newest first.")
    async def polls(
        self: Building,
        info: AppInfo,
        first: First,
        after: After = None,
        open: Annotated[
            bool | None,
            strawberry.argument(
                description="Only open polls (true) or only closed ones (false); all if omitted."
            ),
        ] = None,
    ) -> PollConnection | None:
        return await polls_of(info, self.pk, first=first, after=after, open_=open)
