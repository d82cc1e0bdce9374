"""Which notification kinds each mutable category covers.

A kind belongs to the first category one of whose prefixes it starts with; kinds of no
category (guest access, payments, points, meter reminders, moderation) cannot be muted.
The notices domain's per-category opt-out decides whether a notice notification is
written at all; a mute here only keeps written notifications off the user's phones.
"""

from __future__ import annotations

from edom_graphql.notifications.models import NotificationCategory

KIND_PREFIXES: dict[NotificationCategory, tuple[str, ...]] = {
    NotificationCategory.VEHICLE_CONTACT: ("VEHICLE_OWNER_CONTACT",),
    NotificationCategory.INTERCOM_CALL: ("INTERCOM_CALL",),
    NotificationCategory.DIRECT_MESSAGE: ("CHAT_MESSAGE",),
    NotificationCategory.MEETINGS: ("MEETING_",),
    NotificationCategory.REPAIRS: ("REPAIR_REQUEST_",),
    NotificationCategory.BUILDING_NOTICES: ("NOTICE_", "BUILDING_NOTICE"),
}
"""Exact kinds and kind prefixes (ending in ``_``) per category."""

NEVER_MUTED = ("CHAT_MESSAGE_REPORTED",)
"""Kinds that look like a category's but are for staff and are always pushed."""


def category_of(kind: str) -> NotificationCategory | None:
    """The category a notification kind belongs to, if it can be muted."""
    if kind in NEVER_MUTED:
        return None
    for category, prefixes in KIND_PREFIXES.items():
        for prefix in prefixes:
            if kind == prefix or (prefix.endswith("_") and kind.startswith(prefix)):
                return category
    return None
