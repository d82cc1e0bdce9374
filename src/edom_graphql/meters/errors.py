"""Why meters' mutations refuse: each mutation's error codes and error type."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.core.mutation import UserError
from edom_graphql.meters.models import MAX_PRECISION, MAX_SERIAL_LENGTH
from edom_graphql.meters.service.meters import MAX_VERIFICATION_YEARS
from edom_graphql.meters.service.values import MAX_INPUT_LENGTH

# -- the descriptions the enums share ---------------------------------------------------

_WRONG_ZONES = "The readings are not exactly one per zone of the meter."
_NOT_A_NUMBER = (
    "A value is not a decimal number (ASCII digits, at most one point or comma, no sign or "
    "exponent)."
)
_NEGATIVE = "A value is negative."
_NOT_FINITE = "A value is NaN or an infinity."
_TOO_LONG = f"A value is longer than {MAX_INPUT_LENGTH} characters."
_TOO_LARGE = "A value has more than 10 digits before the decimal point."
_TOO_PRECISE = "A value has more decimal places than the meter shows (its `precision`)."
_BELOW_PREVIOUS = (
    "A value is below the meter's previous reading of that zone (the message has both)."
)
_IMPLAUSIBLE_JUMP = (
    "A value is above the previous reading by more than the plausible consumption of a "
    "meter of its kind over the months between (the message has the numbers)."
)
_RETIRED = "The meter has been taken out of service."
_INVALID_SERIAL = (
    f"The serial number is blank, longer than {MAX_SERIAL_LENGTH} characters, or has "
    "characters other than letters, digits, spaces, dots, slashes and dashes."
)
_SERIAL_IN_USE = "A meter with this serial number is in service in the building."
_INVALID_ZONES = "Water meters have one zone; electricity meters one to three."
_INVALID_PRECISION = f"A meter shows 0–{MAX_PRECISION} decimal places."
_INSTALLED_IN_FUTURE = "The installation date is after today (Moscow time)."
_INVALID_VERIFICATION = (
    f"The next verification is not after the installation, or more than "
    f"{MAX_VERIFICATION_YEARS} years after it."
)
_REGISTER_EXPIRED = "The next verification date has passed: verify the meter first."


@strawberry.enum(description="Why readings were not accepted.")
class MeterReadingSubmitErrorCode(enum.Enum):
    WINDOW_CLOSED = strawberry.enum_value(
        "WINDOW_CLOSED",
        description="The meter's reading window is closed (the message names the next one).",
    )
    BELOW_PREVIOUS = strawberry.enum_value("BELOW_PREVIOUS", description=_BELOW_PREVIOUS)
    IMPLAUSIBLE_JUMP = strawberry.enum_value("IMPLAUSIBLE_JUMP", description=_IMPLAUSIBLE_JUMP)
    VERIFICATION_EXPIRED = strawberry.enum_value(
        "VERIFICATION_EXPIRED",
        description="The meter is past its verification date: it takes no readings.",
    )
    METER_RETIRED = strawberry.enum_value("METER_RETIRED", description=_RETIRED)
    WRONG_ZONES = strawberry.enum_value("WRONG_ZONES", description=_WRONG_ZONES)
    NOT_A_NUMBER = strawberry.enum_value("NOT_A_NUMBER", description=_NOT_A_NUMBER)
    NEGATIVE = strawberry.enum_value("NEGATIVE", description=_NEGATIVE)
    NOT_FINITE = strawberry.enum_value("NOT_FINITE", description=_NOT_FINITE)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=_TOO_LONG)
    TOO_LARGE = strawberry.enum_value("TOO_LARGE", description=_TOO_LARGE)
    TOO_PRECISE = strawberry.enum_value("TOO_PRECISE", description=_TOO_PRECISE)


@strawberry.type(description="A reason `meterReadingSubmit` refused.")
class MeterReadingSubmitError(UserError):
    code: MeterReadingSubmitErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a meter was not registered.")
class MeterRegisterErrorCode(enum.Enum):
    INVALID_SERIAL_NUMBER = strawberry.enum_value(
        "INVALID_SERIAL_NUMBER", description=_INVALID_SERIAL
    )
    SERIAL_IN_USE = strawberry.enum_value("SERIAL_IN_USE", description=_SERIAL_IN_USE)
    INVALID_ZONES = strawberry.enum_value("INVALID_ZONES", description=_INVALID_ZONES)
    INVALID_PRECISION = strawberry.enum_value("INVALID_PRECISION", description=_INVALID_PRECISION)
    INSTALLED_IN_FUTURE = strawberry.enum_value(
        "INSTALLED_IN_FUTURE", description=_INSTALLED_IN_FUTURE
    )
    INVALID_VERIFICATION_DATE = strawberry.enum_value(
        "INVALID_VERIFICATION_DATE", description=_INVALID_VERIFICATION
    )
    VERIFICATION_EXPIRED = strawberry.enum_value(
        "VERIFICATION_EXPIRED", description=_REGISTER_EXPIRED
    )
    WRONG_ZONES = strawberry.enum_value("WRONG_ZONES", description=_WRONG_ZONES)
    NOT_A_NUMBER = strawberry.enum_value("NOT_A_NUMBER", description=_NOT_A_NUMBER)
    NEGATIVE = strawberry.enum_value("NEGATIVE", description=_NEGATIVE)
    NOT_FINITE = strawberry.enum_value("NOT_FINITE", description=_NOT_FINITE)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=_TOO_LONG)
    TOO_LARGE = strawberry.enum_value("TOO_LARGE", description=_TOO_LARGE)
    TOO_PRECISE = strawberry.enum_value("TOO_PRECISE", description=_TOO_PRECISE)


@strawberry.type(description="A reason `meterRegister` refused.")
class MeterRegisterError(UserError):
    code: MeterRegisterErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a meter was not replaced.")
class MeterReplaceErrorCode(enum.Enum):
    METER_RETIRED = strawberry.enum_value("METER_RETIRED", description=_RETIRED)
    BELOW_PREVIOUS = strawberry.enum_value("BELOW_PREVIOUS", description=_BELOW_PREVIOUS)
    IMPLAUSIBLE_JUMP = strawberry.enum_value("IMPLAUSIBLE_JUMP", description=_IMPLAUSIBLE_JUMP)
    INVALID_SERIAL_NUMBER = strawberry.enum_value(
        "INVALID_SERIAL_NUMBER", description=_INVALID_SERIAL
    )
    SERIAL_IN_USE = strawberry.enum_value("SERIAL_IN_USE", description=_SERIAL_IN_USE)
    INVALID_ZONES = strawberry.enum_value("INVALID_ZONES", description=_INVALID_ZONES)
    INVALID_PRECISION = strawberry.enum_value("INVALID_PRECISION", description=_INVALID_PRECISION)
    INSTALLED_IN_FUTURE = strawberry.enum_value(
        "INSTALLED_IN_FUTURE", description=_INSTALLED_IN_FUTURE
    )
    INVALID_VERIFICATION_DATE = strawberry.enum_value(
        "INVALID_VERIFICATION_DATE", description=_INVALID_VERIFICATION
    )
    VERIFICATION_EXPIRED = strawberry.enum_value(
        "VERIFICATION_EXPIRED", description=_REGISTER_EXPIRED
    )
    WRONG_ZONES = strawberry.enum_value("WRONG_ZONES", description=_WRONG_ZONES)
    NOT_A_NUMBER = strawberry.enum_value("NOT_A_NUMBER", description=_NOT_A_NUMBER)
    NEGATIVE = strawberry.enum_value("NEGATIVE", description=_NEGATIVE)
    NOT_FINITE = strawberry.enum_value("NOT_FINITE", description=_NOT_FINITE)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=_TOO_LONG)
    TOO_LARGE = strawberry.enum_value("TOO_LARGE", description=_TOO_LARGE)
    TOO_PRECISE = strawberry.enum_value("TOO_PRECISE", description=_TOO_PRECISE)


@strawberry.type(description="A reason `meterReplace` refused.")
class MeterReplaceError(UserError):
    code: MeterReplaceErrorCode = strawberry.field(description="Machine-readable reason.")


@strawberry.enum(description="Why a meter was not retired.")
class MeterRetireErrorCode(enum.Enum):
    METER_RETIRED = strawberry.enum_value(
        "METER_RETIRED", description="The meter was taken out of service before."
    )
    BELOW_PREVIOUS = strawberry.enum_value("BELOW_PREVIOUS", description=_BELOW_PREVIOUS)
    IMPLAUSIBLE_JUMP = strawberry.enum_value("IMPLAUSIBLE_JUMP", description=_IMPLAUSIBLE_JUMP)
    WRONG_ZONES = strawberry.enum_value("WRONG_ZONES", description=_WRONG_ZONES)
    NOT_A_NUMBER = strawberry.enum_value("NOT_A_NUMBER", description=_NOT_A_NUMBER)
    NEGATIVE = strawberry.enum_value("NEGATIVE", description=_NEGATIVE)
    NOT_FINITE = strawberry.enum_value("NOT_FINITE", description=_NOT_FINITE)
    TOO_LONG = strawberry.enum_value("TOO_LONG", description=_TOO_LONG)
    TOO_LARGE = strawberry.enum_value("TOO_LARGE", description=_TOO_LARGE)
    TOO_PRECISE = strawberry.enum_value("TOO_PRECISE", description=_TOO_PRECISE)


@strawberry.type(description="A reason `meterRetire` refused.")
class MeterRetireError(UserError):
    code: MeterRetireErrorCode = strawberry.field(description="Machine-readable reason.")
