"""Why repair-request mutations refuse: each mutation's error codes and error type."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.core.mutation import UserError
from edom_graphql.core.photos import PHOTO_ERROR_CODES
from edom_graphql.repairs.models import (
    MAX_COMMENT_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MIN_DESCRIPTION_LENGTH,
)

VERSION_CONFLICT = "The request is no longer at `expectedVersion`: someone changed it."
ILLEGAL_TRANSITION = "The request's status does not allow this, or not by you."
COMMENT_TOO_LONG = f"The comment is longer than {MAX_COMMENT_LENGTH} characters."
COMMENT_REQUIRED = "The comment is empty."
REASON_REQUIRED = "The reason is empty."
REASON_TOO_LONG = f"The reason is longer than {MAX_COMMENT_LENGTH} characters."
TOO_MANY_PHOTOS = PHOTO_ERROR_CODES["TOO_MANY_PHOTOS"]
PHOTO_TOO_LARGE = PHOTO_ERROR_CODES["PHOTO_TOO_LARGE"]
UNSUPPORTED_PHOTO = PHOTO_ERROR_CODES["UNSUPPORTED_PHOTO"]


@strawberry.enum(description="Why `repairRequestCreate` refused.")
class RepairRequestCreateErrorCode(enum.Enum):
    BLANK = strawberry.enum_value("BLANK", description="The description is empty.")
    TOO_SHORT = strawberry.enum_value(
        "TOO_SHORT",
        description=f"The description is shorter than {MIN_DESCRIPTION_LENGTH} characters.",
    )
    TOO_LONG = strawberry.enum_value(
        "TOO_LONG",
        description=f"The description is longer than {MAX_DESCRIPTION_LENGTH} characters.",
    )
    PREMISE_REQUIRED = strawberry.enum_value(
        "PREMISE_REQUIRED", description="An APARTMENT request names no premise."
    )
    NOT_YOUR_PREMISE = strawberry.enum_value(
        "NOT_YOUR_PREMISE", description="The premise is not one of the viewer's in this building."
    )
    PREMISE_NOT_ALLOWED = strawberry.enum_value(
        "PREMISE_NOT_ALLOWED", description="A BUILDING or YARD request names a premise."
    )
    TOO_MANY_PHOTOS = strawberry.enum_value("TOO_MANY_PHOTOS", description=TOO_MANY_PHOTOS)
    PHOTO_TOO_LARGE = strawberry.enum_value("PHOTO_TOO_LARGE", description=PHOTO_TOO_LARGE)
    UNSUPPORTED_PHOTO = strawberry.enum_value("UNSUPPORTED_PHOTO", description=UNSUPPORTED_PHOTO)


@strawberry.type(description="A reason `repairRequestCreate` refused.")
class RepairRequestCreateError(UserError):
    code: RepairRequestCreateErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `repairRequestComment` refused.")
class RepairRequestCommentErrorCode(enum.Enum):
    ILLEGAL_TRANSITION = strawberry.enum_value(
        "ILLEGAL_TRANSITION",
        description="The request is finished, or the viewer is neither its author, "
        "a follower nor staff of its organisation.",
    )
    COMMENT_REQUIRED = strawberry.enum_value("COMMENT_REQUIRED", description=COMMENT_REQUIRED)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=COMMENT_TOO_LONG)


@strawberry.type(description="A reason `repairRequestComment` refused.")
class RepairRequestCommentError(UserError):
    code: RepairRequestCommentErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `repairRequestJoin` refused.")
class RepairRequestJoinErrorCode(enum.Enum):
    NOT_JOINABLE = strawberry.enum_value(
        "NOT_JOINABLE", description="Apartment requests cannot be joined."
    )
    OWN_REQUEST = strawberry.enum_value("OWN_REQUEST", description="The viewer filed this request.")
    ILLEGAL_TRANSITION = strawberry.enum_value(
        "ILLEGAL_TRANSITION", description="The request is no longer open (DONE or finished)."
    )


@strawberry.type(description="A reason `repairRequestJoin` refused.")
class RepairRequestJoinError(UserError):
    code: RepairRequestJoinErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `repairRequestCancel` refused.")
class RepairRequestCancelErrorCode(enum.Enum):
    VERSION_CONFLICT = strawberry.enum_value("VERSION_CONFLICT", description=VERSION_CONFLICT)
    ILLEGAL_TRANSITION = strawberry.enum_value("ILLEGAL_TRANSITION", description=ILLEGAL_TRANSITION)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=COMMENT_TOO_LONG)


@strawberry.type(description="A reason `repairRequestCancel` refused.")
class RepairRequestCancelError(UserError):
    code: RepairRequestCancelErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `repairRequestConfirm` refused.")
class RepairRequestConfirmErrorCode(enum.Enum):
    VERSION_CONFLICT = strawberry.enum_value("VERSION_CONFLICT", description=VERSION_CONFLICT)
    ILLEGAL_TRANSITION = strawberry.enum_value("ILLEGAL_TRANSITION", description=ILLEGAL_TRANSITION)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=COMMENT_TOO_LONG)


@strawberry.type(description="A reason `repairRequestConfirm` refused.")
class RepairRequestConfirmError(UserError):
    code: RepairRequestConfirmErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `repairRequestReopen` refused.")
class RepairRequestReopenErrorCode(enum.Enum):
    VERSION_CONFLICT = strawberry.enum_value("VERSION_CONFLICT", description=VERSION_CONFLICT)
    ILLEGAL_TRANSITION = strawberry.enum_value("ILLEGAL_TRANSITION", description=ILLEGAL_TRANSITION)
    COMMENT_REQUIRED = strawberry.enum_value("COMMENT_REQUIRED", description=COMMENT_REQUIRED)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=COMMENT_TOO_LONG)


@strawberry.type(description="A reason `repairRequestReopen` refused.")
class RepairRequestReopenError(UserError):
    code: RepairRequestReopenErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `repairRequestRate` refused.")
class RepairRequestRateErrorCode(enum.Enum):
    VERSION_CONFLICT = strawberry.enum_value("VERSION_CONFLICT", description=VERSION_CONFLICT)
    ILLEGAL_TRANSITION = strawberry.enum_value("ILLEGAL_TRANSITION", description=ILLEGAL_TRANSITION)
    INVALID_RATING = strawberry.enum_value(
        "INVALID_RATING", description="The rating is not 1 to 5."
    )
    ALREADY_RATED = strawberry.enum_value(
        "ALREADY_RATED", description="The viewer has rated this request before."
    )


@strawberry.type(description="A reason `repairRequestRate` refused.")
class RepairRequestRateError(UserError):
    code: RepairRequestRateErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `repairRequestAccept` refused.")
class RepairRequestAcceptErrorCode(enum.Enum):
    VERSION_CONFLICT = strawberry.enum_value("VERSION_CONFLICT", description=VERSION_CONFLICT)
    ILLEGAL_TRANSITION = strawberry.enum_value("ILLEGAL_TRANSITION", description=ILLEGAL_TRANSITION)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=COMMENT_TOO_LONG)


@strawberry.type(description="A reason `repairRequestAccept` refused.")
class RepairRequestAcceptError(UserError):
    code: RepairRequestAcceptErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `repairRequestReject` refused.")
class RepairRequestRejectErrorCode(enum.Enum):
    VERSION_CONFLICT = strawberry.enum_value("VERSION_CONFLICT", description=VERSION_CONFLICT)
    ILLEGAL_TRANSITION = strawberry.enum_value("ILLEGAL_TRANSITION", description=ILLEGAL_TRANSITION)
    COMMENT_REQUIRED = strawberry.enum_value("COMMENT_REQUIRED", description=REASON_REQUIRED)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=REASON_TOO_LONG)


@strawberry.type(description="A reason `repairRequestReject` refused.")
class RepairRequestRejectError(UserError):
    code: RepairRequestRejectErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `repairRequestDefer` refused.")
class RepairRequestDeferErrorCode(enum.Enum):
    VERSION_CONFLICT = strawberry.enum_value("VERSION_CONFLICT", description=VERSION_CONFLICT)
    ILLEGAL_TRANSITION = strawberry.enum_value("ILLEGAL_TRANSITION", description=ILLEGAL_TRANSITION)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=COMMENT_TOO_LONG)


@strawberry.type(description="A reason `repairRequestDefer` refused.")
class RepairRequestDeferError(UserError):
    code: RepairRequestDeferErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `repairRequestAssign` refused.")
class RepairRequestAssignErrorCode(enum.Enum):
    VERSION_CONFLICT = strawberry.enum_value("VERSION_CONFLICT", description=VERSION_CONFLICT)
    ILLEGAL_TRANSITION = strawberry.enum_value("ILLEGAL_TRANSITION", description=ILLEGAL_TRANSITION)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=COMMENT_TOO_LONG)
    NOT_AN_ENGINEER = strawberry.enum_value(
        "NOT_AN_ENGINEER",
        description="The assignee is not an engineer of the request's organisation.",
    )


@strawberry.type(description="A reason `repairRequestAssign` refused.")
class RepairRequestAssignError(UserError):
    code: RepairRequestAssignErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `repairRequestStart` refused.")
class RepairRequestStartErrorCode(enum.Enum):
    VERSION_CONFLICT = strawberry.enum_value("VERSION_CONFLICT", description=VERSION_CONFLICT)
    ILLEGAL_TRANSITION = strawberry.enum_value("ILLEGAL_TRANSITION", description=ILLEGAL_TRANSITION)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=COMMENT_TOO_LONG)


@strawberry.type(description="A reason `repairRequestStart` refused.")
class RepairRequestStartError(UserError):
    code: RepairRequestStartErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why `repairRequestComplete` refused.")
class RepairRequestCompleteErrorCode(enum.Enum):
    VERSION_CONFLICT = strawberry.enum_value("VERSION_CONFLICT", description=VERSION_CONFLICT)
    ILLEGAL_TRANSITION = strawberry.enum_value("ILLEGAL_TRANSITION", description=ILLEGAL_TRANSITION)
    COMMENT_REQUIRED = strawberry.enum_value("COMMENT_REQUIRED", description=COMMENT_REQUIRED)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=COMMENT_TOO_LONG)


@strawberry.type(description="A reason `repairRequestComplete` refused.")
class RepairRequestCompleteError(UserError):
    code: RepairRequestCompleteErrorCode = strawberry.field(description="Machine-readable reason.")
