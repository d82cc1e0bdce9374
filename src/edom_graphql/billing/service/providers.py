"""The payment provider interface, the webhook protocol, and the providers by name.

A provider (an acquirer) does two things for the platform: it creates a payment and gives
the URL where the payer confirms it (:meth:`PaymentProvider.create_payment`, idempotent by
the platform's payment reference), and it tells the outcome by a signed webhook to
``POST /payments/webhook/<name>`` (:meth:`PaymentProvider.verify_webhook` authenticates
one and reads it as a :class:`WebhookEvent`). A real acquirer plugs in as a class with
these two methods registered under its name (:func:`register`); ``EDOM_PAYMENT_PROVIDER``
chooses the one ``billPay`` uses.

The sandbox's webhooks follow the Standard Webhooks scheme: headers ``webhook-id`` (the
event id), ``webhook-timestamp`` (Unix seconds) and ``webhook-signature`` (``v1,`` and the
base64 HMAC-SHA256, keyed with the shared secret, of ``<id>.<timestamp>.<raw body>``;
several space-separated signatures while a secret is rotated). An event older or newer
than the tolerance (``EDOM_PAYMENT_WEBHOOK_TOLERANCE_SECONDS``) is refused.
"""

from __future__ import annotations

import asyncio
import base64
import enum
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import httpx

from edom_graphql.billing.models import MAX_EVENT_ID_LENGTH, MAX_PROVIDER_ID_LENGTH, MAX_URL_LENGTH
from edom_graphql.core import signing
from edom_graphql.settings import Settings

REFERENCE = re.compile(r"edom-payment-([1-9][0-9]{0,17})")
SANDBOX = "sandbox"
MAX_WEBHOOK_BYTES = 64 * 1024
Clock = Callable[[], datetime]


def reference_of(payment_id: int) -> str:
    """The platform's reference of a payment, sent as the provider's idempotence key."""
    return f"edom-payment-{payment_id}"


def payment_of(reference: object) -> int | None:
    """The payment id a reference names (None for anything else)."""
    if not isinstance(reference, str):
        return None
    match = REFERENCE.fullmatch(reference)
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class NewPayment:
    """What the platform asks a provider to charge."""

    reference: str
    """Names the payment; the provider's idempotence key (a retry creates nothing new)."""
    amount: int
    description: str
    return_url: str | None


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    provider_payment_id: str
    confirmation_url: str


class EventKind(enum.Enum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    OTHER = "OTHER"
    """An event the platform does not act on (recorded, answered 2xx)."""


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    event_id: str
    kind: EventKind
    payment_id: int | None
    """The platform's payment, from the reference (None: not one of ours)."""
    provider_payment_id: str | None
    amount: int | None
    occurred_at: datetime | None
    failure_reason: str | None = None


class ProviderUnavailable(Exception):
    """The provider could not be reached or did not answer: retrying later (with the same
    reference) is safe."""


class ProviderRefused(Exception):
    """The provider answered that it will not create this payment."""


class WebhookRejected(Exception):
    """A webhook that is not authentic, fresh or readable; ``status`` is the HTTP answer."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class PaymentProvider(Protocol):
    """An acquirer, as the platform uses it."""

    name: str

    async def create_payment(self, payment: NewPayment) -> ProviderPayment:
        """Create the payment (or return the one already created for its reference).
        Raises :class:`ProviderUnavailable` or :class:`ProviderRefused`."""
        ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """The event of an authentic, fresh webhook; :class:`WebhookRejected` otherwise."""
        ...


# -- the signature (Standard Webhooks) ------------------------------------------------------


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    return "v1," + base64.b64encode(signing.digest(secret, event_id, timestamp, body)).decode(
        "ascii"
    )


def signed_headers(secret: str, event_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers of one delivery of a webhook ``body``."""
    return {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, event_id, timestamp, body),
    }


def verify_signature(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: datetime, tolerance: int
) -> str:
    """The event id of a webhook signed with ``secret`` within ``tolerance`` seconds of
    ``now``; :class:`WebhookRejected` (401) otherwise."""
    lowered = {key.lower(): value for key, value in headers.items()}
    event_id = lowered.get("webhook-id", "")
    stamp = lowered.get("webhook-timestamp", "")
    signatures = lowered.get("webhook-signature", "")
    if not event_id or not stamp or not signatures:
        raise WebhookRejected(401, "MISSING_SIGNATURE", "The webhook is not signed.")
    if len(event_id) > MAX_EVENT_ID_LENGTH or not event_id.isascii():
        raise WebhookRejected(401, "BAD_SIGNATURE", "The webhook id is not one we accept.")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise WebhookRejected(401, "BAD_TIMESTAMP", "The webhook timestamp is not a number.")
    timestamp = int(stamp)
    if not signing.fresh(timestamp, now.timestamp(), tolerance):
        raise WebhookRejected(
            401, "STALE_TIMESTAMP", f"The webhook was signed more than {tolerance} s from now."
        )
    expected = signature(secret, event_id, timestamp, body)
    given = signatures.split()
    if not any(signing.same(expected, sig) for sig in given):
        raise WebhookRejected(401, "BAD_SIGNATURE", "The webhook signature does not match.")
    return event_id


# -- the sandbox provider -------------------------------------------------------------------

_CLIENTS: dict[int, tuple[asyncio.AbstractEventLoop, httpx.AsyncClient]] = {}


def http_client() -> httpx.AsyncClient:
    """One pooled HTTP client per event loop."""
    loop = asyncio.get_running_loop()
    found = _CLIENTS.get(id(loop))
    if found is not None and found[0] is loop:
        return found[1]
    client = httpx.AsyncClient(trust_env=False)
    _CLIENTS[id(loop)] = (loop, client)
    return client


def _text(data: dict[str, Any], key: str, limit: int) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= limit:
        raise ProviderUnavailable(f"the provider's answer has no valid {key!r}")
    return value


class SandboxProvider:
    """The sandbox acquirer (:mod:`edom_graphql.billing.service.sandbox`), over HTTP."""

    name = SANDBOX

    def __init__(self, settings: Settings, clock: Clock) -> None:
        self.base_url = settings.payment_sandbox_url.rstrip("/")
        self.secret = settings.payment_sandbox_secret
        self.tolerance = settings.payment_webhook_tolerance_seconds
        self.timeout = settings.payment_provider_timeout_seconds
        self.clock = clock

    async def create_payment(self, payment: NewPayment) -> ProviderPayment:
        try:
            response = await http_client().post(
                f"{self.base_url}/v1/payments",
                json={
                    "amount": payment.amount,
                    "currency": "RUB",
                    "description": payment.description,
                    "reference": payment.reference,
                    "return_url": payment.return_url,
                },
                headers={"Idempotence-Key": payment.reference},
                timeout=self.timeout,
            )
        except httpx.HTTPError as error:
            raise ProviderUnavailable(f"the sandbox did not answer: {error!r}") from None
        if response.status_code >= 500:
            raise ProviderUnavailable(f"the sandbox answered {response.status_code}")
        if response.status_code >= 400:
            raise ProviderRefused(response.text[:300])
        try:
            data = response.json()
        except ValueError:
            raise ProviderUnavailable("the sandbox's answer is not JSON") from None
        if not isinstance(data, dict):
            raise ProviderUnavailable("the sandbox's answer is not an object")
        return ProviderPayment(
            provider_payment_id=_text(data, "id", MAX_PROVIDER_ID_LENGTH),
            confirmation_url=_text(data, "confirmation_url", MAX_URL_LENGTH),
        )

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        event_id = verify_signature(
            self.secret, headers, body, now=self.clock(), tolerance=self.tolerance
        )
        return read_event(event_id, body)


KINDS = {"payment.succeeded": EventKind.SUCCEEDED, "payment.failed": EventKind.FAILED}


def read_event(event_id: str, body: bytes) -> WebhookEvent:
    """The event of a sandbox webhook body (authenticated already)."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise WebhookRejected(400, "MALFORMED", "The webhook body is not JSON.") from None
    payment = data.get("payment") if isinstance(data, dict) else None
    if not isinstance(payment, dict) or data.get("id") != event_id:
        raise WebhookRejected(400, "MALFORMED", "The webhook body is not a payment event.")
    amount = payment.get("amount")
    provider_id = payment.get("id")
    reason = payment.get("failure_reason")
    return WebhookEvent(
        event_id=event_id,
        kind=KINDS.get(str(data.get("type")), EventKind.OTHER),
        payment_id=payment_of(payment.get("reference")),
        provider_payment_id=provider_id
        if isinstance(provider_id, str) and 0 < len(provider_id) <= MAX_PROVIDER_ID_LENGTH
        else None,
        amount=amount if isinstance(amount, int) and not isinstance(amount, bool) else None,
        occurred_at=_instant(data.get("created_at")),
        failure_reason=reason[:500] if isinstance(reason, str) else None,
    )


def _instant(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or not 1900 <= parsed.year < 3000:
        return None
    return parsed.astimezone(UTC)


# -- the providers by name ------------------------------------------------------------------

ProviderFactory = Callable[[Settings, Clock], PaymentProvider]
FACTORIES: dict[str, ProviderFactory] = {SANDBOX: SandboxProvider}


def register(name: str, factory: ProviderFactory) -> None:
    """Make the provider ``name`` available (``EDOM_PAYMENT_PROVIDER``, the webhook
    route ``/payments/webhook/<name>``)."""
    FACTORIES[name] = factory


def provider_named(settings: Settings, clock: Clock, name: str) -> PaymentProvider | None:
    """The provider registered as ``name``; the sandbox never in production."""
    if name == SANDBOX and settings.environment == "production":
        return None
    factory = FACTORIES.get(name)
    return factory(settings, clock) if factory is not None else None


def configured_provider(settings: Settings, clock: Clock) -> PaymentProvider | None:
    """The provider ``billPay`` uses (``EDOM_PAYMENT_PROVIDER``)."""
    return provider_named(settings, clock, settings.payment_provider)
