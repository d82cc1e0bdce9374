"""Moved to :mod:`edom_graphql.core.mutation` (kept only while the domains move)."""

from edom_graphql.core.mutation import (
    MutationInput,
    Payload,
    UserError,
    Work,
    commit,
    user_errors_field,
)

__all__ = ["MutationInput", "Payload", "UserError", "Work", "commit", "user_errors_field"]
