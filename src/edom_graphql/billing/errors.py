"""Why ``billPay`` refuses: its error codes and error type."""

from __future__ import annotations

import enum

import strawberry

from edom_graphql.billing.models import MAX_IDEMPOTENCY_KEY_LENGTH
from edom_graphql.billing.service.bills import ADVANCE_ALLOWANCE, DUE_MULTIPLE, PAYMENT_CAP
from edom_graphql.core.mutation import UserError


@strawberry.enum(description="Why a payment was not started.")
class BillPayErrorCode(enum.Enum):
    AMOUNT_NOT_POSITIVE = strawberry.enum_value(
        "AMOUNT_NOT_POSITIVE", description="The amount is not at least 1 kopeck."
    )
    AMOUNT_TOO_LARGE = strawberry.enum_value(
        "AMOUNT_TOO_LARGE",
        description=f"The amount is more than {DUE_MULTIPLE} times what is due (or "
        f"{ADVANCE_ALLOWANCE} kopecks when less is due), or more than {PAYMENT_CAP} kopecks.",
    )
    INVALID_IDEMPOTENCY_KEY = strawberry.enum_value(
        "INVALID_IDEMPOTENCY_KEY",
        description=f"The idempotency key is not 1–{MAX_IDEMPOTENCY_KEY_LENGTH} printable "
        "ASCII characters without spaces.",
    )
    IDEMPOTENCY_KEY_REUSED = strawberry.enum_value(
        "IDEMPOTENCY_KEY_REUSED",
        description="The viewer used this key for another payment (another bill or amount).",
    )
    BILL_NOT_FOUND = strawberry.enum_value("BILL_NOT_FOUND", description="There is no such bill.")
    PROVIDER_UNAVAILABLE = strawberry.enum_value(
        "PROVIDER_UNAVAILABLE",
        description="The payment provider did not answer: the payment (if any) stays pending; "
        "call again with the same key.",
    )
    PROVIDER_REFUSED = strawberry.enum_value(
        "PROVIDER_REFUSED", description="The payment provider refused the payment: it failed."
    )


@strawberry.type(description="A reason `billPay` refused.")
class BillPayError(UserError):
    code: BillPayErrorCode = strawberry.field(description="Machine-readable reason.")
