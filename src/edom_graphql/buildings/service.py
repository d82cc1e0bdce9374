"""Business rules of buildings and premises."""

from __future__ import annotations

import re

from edom_graphql.buildings.models import PremiseKind

_KIND_OFFSET = {
    PremiseKind.APARTMENT: 0,
    PremiseKind.NON_RESIDENTIAL: 1_000_000,
    PremiseKind.PARKING: 2_000_000,
}


def premise_sort_key(kind: PremiseKind, number: str) -> int:
    """Apartments first, then non-residential units, then parking; each by its number."""
    match = re.search(r"\d+", number)
    return _KIND_OFFSET[kind] + (min(int(match.group()), 999_999) if match else 0)
