"""Why residents' mutations refuse: each mutation's error codes and error type."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.core.mutation import UserError


@strawberry.enum(description="Why a residency could not be confirmed.")
class ResidencyConfirmErrorCode(enum.Enum):
    INVALID_PAYER_CODE = strawberry.enum_value(
        "INVALID_PAYER_CODE",
        description="The payer code is not 10 digits.",
    )
    PAYER_CODE_NOT_FOUND = strawberry.enum_value(
        "PAYER_CODE_NOT_FOUND",
        description="No premise has this payer code.",
    )
    ALREADY_CONFIRMED = strawberry.enum_value(
        "ALREADY_CONFIRMED",
        description="The viewer already lives at that premise.",
    )


@strawberry.type(description="A reason `residencyConfirm` refused.")
class ResidencyConfirmError(UserError):
    code: ResidencyConfirmErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why an invitation could not be made.")
class GuestInvitationCreateErrorCode(enum.Enum):
    INVALID_TIME = strawberry.enum_value(
        "INVALID_TIME",
        description="The time span is empty, in the past or has no UTC offset.",
    )
    SPAN_TOO_LONG = strawberry.enum_value(
        "SPAN_TOO_LONG",
        description="Guest access lasts at most 365 days.",
    )
    TOO_MANY_INVITATIONS = strawberry.enum_value(
        "TOO_MANY_INVITATIONS",
        description="The premise has the most open invitations allowed.",
    )


@strawberry.type(description="A reason `guestInvitationCreate` refused.")
class GuestInvitationCreateError(UserError):
    code: GuestInvitationCreateErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why an invitation could not be accepted.")
class GuestInvitationAcceptErrorCode(enum.Enum):
    INVALID_CODE = strawberry.enum_value(
        "INVALID_CODE",
        description="No invitation has this code, or it can no longer be accepted (used, "
        "cancelled, past its time, or its grantor may no longer give guest access).",
    )
    SELF_GRANT = strawberry.enum_value(
        "SELF_GRANT",
        description="A user cannot be their own guest.",
    )
    ALREADY_HAS_ACCESS = strawberry.enum_value(
        "ALREADY_HAS_ACCESS",
        description="The viewer already lives at the premise.",
    )
    GRANT_ALREADY_ACTIVE = strawberry.enum_value(
        "GRANT_ALREADY_ACTIVE",
        description="The viewer already has overlapping guest access there.",
    )
    TOO_MANY_GUESTS = strawberry.enum_value(
        "TOO_MANY_GUESTS",
        description="The premise has the most active guest grants allowed.",
    )


@strawberry.type(description="A reason `guestInvitationAccept` refused.")
class GuestInvitationAcceptError(UserError):
    code: GuestInvitationAcceptErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why an invitation could not be cancelled.")
class GuestInvitationCancelErrorCode(enum.Enum):
    ALREADY_ACCEPTED = strawberry.enum_value(
        "ALREADY_ACCEPTED",
        description="A guest has accepted it (revoke the grant instead).",
    )
    ALREADY_CANCELLED = strawberry.enum_value(
        "ALREADY_CANCELLED",
        description="It was cancelled before.",
    )


@strawberry.type(description="A reason `guestInvitationCancel` refused.")
class GuestInvitationCancelError(UserError):
    code: GuestInvitationCancelErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why guest access could not be revoked.")
class GuestAccessRevokeErrorCode(enum.Enum):
    ALREADY_REVOKED = strawberry.enum_value(
        "ALREADY_REVOKED",
        description="The grant was revoked before.",
    )
    ALREADY_EXPIRED = strawberry.enum_value("ALREADY_EXPIRED", description="The grant has expired.")


@strawberry.type(description="A reason `guestAccessRevoke` refused.")
class GuestAccessRevokeError(UserError):
    code: GuestAccessRevokeErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why the profile could not be updated.")
class ProfileUpdateErrorCode(enum.Enum):
    REQUIRED = strawberry.enum_value("REQUIRED", description="The value must not be empty.")
    TOO_LONG = strawberry.enum_value("TOO_LONG", description="The value is too long.")
    INVALID = strawberry.enum_value("INVALID", description="The value contains control characters.")
    INVALID_PHONE = strawberry.enum_value(
        "INVALID_PHONE",
        description="Not a phone number in international form.",
    )
    INVALID_EMAIL = strawberry.enum_value("INVALID_EMAIL", description="Not an e-mail address.")
    INVALID_LOCALE = strawberry.enum_value(
        "INVALID_LOCALE", description="Not a supported language (ru or en)."
    )


@strawberry.type(description="A reason `profileUpdate` refused.")
class ProfileUpdateError(UserError):
    code: ProfileUpdateErrorCode = strawberry.field(description="Machine-readable reason.")
