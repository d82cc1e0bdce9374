"""Reading bills and payments: a premise's bills newest month first in keyset pages,
filtered by kind and by what is due, their lines and standing, the payment history; a
page costs the same SQL statements whatever its length; bad arguments get coded errors."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from edom_graphql.billing.models import BillKind, BillService
from tests.billing.scene import (
    BILLS,
    SandboxClient,
    make_bill,
    provider_id,
    started,
)
from tests.factories import Api, World, make_world

MOSCOW = ZoneInfo("Europe/Moscow")
ELECTRICITY_LINES = ((BillService.ELECTRICITY_T1, 61_000), (BillService.ELECTRICITY_T2, 19_000))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api, premises=6)


async def bills_of(api: Api, world: World, number: str = "1", **arguments: Any) -> dict[str, Any]:
    variables = {"id": world.premise_id(number), "first": 10, **arguments}
    bills: dict[str, Any] = (await api.gql(BILLS, variables, as_=world["dispatcher"]))["node"][
        "bills"
    ]
    return bills


async def test_bills_come_newest_month_first_in_pages_filtered_by_kind_and_due(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    made = {}
    for period in (202608, 202609, 202610):
        made[(period, "EPD")] = await make_bill(api, world, "1", period=period)
        made[(period, "ELECTRICITY")] = await make_bill(
            api, world, "1", period=period, kind=BillKind.ELECTRICITY, lines=ELECTRICITY_LINES
        )
    order = [made[(p, k)] for p in (202610, 202609, 202608) for k in ("ELECTRICITY", "EPD")]
    everything = await bills_of(api, world)
    assert [bill["id"] for bill in everything["nodes"]] == order
    assert everything["pageInfo"]["hasNextPage"] is False
    # in pages of 4, then 2
    first = await bills_of(api, world, first=4)
    assert [bill["id"] for bill in first["nodes"]] == order[:4]
    assert first["pageInfo"]["hasNextPage"] is True
    rest = await bills_of(api, world, first=4, after=first["pageInfo"]["endCursor"])
    assert [bill["id"] for bill in rest["nodes"]] == order[4:]
    assert rest["pageInfo"]["hasNextPage"] is False
    # by kind
    electricity = await bills_of(api, world, kind="ELECTRICITY")
    assert [bill["id"] for bill in electricity["nodes"]] == order[0::2]
    assert {bill["kind"] for bill in electricity["nodes"]} == {"ELECTRICITY"}
    # a bill's fields
    october = electricity["nodes"][0]
    assert october == {
        "id": made[(202610, "ELECTRICITY")],
        "kind": "ELECTRICITY",
        "month": "2026-10",
        "amount": 80_000,
        "paidAmount": 0,
        "amountDue": 80_000,
        "credit": 0,
        "status": "UNPAID",
        "dueOn": "2026-11-10",
        "version": 1,
        "overdue": datetime.now(MOSCOW).date() > date(2026, 11, 10),
        "lines": [
            {"service": "ELECTRICITY_T1", "amount": 61_000},
            {"service": "ELECTRICITY_T2", "amount": 19_000},
        ],
    }


async def test_unpaid_filters_by_what_is_still_due(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    due = await make_bill(api, world, "2")
    part = await make_bill(api, world, "2")
    settled = await make_bill(api, world, "2")
    over = await make_bill(api, world, "2")
    for bill_id, amount in ((part, 1000), (settled, 444_212), (over, 500_000)):
        payment = await started(api, world["registered"], bill_id, amount)
        await sandbox.complete(await provider_id(api, payment))
    statuses = {bill["id"]: bill["status"] for bill in (await bills_of(api, world, "2"))["nodes"]}
    assert statuses == {
        due: "UNPAID",
        part: "PARTIALLY_PAID",
        settled: "PAID",
        over: "OVERPAID",
    }
    unpaid = await bills_of(api, world, "2", unpaid=True)
    assert {bill["id"] for bill in unpaid["nodes"]} == {due, part}
    done = await bills_of(api, world, "2", unpaid=False)
    assert {bill["id"] for bill in done["nodes"]} == {settled, over}
    assert [b["credit"] for b in done["nodes"] if b["id"] == over] == [500_000 - 444_212]


async def test_a_bill_is_overdue_after_its_due_day_in_moscow(api: Api, world: World) -> None:
    today = datetime.now(UTC).astimezone(MOSCOW).date()
    late = await make_bill(api, world, "6", due_on=today - timedelta(days=1))
    on_time = await make_bill(api, world, "6", due_on=today)
    flags = {bill["id"]: bill["overdue"] for bill in (await bills_of(api, world, "6"))["nodes"]}

    assert flags == {late: True, on_time: False}


HISTORY = """
query ($id: ID!, $first: Int!, $payments: Int!) {
  node(id: $id) {
    ... on Premise {
      bills(first: $first) {
        nodes {
          id amount status lines { service amount }
          premise { id number }
          payments(first: $payments) {
            nodes {
              id status amount
              bill { id }
              receipt { number amount payerDisplayName bill { id month } }
            }
          }
        }
      }
      payments(first: $first) { nodes { id amount receipt { number } } }
    }
  }
}
"""


async def _statements(api: Api, world: World, number: str, bills: int) -> int:
    variables = {"id": world.premise_id(number), "first": bills, "payments": 5}
    await api.gql(HISTORY, variables, as_=world["dispatcher"])  # warm: provisioning
    with api.count_statements() as statements:
        data = await api.gql(HISTORY, variables, as_=world["dispatcher"])
    nodes = data["node"]["bills"]["nodes"]
    assert len(nodes) == bills
    assert all(len(bill["payments"]["nodes"]) == 2 for bill in nodes)
    assert all(bill["payments"]["nodes"][0]["receipt"] is not None for bill in nodes)
    assert len(data["node"]["payments"]["nodes"]) == min(bills, 2 * bills)
    return len(statements)


async def test_a_page_of_bills_with_lines_and_payments_costs_the_same_statements(
    api: Api, sandbox: SandboxClient
) -> None:
    world = await make_world(api, premises=3)
    for number, payer, count in (("1", "owner", 2), ("2", "registered", 12)):
        for _ in range(count):
            bill_id = await make_bill(api, world, number)
            for amount in (1000, 2000):
                payment = await started(api, world[payer], bill_id, amount)
                await sandbox.complete(await provider_id(api, payment))
    small = await _statements(api, world, "1", 2)
    large = await _statements(api, world, "2", 12)
    assert small == large, f"N+1: {small} statements for 2 bills, {large} for 12"
    # the profile, the premise, its building (the decision), the bills, their lines, the
    # payments of the bills, the payments of the premise
    assert large <= 7


@pytest.mark.parametrize(
    ("first", "after"),
    [
        (0, None),
        (101, None),
        (-1, None),
        (10, "not a cursor"),
        (10, "WzEsMiwzXQ=="),
        (10, "WyJhIiwxXQ=="),
    ],
)
async def test_bad_page_arguments_get_a_coded_error(
    api: Api, world: World, first: int, after: str | None
) -> None:
    result = await api.post(
        BILLS, {"id": world.premise_id("1"), "first": first, "after": after}, as_=world["owner"]
    )
    assert result.response.status_code == 200, result
    assert result.codes == ["BAD_USER_INPUT"], result
    assert result.data == {"node": {"bills": None}}
