"""Why chat mutations refuse: each mutation's error codes and error type.

A chat that does not exist and a chat the viewer is not a member of refuse alike
(``CHAT_NOT_FOUND``, ``MESSAGE_NOT_FOUND``): nobody can probe which chats exist.
"""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.chats.models import MAX_CLIENT_KEY_LENGTH, MAX_MESSAGE_LENGTH, MAX_REASON_LENGTH
from edom_graphql.core.mutation import UserError

CHAT_NOT_FOUND = "No such chat, or the viewer is not a member of it."
MESSAGE_NOT_FOUND = "No such message, or the viewer is not a member of its chat."
TEXT_BLANK = "The text is empty."
TEXT_TOO_LONG = f"The text is longer than {MAX_MESSAGE_LENGTH} characters."
NOT_AUTHOR = "Only the message's author may do this."
GONE = "The message was deleted or removed."
NOT_ALLOWED = (
    "The viewer is a member but may not write here now (a direct chat whose "
    "members no longer share a building)."
)
REASON_BLANK = "The reason is empty."
REASON_TOO_LONG = f"The reason is longer than {MAX_REASON_LENGTH} characters."


@strawberry.enum(description="Why a message could not be sent.")
class ChatMessageSendErrorCode(enum.Enum):
    CHAT_NOT_FOUND = strawberry.enum_value("CHAT_NOT_FOUND", description=CHAT_NOT_FOUND)
    NOT_ALLOWED = strawberry.enum_value("NOT_ALLOWED", description=NOT_ALLOWED)
    BLANK = strawberry.enum_value("BLANK", description=TEXT_BLANK)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=TEXT_TOO_LONG)
    INVALID_CLIENT_KEY = strawberry.enum_value(
        "INVALID_CLIENT_KEY",
        description=f"The client key is not 1–{MAX_CLIENT_KEY_LENGTH} printable characters.",
    )


@strawberry.type(description="A reason `chatMessageSend` refused.")
class ChatMessageSendError(UserError):
    code: ChatMessageSendErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a message could not be changed.")
class ChatMessageEditErrorCode(enum.Enum):
    MESSAGE_NOT_FOUND = strawberry.enum_value("MESSAGE_NOT_FOUND", description=MESSAGE_NOT_FOUND)
    NOT_ALLOWED = strawberry.enum_value("NOT_ALLOWED", description=NOT_ALLOWED)
    NOT_AUTHOR = strawberry.enum_value("NOT_AUTHOR", description=NOT_AUTHOR)
    GONE = strawberry.enum_value("GONE", description=GONE)
    BLANK = strawberry.enum_value("BLANK", description=TEXT_BLANK)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=TEXT_TOO_LONG)


@strawberry.type(description="A reason `chatMessageEdit` refused.")
class ChatMessageEditError(UserError):
    code: ChatMessageEditErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a message could not be deleted.")
class ChatMessageDeleteErrorCode(enum.Enum):
    MESSAGE_NOT_FOUND = strawberry.enum_value("MESSAGE_NOT_FOUND", description=MESSAGE_NOT_FOUND)
    NOT_AUTHOR = strawberry.enum_value("NOT_AUTHOR", description=NOT_AUTHOR)
    GONE = strawberry.enum_value("GONE", description=GONE)


@strawberry.type(description="A reason `chatMessageDelete` refused.")
class ChatMessageDeleteError(UserError):
    code: ChatMessageDeleteErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a message could not be removed.")
class ChatMessageRemoveErrorCode(enum.Enum):
    NOT_BUILDING_CHAT = strawberry.enum_value(
        "NOT_BUILDING_CHAT", description="Staff remove messages of building chats only."
    )
    GONE = strawberry.enum_value("GONE", description="The message was already deleted or removed.")
    BLANK = strawberry.enum_value("BLANK", description=REASON_BLANK)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=REASON_TOO_LONG)


@strawberry.type(description="A reason `chatMessageRemove` refused.")
class ChatMessageRemoveError(UserError):
    code: ChatMessageRemoveErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a message could not be reported.")
class ChatMessageReportErrorCode(enum.Enum):
    MESSAGE_NOT_FOUND = strawberry.enum_value("MESSAGE_NOT_FOUND", description=MESSAGE_NOT_FOUND)
    NOT_BUILDING_CHAT = strawberry.enum_value(
        "NOT_BUILDING_CHAT",
        description="Only messages of building chats are reported to moderators.",
    )
    OWN_MESSAGE = strawberry.enum_value("OWN_MESSAGE", description="The viewer wrote it.")
    GONE = strawberry.enum_value("GONE", description=GONE)
    BLANK = strawberry.enum_value("BLANK", description=REASON_BLANK)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=REASON_TOO_LONG)


@strawberry.type(description="A reason `chatMessageReport` refused.")
class ChatMessageReportError(UserError):
    code: ChatMessageReportErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why the read position could not be moved.")
class ChatMarkReadErrorCode(enum.Enum):
    CHAT_NOT_FOUND = strawberry.enum_value("CHAT_NOT_FOUND", description=CHAT_NOT_FOUND)
    NOT_FOUND = strawberry.enum_value("NOT_FOUND", description="The message is not in this chat.")


@strawberry.type(description="A reason `chatMarkRead` refused.")
class ChatMarkReadError(UserError):
    code: ChatMarkReadErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a direct chat could not be opened.")
class ChatDirectOpenErrorCode(enum.Enum):
    SELF = strawberry.enum_value("SELF", description="A direct chat needs another user.")
    NO_SHARED_BUILDING = strawberry.enum_value(
        "NO_SHARED_BUILDING",
        description="The two users do not share a building where both may chat directly "
        "(or there is no such user).",
    )


@strawberry.type(description="A reason `chatDirectOpen` refused.")
class ChatDirectOpenError(UserError):
    code: ChatDirectOpenErrorCode = strawberry.field(description="Machine-readable reason.")
