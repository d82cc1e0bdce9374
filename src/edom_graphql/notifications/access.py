"""Who may see a notification: its recipient, nobody else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edom_graphql.core.context import Context

if TYPE_CHECKING:
    from edom_graphql.notifications.types import Notification


def notification_visible(context: Context, notification: Notification) -> bool:
    return notification.user_pk == context.viewer_id
