"""Why listing mutations refuse: each mutation's error codes and error type."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.core.mutation import UserError
from edom_graphql.core.photos import PHOTO_ERROR_CODES
from edom_graphql.listings.models import (
    MAX_BODY_LENGTH,
    MAX_PRICE_KOPECKS,
    MAX_REASON_LENGTH,
    MAX_TITLE_LENGTH,
)

BLANK = "The title or the body is empty."
TOO_LONG = (
    f"The title is longer than {MAX_TITLE_LENGTH} characters or the body longer "
    f"than {MAX_BODY_LENGTH}."
)
NEGATIVE_PRICE = "The price is below zero."
PRICE_TOO_HIGH = f"The price is above {MAX_PRICE_KOPECKS} kopecks."
PRICE_NOT_ALLOWED = "Free categories (GIVE_AWAY, LOST_PET, FOUND_PET) carry no price."
NOT_AUTHOR = "Only the listing's author may do this."
NOT_ACTIVE = "The listing is closed or removed."
TOO_MANY_PHOTOS = PHOTO_ERROR_CODES["TOO_MANY_PHOTOS"]
PHOTO_TOO_LARGE = PHOTO_ERROR_CODES["PHOTO_TOO_LARGE"]
UNSUPPORTED_PHOTO = PHOTO_ERROR_CODES["UNSUPPORTED_PHOTO"]


@strawberry.enum(description="Why a listing could not be posted.")
class ListingCreateErrorCode(enum.Enum):
    BLANK = strawberry.enum_value("BLANK", description=BLANK)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=TOO_LONG)
    NEGATIVE_PRICE = strawberry.enum_value("NEGATIVE_PRICE", description=NEGATIVE_PRICE)
    PRICE_TOO_HIGH = strawberry.enum_value("PRICE_TOO_HIGH", description=PRICE_TOO_HIGH)
    PRICE_NOT_ALLOWED = strawberry.enum_value("PRICE_NOT_ALLOWED", description=PRICE_NOT_ALLOWED)
    TOO_MANY_PHOTOS = strawberry.enum_value("TOO_MANY_PHOTOS", description=TOO_MANY_PHOTOS)
    PHOTO_TOO_LARGE = strawberry.enum_value("PHOTO_TOO_LARGE", description=PHOTO_TOO_LARGE)
    UNSUPPORTED_PHOTO = strawberry.enum_value("UNSUPPORTED_PHOTO", description=UNSUPPORTED_PHOTO)


@strawberry.type(description="A reason `listingCreate` refused.")
class ListingCreateError(UserError):
    code: ListingCreateErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a listing could not be changed.")
class ListingUpdateErrorCode(enum.Enum):
    BLANK = strawberry.enum_value("BLANK", description=BLANK)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=TOO_LONG)
    NEGATIVE_PRICE = strawberry.enum_value("NEGATIVE_PRICE", description=NEGATIVE_PRICE)
    PRICE_TOO_HIGH = strawberry.enum_value("PRICE_TOO_HIGH", description=PRICE_TOO_HIGH)
    PRICE_NOT_ALLOWED = strawberry.enum_value("PRICE_NOT_ALLOWED", description=PRICE_NOT_ALLOWED)
    NOT_AUTHOR = strawberry.enum_value("NOT_AUTHOR", description=NOT_AUTHOR)
    NOT_ACTIVE = strawberry.enum_value("NOT_ACTIVE", description=NOT_ACTIVE)
    TOO_MANY_PHOTOS = strawberry.enum_value("TOO_MANY_PHOTOS", description=TOO_MANY_PHOTOS)
    PHOTO_TOO_LARGE = strawberry.enum_value("PHOTO_TOO_LARGE", description=PHOTO_TOO_LARGE)
    UNSUPPORTED_PHOTO = strawberry.enum_value("UNSUPPORTED_PHOTO", description=UNSUPPORTED_PHOTO)
    UNKNOWN_PHOTO = strawberry.enum_value(
        "UNKNOWN_PHOTO", description="A photo to remove is not one of the listing's."
    )


@strawberry.type(description="A reason `listingUpdate` refused.")
class ListingUpdateError(UserError):
    code: ListingUpdateErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a listing could not be closed.")
class ListingCloseErrorCode(enum.Enum):
    NOT_AUTHOR = strawberry.enum_value("NOT_AUTHOR", description=NOT_AUTHOR)
    NOT_ACTIVE = strawberry.enum_value("NOT_ACTIVE", description=NOT_ACTIVE)


@strawberry.type(description="A reason `listingClose` refused.")
class ListingCloseError(UserError):
    code: ListingCloseErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a listing could not be removed.")
class ListingRemoveErrorCode(enum.Enum):
    BLANK = strawberry.enum_value("BLANK", description="The reason is empty.")
    TOO_LONG = strawberry.enum_value(
        "TOO_LONG", description=f"The reason is longer than {MAX_REASON_LENGTH} characters."
    )
    ALREADY_REMOVED = strawberry.enum_value(
        "ALREADY_REMOVED", description="The listing has already been removed."
    )


@strawberry.type(description="A reason `listingRemove` refused.")
class ListingRemoveError(UserError):
    code: ListingRemoveErrorCode = strawberry.field(description="Machine-readable reason.")
