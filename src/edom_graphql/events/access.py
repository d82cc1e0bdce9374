"""Who may see an event: events are city-wide, every signed-in viewer sees them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edom_graphql.core.context import Context

if TYPE_CHECKING:
    from edom_graphql.events.types import Event


def event_visible(context: Context, event: Event) -> bool:
    return context.viewer_id is not None
