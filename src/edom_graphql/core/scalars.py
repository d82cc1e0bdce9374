"""Custom scalars."""

from __future__ import annotations

from decimal import Decimal

import strawberry

DecimalString = strawberry.scalar(
    Decimal,
    name="Decimal",
    description='An exact decimal number, serialised as a string (e.g. areas in m²: "54.30").',
    serialize=str,
    parse_value=lambda value: Decimal(str(value)),
)
