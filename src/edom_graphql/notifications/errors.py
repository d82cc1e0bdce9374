"""Why notification mutations refuse."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.core.mutation import UserError

MAX_MARK_READ = 100


@strawberry.enum(description="Why notifications could not be marked read.")
class NotificationMarkReadErrorCode(enum.Enum):
    NOTHING_SELECTED = strawberry.enum_value(
        "NOTHING_SELECTED", description="Give `ids` or set `all`."
    )
    TOO_MANY_IDS = strawberry.enum_value(
        "TOO_MANY_IDS", description=f"At most {MAX_MARK_READ} ids at once."
    )
    INVALID_ID = strawberry.enum_value("INVALID_ID", description="An id is not a notification id.")


@strawberry.type(description="A reason `notificationMarkRead` refused.")
class NotificationMarkReadError(UserError):
    code: NotificationMarkReadErrorCode = strawberry.field(description="Machine-readable reason.")
