"""A bill's standing, from what it asks and what was paid, and how much one payment of it
may be.

- ``UNPAID``: nothing paid yet (and something is asked); ``PARTIALLY_PAID``: some paid, the
  rest still due; ``PAID``: paid to the kopeck; ``OVERPAID``: more paid than asked, the
  difference kept as the bill's credit (shown on the bill; the billing centre carries it
  to a later bill). A bill asking nothing is PAID.
- A payment is 1 kopeck or more, and at most ten times what is still due, or
  :data:`ADVANCE_ALLOWANCE` when less is due, and never more than :data:`PAYMENT_CAP`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from edom_graphql.core.errors import ServiceError

MOSCOW = ZoneInfo("Europe/Moscow")
PAYMENT_CAP = 15_000_000
"""The most one payment may be: 150,000 roubles."""
ADVANCE_ALLOWANCE = 100_000
"""What a payment may be when little or nothing is due: 1,000 roubles."""
DUE_MULTIPLE = 10


class BillStatus(enum.Enum):
    UNPAID = "UNPAID"
    PARTIALLY_PAID = "PARTIALLY_PAID"
    PAID = "PAID"
    OVERPAID = "OVERPAID"


@dataclass(frozen=True, slots=True)
class Standing:
    status: BillStatus
    due: int
    """Kopecks still to pay (0 once paid)."""
    credit: int
    """Kopecks paid beyond the amount (0 unless overpaid)."""


def standing(amount: int, paid: int) -> Standing:
    """The standing of a bill asking ``amount`` kopecks of which ``paid`` were paid."""
    if paid > amount:
        return Standing(BillStatus.OVERPAID, 0, paid - amount)
    if paid == amount:
        return Standing(BillStatus.PAID, 0, 0)
    if paid == 0:
        return Standing(BillStatus.UNPAID, amount, 0)
    return Standing(BillStatus.PARTIALLY_PAID, amount - paid, 0)


def payment_limit(due: int) -> int:
    """The largest payment allowed when ``due`` kopecks are still due."""
    return min(PAYMENT_CAP, max(DUE_MULTIPLE * due, ADVANCE_ALLOWANCE))


def check_amount(amount: int, *, due: int) -> None:
    """Refuse an amount that is not a payment of a bill with ``due`` still due."""
    if amount < 1:
        raise ServiceError("AMOUNT_NOT_POSITIVE", "Pay at least 1 kopeck.", ["amount"])
    limit = payment_limit(due)
    if amount > limit:
        raise ServiceError(
            "AMOUNT_TOO_LARGE",
            f"One payment of this bill is at most {rubles(limit)} ({rubles(due)} is due).",
            ["amount"],
        )


def cashback_base(amount: int, *, due_before: int) -> int:
    """The part of a payment that settles the bill (what earns ЕПД cashback): the rest
    is credit."""
    return max(0, min(amount, due_before))


def rubles(kopecks: int) -> str:
    """``1 234,56 ₽``."""
    sign = "-" if kopecks < 0 else ""
    whole, part = divmod(abs(kopecks), 100)
    return f"{sign}{whole:,}".replace(",", "\u00a0") + f",{part:02d} ₽"


def month_of(period: int) -> str:
    """``YYYY-MM`` of a ``YYYYMM`` period."""
    return f"{period // 100:04d}-{period % 100:02d}"


def overdue(due_on: date, due: int, now: datetime) -> bool:
    """Something is still due after the due date (in Moscow)."""
    return due > 0 and now.astimezone(MOSCOW).date() > due_on
