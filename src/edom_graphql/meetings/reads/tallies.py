"""The grouped sums a meeting's tally is made of: turnout and decisions per share
denominator (exact integers), summed into fractions by :mod:`..service.tally`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Numeric, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import Loader, keys_param
from edom_graphql.meetings.models import (
    Decision,
    Meeting,
    MeetingBallot,
    MeetingDecision,
    MeetingRegisterEntry,
)
from edom_graphql.meetings.service.tally import Tally, tally_of


def _pairs(rows: Sequence[Any]) -> dict[int, int]:
    return {int(row[0]): int(row[1]) for row in rows}


_AREA_SHARES = func.sum(
    cast(MeetingRegisterEntry.area_centi, Numeric) * MeetingRegisterEntry.share_numerator
)
_TURNOUT_STATEMENT = (
    select(
        MeetingBallot.meeting_id,
        MeetingRegisterEntry.share_denominator,
        _AREA_SHARES,
        func.count(),
        func.max(MeetingBallot.id),
    )
    .join(MeetingRegisterEntry, MeetingRegisterEntry.id == MeetingBallot.entry_id)
    .where(MeetingBallot.meeting_id == keys_param())
    .group_by(MeetingBallot.meeting_id, MeetingRegisterEntry.share_denominator)
)
_DECIDED_STATEMENT = (
    select(
        MeetingDecision.meeting_id,
        MeetingDecision.question_id,
        MeetingDecision.decision,
        MeetingRegisterEntry.share_denominator,
        _AREA_SHARES,
    )
    .join(MeetingRegisterEntry, MeetingRegisterEntry.id == MeetingDecision.entry_id)
    .where(MeetingDecision.meeting_id == keys_param())
    .group_by(
        MeetingDecision.meeting_id,
        MeetingDecision.question_id,
        MeetingDecision.decision,
        MeetingRegisterEntry.share_denominator,
    )
)
_TURNOUT = Prepared(_TURNOUT_STATEMENT)
_DECIDED = Prepared(_DECIDED_STATEMENT)
_TOTALS = Prepared(
    select(Meeting.id, Meeting.total_area_centi).where(
        Meeting.id == keys_param(), Meeting.total_area_centi.is_not(None)
    )
)


@dataclass(frozen=True, slots=True)
class Counted:
    tally: Tally
    last_ballot_id: int
    """The newest ballot counted (0: none): the position of a tally in its stream."""


def _counted(
    totals: dict[int, int], turnout_rows: Sequence[Any], decided_rows: Sequence[Any]
) -> dict[int, Counted]:
    turnout: dict[int, list[tuple[int, int]]] = defaultdict(list)
    ballots: dict[int, int] = defaultdict(int)
    last: dict[int, int] = defaultdict(int)
    for meeting_id, denominator, area_shares, count, newest in turnout_rows:
        turnout[meeting_id].append((denominator, area_shares))
        ballots[meeting_id] += int(count)
        last[meeting_id] = max(last[meeting_id], int(newest))
    decided: dict[int, list[tuple[int, Decision, int, int]]] = defaultdict(list)
    for meeting_id, question_id, decision, denominator, area_shares in decided_rows:
        decided[meeting_id].append((question_id, Decision(decision), denominator, area_shares))
    return {
        meeting_id: Counted(
            tally_of(
                total_centi=total,
                ballots=ballots[meeting_id],
                turnout_groups=turnout[meeting_id],
                decision_groups=decided[meeting_id],
            ),
            last[meeting_id],
        )
        for meeting_id, total in totals.items()
    }


async def tallies(db: Database, meeting_ids: Sequence[int]) -> dict[int, Counted]:
    """The tally of each meeting whose register is fixed (three statements)."""
    totals = _pairs(await db.fetch(_TOTALS, keys=list(meeting_ids)))
    if not totals:
        return {}
    keys = list(totals)
    return _counted(
        totals, await db.fetch(_TURNOUT, keys=keys), await db.fetch(_DECIDED, keys=keys)
    )


async def tally_in(session: AsyncSession, meeting_id: int, total_centi: int) -> Counted:
    """The tally of a meeting, read in the caller's transaction (closing it)."""
    params = {"keys": [meeting_id]}
    turnout = (await session.execute(_TURNOUT_STATEMENT, params)).all()
    decided = (await session.execute(_DECIDED_STATEMENT, params)).all()
    return _counted({meeting_id: total_centi}, turnout, decided)[meeting_id]


class TallyLoader(Loader[int, Counted | None]):
    """The current tally of meetings (None before the register is fixed)."""

    async def batch_load_fn(self, keys: list[int]) -> list[Counted | None]:
        found = await tallies(self.db, keys)
        return [found.get(key) for key in keys]
