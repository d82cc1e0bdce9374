"""The one parser of reading values, at its edges: a decimal string becomes a Decimal of
the meter's precision or a coded refusal (no float is ever made)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from edom_graphql.core.errors import ServiceError
from edom_graphql.meters.service.values import parse_value, written

FIELD = ["readings", "0", "value"]


@pytest.mark.parametrize(
    ("text", "precision", "value"),
    [
        ("9999999999.999999", 6, Decimal("9999999999.999999")),
        ("0000000000009999999999", 0, Decimal("9999999999")),  # leading zeros are not digits
        ("1" * 32, 0, None),  # 32 characters, but 32 digits are too many
        ("12,5", 1, Decimal("12.5")),
        ("12.50000", 1, Decimal("12.5")),
        ("0.000001", 6, Decimal("0.000001")),
        ("  7  ", 3, Decimal("7.000")),
    ],
)
def test_accepted_at_the_edges(text: str, precision: int, value: Decimal | None) -> None:
    if value is None:
        with pytest.raises(ServiceError) as refused:
            parse_value(text, precision=precision, field=FIELD)
        assert refused.value.code == "TOO_LARGE"
        return
    parsed = parse_value(text, precision=precision, field=FIELD)
    assert parsed == value
    assert parsed.as_tuple().exponent == -precision
    assert written(parsed, precision) == format(parsed, "f")
    assert "E" not in written(parsed, precision)


@pytest.mark.parametrize(
    ("text", "precision", "code"),
    [
        ("10000000000", 0, "TOO_LARGE"),
        ("1" * 33, 0, "TOO_LONG"),
        ("0.0000001", 6, "TOO_PRECISE"),
        ("1.01", 1, "TOO_PRECISE"),
        ("1.1", 0, "TOO_PRECISE"),
        ("-0.0", 3, "NEGATIVE"),
        ("+Infinity", 3, "NOT_FINITE"),
        ("1E+2", 3, "NOT_A_NUMBER"),
        ("1_000", 3, "NOT_A_NUMBER"),
    ],
)
def test_refused_with_a_code(text: str, precision: int, code: str) -> None:
    with pytest.raises(ServiceError) as refused:
        parse_value(text, precision=precision, field=FIELD)
    assert refused.value.code == code
    assert refused.value.field == FIELD
