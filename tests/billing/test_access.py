"""Who reads and pays a premise's bills, cell by cell, through the API.

``Premise.bills`` and ``Premise.payments`` are household records (``HOUSEHOLD_RECORDS_VIEW``
measured at the premise): its occupants down to elevated guests, and the staff of the
building's organisation, read only. ``billPay`` is ``BILLS_PAY`` at the bill's premise:
the occupants down to elevated guests, never staff. A refused call changes nothing, at the
platform or at the provider. The columns are the people of ``make_world``
(tests/access/test_access_matrix.py); a payment's confirmation URL is its payer's alone.
"""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio

from tests.access.test_access_matrix import (
    OTHER_BUILDING_COLUMN,
    PEOPLE,
    PERSON_COLUMN,
    allowed,
    assert_denied,
    person,
    premise_column,
)
from tests.billing.scene import (
    BILL_PAY,
    EPD_AMOUNT,
    SandboxClient,
    key,
    make_bill,
    pay,
    payments_snapshot,
    provider_id,
    started,
)
from tests.factories import Api, World, make_world

RECORDS = """
query ($id: ID!) {
  node(id: $id) {
    ... on Premise {
      number
      bills(first: 10) { nodes { id status amount } }
      payments(first: 10) { nodes { id status confirmationUrl viewerIsPayer bill { id } } }
    }
  }
}
"""


class Scene:
    def __init__(self, world: World) -> None:
        self.world = world
        self.bills: dict[str, str] = {}
        self.paid: dict[str, str] = {}
        self.pending: dict[str, str] = {}
        self.urls: dict[str, str] = {}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scene(api: Api, sandbox_process: SandboxClient) -> Scene:
    """Apartments 1 and 2 each with a bill paid in part by its owner (or registered
    resident) and a payment pending by its other occupant; a bill of the other building."""
    world = await make_world(api)
    scene = Scene(world)
    for number, payer, other in (("1", "owner", "guest_elevated"), ("2", "registered", None)):
        bill_id = await make_bill(api, world, number)
        scene.bills[number] = bill_id
        paid = await started(api, world[payer], bill_id, 100_000)
        await sandbox_process.complete(await provider_id(api, paid))
        scene.paid[number] = paid
        if other is not None:
            payload = await pay(api, world[other], bill_id, 50_000)
            scene.pending[number] = payload["payment"]["id"]
            scene.urls[number] = payload["payment"]["confirmationUrl"]
    scene.bills["other"] = await make_bill(api, world, "1", other_building=True)
    return scene


def records_column(key: str, number: str) -> str | None:
    return premise_column(key, number)


@pytest.mark.parametrize("number", ["1", "2"])
@pytest.mark.parametrize("key", PEOPLE)
async def test_premise_bills_and_payments(api: Api, scene: Scene, key: str, number: str) -> None:
    world = scene.world
    result = await api.post(RECORDS, {"id": world.premise_id(number)}, as_=person(world, key))
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["node"])
        return
    if not allowed("BUILDING_VIEW", PERSON_COLUMN[key]):
        assert result.ok() == {"node": None}
        return
    if not allowed("HOUSEHOLD_RECORDS_VIEW", records_column(key, number)):
        assert result.response.status_code == 200
        assert sorted((e["extensions"]["code"], tuple(e["path"])) for e in result.errors) == [
            ("FORBIDDEN", ("node", "bills")),
            ("FORBIDDEN", ("node", "payments")),
        ], result
        assert {e["extensions"]["capability"] for e in result.errors} == {"HOUSEHOLD_RECORDS_VIEW"}
        assert result.data == {"node": {"number": number, "bills": None, "payments": None}}
        return
    bill_id = scene.bills[number]
    payer = "owner" if number == "1" else "registered"
    expected_payments = [
        {
            "id": scene.paid[number],
            "status": "SUCCEEDED",
            "confirmationUrl": None,
            "viewerIsPayer": key == payer,
            "bill": {"id": bill_id},
        }
    ]
    if number in scene.pending:
        mine = key == "guest_elevated"
        expected_payments.insert(
            0,
            {
                "id": scene.pending[number],
                "status": "PENDING",
                "confirmationUrl": scene.urls[number] if mine else None,
                "viewerIsPayer": mine,
                "bill": {"id": bill_id},
            },
        )
    assert result.ok() == {
        "node": {
            "number": number,
            "bills": {"nodes": [{"id": bill_id, "status": "PARTIALLY_PAID", "amount": EPD_AMOUNT}]},
            "payments": {"nodes": expected_payments},
        }
    }


NODES = "query ($ids: [ID!]!) { nodes(ids: $ids) { id } }"


@pytest.mark.parametrize("key", PEOPLE)
async def test_bills_and_payments_by_id(api: Api, scene: Scene, key: str) -> None:
    """``node(id)`` of a bill or payment: the same cells as the premise's records."""
    world = scene.world
    objects = [
        ("1", scene.bills["1"]),
        ("1", scene.paid["1"]),
        ("1", scene.pending["1"]),
        ("2", scene.bills["2"]),
        ("2", scene.paid["2"]),
    ]
    result = await api.post(NODES, {"ids": [i for _, i in objects]}, as_=person(world, key))
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["nodes"])
        return
    expected = [
        {"id": global_id}
        if allowed("HOUSEHOLD_RECORDS_VIEW", records_column(key, number))
        else None
        for number, global_id in objects
    ]
    assert result.ok() == {"nodes": expected}
    other = await api.post(NODES, {"ids": [scene.bills["other"]]}, as_=person(world, key))
    # the stranger owns apartment 1 of the other building; other_staff manage it
    sees_other = allowed("HOUSEHOLD_RECORDS_VIEW", OTHER_BUILDING_COLUMN[key])
    assert other.ok() == {"nodes": [{"id": scene.bills["other"]} if sees_other else None]}


@pytest.mark.parametrize("number", ["1", "2"])
@pytest.mark.parametrize("key", PEOPLE)
async def test_bill_pay(
    api: Api, scene: Scene, sandbox: SandboxClient, key: str, number: str
) -> None:
    world = scene.world
    bill_id = scene.bills[number]
    variables = {"input": {"billId": bill_id, "amount": 1_000, "idempotencyKey": key_for(key)}}
    before = await payments_snapshot(api, world)
    stats = await sandbox.stats()
    result = await api.post(BILL_PAY, variables, as_=person(world, key))
    if key == "anonymous" or not allowed("BILLS_PAY", premise_column(key, number)):
        code = "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"
        assert_denied(result, code, ["billPay"])
        assert result.data == {"billPay": None}
        assert await payments_snapshot(api, world) == before
        assert await sandbox.stats() == stats
        return
    payload: dict[str, Any] = result.ok()["billPay"]
    assert payload["userErrors"] == []
    assert payload["payment"]["status"] == "PENDING"
    assert payload["payment"]["viewerIsPayer"] is True
    assert payload["payment"]["confirmationUrl"].startswith(f"{sandbox.url}/pay/")
    assert payload["bill"]["id"] == bill_id
    assert len(await payments_snapshot(api, world)) == len(before) + 1
    assert (await sandbox.stats())["payments"] == stats["payments"] + 1


def key_for(person_key: str) -> str:
    return f"{person_key}-{key()}"
