"""Why poll mutations refuse: each mutation's error codes and error type."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.core.mutation import UserError
from edom_graphql.polls.models import MAX_OPTION_LENGTH, MAX_QUESTION_LENGTH
from edom_graphql.polls.service import MAX_OPEN_DAYS, MAX_OPTIONS, MIN_OPTIONS


@strawberry.enum(description="Why a poll could not be created.")
class PollCreateErrorCode(enum.Enum):
    TOO_FEW_OPTIONS = strawberry.enum_value(
        "TOO_FEW_OPTIONS", description=f"A poll has at least {MIN_OPTIONS} options."
    )
    TOO_MANY_OPTIONS = strawberry.enum_value(
        "TOO_MANY_OPTIONS", description=f"A poll has at most {MAX_OPTIONS} options."
    )
    DUPLICATE_OPTION = strawberry.enum_value(
        "DUPLICATE_OPTION", description="Two options are the same (ignoring case and spacing)."
    )
    BLANK = strawberry.enum_value("BLANK", description="The question or an option is empty.")
    TOO_LONG = strawberry.enum_value(
        "TOO_LONG",
        description=f"The question is longer than {MAX_QUESTION_LENGTH} characters or an "
        f"option longer than {MAX_OPTION_LENGTH}.",
    )
    INVALID_TIME = strawberry.enum_value(
        "INVALID_TIME", description="The closing time has no UTC offset."
    )
    CLOSES_IN_PAST = strawberry.enum_value(
        "CLOSES_IN_PAST", description="The closing time is not in the future."
    )
    CLOSES_TOO_LATE = strawberry.enum_value(
        "CLOSES_TOO_LATE", description=f"A poll stays open at most {MAX_OPEN_DAYS} days."
    )


@strawberry.type(description="A reason `pollCreate` refused.")
class PollCreateError(UserError):
    code: PollCreateErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a vote was not accepted.")
class PollVoteErrorCode(enum.Enum):
    POLL_CLOSED = strawberry.enum_value("POLL_CLOSED", description="The poll has closed.")
    ALREADY_VOTED = strawberry.enum_value(
        "ALREADY_VOTED", description="The viewer has voted in this poll before; a vote is final."
    )
    NOT_AN_OPTION = strawberry.enum_value(
        "NOT_AN_OPTION", description="An id is not an option of this poll."
    )
    ONE_CHOICE_ONLY = strawberry.enum_value(
        "ONE_CHOICE_ONLY",
        description="The poll is single-choice but several options were chosen.",
    )
    NO_CHOICE = strawberry.enum_value("NO_CHOICE", description="No option was chosen.")


@strawberry.type(description="A reason `pollVote` refused.")
class PollVoteError(UserError):
    code: PollVoteErrorCode = strawberry.field(description="Machine-readable reason.")
