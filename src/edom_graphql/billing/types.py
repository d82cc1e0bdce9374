"""GraphQL types of bills and payments, their loaders, and the fields they add to
``Premise``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated, Any

import strawberry

from edom_graphql.billing import access, reads
from edom_graphql.billing.models import BillKind, BillService, PaymentStatus
from edom_graphql.billing.service.bills import BillStatus, month_of, overdue, standing
from edom_graphql.buildings.types import Premise, PremiseByIdLoader
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader, ListByKeyLoader, PageLoader, later
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import (
    INT32,
    After,
    Connection,
    First,
    build_connection,
    page_request,
)
from edom_graphql.core.permissions import requires
from edom_graphql.core.scalars import Kopecks

graphql_enum(
    BillKind,
    "What a bill is for.",
    {
        BillKind.EPD: "The single payment document (ЕПД): housing and communal services.",
        BillKind.ELECTRICITY: "Electricity.",
    },
)
graphql_enum(
    BillService,
    "A service billed on a line of a bill.",
    {
        BillService.MAINTENANCE: "Maintenance and repair of the common property.",
        BillService.HEATING: "Heating.",
        BillService.COLD_WATER: "Cold water.",
        BillService.HOT_WATER: "Hot water.",
        BillService.SEWERAGE: "Sewerage.",
        BillService.WASTE: "Municipal solid waste.",
        BillService.CAPITAL_REPAIR: "Contribution to the capital repair fund.",
        BillService.INTERCOM: "The entrance door's intercom.",
        BillService.ANTENNA: "The collective TV antenna.",
        BillService.GAS: "Gas.",
        BillService.ELECTRICITY: "Electricity, single rate.",
        BillService.ELECTRICITY_T1: "Electricity, zone T1 (peak or day).",
        BillService.ELECTRICITY_T2: "Electricity, zone T2 (night).",
        BillService.ELECTRICITY_T3: "Electricity, zone T3 (semi-peak).",
        BillService.PENALTY: "Penalty for late payment (пени).",
    },
)
graphql_enum(
    BillStatus,
    "How much of a bill is paid.",
    {
        BillStatus.UNPAID: "Nothing is paid yet.",
        BillStatus.PARTIALLY_PAID: "Some is paid; the rest is still due.",
        BillStatus.PAID: "Paid to the kopeck.",
        BillStatus.OVERPAID: "More than the amount is paid: the rest is kept as the bill's credit.",
    },
)
graphql_enum(
    PaymentStatus,
    "Where a payment stands.",
    {
        PaymentStatus.PENDING: "Started: waiting for the payer to confirm it with the provider.",
        PaymentStatus.SUCCEEDED: "The provider confirmed the money; the bill is credited.",
        PaymentStatus.FAILED: "The provider declined it; nothing was credited.",
    },
)


@strawberry.type(description="One line of a bill: a service and what it costs.")
class BillLine:
    service: BillService = strawberry.field(description="The service billed.")
    amount: Kopecks = strawberry.field(description="Its amount.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> BillLine:
        return cls(service=BillService(row[0]), amount=Kopecks(row[1]))


@strawberry.type(description="What a premise owes for one month: the ЕПД or electricity.")
class Bill(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    period: strawberry.Private[int]
    kind: BillKind = strawberry.field(description="What the bill is for.")
    month: str = strawberry.field(description='The month billed, "YYYY-MM".')
    amount: Kopecks = strawberry.field(description="What the bill asks: the sum of its lines.")
    paid_amount: Kopecks = strawberry.field(description="The sum of the payments that succeeded.")
    amount_due: Kopecks = strawberry.field(description="What is still to pay (0 once paid).")
    credit: Kopecks = strawberry.field(
        description="What was paid beyond the amount (0 unless overpaid); the billing centre "
        "carries it to a later bill."
    )
    status: BillStatus = strawberry.field(description="How much of it is paid.")
    due_on: date = strawberry.field(description="Pay by this day (Moscow time).")
    version: int = strawberry.field(
        description="1 as issued; one more for every correction of the billing centre."
    )
    issued_at: datetime = strawberry.field(description="When the bill was imported.")
    updated_at: datetime = strawberry.field(description="When it was last corrected.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Bill:
        """Of a row of ``reads.BILL_COLUMNS``."""
        paid = standing(row[5], row[6])
        return cls(
            id=strawberry.ID(encode_id("Bill", row[0])),
            pk=row[0],
            building_pk=row[1],
            premise_pk=row[2],
            kind=BillKind(row[3]),
            period=row[4],
            month=month_of(row[4]),
            amount=Kopecks(row[5]),
            paid_amount=Kopecks(row[6]),
            amount_due=Kopecks(paid.due),
            credit=Kopecks(paid.credit),
            status=paid.status,
            due_on=row[7],
            version=row[8],
            issued_at=row[9],
            updated_at=row[10],
        )

    @staticmethod
    def sort_key(bill: Bill) -> tuple[int, int]:
        return (bill.period, bill.pk)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Bill | None]:
        return await BillByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Bill) -> Verdict:
        return access.bill_visible(context, node)

    @strawberry.field(description="Something is still due after the due date.")
    def overdue(self, info: AppInfo) -> bool:
        return overdue(self.due_on, self.amount_due, info.context.now)

    @strawberry.field(description="The lines of the bill, in the billing centre's order.")
    def lines(self, info: AppInfo) -> list[BillLine]:
        return later(LinesOfBillLoader.of(info.context).load(self.pk))

    @strawberry.field(description="The premise billed.")
    def premise(self, info: AppInfo) -> Premise:
        return later(PremiseByIdLoader.of(info.context).load(self.premise_pk))

    @strawberry.field(description="Payments of this bill through the platform, newest first.")
    async def payments(self, info: AppInfo, first: First, after: After = None) -> PaymentConnection:
        page = page_request(first, after, types=(int,))
        items = await PaymentsOfBillLoader.of(info.context).load((self.pk, page, ()))
        connection = build_connection(items, page, Payment.sort_key)
        return PaymentConnection(edges=connection.edges, page_info=connection.page_info)


@strawberry.type(description="A receipt: the data of a payment that went through.")
class PaymentReceipt:
    bill_pk: strawberry.Private[int]
    number: str = strawberry.field(description="The receipt's number.")
    paid_at: datetime = strawberry.field(description="When the payment was confirmed.")
    amount: Kopecks = strawberry.field(description="The amount paid.")
    payer_display_name: str = strawberry.field(description="Who paid (their display name).")
    provider: str = strawberry.field(description="The payment provider.")
    provider_reference: str | None = strawberry.field(
        description="The provider's id of the payment."
    )

    @strawberry.field(description="The bill paid.")
    def bill(self, info: AppInfo) -> Bill:
        return later(BillByIdLoader.of(info.context).load(self.bill_pk))


@strawberry.type(description="A payment of a bill through a payment provider.")
class Payment(Node):
    pk: strawberry.Private[int]
    bill_pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    payer_pk: strawberry.Private[int]
    payer_display_name: strawberry.Private[str]
    provider_reference: strawberry.Private[str | None]
    url: strawberry.Private[str | None]
    status: PaymentStatus = strawberry.field(description="Where the payment stands.")
    amount: Kopecks = strawberry.field(description="The amount paid (or being paid).")
    provider: str = strawberry.field(description="The payment provider.")
    failure_reason: str | None = strawberry.field(
        description="Why the provider declined it (FAILED only)."
    )
    created_at: datetime = strawberry.field(description="When the payment was started.")
    confirmed_at: datetime | None = strawberry.field(
        description="When the provider's answer (success or failure) arrived."
    )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Payment:
        """Of a row of ``reads.PAYMENT_COLUMNS``."""
        return cls(
            id=strawberry.ID(encode_id("Payment", row[0])),
            pk=row[0],
            bill_pk=row[1],
            premise_pk=row[2],
            building_pk=row[3],
            payer_pk=row[4],
            amount=Kopecks(row[5]),
            status=PaymentStatus(row[6]),
            provider=row[7],
            provider_reference=row[8],
            url=row[9],
            failure_reason=row[10],
            created_at=row[11],
            confirmed_at=row[12],
            payer_display_name=row[13],
        )

    @staticmethod
    def sort_key(payment: Payment) -> tuple[int]:
        return (payment.pk,)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Payment | None]:
        return await PaymentByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Payment) -> Verdict:
        return access.payment_visible(context, node)

    @strawberry.field(
        description="Where the payer confirms the payment with the provider: for the payer "
        "only, while it is pending; null otherwise."
    )
    def confirmation_url(self, info: AppInfo) -> str | None:
        if self.status is not PaymentStatus.PENDING or not access.is_payer(info.context, self):
            return None
        return self.url

    @strawberry.field(description="The viewer made this payment.")
    def viewer_is_payer(self, info: AppInfo) -> bool:
        return access.is_payer(info.context, self)

    @strawberry.field(description="The receipt, once the payment succeeded; null before.")
    def receipt(self) -> PaymentReceipt | None:
        if self.status is not PaymentStatus.SUCCEEDED or self.confirmed_at is None:
            return None
        return PaymentReceipt(
            bill_pk=self.bill_pk,
            number=receipt_number(self.pk, self.confirmed_at),
            paid_at=self.confirmed_at,
            amount=self.amount,
            payer_display_name=self.payer_display_name,
            provider=self.provider,
            provider_reference=self.provider_reference,
        )

    @strawberry.field(description="The bill paid.")
    def bill(self, info: AppInfo) -> Bill:
        return later(BillByIdLoader.of(info.context).load(self.bill_pk))


def receipt_number(payment_pk: int, paid_at: datetime) -> str:
    return f"ED-{paid_at:%Y%m%d}-{payment_pk:08d}"


@strawberry.type(description="A page of bills, newest month first.")
class BillConnection(Connection[Bill]):
    pass


@strawberry.type(description="A page of payments, newest first.")
class PaymentConnection(Connection[Payment]):
    pass


# -- loaders ----------------------------------------------------------------------------


class BillByIdLoader(ByIdLoader[Bill]):
    query = reads.BILL_BY_ID
    convert = Bill.from_row


class LinesOfBillLoader(ListByKeyLoader[BillLine]):
    query = reads.LINES_OF_BILL
    convert = BillLine.from_row


class PaymentByIdLoader(ByIdLoader[Payment]):
    query = reads.PAYMENT_BY_ID
    convert = Payment.from_row


class BillsOfPremiseLoader(PageLoader[Bill]):
    children = reads.BILLS_OF_PREMISE
    convert = Bill.from_row


class PaymentsOfPremiseLoader(PageLoader[Payment]):
    children = reads.PAYMENTS_OF_PREMISE
    convert = Payment.from_row


class PaymentsOfBillLoader(PageLoader[Payment]):
    children = reads.PAYMENTS_OF_BILL
    convert = Payment.from_row


async def visible_bill(context: Context, bill_id: int) -> Bill | None:
    bill = await BillByIdLoader.of(context).load(bill_id)
    if bill is None:
        return None
    verdict = access.bill_visible(context, bill)
    return bill if (verdict if isinstance(verdict, bool) else await verdict) else None


async def visible_payment(context: Context, payment_id: int) -> Payment | None:
    payment = await PaymentByIdLoader.of(context).load(payment_id)
    if payment is None:
        return None
    verdict = access.payment_visible(context, payment)
    return payment if (verdict if isinstance(verdict, bool) else await verdict) else None


# -- fields on Premise --------------------------------------------------------------------


@strawberry.type
class PremiseBilling:
    """``Premise.bills`` and ``Premise.payments``."""

    @requires(
        Capability.HOUSEHOLD_RECORDS_VIEW,
        access.source_premise,
        description="The premise's bills, newest month first: for its occupants down to "
        "elevated guests, and the organisation's staff (read only).",
    )
    async def bills(
        self: Premise,
        info: AppInfo,
        first: First,
        after: After = None,
        kind: Annotated[
            BillKind | None, strawberry.argument(description="Only bills of this kind.")
        ] = None,
        unpaid: Annotated[
            bool | None,
            strawberry.argument(
                description="Only bills with something still due (true) or with nothing due "
                "(false); all if omitted."
            ),
        ] = None,
    ) -> BillConnection | None:
        page = page_request(first, after, types=(INT32, int))
        context = info.context
        items = await BillsOfPremiseLoader.of(context).load((self.pk, page, (kind, unpaid)))
        loader = BillByIdLoader.of(context)
        for bill in items:
            loader.prime(bill.pk, bill)
        connection = build_connection(items, page, Bill.sort_key)
        return BillConnection(edges=connection.edges, page_info=connection.page_info)

    @requires(
        Capability.HOUSEHOLD_RECORDS_VIEW,
        access.source_premise,
        description="Payments of the premise's bills through the platform, newest first "
        "(the payment history): for its occupants down to elevated guests, and the "
        "organisation's staff (read only).",
    )
    async def payments(
        self: Premise, info: AppInfo, first: First, after: After = None
    ) -> PaymentConnection | None:
        page = page_request(first, after, types=(int,))
        items = await PaymentsOfPremiseLoader.of(info.context).load((self.pk, page, ()))
        connection = build_connection(items, page, Payment.sort_key)
        return PaymentConnection(edges=connection.edges, page_info=connection.page_info)
