"""Every read of polls: polls by id and by building, their options, the viewer's
ballots, and the counts of votes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select

from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery, Loader, keys_param
from edom_graphql.core.pagination import PageRequest, keyset_desc, page_params
from edom_graphql.polls.models import Poll, PollBallot, PollOption, PollVote

POLL_COLUMNS = select(
    Poll.id,
    Poll.building_id,
    Poll.author_id,
    Poll.question,
    Poll.multiple_choice,
    Poll.results_visibility,
    Poll.closes_at,
    Poll.created_at,
)
POLL_BY_ID = KeyedQuery(POLL_COLUMNS, Poll.id)
_BUILDINGS = Prepared(select(Poll.id, Poll.building_id).where(Poll.id == keys_param()))
_OPTIONS = Prepared(
    select(PollOption.id, PollOption.poll_id, PollOption.position, PollOption.text)
    .where(PollOption.poll_id == keys_param())
    .order_by(PollOption.poll_id, PollOption.position)
)
_VOTED = Prepared(
    select(PollBallot.poll_id).where(
        PollBallot.user_id == bindparam("user_id"), PollBallot.poll_id == keys_param()
    )
)


def _page(has_after: bool, open_: bool | None) -> Prepared:
    statement = POLL_COLUMNS.where(Poll.building_id == bindparam("building_id"))
    if open_ is True:
        statement = statement.where(Poll.closes_at > bindparam("now"))
    elif open_ is False:
        statement = statement.where(Poll.closes_at <= bindparam("now"))
    return Prepared(keyset_desc(statement, (Poll.id,), has_after=has_after))


_PAGES = {
    (has_after, open_): _page(has_after, open_)
    for has_after in (False, True)
    for open_ in (None, True, False)
}


async def polls_by_id(db: Database, poll_ids: Sequence[int]) -> Sequence[Any]:
    """The rows of the polls with these ids that exist (``POLL_COLUMNS``, then the id)."""
    return await POLL_BY_ID.rows(db, list(poll_ids))


async def page_of(
    db: Database, building_id: int, page: PageRequest, *, open_: bool | None, now: datetime
) -> Sequence[Any]:
    """A page of a building's polls, newest first; only open (or closed) ones at ``now``
    with ``open_`` True (False)."""
    params: dict[str, Any] = {"building_id": building_id, **page_params(page)}
    if open_ is not None:
        params["now"] = now
    return await db.fetch(_PAGES[(page.after is not None, open_)], **params)


async def options_of(db: Database, poll_ids: Sequence[int]) -> Sequence[Any]:
    """``(id, poll_id, position, text)`` of the options of these polls, in position order."""
    return await db.fetch(_OPTIONS, keys=list(poll_ids))


async def voted_in(db: Database, user_id: int | None, poll_ids: Sequence[int]) -> set[int]:
    """Those of these polls the user has a ballot in."""
    return {row[0] for row in await db.fetch(_VOTED, user_id=user_id, keys=list(poll_ids))}


class PollBuildingLoader(Loader[int, int | None]):
    """The building of each poll (None where there is no such poll)."""

    async def batch_load_fn(self, keys: list[int]) -> list[int | None]:
        found = {row[0]: int(row[1]) for row in await self.db.fetch(_BUILDINGS, keys=keys)}
        return [found.get(key) for key in keys]


# -- the counts ------------------------------------------------------------------------------

_BALLOTS = (
    select(func.count())
    .select_from(PollBallot)
    .where(PollBallot.poll_id == PollOption.poll_id)
    .scalar_subquery()
)
_TOTALS = Prepared(
    select(PollOption.poll_id, PollOption.id, func.count(PollVote.id), _BALLOTS)
    .select_from(PollOption)
    .outerjoin(PollVote, PollVote.option_id == PollOption.id)
    .where(PollOption.poll_id == keys_param())
    .group_by(PollOption.id)
    .order_by(PollOption.poll_id, PollOption.position)
)
"""Votes per option of some polls, in position order, each row with its poll's ballots."""


@dataclass(frozen=True, slots=True)
class Totals:
    ballots: int
    votes: tuple[tuple[int, int], ...]
    """(option id, votes) in position order."""


class TotalsLoader(Loader[int, Totals]):
    """The current counts of polls: one statement for all the polls of a batch."""

    async def batch_load_fn(self, keys: list[int]) -> list[Totals]:
        ballots: dict[int, int] = {}
        votes: dict[int, list[tuple[int, int]]] = defaultdict(list)
        for poll_id, option_id, count, poll_ballots in await self.db.fetch(_TOTALS, keys=keys):
            ballots[poll_id] = int(poll_ballots)
            votes[poll_id].append((option_id, int(count)))
        return [Totals(ballots.get(key, 0), tuple(votes.get(key, ()))) for key in keys]
