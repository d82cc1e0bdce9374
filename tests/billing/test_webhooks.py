"""The provider's webhooks (``POST /payments/webhook/sandbox``), as the sandbox sends them
over a real socket and as an attacker or a confused network would: twice, concurrently,
with a bad signature, an old timestamp, out of order. A bill is credited once per
payment whatever arrives, the ledger balances to the kopeck and the points to the point,
and a webhook that is not authentic is answered 401 and changes nothing."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import func, select

from edom_graphql.billing.models import PaymentWebhookEvent
from edom_graphql.billing.service.providers import reference_of, signed_headers
from tests.billing.scene import (
    EPD_AMOUNT,
    PAYMENT,
    SECRET,
    WEBHOOK,
    SandboxClient,
    assert_ledger_balances,
    assert_points_balance,
    bills_snapshot,
    cashback_of,
    ledger,
    make_bill,
    pay,
    payments_snapshot,
    pk,
    post_webhook,
    provider_id,
    started,
    webhook_events,
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


async def status_of(api: Api, world: World, payment_id: str) -> tuple[str, str]:
    node = (await api.gql(PAYMENT, {"id": payment_id}, as_=world["owner"]))["node"]
    return node["status"], node["bill"]["status"]


async def pending(api: Api, world: World) -> tuple[str, str, str]:
    """A bill and a PENDING payment of all of it: ``(bill, payment, sandbox id)``."""
    bill_id = await make_bill(api, world)
    payment_id = await started(api, world["owner"], bill_id, EPD_AMOUNT)
    return bill_id, payment_id, await provider_id(api, payment_id)


async def event_count(api: Api) -> int:
    async with api.db.transaction() as (session, _):
        return int(
            (
                await session.execute(select(func.count()).select_from(PaymentWebhookEvent))
            ).scalar_one()
        )


def answer(delivery: dict[str, Any]) -> tuple[int, str]:
    return delivery["status"], json.loads(delivery["answer"])["outcome"]


async def test_a_webhook_delivered_twice_credits_once(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id, payment_id, sandbox_id = await pending(api, world)
    completed = await sandbox.complete(sandbox_id)
    assert answer(completed["delivery"]) == (200, "APPLIED")
    again = await sandbox.deliver(completed["event"])  # the same event, signed afresh
    assert answer(again) == (200, "DUPLICATE")
    assert await status_of(api, world, payment_id) == ("SUCCEEDED", "PAID")
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)
    assert await cashback_of(api, payment_id) == [222]
    assert await webhook_events(api, payment_id) == [("SUCCEEDED", "APPLIED")]


async def test_the_same_webhook_concurrently_credits_once(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id, payment_id, sandbox_id = await pending(api, world)
    completed = await sandbox.complete(sandbox_id, deliver=False)
    event = await sandbox.event(completed["event"])
    body = event["body"].encode()
    responses = await asyncio.gather(
        *(post_webhook(api, body, event["headers"]) for _ in range(10))
    )
    assert [r.status_code for r in responses] == [200] * 10
    outcomes = sorted(r.json()["outcome"] for r in responses)
    assert outcomes == ["APPLIED"] + ["DUPLICATE"] * 9
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)
    assert await cashback_of(api, payment_id) == [222]
    assert await webhook_events(api, payment_id) == [("SUCCEEDED", "APPLIED")]


async def test_a_webhook_with_a_bad_signature_is_refused_and_changes_nothing(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id, payment_id, sandbox_id = await pending(api, world)
    completed = await sandbox.complete(sandbox_id, deliver=False)
    event = await sandbox.event(completed["event"])
    body = event["body"].encode()
    headers = event["headers"]
    now = int(time.time())
    forged = body.replace(str(EPD_AMOUNT).encode(), b"1")
    bad: list[tuple[bytes, dict[str, str], str]] = [
        (body, signed_headers("not the secret", event["id"], now, body), "BAD_SIGNATURE"),
        (forged, headers, "BAD_SIGNATURE"),  # the body changed under a valid signature
        (body, {**headers, "webhook-id": "evt_other"}, "BAD_SIGNATURE"),
        (body, {**headers, "webhook-timestamp": str(now + 1)}, "BAD_SIGNATURE"),
        (body, {**headers, "webhook-signature": "v1,AAAA"}, "BAD_SIGNATURE"),
        (body, {**headers, "webhook-timestamp": "yesterday"}, "BAD_TIMESTAMP"),
        (body, {"content-type": "application/json"}, "MISSING_SIGNATURE"),
    ]
    payments = await payments_snapshot(api, world)
    bills = await bills_snapshot(api, world)
    events = await event_count(api)
    for content, sent_headers, code in bad:
        response = await post_webhook(api, content, sent_headers)
        assert (response.status_code, response.json()["error"]) == (401, code)
    assert await payments_snapshot(api, world) == payments
    assert await bills_snapshot(api, world) == bills
    assert await event_count(api) == events
    # the genuine one still goes through, and so do rotated secrets (several signatures)
    rotated = {
        **headers,
        "webhook-signature": "v1,AAAA " + headers["webhook-signature"],
    }
    response = await post_webhook(api, body, rotated)
    assert (response.status_code, response.json()["outcome"]) == (200, "APPLIED")
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)
    assert await status_of(api, world, payment_id) == ("SUCCEEDED", "PAID")


async def test_a_webhook_signed_too_long_ago_or_ahead_is_refused(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id, payment_id, sandbox_id = await pending(api, world)
    completed = await sandbox.complete(sandbox_id, deliver=False)
    event = await sandbox.event(completed["event"])
    body = event["body"].encode()
    tolerance = api.settings.payment_webhook_tolerance_seconds
    payments = await payments_snapshot(api, world)
    for offset in (-tolerance - 5, tolerance + 5, -86_400 * 365):
        headers = signed_headers(SECRET, event["id"], int(time.time()) + offset, body)
        response = await post_webhook(api, body, headers)
        assert (response.status_code, response.json()["error"]) == (401, "STALE_TIMESTAMP")
    assert await payments_snapshot(api, world) == payments
    # just inside the window it is taken
    headers = signed_headers(SECRET, event["id"], int(time.time()) - tolerance + 30, body)
    response = await post_webhook(api, body, headers)
    assert (response.status_code, response.json()["outcome"]) == (200, "APPLIED")
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)
    assert await status_of(api, world, payment_id) == ("SUCCEEDED", "PAID")


async def test_failed_then_succeeded_is_credited_once(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    """A failed attempt, then the provider confirms the money (a retried attempt): the
    success wins, and the bill is credited then."""
    bill_id, payment_id, sandbox_id = await pending(api, world)
    assert answer((await sandbox.fail(sandbox_id))["delivery"]) == (200, "APPLIED")
    assert await status_of(api, world, payment_id) == ("FAILED", "UNPAID")
    assert await ledger(api, bill_id) == (0, 0)
    assert answer((await sandbox.complete(sandbox_id))["delivery"]) == (200, "APPLIED")
    assert await status_of(api, world, payment_id) == ("SUCCEEDED", "PAID")
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)
    assert await cashback_of(api, payment_id) == [222]
    assert await webhook_events(api, payment_id) == [
        ("FAILED", "APPLIED"),
        ("SUCCEEDED", "APPLIED"),
    ]


async def test_a_failure_delivered_after_the_success_is_ignored(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    """The failure happened first but arrives last: a succeeded payment stays so."""
    bill_id, payment_id, sandbox_id = await pending(api, world)
    failed = await sandbox.fail(sandbox_id, deliver=False)
    assert answer((await sandbox.complete(sandbox_id))["delivery"]) == (200, "APPLIED")
    assert answer(await sandbox.deliver(failed["event"])) == (200, "IGNORED")
    assert await status_of(api, world, payment_id) == ("SUCCEEDED", "PAID")
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)
    assert await cashback_of(api, payment_id) == [222]
    assert await webhook_events(api, payment_id) == [
        ("SUCCEEDED", "APPLIED"),
        ("FAILED", "IGNORED"),
    ]


async def test_success_and_failure_concurrently_credit_once(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id, payment_id, sandbox_id = await pending(api, world)
    failed = await sandbox.fail(sandbox_id, deliver=False)
    completed = await sandbox.complete(sandbox_id, deliver=False)
    events = [await sandbox.event(e) for e in (failed["event"], completed["event"])]
    responses = await asyncio.gather(
        *(post_webhook(api, e["body"].encode(), e["headers"]) for e in events * 3)
    )
    assert [r.status_code for r in responses] == [200] * 6
    assert await status_of(api, world, payment_id) == ("SUCCEEDED", "PAID")
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)
    assert await cashback_of(api, payment_id) == [222]
    recorded = await webhook_events(api, payment_id)
    assert sorted(kind for kind, _ in recorded) == ["FAILED", "SUCCEEDED"]
    assert ("SUCCEEDED", "APPLIED") in recorded


def sandbox_event(
    event_id: str,
    kind: str,
    *,
    reference: str,
    provider_payment_id: str,
    amount: int,
) -> dict[str, Any]:
    return {
        "id": event_id,
        "type": kind,
        "created_at": "2026-11-20T10:00:00+00:00",
        "payment": {"id": provider_payment_id, "reference": reference, "amount": amount},
    }


async def post_event(api: Api, event: dict[str, Any]) -> tuple[int, str]:
    body = json.dumps(event).encode()
    response = await post_webhook(
        api, body, signed_headers(SECRET, event["id"], int(time.time()), body)
    )
    return response.status_code, response.json().get("outcome") or response.json()["error"]


async def test_events_that_do_not_match_a_payment_change_nothing(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    bill_id, payment_id, sandbox_id = await pending(api, world)
    reference = reference_of(pk(payment_id))
    payments = await payments_snapshot(api, world)
    cases = [
        ("evt_t_amount", "payment.succeeded", reference, sandbox_id, 1, "MISMATCH"),
        ("evt_t_provider", "payment.succeeded", reference, "sbx_other", EPD_AMOUNT, "MISMATCH"),
        (
            "evt_t_unknown",
            "payment.succeeded",
            "edom-payment-999999999",
            sandbox_id,
            1,
            "UNKNOWN_PAYMENT",
        ),
        ("evt_t_foreign", "payment.succeeded", "order-17", sandbox_id, 1, "UNKNOWN_PAYMENT"),
        (
            "evt_t_other",
            "payment.waiting_for_capture",
            reference,
            sandbox_id,
            EPD_AMOUNT,
            "IGNORED",
        ),
    ]
    for event_id, kind, ref, provider_ref, amount, outcome in cases:
        event = sandbox_event(
            event_id, kind, reference=ref, provider_payment_id=provider_ref, amount=amount
        )
        assert await post_event(api, event) == (200, outcome)
        assert await post_event(api, event) == (200, "DUPLICATE")
    assert await payments_snapshot(api, world) == payments
    assert await ledger(api, bill_id) == (0, 0)
    # a second success under another event id is recorded and ignored
    assert answer((await sandbox.complete(sandbox_id))["delivery"]) == (200, "APPLIED")
    twice = sandbox_event(
        "evt_t_second_success",
        "payment.succeeded",
        reference=reference,
        provider_payment_id=sandbox_id,
        amount=EPD_AMOUNT,
    )
    assert await post_event(api, twice) == (200, "IGNORED")
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)
    assert await cashback_of(api, payment_id) == [222]


async def test_malformed_webhooks_get_a_coded_answer_never_a_500(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    events = await event_count(api)
    now = int(time.time())
    for body in (b"not json", b"[1, 2]", b'{"id": "evt_x"}', b'{"id": "evt_y", "payment": 1}'):
        event_id = "evt_x" if b"evt_x" in body else "evt_y" if b"evt_y" in body else "evt_z"
        response = await post_webhook(api, body, signed_headers(SECRET, event_id, now, body))
        assert (response.status_code, response.json()["error"]) == (400, "MALFORMED")
    response = await api.client.post(
        "/payments/webhook/acquirer-nobody-knows", content=b"{}", headers={}
    )
    assert (response.status_code, response.json()["error"]) == (404, "UNKNOWN_PROVIDER")
    big = b"{" + b" " * (70 * 1024) + b"}"
    response = await post_webhook(api, big, signed_headers(SECRET, "evt_big", now, big))
    assert (response.status_code, response.json()["error"]) == (413, "TOO_LARGE")
    response = await api.client.get(WEBHOOK)
    assert response.status_code == 405
    long_id = "e" * 300
    response = await post_webhook(api, b"{}", signed_headers(SECRET, long_id, now, b"{}"))
    assert response.status_code == 401
    assert await event_count(api) == events


async def test_an_unanswered_webhook_is_retried_until_it_is_taken(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    """The platform answers 2xx only once an event is processed; until then the provider
    delivers it again (here the first delivery goes to a wrong URL)."""
    bill_id, payment_id, sandbox_id = await pending(api, world)
    base = str(api.client.base_url)
    await sandbox.configure(webhook_url=f"{base}/payments/webhook/wrong", retry_delays=[0.5, 1])
    completed = await sandbox.complete(sandbox_id)
    assert completed["delivery"]["status"] == 404
    assert await ledger(api, bill_id) == (0, 0)
    await sandbox.configure(webhook_url=f"{base}{WEBHOOK}")
    for _ in range(60):
        if (await status_of(api, world, payment_id))[0] == "SUCCEEDED":
            break
        await asyncio.sleep(0.1)
    assert await status_of(api, world, payment_id) == ("SUCCEEDED", "PAID")
    deliveries = (await sandbox.event(completed["event"]))["deliveries"]
    assert [d["status"] for d in deliveries] == [404, 200]
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)


async def wait_for(api: Api, world: World, payment_id: str, status: str) -> None:
    for _ in range(100):
        if (await status_of(api, world, payment_id))[0] == status:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{payment_id} is not {status}")


async def test_the_payer_confirms_at_the_confirmation_url(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    """The sandbox's page at ``confirmationUrl``: paying there sends the webhook."""
    bill_id = await make_bill(api, world)
    payload = await pay(api, world["owner"], bill_id, EPD_AMOUNT)
    url = payload["payment"]["confirmationUrl"]
    async with httpx.AsyncClient(trust_env=False, timeout=30) as browser:
        page = await browser.get(url)
        assert page.status_code == 200
        assert "4442,12 ₽" in page.text
        assert "pending" in page.text
        paid = await browser.post(url, data={"action": "pay"})
        assert paid.status_code == 200
    await wait_for(api, world, payload["payment"]["id"], "SUCCEEDED")
    assert await ledger(api, bill_id) == (EPD_AMOUNT, EPD_AMOUNT)


async def test_the_sandbox_can_complete_payments_by_itself(
    api: Api, world: World, sandbox: SandboxClient
) -> None:
    await sandbox.configure(auto_complete_after=0.2)
    bill_id = await make_bill(api, world)
    payload = await pay(api, world["owner"], bill_id, 123_456)
    assert payload["payment"]["status"] == "PENDING"
    await wait_for(api, world, payload["payment"]["id"], "SUCCEEDED")
    assert await ledger(api, bill_id) == (123_456, 123_456)
