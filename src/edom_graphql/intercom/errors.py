"""Why the intercom's mutations refuse: their error codes and error types."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.core.mutation import UserError


@strawberry.enum(description="Why an intercom application was not made or moved.")
class IntercomApplicationErrorCode(enum.Enum):
    NOT_CAPABLE = strawberry.enum_value(
        "NOT_CAPABLE",
        description="The building does not meet the technical requirements for the smart "
        "intercom (`Building.intercomCapable` is false); the message says why.",
    )
    NO_ENTRANCE = strawberry.enum_value(
        "NO_ENTRANCE", description="The premise has no entrance to connect."
    )
    ALREADY_APPLIED = strawberry.enum_value(
        "ALREADY_APPLIED",
        description="The entrance already has an application under way or is connected.",
    )
    NOT_FOUND = strawberry.enum_value("NOT_FOUND", description="There is no such application.")
    WRONG_STATUS = strawberry.enum_value(
        "WRONG_STATUS", description="The application is not in the status this step needs."
    )
    REASON_REQUIRED = strawberry.enum_value(
        "REASON_REQUIRED", description="A rejection needs a reason."
    )
    REASON_TOO_LONG = strawberry.enum_value(
        "REASON_TOO_LONG", description="The reason is over 1,000 characters."
    )
    INVALID_PANEL = strawberry.enum_value(
        "INVALID_PANEL",
        description="A panel's name (1–100 characters), API URL (http(s)) or secret (16–200 "
        "characters) is not valid, or not 1–8 panels are given.",
    )


@strawberry.type(description="A reason an intercom application mutation refused.")
class IntercomApplicationError(UserError):
    code: IntercomApplicationErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a door was not asked to open.")
class IntercomDoorOpenErrorCode(enum.Enum):
    NOT_CONNECTED = strawberry.enum_value(
        "NOT_CONNECTED", description="The entrance has no panel (not connected)."
    )


@strawberry.type(description="A reason `intercomDoorOpen` refused.")
class IntercomDoorOpenError(UserError):
    code: IntercomDoorOpenErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why an entrance code was not made or revoked.")
class IntercomCodeErrorCode(enum.Enum):
    INVALID_DURATION = strawberry.enum_value(
        "INVALID_DURATION", description="Not either `hours` 1–24 or `permanent: true`."
    )
    TOO_MANY_CODES = strawberry.enum_value(
        "TOO_MANY_CODES", description="The premise has 10 active codes already."
    )
    WRONG_ENTRANCE = strawberry.enum_value(
        "WRONG_ENTRANCE", description="The premise is not in that entrance."
    )
    NOT_CONNECTED = strawberry.enum_value(
        "NOT_CONNECTED", description="The premise's entrance has no smart intercom."
    )
    NOT_ACTIVE = strawberry.enum_value(
        "NOT_ACTIVE", description="The code has expired or was revoked already."
    )
    DEVICE_OFFLINE = strawberry.enum_value(
        "DEVICE_OFFLINE",
        description="A panel of the entrance did not take the change: nothing was changed.",
    )
    TIMEOUT = strawberry.enum_value(
        "TIMEOUT",
        description="A panel of the entrance did not answer in time: nothing was changed.",
    )


@strawberry.type(description="A reason an entrance code mutation refused.")
class IntercomCodeError(UserError):
    code: IntercomCodeErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a call was not answered.")
class IntercomCallErrorCode(enum.Enum):
    NOT_RINGING = strawberry.enum_value(
        "NOT_RINGING", description="The call was answered by someone else, missed or ended."
    )


@strawberry.type(description="A reason `intercomCallAnswer` refused.")
class IntercomCallError(UserError):
    code: IntercomCallErrorCode = strawberry.field(description="Machine-readable reason.")
