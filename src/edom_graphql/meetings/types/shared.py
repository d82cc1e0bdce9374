"""Values shared by the meeting types: the enums, exact vote shares and stored files."""

from __future__ import annotations

from fractions import Fraction

import strawberry

from edom_graphql.core.enums import graphql_enum
from edom_graphql.meetings.models import (
    BallotChannel,
    Decision,
    MeetingState,
    QuestionKind,
    Threshold,
)
from edom_graphql.meetings.service.document import percent

graphql_enum(
    MeetingState,
    "Where an owners' meeting is in its life.",
    {
        MeetingState.DRAFT: "Being prepared; seen only by its initiator and administrator.",
        MeetingState.SCHEDULED: "Put to the owners (they were notified); voting has not started.",
        MeetingState.VOTING: "Voting runs; the register of owners is fixed.",
        MeetingState.COMPLETED: "Voting ended with a quorum; the protocol is formed.",
        MeetingState.FAILED: "Voting ended without a quorum: the meeting decided nothing.",
        MeetingState.CANCELLED: "Called off before voting started.",
    },
)
graphql_enum(
    QuestionKind,
    "What a question decides, where the Housing Code sets its threshold (art. 46 §1).",
    {
        QuestionKind.GENERAL: "Any other single decision; its threshold is chosen "
        "(MAJORITY_OF_VOTES_CAST by default).",
        QuestionKind.ADMINISTRATOR: "Who administers later meetings, how long their voting "
        "runs and where their paper decisions are accepted (MAJORITY_OF_VOTES_CAST).",
        QuestionKind.MANAGEMENT_METHOD: "The choice of the building's management method "
        "(MORE_THAN_HALF_OF_ALL).",
        QuestionKind.CAPITAL_REPAIR: "Capital repair of common property (TWO_THIRDS_OF_ALL).",
        QuestionKind.COMMON_PROPERTY_USE: "Use of common property by third parties "
        "(TWO_THIRDS_OF_ALL).",
        QuestionKind.COMMON_PROPERTY_ANNEX: "Reducing common property by annexing or "
        "reconstruction (UNANIMOUS).",
    },
)
graphql_enum(
    Threshold,
    "The votes FOR a question needs to be adopted.",
    {
        Threshold.MAJORITY_OF_VOTES_CAST: "More than half of the votes of the owners who took "
        "part (abstentions count in that base).",
        Threshold.MORE_THAN_HALF_OF_ALL: "More than half of the votes of all owners.",
        Threshold.TWO_THIRDS_OF_ALL: "At least two thirds of the votes of all owners.",
        Threshold.UNANIMOUS: "All votes of all owners.",
    },
)
graphql_enum(
    Decision,
    "An owner's decision on a question.",
    {Decision.FOR: "For.", Decision.AGAINST: "Against.", Decision.ABSTAIN: "Abstained."},
)
graphql_enum(
    BallotChannel,
    "How a ballot was cast.",
    {
        BallotChannel.ONLINE: "On the platform, by the owner or their representative.",
        BallotChannel.PAPER: "A paper decision the administrator received and entered.",
    },
)


@strawberry.type(
    description="A share of the building's votes, exact: all votes of all owners are 1."
)
class VoteShare:
    value: strawberry.Private[Fraction]
    cast_base: strawberry.Private[Fraction | None]

    @strawberry.field(description="Numerator of the exact fraction (a decimal integer).")
    def numerator(self) -> str:
        return str(self.value.numerator)

    @strawberry.field(description="Denominator of the exact fraction (a decimal integer).")
    def denominator(self) -> str:
        return str(self.value.denominator)

    @strawberry.field(description="Percent of all votes, rounded half up to 2 places.")
    def percent_of_all(self) -> str:
        return percent(self.value, Fraction(1))

    @strawberry.field(
        description="Percent of the votes of the owners who took part, rounded half up to "
        "2 places; null where that base does not apply."
    )
    def percent_of_cast(self) -> str | None:
        return None if self.cast_base is None else percent(self.value, self.cast_base)


def square_metres(centi: int) -> str:
    """Hundredths of m² as the decimal string premises use ("41.00")."""
    return f"{centi // 100}.{centi % 100:02d}"


def share(value: Fraction, cast_base: Fraction | None = None) -> VoteShare:
    return VoteShare(value=value, cast_base=cast_base)


@strawberry.type(description="A stored PDF or scan of a meeting.")
class MeetingFile:
    key: strawberry.Private[str]
    content_type: str = strawberry.field(
        description="Media type, read from the file's content: application/pdf, image/jpeg, "
        "image/png or image/webp."
    )
    size_bytes: int | None = strawberry.field(description="Size in bytes, where known.")

    @strawberry.field(
        description="Where to fetch it (a path on this server); send the same Authorization "
        "header as to the API."
    )
    def url(self) -> str:
        return f"/media/{self.key}"
