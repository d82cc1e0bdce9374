"""Reading values: the one place where a value given as a decimal string becomes a
:class:`~decimal.Decimal` with the meter's precision, or a coded refusal.

A value is written with ASCII digits and at most one decimal separator (a point or, as
people in Russia write it, a comma), optionally surrounded by spaces: ``"00123.450"``,
``"123,45"``, ``"7"``. Refused: signs (``NEGATIVE`` for a minus), ``NaN`` and infinities
(``NOT_FINITE``), exponents and anything else (``NOT_A_NUMBER``), more than
:data:`MAX_INPUT_LENGTH` characters (``TOO_LONG``), more than :data:`MAX_WHOLE_DIGITS`
digits before the separator (``TOO_LARGE``), and more significant decimal places than
the meter shows (``TOO_PRECISE``: ``"12.50"`` is fine on a meter of one decimal place,
``"12.55"`` is not). Floats never occur.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from edom_graphql.core.errors import ServiceError
from edom_graphql.meters.models import VALUE_DIGITS, VALUE_SCALE

MAX_INPUT_LENGTH = 32
MAX_WHOLE_DIGITS = VALUE_DIGITS - VALUE_SCALE
_NUMBER = re.compile(r"([0-9]+)(?:[.,]([0-9]+))?", re.ASCII)
_NOT_FINITE = re.compile(r"[+-]?(s?nan|inf|infinity)", re.IGNORECASE)


def _shown(text: str) -> str:
    return text if len(text) <= MAX_INPUT_LENGTH else text[:MAX_INPUT_LENGTH] + "…"


def parse_value(text: str, *, precision: int, field: Sequence[str]) -> Decimal:
    """``text`` as a reading of a meter with ``precision`` decimal places (quantized to
    them), or a :class:`ServiceError` with the code and ``field``."""
    if len(text) > MAX_INPUT_LENGTH:
        raise ServiceError(
            "TOO_LONG",
            f"A reading is at most {MAX_INPUT_LENGTH} characters; this one has {len(text)}.",
            field,
        )
    raw = text.strip(" ")
    if _NOT_FINITE.fullmatch(raw):
        raise ServiceError("NOT_FINITE", f'"{raw}" is not a finite number.', field)
    unsigned = raw[1:] if raw.startswith(("-", "+")) else raw
    match = _NUMBER.fullmatch(unsigned)
    if match is None:
        raise ServiceError(
            "NOT_A_NUMBER",
            f'"{_shown(text)}" is not a reading: write digits with at most one decimal point, '
            'e.g. "123.45".',
            field,
        )
    if raw.startswith("-"):
        raise ServiceError("NEGATIVE", f"A reading cannot be negative ({raw}).", field)
    if raw.startswith("+"):
        raise ServiceError("NOT_A_NUMBER", f'"{raw}": write the reading without a sign.', field)
    whole, fraction = match.group(1), (match.group(2) or "").rstrip("0")
    if len(whole.lstrip("0")) > MAX_WHOLE_DIGITS:
        raise ServiceError(
            "TOO_LARGE",
            f"A reading has at most {MAX_WHOLE_DIGITS} digits before the decimal point.",
            field,
        )
    if len(fraction) > precision:
        raise ServiceError(
            "TOO_PRECISE",
            f"This meter shows {precision} decimal place{'' if precision == 1 else 's'}; "
            f"{raw} has {len(fraction)}.",
            field,
        )
    return quantized(Decimal(f"{whole}.{fraction or '0'}"), precision)


def quantized(value: Decimal, precision: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-precision))


def written(value: Decimal, precision: int) -> str:
    """A value as the API writes it: a plain decimal with exactly ``precision`` places."""
    return format(quantized(value, precision), "f")


__all__ = ["MAX_INPUT_LENGTH", "parse_value", "quantized", "written"]
