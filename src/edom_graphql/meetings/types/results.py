"""A meeting's counts: the live tally and the protocol formed when voting ends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import strawberry

from edom_graphql.core.pagination import INT64, encode_cursor
from edom_graphql.meetings.models import MeetingState, Threshold
from edom_graphql.meetings.reads.tallies import Counted
from edom_graphql.meetings.service.tally import Tally, has_quorum
from edom_graphql.meetings.types.shared import MeetingFile, VoteShare, share

STATE_RANK = {
    MeetingState.DRAFT: 0,
    MeetingState.SCHEDULED: 1,
    MeetingState.CANCELLED: 2,
    MeetingState.VOTING: 3,
    MeetingState.COMPLETED: 4,
    MeetingState.FAILED: 4,
}
CURSOR_TYPES = (INT64, INT64)


@strawberry.type(description="The running totals of one question.")
class MeetingQuestionTotals:
    number: int = strawberry.field(description="The question's number on the agenda.")
    votes_for: VoteShare = strawberry.field(description="Votes FOR.")
    against: VoteShare = strawberry.field(description="Votes AGAINST.")
    abstain: VoteShare = strawberry.field(description="Abstentions.")
    adopted: bool | None = strawberry.field(
        description="Whether the question was adopted; null while voting runs."
    )


@strawberry.type(description="A meeting's turnout and, where the viewer may see them, totals.")
class MeetingTally:
    meeting_id: strawberry.ID = strawberry.field(description="The meeting counted.")
    state: MeetingState = strawberry.field(description="The meeting's state at this count.")
    cursor: str = strawberry.field(
        description="Position of this count: pass it as `after` to `meetingTally` to resume."
    )
    ballots: int = strawberry.field(description="Ownership records that have voted.")
    turnout: VoteShare = strawberry.field(description="The votes of the owners who took part.")
    quorum_reached: bool = strawberry.field(
        description="Owners holding more than half of all votes have taken part."
    )
    questions: list[MeetingQuestionTotals] | None = strawberry.field(
        description="Totals per question: during voting for its administrator and initiator "
        "only, for everyone who sees the meeting once voting has ended."
    )


@dataclass(frozen=True, slots=True)
class Question:
    """What a tally needs of a question."""

    pk: int
    number: int
    threshold: Threshold
    adopted: bool | None


def totals_of(tally: Tally, questions: Sequence[Question]) -> list[MeetingQuestionTotals]:
    base = tally.turnout
    return [
        MeetingQuestionTotals(
            number=question.number,
            votes_for=share(tally.of(question.pk).votes_for, base),
            against=share(tally.of(question.pk).against, base),
            abstain=share(tally.of(question.pk).abstain, base),
            adopted=question.adopted,
        )
        for question in questions
    ]


def tally_cursor(state: MeetingState, ballots: int) -> str:
    return encode_cursor((STATE_RANK[state], ballots))


def tally_value(
    *,
    meeting_id: strawberry.ID,
    state: MeetingState,
    counted: Counted,
    questions: Sequence[Question] | None,
) -> MeetingTally:
    tally = counted.tally
    return MeetingTally(
        meeting_id=meeting_id,
        state=state,
        cursor=tally_cursor(state, tally.ballots),
        ballots=tally.ballots,
        turnout=share(tally.turnout),
        quorum_reached=has_quorum(tally.turnout),
        questions=totals_of(tally, questions) if questions is not None else None,
    )


@strawberry.type(description="A question as the protocol records it.")
class MeetingProtocolQuestion:
    number: int = strawberry.field(description="Its number on the agenda.")
    title: str = strawberry.field(description="The question.")
    proposal: str = strawberry.field(description="The decision put to the vote.")
    threshold: Threshold = strawberry.field(description="The votes FOR it needed.")
    votes_for: VoteShare = strawberry.field(description="Votes FOR.")
    against: VoteShare = strawberry.field(description="Votes AGAINST.")
    abstain: VoteShare = strawberry.field(description="Abstentions.")
    adopted: bool = strawberry.field(description="The decision was taken.")


@strawberry.type(
    description="The protocol of a meeting, formed when voting ended; its document is a PDF "
    "(the register of voters is the register's annex)."
)
class MeetingProtocol:
    number: int = strawberry.field(description="The protocol's number (the meeting's).")
    formed_at: datetime = strawberry.field(description="When it was formed.")
    voting_started_at: datetime = strawberry.field(description="When voting started.")
    voting_ended_at: datetime = strawberry.field(description="When voting ended.")
    initiator: str = strawberry.field(
        description="Who initiated it: the owner's display name, or the organisation's name."
    )
    administrator: str = strawberry.field(
        description="Who administered it: the owner's display name, or the organisation's name."
    )
    total_area: str = strawberry.field(
        description="Area of all the building's premises, m² (a decimal string)."
    )
    turnout: VoteShare = strawberry.field(description="Votes of the owners who took part.")
    quorum: bool = strawberry.field(description="The meeting had a quorum.")
    questions: list[MeetingProtocolQuestion] = strawberry.field(
        description="Every question with its totals and outcome."
    )
    document: MeetingFile | None = strawberry.field(description="The protocol as a PDF.")
