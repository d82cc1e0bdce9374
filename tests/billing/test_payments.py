"""Paying bills through the API and the sandbox provider (its own process): a payment is
started PENDING with the provider's confirmation URL, the provider's webhook confirms it,
and the bill, the payer's city points and notifications follow. The same idempotency key
never makes a second payment or a second charge at the provider; partial payments leave
the rest due, over-payments are kept as credit, a failed payment leaves the bill unpaid.
After every scenario the ledger balances to the kopeck."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from edom_graphql.billing.models import BillKind, BillService, Payment
from edom_graphql.billing.service import payments
from edom_graphql.billing.service.bills import ADVANCE_ALLOWANCE, PAYMENT_CAP
from edom_graphql.billing.service.providers import SandboxProvider, reference_of
from edom_graphql.core.ids import encode_id
from tests.billing.scene import (
    BILL_PAY,
    EPD_AMOUNT,
    PAYMENT,
    SandboxClient,
    assert_ledger_balances,
    assert_points_balance,
    cashback_of,
    key,
    ledger,
    make_bill,
    notifications_of,
    pay,
    payments_snapshot,
    pk,
    provider_id,
    started,
)
from tests.factories import Api, World, make_world


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api)


@pytest.fixture(autouse=True)
async def _balances(api: Api, world: World) -> Any:
    """After every scenario the ledger balances to the kopeck and the points to the point."""
    yield
    await assert_ledger_balances(api, world)
    await assert_points_balance(api, world)


async def payment_node(api: Api, world: World, payment_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await api.gql(PAYMENT, {"id": payment_id}, as_=world["owner"]))["node"]
    return node


async def test_a_payment_is_started_then_confirmed_by_the_providers_webhook(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id = await make_bill(api, world)
    owner = world["owner"]
    payload = await pay(api, owner, bill_id, EPD_AMOUNT)
    assert payload["userErrors"] == []
    payment = payload["payment"]
    assert payment["status"] == "PENDING"
    assert payment["amount"] == EPD_AMOUNT
    assert payment["viewerIsPayer"] is True
    assert payment["receipt"] is None
    sandbox_id = await provider_id(api, payment["id"])
    assert payment["confirmationUrl"] == f"{sandbox.url}/pay/{sandbox_id}"
    at_sandbox = await sandbox.payment(sandbox_id)
    assert (at_sandbox["amount"], at_sandbox["reference"], at_sandbox["status"]) == (
        EPD_AMOUNT,
        reference_of(pk(payment["id"])),
        "pending",
    )
    assert payload["bill"] == {
        "id": bill_id,
        "status": "UNPAID",
        "amount": EPD_AMOUNT,
        "paidAmount": 0,
        "amountDue": EPD_AMOUNT,
        "credit": 0,
    }

    answer = await sandbox.complete(sandbox_id)
    assert answer["delivery"]["status"] == 200
    node = await payment_node(api, world, payment["id"])
    assert node["status"] == "SUCCEEDED"
    assert node["confirmationUrl"] is None
    assert node["receipt"] == {
        "number": f"ED-{node['confirmedAt'][:10].replace('-', '')}-{pk(payment['id']):08d}",
        "paidAt": node["confirmedAt"],
        "amount": EPD_AMOUNT,
        "payerDisplayName": "Owner",
        "provider": "sandbox",
        "providerReference": sandbox_id,
        "bill": {"id": bill_id},
    }
    assert node["bill"] == {
        "id": bill_id,
        "status": "PAID",
        "paidAmount": EPD_AMOUNT,
        "amountDue": 0,
        "credit": 0,
    }
    assert await cashback_of(api, payment["id"]) == [EPD_AMOUNT * 5 // 10_000]  # 5 %: 222
    assert await notifications_of(api, owner, ("PAYMENT_SUCCEEDED",)) == [
        ("PAYMENT_SUCCEEDED", pk(payment["id"]), {"amount": EPD_AMOUNT, "billStatus": "PAID"})
    ]
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)


async def test_the_same_key_twice_is_one_payment_and_one_charge(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id = await make_bill(api, world)
    before = await sandbox.stats()
    idempotency_key = key()
    first = await pay(api, world["owner"], bill_id, 100_000, idempotency_key)
    again = await pay(api, world["owner"], bill_id, 100_000, idempotency_key)
    assert first["userErrors"] == again["userErrors"] == []
    assert again["payment"] == first["payment"]
    after = await sandbox.stats()
    assert after["payments"] - before["payments"] == 1
    assert after["create_requests"] - before["create_requests"] == 1  # the retry asked nothing
    async with api.db.transaction() as (session, _):
        rows = (
            await session.execute(select(Payment.id).where(Payment.bill_id == pk(bill_id)))
        ).all()
    assert [row[0] for row in rows] == [pk(first["payment"]["id"])]


async def test_the_same_key_concurrently_is_one_payment_and_one_charge(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id = await make_bill(api, world)
    before = await sandbox.stats()
    idempotency_key = key()
    payloads = await asyncio.gather(
        *(pay(api, world["owner"], bill_id, 150_000, idempotency_key) for _ in range(8))
    )
    assert {p["payment"]["id"] for p in payloads} == {payloads[0]["payment"]["id"]}
    assert all(p["userErrors"] == [] for p in payloads)
    assert {p["payment"]["confirmationUrl"] for p in payloads} == {
        payloads[0]["payment"]["confirmationUrl"]
    }
    after = await sandbox.stats()
    assert after["payments"] - before["payments"] == 1  # however many asked the provider
    async with api.db.transaction() as (session, _):
        count = len(
            (await session.execute(select(Payment.id).where(Payment.bill_id == pk(bill_id)))).all()
        )
    assert count == 1
    await sandbox.complete(await provider_id(api, payloads[0]["payment"]["id"]))
    assert await ledger(api, bill_id) == (150_000, 150_000)


async def test_a_key_names_one_payment_of_one_payer(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id = await make_bill(api, world)
    other_bill = await make_bill(api, world)
    idempotency_key = key()
    first = await pay(api, world["owner"], bill_id, 100_000, idempotency_key)
    before = await payments_snapshot(api, world)
    stats = await sandbox.stats()
    for bill, amount in ((bill_id, 100_001), (other_bill, 100_000)):
        refused = await pay(api, world["owner"], bill, amount, idempotency_key)
        assert refused["payment"] is None
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
            ("IDEMPOTENCY_KEY_REUSED", ["idempotencyKey"])
        ]
    assert await payments_snapshot(api, world) == before
    assert await sandbox.stats() == stats
    # another payer's key of the same text is their own
    co_owner = await pay(api, world["co_owner"], bill_id, 100_000, idempotency_key)
    assert co_owner["userErrors"] == []
    assert co_owner["payment"]["id"] != first["payment"]["id"]


async def test_partial_payments_leave_the_rest_due(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id = await make_bill(api, world)
    first = await started(api, world["owner"], bill_id, 200_000)
    await sandbox.complete(await provider_id(api, first))
    node = await payment_node(api, world, first)
    assert node["bill"] == {
        "id": bill_id,
        "status": "PARTIALLY_PAID",
        "paidAmount": 200_000,
        "amountDue": EPD_AMOUNT - 200_000,
        "credit": 0,
    }
    assert await cashback_of(api, first) == [100]
    rest = await started(api, world["co_owner"], bill_id, EPD_AMOUNT - 200_000)
    await sandbox.complete(await provider_id(api, rest))
    node = await payment_node(api, world, rest)
    assert node["bill"]["status"] == "PAID"
    assert node["bill"]["amountDue"] == 0
    assert node["receipt"]["payerDisplayName"] == "Co Owner"
    assert await cashback_of(api, rest) == [(EPD_AMOUNT - 200_000) * 5 // 10_000]
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)
    await assert_ledger_balances(api, world)


async def test_an_over_payment_is_kept_as_credit_without_cashback(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id = await make_bill(api, world)
    over = await started(api, world["owner"], bill_id, 500_000)
    await sandbox.complete(await provider_id(api, over))
    node = await payment_node(api, world, over)
    assert node["bill"] == {
        "id": bill_id,
        "status": "OVERPAID",
        "paidAmount": 500_000,
        "amountDue": 0,
        "credit": 500_000 - EPD_AMOUNT,
    }
    assert await cashback_of(api, over) == [EPD_AMOUNT * 5 // 10_000]  # on what was due only
    # nothing is due now: an advance of up to 1,000 roubles is still taken, more is not
    advance = await started(api, world["owner"], bill_id, ADVANCE_ALLOWANCE)
    await sandbox.complete(await provider_id(api, advance))
    assert await cashback_of(api, advance) == []
    refused = await pay(api, world["owner"], bill_id, ADVANCE_ALLOWANCE + 1)
    assert [e["code"] for e in refused["userErrors"]] == ["AMOUNT_TOO_LARGE"]
    node = await payment_node(api, world, advance)
    assert node["bill"]["credit"] == 500_000 + ADVANCE_ALLOWANCE - EPD_AMOUNT
    assert await ledger(api, bill_id) == (600_000, 600_000)


async def test_a_failed_payment_leaves_the_bill_unpaid(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id = await make_bill(api, world)
    owner = world["owner"]
    idempotency_key = key()
    payload = await pay(api, owner, bill_id, EPD_AMOUNT, idempotency_key)
    payment_id = payload["payment"]["id"]
    answer = await sandbox.fail(await provider_id(api, payment_id), reason="card declined")
    assert answer["delivery"]["status"] == 200
    node = await payment_node(api, world, payment_id)
    assert (node["status"], node["failureReason"], node["receipt"]) == (
        "FAILED",
        "card declined",
        None,
    )
    assert node["bill"]["status"] == "UNPAID"
    assert await cashback_of(api, payment_id) == []
    assert ("PAYMENT_FAILED", pk(payment_id)) in [
        n[:2] for n in await notifications_of(api, owner, ("PAYMENT_FAILED",))
    ]
    # the key names that attempt: asked again, it is the failed payment
    again = await pay(api, owner, bill_id, EPD_AMOUNT, idempotency_key)
    assert (again["payment"]["id"], again["payment"]["status"]) == (payment_id, "FAILED")
    assert again["payment"]["confirmationUrl"] is None
    # a new attempt, with a new key
    retry = await started(api, owner, bill_id, EPD_AMOUNT)
    await sandbox.complete(await provider_id(api, retry))
    assert (await payment_node(api, world, retry))["bill"]["status"] == "PAID"
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)


async def test_an_electricity_bill_earns_no_cashback(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id = await make_bill(
        api,
        world,
        kind=BillKind.ELECTRICITY,
        lines=((BillService.ELECTRICITY_T1, 84_050), (BillService.ELECTRICITY_T2, 21_310)),
    )
    payment_id = await started(api, world["owner"], bill_id, 105_360)
    await sandbox.complete(await provider_id(api, payment_id))
    assert (await payment_node(api, world, payment_id))["bill"]["status"] == "PAID"
    assert await cashback_of(api, payment_id) == []


async def test_amounts_out_of_bounds_are_refused_and_change_nothing(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id = await make_bill(api, world)
    big_bill = await make_bill(api, world, lines=((BillService.CAPITAL_REPAIR, 200_000_000),))
    before = await payments_snapshot(api, world)
    stats = await sandbox.stats()
    cases = [
        (bill_id, 0, "AMOUNT_NOT_POSITIVE"),
        (bill_id, -100, "AMOUNT_NOT_POSITIVE"),
        (bill_id, 10 * EPD_AMOUNT + 1, "AMOUNT_TOO_LARGE"),
        (bill_id, 10**20, "AMOUNT_TOO_LARGE"),
        (big_bill, PAYMENT_CAP + 1, "AMOUNT_TOO_LARGE"),
    ]
    for bill, amount, code in cases:
        payload = await pay(api, world["owner"], bill, amount)
        assert payload["payment"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, ["amount"])]
    for bad_key in ("", "two words", "ключ", "k" * 101):
        payload = await pay(api, world["owner"], bill_id, 1000, bad_key)
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("INVALID_IDEMPOTENCY_KEY", ["idempotencyKey"])
        ]
    assert await payments_snapshot(api, world) == before
    assert await sandbox.stats() == stats
    # the largest amounts allowed are taken
    assert (await pay(api, world["owner"], bill_id, 10 * EPD_AMOUNT))["userErrors"] == []
    assert (await pay(api, world["owner"], big_bill, PAYMENT_CAP))["userErrors"] == []


async def test_bad_input_gets_a_coded_error_never_a_500(api: Api, world: World) -> None:
    bill_id = await make_bill(api, world)
    owner = world["owner"]
    before = await payments_snapshot(api, world)
    cases: list[tuple[dict[str, Any], str]] = [
        ({"billId": "not an id", "amount": 100, "idempotencyKey": key()}, "BAD_USER_INPUT"),
        (
            {"billId": world.premise_id("1"), "amount": 100, "idempotencyKey": key()},
            "BAD_USER_INPUT",
        ),
        (
            {"billId": encode_id("Bill", 10**17), "amount": 100, "idempotencyKey": key()},
            "FORBIDDEN",
        ),
        ({"billId": bill_id, "amount": 1.5, "idempotencyKey": key()}, "BAD_USER_INPUT"),
        ({"billId": bill_id, "amount": "100", "idempotencyKey": key()}, "BAD_USER_INPUT"),
        ({"billId": bill_id, "amount": True, "idempotencyKey": key()}, "BAD_USER_INPUT"),
        ({"billId": bill_id, "amount": 100, "idempotencyKey": "a\x00b"}, "BAD_USER_INPUT"),
        ({"billId": bill_id, "amount": 100}, "BAD_USER_INPUT"),
    ]
    for variables, code in cases:
        result = await api.post(BILL_PAY, {"input": variables}, as_=owner)
        assert result.response.status_code in (200, 400), result
        assert result.codes, result
        assert set(result.codes) == {code}, (variables, result)
        assert not (result.data or {}).get("billPay"), result
    assert await payments_snapshot(api, world) == before


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


async def test_a_provider_that_does_not_answer_leaves_the_payment_to_retry(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    """The provider's socket refuses: the payment stays PENDING without a URL, and the same
    key later asks the provider again (one charge). A provider that then refuses the
    payment fails it."""
    bill_id = await make_bill(api, world)
    owner = world["owner"]
    assert owner.pk is not None
    down = api.settings.model_copy(
        update={"payment_sandbox_url": f"http://127.0.0.1:{closed_port()}"}
    )
    idempotency_key = key()
    attempt = await payments.pay(
        api.db,
        SandboxProvider(down, api.app.state.services.clock),
        bill_id=pk(bill_id),
        payer_id=owner.pk,
        amount=300_000,
        idempotency_key=idempotency_key,
        return_url=None,
        now=api.app.state.services.clock(),
    )
    assert attempt.error is not None
    assert attempt.error.code == "PROVIDER_UNAVAILABLE"
    assert attempt.payment_id is not None
    payment_id = encode_id("Payment", attempt.payment_id)
    node = await payment_node(api, world, payment_id)
    assert (node["status"], node["confirmationUrl"]) == ("PENDING", None)

    stats = await sandbox.stats()
    retried = await pay(api, owner, bill_id, 300_000, idempotency_key)
    assert retried["userErrors"] == []
    assert retried["payment"]["id"] == payment_id
    assert retried["payment"]["confirmationUrl"].startswith(f"{sandbox.url}/pay/")
    assert (await sandbox.stats())["payments"] == stats["payments"] + 1

    # the provider holds another payment under the next attempt's reference: it refuses
    second_key = key()
    second = await payments.pay(
        api.db,
        SandboxProvider(down, api.app.state.services.clock),
        bill_id=pk(bill_id),
        payer_id=owner.pk,
        amount=100_000,
        idempotency_key=second_key,
        return_url=None,
        now=api.app.state.services.clock(),
    )
    assert second.payment_id is not None
    reference = reference_of(second.payment_id)
    status, _ = await sandbox.create(reference, {"amount": 100_001, "reference": reference})
    assert status == 200
    refused = await pay(api, owner, bill_id, 100_000, second_key)
    assert [e["code"] for e in refused["userErrors"]] == ["PROVIDER_REFUSED"]
    assert refused["payment"]["id"] == encode_id("Payment", second.payment_id)
    assert refused["payment"]["status"] == "FAILED"
    assert refused["bill"]["paidAmount"] == 0
