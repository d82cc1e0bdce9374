"""Why vehicle mutations refuse: each mutation's error codes and error type."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.core.mutation import UserError
from edom_graphql.vehicles.service import MAX_VEHICLES_PER_USER

INVALID_PLATE = "Not a plate number: 5–12 letters and digits once spaces and hyphens are dropped."


@strawberry.enum(description="Why a vehicle could not be added.")
class VehicleAddErrorCode(enum.Enum):
    INVALID_PLATE = strawberry.enum_value("INVALID_PLATE", description=INVALID_PLATE)
    ALREADY_ADDED = strawberry.enum_value(
        "ALREADY_ADDED", description="The viewer has already added this plate."
    )
    TOO_MANY_VEHICLES = strawberry.enum_value(
        "TOO_MANY_VEHICLES", description=f"A user has at most {MAX_VEHICLES_PER_USER} vehicles."
    )


@strawberry.type(description="A reason `vehicleAdd` refused.")
class VehicleAddError(UserError):
    code: VehicleAddErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a vehicle could not be removed.")
class VehicleRemoveErrorCode(enum.Enum):
    NOT_FOUND = strawberry.enum_value(
        "NOT_FOUND", description="The viewer has no vehicle with this id."
    )


@strawberry.type(description="A reason `vehicleRemove` refused.")
class VehicleRemoveError(UserError):
    code: VehicleRemoveErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a vehicle's owner could not be contacted.")
class VehicleOwnerContactErrorCode(enum.Enum):
    INVALID_PLATE = strawberry.enum_value("INVALID_PLATE", description=INVALID_PLATE)


@strawberry.type(description="A reason `vehicleOwnerContact` refused.")
class VehicleOwnerContactError(UserError):
    code: VehicleOwnerContactErrorCode = strawberry.field(description="Machine-readable reason.")
