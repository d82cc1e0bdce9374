"""Who may see a poll and its results."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import Context
from edom_graphql.core.nodes import Verdict
from edom_graphql.polls.models import PollResultsVisibility

if TYPE_CHECKING:
    from edom_graphql.polls.types import Poll


def poll_visible(context: Context, poll: Poll) -> Verdict:
    """A poll is visible to whoever sees its building."""
    return context.allows(Capability.BUILDING_VIEW, building_id=poll.building_pk)


async def results_visible(context: Context, poll: Poll) -> bool:
    """Everyone who sees a closed poll; before it closes, its author, the staff of the
    building's organisation and, with ``AFTER_VOTE``, those who have voted."""
    if poll.closes_at <= context.now or poll.author_pk == context.viewer_id:
        return True
    if poll.results_visibility is PollResultsVisibility.AFTER_VOTE and poll.voted:
        return True
    organisation_id = await context.gate.organisation_of(poll.building_pk)
    if organisation_id is None:
        return False
    return bool((await context.profile()).roles_in(organisation_id))
