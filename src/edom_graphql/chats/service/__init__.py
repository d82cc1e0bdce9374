"""Business rules of chats: writing messages and read positions (``messages``),
moderation (``moderation``), direct chats (``direct``).

Who may write where is decided by :mod:`edom_graphql.chats.access` before these run.
"""

from edom_graphql.chats.service.direct import open_direct_chat
from edom_graphql.chats.service.messages import (
    CHAT_LOCK_CLASS,
    EXCERPT,
    SEND_LIMITS,
    Sent,
    append_event,
    channel,
    client_key_text,
    delete_message,
    edit_message,
    excerpt,
    mark_read,
    message_text,
    send_message,
)
from edom_graphql.chats.service.moderation import (
    moderators_of,
    reason_text,
    remove_message,
    report_message,
)

__all__ = [
    "CHAT_LOCK_CLASS",
    "EXCERPT",
    "SEND_LIMITS",
    "Sent",
    "append_event",
    "channel",
    "client_key_text",
    "delete_message",
    "edit_message",
    "excerpt",
    "mark_read",
    "message_text",
    "moderators_of",
    "open_direct_chat",
    "reason_text",
    "remove_message",
    "report_message",
    "send_message",
]
