"""Why meeting mutations refuse: each mutation's error codes and error type."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.core.mutation import UserError
from edom_graphql.meetings.service.agenda import (
    DAYS_OF_NOTICE,
    DAYS_TO_ADMINISTRATOR,
    MAX_QUESTIONS,
    MAX_VOTING_DAYS,
    MIN_VOTING_DAYS,
)

BLANK = "A required text is empty."
TOO_LONG = "A text is longer than its limit."
EMPTY_AGENDA = "The agenda has no question."
TOO_MANY_QUESTIONS = f"The agenda has more than {MAX_QUESTIONS} questions."
VAGUE_QUESTION = "A question decides nothing in particular (“разное”, “other”, “etc.”)."
BUNDLED_QUESTION = "A question puts several decisions to one vote."
DUPLICATE_QUESTION = "The same question is asked twice."
THRESHOLD_OF_KIND = "The threshold given differs from the one the law sets for the question's kind."
ADMINISTRATOR_CANDIDATE = (
    "The administrator question must name one candidate (an owner of the building or the "
    "organisation), and only it."
)
TOO_SOON = f"Voting starts less than {DAYS_TO_ADMINISTRATOR} days from now."
VOTING_TOO_SHORT = f"Voting would last less than {MIN_VOTING_DAYS} days."
VOTING_TOO_LONG = f"Voting would last more than {MAX_VOTING_DAYS} days."
VOTING_PERIOD_AS_DECIDED = "The owners decided how long voting lasts, and this period differs."
NOT_AN_OWNER = "The person is not an owner in the building."
NOT_A_MANAGER = "The viewer is not a manager of the building's organisation."
TOO_MANY_FILES = "More files than allowed."
FILE_TOO_LARGE = "A file is larger than allowed."
UNSUPPORTED_FILE = "A file is not of an accepted type (judged by its content)."
NOT_ADMINISTRATOR = "The viewer does not administer this meeting."
NOT_A_DRAFT = "The meeting is not a draft."
TOO_LATE_TO_SCHEDULE = (
    f"Voting starts in less than {DAYS_OF_NOTICE} days: owners can no longer be notified in time."
)
ADMINISTRATOR_QUESTION_MISSING = (
    "The building's first meeting lacks the question of choosing the administrator."
)
VOTING_STARTED = "Voting has started (or the meeting has ended): it can no longer be cancelled."
NOT_VOTING = "The meeting is not open for voting."
VOTING_ENDED = "Voting has ended."
NOT_YOUR_OWNERSHIP = "The register entry is not the viewer's."
ATTORNEY_NOT_VALID = (
    "The power of attorney does not cover this owner, this representative, this meeting or "
    "this moment."
)
NOT_A_QUESTION = "A decision names no question of the meeting."
DUPLICATE_DECISION = "A question is decided twice."
MISSING_DECISION = "A question of the agenda is not decided."
ALREADY_VOTED = "The ownership record has already voted (online or on paper); a ballot is final."
RECEIVED_OUTSIDE_VOTING = (
    "The paper decision's receipt date is outside the voting period (or in the future)."
)
NOT_OPEN = "Powers of attorney are registered only for a scheduled meeting or during voting."
SELF_REPRESENTATION = "The principal and the representative are the same person."
INVALID_PERIOD = "The validity ends before it starts, or is already over."
UNKNOWN_USER = "The id names no user."


@strawberry.enum(description="Why `meetingCreate` refused.")
class MeetingCreateErrorCode(enum.Enum):
    BLANK = strawberry.enum_value("BLANK", description=BLANK)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=TOO_LONG)
    EMPTY_AGENDA = strawberry.enum_value("EMPTY_AGENDA", description=EMPTY_AGENDA)
    TOO_MANY_QUESTIONS = strawberry.enum_value("TOO_MANY_QUESTIONS", description=TOO_MANY_QUESTIONS)
    VAGUE_QUESTION = strawberry.enum_value("VAGUE_QUESTION", description=VAGUE_QUESTION)
    BUNDLED_QUESTION = strawberry.enum_value("BUNDLED_QUESTION", description=BUNDLED_QUESTION)
    DUPLICATE_QUESTION = strawberry.enum_value("DUPLICATE_QUESTION", description=DUPLICATE_QUESTION)
    THRESHOLD_OF_KIND = strawberry.enum_value("THRESHOLD_OF_KIND", description=THRESHOLD_OF_KIND)
    ADMINISTRATOR_CANDIDATE = strawberry.enum_value(
        "ADMINISTRATOR_CANDIDATE", description=ADMINISTRATOR_CANDIDATE
    )
    TOO_SOON = strawberry.enum_value("TOO_SOON", description=TOO_SOON)
    VOTING_TOO_SHORT = strawberry.enum_value("VOTING_TOO_SHORT", description=VOTING_TOO_SHORT)
    VOTING_TOO_LONG = strawberry.enum_value("VOTING_TOO_LONG", description=VOTING_TOO_LONG)
    VOTING_PERIOD_AS_DECIDED = strawberry.enum_value(
        "VOTING_PERIOD_AS_DECIDED", description=VOTING_PERIOD_AS_DECIDED
    )
    NOT_AN_OWNER = strawberry.enum_value("NOT_AN_OWNER", description=NOT_AN_OWNER)
    NOT_A_MANAGER = strawberry.enum_value("NOT_A_MANAGER", description=NOT_A_MANAGER)
    TOO_MANY_FILES = strawberry.enum_value("TOO_MANY_FILES", description=TOO_MANY_FILES)
    FILE_TOO_LARGE = strawberry.enum_value("FILE_TOO_LARGE", description=FILE_TOO_LARGE)
    UNSUPPORTED_FILE = strawberry.enum_value("UNSUPPORTED_FILE", description=UNSUPPORTED_FILE)


@strawberry.type(description="A reason `meetingCreate` refused.")
class MeetingCreateError(UserError):
    code: MeetingCreateErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `meetingSchedule` refused.")
class MeetingScheduleErrorCode(enum.Enum):
    NOT_ADMINISTRATOR = strawberry.enum_value("NOT_ADMINISTRATOR", description=NOT_ADMINISTRATOR)
    NOT_A_DRAFT = strawberry.enum_value("NOT_A_DRAFT", description=NOT_A_DRAFT)
    TOO_LATE_TO_SCHEDULE = strawberry.enum_value(
        "TOO_LATE_TO_SCHEDULE", description=TOO_LATE_TO_SCHEDULE
    )
    ADMINISTRATOR_QUESTION_MISSING = strawberry.enum_value(
        "ADMINISTRATOR_QUESTION_MISSING", description=ADMINISTRATOR_QUESTION_MISSING
    )


@strawberry.type(description="A reason `meetingSchedule` refused.")
class MeetingScheduleError(UserError):
    code: MeetingScheduleErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `meetingCancel` refused.")
class MeetingCancelErrorCode(enum.Enum):
    NOT_ADMINISTRATOR = strawberry.enum_value("NOT_ADMINISTRATOR", description=NOT_ADMINISTRATOR)
    VOTING_STARTED = strawberry.enum_value("VOTING_STARTED", description=VOTING_STARTED)
    BLANK = strawberry.enum_value("BLANK", description=BLANK)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=TOO_LONG)


@strawberry.type(description="A reason `meetingCancel` refused.")
class MeetingCancelError(UserError):
    code: MeetingCancelErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `meetingVoteCast` and `meetingVoteCastByAttorney` refused.")
class MeetingVoteErrorCode(enum.Enum):
    NOT_VOTING = strawberry.enum_value("NOT_VOTING", description=NOT_VOTING)
    VOTING_ENDED = strawberry.enum_value("VOTING_ENDED", description=VOTING_ENDED)
    NOT_YOUR_OWNERSHIP = strawberry.enum_value("NOT_YOUR_OWNERSHIP", description=NOT_YOUR_OWNERSHIP)
    ATTORNEY_NOT_VALID = strawberry.enum_value("ATTORNEY_NOT_VALID", description=ATTORNEY_NOT_VALID)
    NOT_A_QUESTION = strawberry.enum_value("NOT_A_QUESTION", description=NOT_A_QUESTION)
    DUPLICATE_DECISION = strawberry.enum_value("DUPLICATE_DECISION", description=DUPLICATE_DECISION)
    MISSING_DECISION = strawberry.enum_value("MISSING_DECISION", description=MISSING_DECISION)
    ALREADY_VOTED = strawberry.enum_value("ALREADY_VOTED", description=ALREADY_VOTED)


@strawberry.type(description="A reason `meetingVoteCast` and `meetingVoteCastByAttorney` refused.")
class MeetingVoteError(UserError):
    code: MeetingVoteErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `meetingPaperBallotEnter` refused.")
class MeetingPaperBallotErrorCode(enum.Enum):
    NOT_ADMINISTRATOR = strawberry.enum_value("NOT_ADMINISTRATOR", description=NOT_ADMINISTRATOR)
    NOT_VOTING = strawberry.enum_value("NOT_VOTING", description=NOT_VOTING)
    VOTING_ENDED = strawberry.enum_value("VOTING_ENDED", description=VOTING_ENDED)
    RECEIVED_OUTSIDE_VOTING = strawberry.enum_value(
        "RECEIVED_OUTSIDE_VOTING", description=RECEIVED_OUTSIDE_VOTING
    )
    ATTORNEY_NOT_VALID = strawberry.enum_value("ATTORNEY_NOT_VALID", description=ATTORNEY_NOT_VALID)
    NOT_A_QUESTION = strawberry.enum_value("NOT_A_QUESTION", description=NOT_A_QUESTION)
    DUPLICATE_DECISION = strawberry.enum_value("DUPLICATE_DECISION", description=DUPLICATE_DECISION)
    MISSING_DECISION = strawberry.enum_value("MISSING_DECISION", description=MISSING_DECISION)
    ALREADY_VOTED = strawberry.enum_value("ALREADY_VOTED", description=ALREADY_VOTED)
    FILE_TOO_LARGE = strawberry.enum_value("FILE_TOO_LARGE", description=FILE_TOO_LARGE)
    UNSUPPORTED_FILE = strawberry.enum_value("UNSUPPORTED_FILE", description=UNSUPPORTED_FILE)


@strawberry.type(description="A reason `meetingPaperBallotEnter` refused.")
class MeetingPaperBallotError(UserError):
    code: MeetingPaperBallotErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `powerOfAttorneyRegister` refused.")
class PowerOfAttorneyRegisterErrorCode(enum.Enum):
    NOT_ADMINISTRATOR = strawberry.enum_value("NOT_ADMINISTRATOR", description=NOT_ADMINISTRATOR)
    NOT_OPEN = strawberry.enum_value("NOT_OPEN", description=NOT_OPEN)
    BLANK = strawberry.enum_value("BLANK", description=BLANK)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=TOO_LONG)
    SELF_REPRESENTATION = strawberry.enum_value(
        "SELF_REPRESENTATION", description=SELF_REPRESENTATION
    )
    INVALID_PERIOD = strawberry.enum_value("INVALID_PERIOD", description=INVALID_PERIOD)
    NOT_AN_OWNER = strawberry.enum_value("NOT_AN_OWNER", description=NOT_AN_OWNER)
    UNKNOWN_USER = strawberry.enum_value("UNKNOWN_USER", description=UNKNOWN_USER)
    FILE_TOO_LARGE = strawberry.enum_value("FILE_TOO_LARGE", description=FILE_TOO_LARGE)
    UNSUPPORTED_FILE = strawberry.enum_value("UNSUPPORTED_FILE", description=UNSUPPORTED_FILE)


@strawberry.type(description="A reason `powerOfAttorneyRegister` refused.")
class PowerOfAttorneyRegisterError(UserError):
    code: PowerOfAttorneyRegisterErrorCode = strawberry.field(
        description="Machine-readable reason."
    )
