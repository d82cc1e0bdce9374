"""Why notice mutations refuse: each mutation's error codes and error type."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.core.mutation import UserError
from edom_graphql.notices.models import MAX_TEXT_LENGTH, MAX_TITLE_LENGTH
from edom_graphql.notices.service import MAX_OUTAGE_DAYS, MAX_WINDOW_DAYS


@strawberry.enum(description="Why a notice could not be posted.")
class NoticePostErrorCode(enum.Enum):
    BLANK = strawberry.enum_value("BLANK", description="The title or the text is empty.")
    TOO_LONG = strawberry.enum_value(
        "TOO_LONG",
        description=f"The title is longer than {MAX_TITLE_LENGTH} characters or the text "
        f"longer than {MAX_TEXT_LENGTH}.",
    )
    WINDOW_END_BEFORE_START = strawberry.enum_value(
        "WINDOW_END_BEFORE_START", description="`visibleUntil` is not after `visibleFrom`."
    )
    WINDOW_TOO_LONG = strawberry.enum_value(
        "WINDOW_TOO_LONG", description=f"A notice is visible at most {MAX_WINDOW_DAYS} days."
    )
    WINDOW_IN_PAST = strawberry.enum_value(
        "WINDOW_IN_PAST", description="`visibleUntil` has passed: the notice would never be seen."
    )
    OUTAGE_NOT_ALLOWED = strawberry.enum_value(
        "OUTAGE_NOT_ALLOWED",
        description="An outage period was given for a category that is not an outage.",
    )
    OUTAGE_INCOMPLETE = strawberry.enum_value(
        "OUTAGE_INCOMPLETE", description="An outage period needs both its start and its end."
    )
    OUTAGE_END_BEFORE_START = strawberry.enum_value(
        "OUTAGE_END_BEFORE_START", description="`outageEnd` is not after `outageStart`."
    )
    OUTAGE_TOO_LONG = strawberry.enum_value(
        "OUTAGE_TOO_LONG", description=f"An outage lasts at most {MAX_OUTAGE_DAYS} days."
    )
    UNKNOWN_ENTRANCE = strawberry.enum_value(
        "UNKNOWN_ENTRANCE", description="No premise of the building is in this entrance."
    )


@strawberry.type(description="A reason `noticePost` refused.")
class NoticePostError(UserError):
    code: NoticePostErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a notice could not be edited.")
class NoticeUpdateErrorCode(enum.Enum):
    BLANK = strawberry.enum_value("BLANK", description="The title or the text is empty.")
    TOO_LONG = strawberry.enum_value(
        "TOO_LONG",
        description=f"The title is longer than {MAX_TITLE_LENGTH} characters or the text "
        f"longer than {MAX_TEXT_LENGTH}.",
    )
    WINDOW_END_BEFORE_START = strawberry.enum_value(
        "WINDOW_END_BEFORE_START", description="`visibleUntil` is not after `visibleFrom`."
    )
    WINDOW_TOO_LONG = strawberry.enum_value(
        "WINDOW_TOO_LONG", description=f"A notice is visible at most {MAX_WINDOW_DAYS} days."
    )
    WINDOW_IN_PAST = strawberry.enum_value(
        "WINDOW_IN_PAST", description="`visibleUntil` has passed: the notice would never be seen."
    )
    OUTAGE_NOT_ALLOWED = strawberry.enum_value(
        "OUTAGE_NOT_ALLOWED",
        description="An outage period was given for a category that is not an outage.",
    )
    OUTAGE_INCOMPLETE = strawberry.enum_value(
        "OUTAGE_INCOMPLETE", description="An outage period needs both its start and its end."
    )
    OUTAGE_END_BEFORE_START = strawberry.enum_value(
        "OUTAGE_END_BEFORE_START", description="`outageEnd` is not after `outageStart`."
    )
    OUTAGE_TOO_LONG = strawberry.enum_value(
        "OUTAGE_TOO_LONG", description=f"An outage lasts at most {MAX_OUTAGE_DAYS} days."
    )
    UNKNOWN_ENTRANCE = strawberry.enum_value(
        "UNKNOWN_ENTRANCE", description="No premise of the building is in this entrance."
    )
    WITHDRAWN = strawberry.enum_value("WITHDRAWN", description="The notice has been withdrawn.")


@strawberry.type(description="A reason `noticeUpdate` refused.")
class NoticeUpdateError(UserError):
    code: NoticeUpdateErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a notice could not be withdrawn.")
class NoticeWithdrawErrorCode(enum.Enum):
    ALREADY_WITHDRAWN = strawberry.enum_value(
        "ALREADY_WITHDRAWN", description="The notice has been withdrawn already."
    )


@strawberry.type(description="A reason `noticeWithdraw` refused.")
class NoticeWithdrawError(UserError):
    code: NoticeWithdrawErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a notice category could not be muted or unmuted.")
class NoticeCategoryMuteErrorCode(enum.Enum):
    ALREADY_MUTED = strawberry.enum_value(
        "ALREADY_MUTED", description="The viewer has muted this category already."
    )
    NOT_MUTED = strawberry.enum_value(
        "NOT_MUTED", description="The viewer has not muted this category."
    )


@strawberry.type(description="A reason `noticeCategoryMute` or `noticeCategoryUnmute` refused.")
class NoticeCategoryMuteError(UserError):
    code: NoticeCategoryMuteErrorCode = strawberry.field(description="Machine-readable reason.")
