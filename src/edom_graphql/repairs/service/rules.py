"""The rules of repair requests: the state machine as data, deadlines, and what a
description, comment or rating must be.

The state machine lives in :data:`RULES` and nowhere else: for every action, the
statuses it may start from, the status it leads to, and who may take it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from edom_graphql.core.capabilities import StaffRole
from edom_graphql.core.errors import ServiceError
from edom_graphql.repairs.models import (
    LEGAL_DEADLINES,
    MAX_COMMENT_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MIN_DESCRIPTION_LENGTH,
    OPEN,
    RepairCategory,
    RepairRequestEventKind,
    RepairRequestStatus,
)

SIMILAR_LIMIT = 5
"""How many similar open requests are offered to join instead of filing a duplicate."""

S = RepairRequestStatus


class Role(enum.Enum):
    """How the actor relates to the request."""

    AUTHOR = "AUTHOR"
    FOLLOWER = "FOLLOWER"
    DISPATCHER = "DISPATCHER"
    MANAGER = "MANAGER"
    ENGINEER = "ENGINEER"
    ASSIGNEE = "ASSIGNEE"
    """An engineer of the organisation to whom the request is assigned."""
    SYSTEM = "SYSTEM"
    """The server itself (auto-close)."""


class Action(enum.Enum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    DEFER = "DEFER"
    ASSIGN = "ASSIGN"
    START = "START"
    COMPLETE = "COMPLETE"
    CANCEL = "CANCEL"
    CONFIRM = "CONFIRM"
    REOPEN = "REOPEN"
    RATE = "RATE"
    COMMENT = "COMMENT"
    AUTO_CLOSE = "AUTO_CLOSE"


class Comment(enum.Enum):
    NONE = "NONE"
    OPTIONAL = "OPTIONAL"
    REQUIRED = "REQUIRED"


@dataclass(frozen=True, slots=True)
class Rule:
    sources: frozenset[RepairRequestStatus]
    """The statuses the action may start from."""
    target: RepairRequestStatus | None
    """The status it leads to; None for actions that keep the status."""
    roles: frozenset[Role]
    """Who may take it."""
    kind: RepairRequestEventKind
    comment: Comment = Comment.OPTIONAL


_DESK = frozenset({Role.DISPATCHER, Role.MANAGER})
_STAFF = frozenset({Role.DISPATCHER, Role.MANAGER, Role.ENGINEER, Role.ASSIGNEE})
_AUTHOR = frozenset({Role.AUTHOR})
_CHANGED = RepairRequestEventKind.STATUS_CHANGED

RULES: dict[Action, Rule] = {
    # the organisation's desk (dispatchers and managers)
    Action.ACCEPT: Rule(frozenset({S.NEW}), S.ACCEPTED, _DESK, _CHANGED),
    Action.REJECT: Rule(
        frozenset({S.NEW, S.ACCEPTED}), S.REJECTED, _DESK, _CHANGED, Comment.REQUIRED
    ),
    Action.DEFER: Rule(
        frozenset({S.ACCEPTED, S.IN_PROGRESS, S.REOPENED}), S.DEFERRED, _DESK, _CHANGED
    ),
    Action.ASSIGN: Rule(
        frozenset({S.ACCEPTED, S.IN_PROGRESS, S.DEFERRED, S.REOPENED}),
        None,
        _DESK,
        RepairRequestEventKind.ASSIGNED,
    ),
    # the assigned engineer
    Action.START: Rule(
        frozenset({S.ACCEPTED, S.DEFERRED, S.REOPENED}),
        S.IN_PROGRESS,
        frozenset({Role.ASSIGNEE}),
        _CHANGED,
    ),
    Action.COMPLETE: Rule(
        frozenset({S.IN_PROGRESS}), S.DONE, frozenset({Role.ASSIGNEE}), _CHANGED, Comment.REQUIRED
    ),
    # the author
    Action.CANCEL: Rule(frozenset({S.NEW, S.ACCEPTED}), S.CANCELLED, _AUTHOR, _CHANGED),
    Action.CONFIRM: Rule(frozenset({S.DONE}), S.CLOSED, _AUTHOR, _CHANGED),
    Action.REOPEN: Rule(frozenset({S.DONE}), S.REOPENED, _AUTHOR, _CHANGED, Comment.REQUIRED),
    Action.RATE: Rule(frozenset({S.DONE, S.CLOSED}), None, _AUTHOR, RepairRequestEventKind.RATED),
    # the thread: author, followers and staff, while the request is not finished
    Action.COMMENT: Rule(
        frozenset(OPEN | {S.DONE}),
        None,
        _AUTHOR | {Role.FOLLOWER} | _STAFF,
        RepairRequestEventKind.COMMENTED,
        Comment.REQUIRED,
    ),
    # the server: DONE for 72 hours without a reaction
    Action.AUTO_CLOSE: Rule(frozenset({S.DONE}), S.CLOSED, frozenset({Role.SYSTEM}), _CHANGED),
}

STAFF_ROLES = {
    StaffRole.DISPATCHER: Role.DISPATCHER,
    StaffRole.MANAGER: Role.MANAGER,
    StaffRole.ENGINEER: Role.ENGINEER,
}
"""The role in a request that each staff role of its organisation gives."""


def may(action: Action, status: RepairRequestStatus, roles: frozenset[Role]) -> bool:
    """Whether someone with ``roles`` may take ``action`` on a request in ``status``."""
    rule = RULES[action]
    return status in rule.sources and bool(rule.roles & roles)


def due_at(category: RepairCategory, created_at: datetime) -> datetime | None:
    """The legal deadline of an emergency; None for other categories."""
    deadline = LEGAL_DEADLINES.get(category)
    return created_at + deadline if deadline is not None else None


def is_overdue(status: RepairRequestStatus, due: datetime | None, now: datetime) -> bool:
    """Past its legal deadline while someone still has work to do."""
    return due is not None and status in OPEN and now > due


# -- validation --------------------------------------------------------------------------


def _text(value: str, field: str, *, minimum: int, maximum: int, what: str) -> str:
    text = value.strip()
    if not text:
        raise ServiceError("BLANK", f"The {what} must not be empty.", [field])
    if len(text) < minimum:
        raise ServiceError("TOO_SHORT", f"The {what} has at least {minimum} characters.", [field])
    if len(text) > maximum:
        raise ServiceError("TOO_LONG", f"The {what} has at most {maximum} characters.", [field])
    return text


def validate_description(description: str) -> str:
    return _text(
        description,
        "description",
        minimum=MIN_DESCRIPTION_LENGTH,
        maximum=MAX_DESCRIPTION_LENGTH,
        what="description",
    )


def validate_comment(action: Action, comment: str | None, *, field: str = "comment") -> str | None:
    """The comment as stored (trimmed), or the rule it breaks."""
    need = RULES[action].comment
    if comment is None or not comment.strip():
        if need is Comment.REQUIRED:
            raise ServiceError("COMMENT_REQUIRED", f"Give a {field}.", [field])
        return None
    if need is Comment.NONE:
        return None
    return _text(comment, field, minimum=1, maximum=MAX_COMMENT_LENGTH, what=field)


def validate_rating(rating: int) -> int:
    if not 1 <= rating <= 5:
        raise ServiceError("INVALID_RATING", "A rating is 1 to 5.", ["rating"])
    return rating
