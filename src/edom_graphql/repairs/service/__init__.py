"""Business rules of repair requests: the state machine as data and the other rules
(``rules``), the history and its streams (``history``), filing (``filing``), the state
machine at work and auto-close (``transitions``), and joining (``joining``)."""

from edom_graphql.repairs.service.filing import NewRequest, check_new_request, create_request
from edom_graphql.repairs.service.history import (
    STREAM_LOCK_CLASS,
    building_channel,
    organisation_channel,
    request_channel,
)
from edom_graphql.repairs.service.joining import join_request
from edom_graphql.repairs.service.rules import (
    RULES,
    SIMILAR_LIMIT,
    Action,
    Comment,
    Role,
    Rule,
    due_at,
    is_overdue,
    may,
    validate_comment,
    validate_description,
    validate_rating,
)
from edom_graphql.repairs.service.transitions import (
    AUTO_CLOSE_BATCH,
    act,
    close_expired,
    roles_of,
)

__all__ = [
    "AUTO_CLOSE_BATCH",
    "RULES",
    "SIMILAR_LIMIT",
    "STREAM_LOCK_CLASS",
    "Action",
    "Comment",
    "NewRequest",
    "Role",
    "Rule",
    "act",
    "building_channel",
    "check_new_request",
    "close_expired",
    "create_request",
    "due_at",
    "is_overdue",
    "join_request",
    "may",
    "organisation_channel",
    "request_channel",
    "roles_of",
    "validate_comment",
    "validate_description",
    "validate_rating",
]
