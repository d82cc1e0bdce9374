"""Who may see a premise's bills and payments: the gatekeepers of Bill and Payment, and
the scopes of the billing fields.

A premise's bills and payments (and the receipts) are household records: read, at that
premise, by its occupants down to elevated guests (who may pay them, ``BILLS_PAY``) and
by the staff of the building's organisation, read only. That is ``HOUSEHOLD_RECORDS_VIEW``
measured at the premise: a neighbour elsewhere in the building has no tier there and sees
none of them. A payment's confirmation URL is its payer's alone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edom_graphql.billing.reads import BillPremiseLoader
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.ids import expect_id
from edom_graphql.core.nodes import Verdict
from edom_graphql.core.permissions import Target

if TYPE_CHECKING:
    from edom_graphql.billing.types import Bill, Payment


def records_visible(context: Context, premise_pk: int) -> Verdict:
    """The viewer may read the premise's bills and payments."""
    return context.allows(Capability.HOUSEHOLD_RECORDS_VIEW, premise_id=premise_pk)


def bill_visible(context: Context, bill: Bill) -> Verdict:
    return records_visible(context, bill.premise_pk)


def payment_visible(context: Context, payment: Payment) -> Verdict:
    return records_visible(context, payment.premise_pk)


def is_payer(context: Context, payment: Payment) -> bool:
    return context.viewer_id is not None and payment.payer_pk == context.viewer_id


def source_premise(source: Any, kwargs: dict[str, Any]) -> Target | None:
    """The premise the field hangs on."""
    return Target(premise_id=source.pk)


async def input_bill_premise(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    """The scope of a mutation whose input names a bill: the bill's premise."""
    bill_id = expect_id(kwargs["input"].bill_id, "Bill", field="billId")
    premise_id = await BillPremiseLoader.of(info.context).load(bill_id)
    return Target(premise_id=premise_id) if premise_id is not None else None
