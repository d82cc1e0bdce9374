"""``billPay``: paying a bill through the payment provider."""

from __future__ import annotations

from datetime import timedelta

import strawberry

from edom_graphql.billing.access import input_bill_premise
from edom_graphql.billing.errors import BillPayError
from edom_graphql.billing.models import MAX_IDEMPOTENCY_KEY_LENGTH
from edom_graphql.billing.service import payments
from edom_graphql.billing.service.providers import configured_provider
from edom_graphql.billing.types import Bill, Payment, visible_bill, visible_payment
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.core.ratelimit import RateLimit, Window
from edom_graphql.core.scalars import Kopecks

PAY_LIMIT = RateLimit("bill_pay", (Window(30, timedelta(hours=1)), Window(200, timedelta(days=1))))


@strawberry.input(description="A payment of a bill.")
class BillPayInput:
    bill_id: strawberry.ID = strawberry.field(description="The bill paid.")
    amount: Kopecks = strawberry.field(
        description="How much: at least 1 kopeck; less than what is due pays part of it, more "
        "is kept as the bill's credit (at most 10 times what is due, or 1,000 roubles when "
        "less is due; at most 150,000 roubles)."
    )
    idempotency_key: str = strawberry.field(
        description=f"Names this payment (1–{MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII "
        "characters, a UUID say): calling again with the same key returns the same payment "
        "and never charges twice."
    )


@strawberry.type(description="Result of `billPay`.")
class BillPayPayload(Payload):
    payment: Payment | None = strawberry.field(
        default=None,
        description="The payment, with the provider's `confirmationUrl` while it is pending.",
    )
    bill: Bill | None = strawberry.field(default=None, description="The bill, as it stands.")
    user_errors: list[BillPayError] = user_errors_field()


@strawberry.type
class BillMutations:
    @requires(
        Capability.BILLS_PAY,
        input_bill_premise,
        mutation=True,
        rate_limit=PAY_LIMIT,
        description="Pay a bill of one of the viewer's premises: starts a payment with the "
        "payment provider (PENDING; the payer confirms it at `confirmationUrl`); the "
        "provider's confirmation credits the bill. Idempotent by `idempotencyKey`.",
    )
    async def bill_pay(
        self, info: AppInfo, input: MutationInput[BillPayInput]
    ) -> BillPayPayload | None:
        context = info.context
        payer_id = context.require_viewer()
        bill_id = expect_id(input.bill_id, "Bill", field="billId")
        settings = context.services.settings
        attempt = await payments.pay(
            context.db,
            configured_provider(settings, context.services.clock),
            bill_id=bill_id,
            payer_id=payer_id,
            amount=input.amount,
            idempotency_key=input.idempotency_key,
            return_url=settings.payment_return_url,
            now=context.now,
        )
        context.after_write()
        payment = (
            await visible_payment(context, attempt.payment_id)
            if attempt.payment_id is not None
            else None
        )
        bill = await visible_bill(context, bill_id)
        if attempt.error is not None:
            return BillPayPayload.refused(attempt.error, payment=payment, bill=bill)
        return BillPayPayload(payment=payment, bill=bill)
