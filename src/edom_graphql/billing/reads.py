"""Every read of bills and payments: bills by id and by premise with their lines, and
payments by id, by premise and by bill."""

from __future__ import annotations

from sqlalchemy import Boolean, ColumnElement, bindparam, select

from edom_graphql.billing.models import Bill, BillLine, Payment, bill_kind
from edom_graphql.core.db import Prepared
from edom_graphql.core.loaders import KeyedQuery, Loader, PagedChildren, keys_param
from edom_graphql.core.pagination import AnySelect, keyset_desc
from edom_graphql.residents.models import User

BILL_COLUMNS = select(
    Bill.id,
    Bill.building_id,
    Bill.premise_id,
    Bill.kind,
    Bill.period,
    Bill.amount,
    Bill.paid_amount,
    Bill.due_on,
    Bill.version,
    Bill.created_at,
    Bill.updated_at,
)
BILL_BY_ID = KeyedQuery(BILL_COLUMNS, Bill.id)
BILL_ORDER = (Bill.period, Bill.id)
"""Newest month first (then the latest issued)."""

LINES_OF_BILL = KeyedQuery(
    select(BillLine.service, BillLine.amount, BillLine.position).order_by(
        BillLine.bill_id, BillLine.position
    ),
    BillLine.bill_id,
)

PAYMENT_COLUMNS = select(
    Payment.id,
    Payment.bill_id,
    Payment.premise_id,
    Payment.building_id,
    Payment.user_id,
    Payment.amount,
    Payment.status,
    Payment.provider,
    Payment.provider_payment_id,
    Payment.confirmation_url,
    Payment.failure_reason,
    Payment.created_at,
    Payment.confirmed_at,
    User.display_name,
).join(User, User.id == Payment.user_id)
PAYMENT_BY_ID = KeyedQuery(PAYMENT_COLUMNS, Payment.id)


def _bills_page(
    premise_id: ColumnElement[int], has_after: bool, present: tuple[bool, ...]
) -> AnySelect:
    statement = BILL_COLUMNS.where(Bill.premise_id == premise_id)
    if present[0]:
        statement = statement.where(Bill.kind == bindparam("kind", type_=bill_kind))
    if present[1]:
        statement = statement.where(
            (Bill.paid_amount < Bill.amount) == bindparam("unpaid", type_=Boolean)
        )
    return keyset_desc(statement, BILL_ORDER, has_after=has_after)


BILLS_OF_PREMISE = PagedChildren(_bills_page, ("kind", "unpaid"))
"""A page of a premise's bills (``BILL_COLUMNS``), of one kind, or only those with
something due (``unpaid`` true) or nothing due (false)."""


PAYMENTS_OF_PREMISE = PagedChildren(
    lambda parent, has_after, present: keyset_desc(
        PAYMENT_COLUMNS.where(Payment.premise_id == parent), (Payment.id,), has_after=has_after
    )
)
"""A page of a premise's payments, newest first (``PAYMENT_COLUMNS``)."""
PAYMENTS_OF_BILL = PagedChildren(
    lambda parent, has_after, present: keyset_desc(
        PAYMENT_COLUMNS.where(Payment.bill_id == parent), (Payment.id,), has_after=has_after
    )
)
"""A page of a bill's payments, newest first."""

_BILL_PREMISES = Prepared(select(Bill.id, Bill.premise_id).where(Bill.id == keys_param()))


class BillPremiseLoader(Loader[int, int | None]):
    """The premise of each bill (None where there is no such bill)."""

    async def batch_load_fn(self, keys: list[int]) -> list[int | None]:
        found = {row[0]: int(row[1]) for row in await self.db.fetch(_BILL_PREMISES, keys=keys)}
        return [found.get(key) for key in keys]
