"""Who may see a notification or a push device: its user, nobody else."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edom_graphql.core.context import Context

if TYPE_CHECKING:
    from edom_graphql.notifications.types import Device, Notification


def notification_visible(context: Context, notification: Notification) -> bool:
    return notification.user_pk == context.viewer_id


def device_visible(context: Context, device: Device) -> bool:
    return device.user_pk == context.viewer_id and not device.removed
