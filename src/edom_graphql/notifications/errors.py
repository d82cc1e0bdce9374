"""Why notification mutations refuse."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.core.mutation import UserError

MAX_MARK_READ = 100


@strawberry.enum(description="Why notifications could not be marked read.")
class NotificationMarkReadErrorCode(enum.Enum):
    NOTHING_SELECTED = strawberry.enum_value(
        "NOTHING_SELECTED", description="Give `ids` or set `all`."
    )
    TOO_MANY_IDS = strawberry.enum_value(
        "TOO_MANY_IDS", description=f"At most {MAX_MARK_READ} ids at once."
    )
    INVALID_ID = strawberry.enum_value("INVALID_ID", description="An id is not a notification id.")


@strawberry.type(description="A reason `notificationMarkRead` refused.")
class NotificationMarkReadError(UserError):
    code: NotificationMarkReadErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a device could not be registered.")
class DeviceRegisterErrorCode(enum.Enum):
    INVALID_ENDPOINT = strawberry.enum_value(
        "INVALID_ENDPOINT", description="A Web Push endpoint must be an https URL."
    )
    INVALID_KEYS = strawberry.enum_value(
        "INVALID_KEYS",
        description="Web Push needs `keys.p256dh` (a P-256 public key, 65 bytes) and "
        "`keys.auth` (16 bytes), both base64url; FCM and APNs take no keys.",
    )
    INVALID_TOKEN = strawberry.enum_value(
        "INVALID_TOKEN",
        description="An FCM registration token (32–4096 characters) or an APNs device token "
        "(64–200 hexadecimal digits) is required.",
    )
    INVALID_NAME = strawberry.enum_value(
        "INVALID_NAME", description="A device name has at most 80 printable characters."
    )
    TOO_MANY_DEVICES = strawberry.enum_value(
        "TOO_MANY_DEVICES", description="At most 20 devices per user; remove one first."
    )


@strawberry.type(description="A reason `deviceRegister` refused.")
class DeviceRegisterError(UserError):
    code: DeviceRegisterErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a device could not be removed.")
class DeviceRemoveErrorCode(enum.Enum):
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="No such device of the viewer's (or not a device id)."
    )


@strawberry.type(description="A reason `deviceRemove` refused.")
class DeviceRemoveError(UserError):
    code: DeviceRemoveErrorCode = strawberry.field(description="Machine-readable reason.")
