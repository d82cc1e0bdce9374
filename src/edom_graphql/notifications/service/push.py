"""The push provider interface and the reference provider, Web Push.

A provider takes one message to one device and answers with an outcome: ``SENT``,
``GONE`` (the device's subscription or token no longer exists: the device is dropped),
``RETRY`` (a transient failure: 429, 5xx, a timeout or a broken connection; tried again
later with backoff) or ``FAILED`` (the provider refused this message for good). Web Push
(:class:`WebPushProvider`) signs each request with VAPID (RFC 8292, an ES256 JWT whose
audience is the push service's origin) and encrypts the payload for the subscription's
keys with RFC 8291 (``aes128gcm``), through pywebpush. FCM and APNs are in
:mod:`.mobile`.
"""

from __future__ import annotations

import base64
import enum
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02
from pywebpush import WebPusher

from edom_graphql.notifications.models import PushPlatform
from edom_graphql.settings import Settings

VAPID_TOKEN_SECONDS = 12 * 3600
"""Lifetime of a VAPID JWT (RFC 8292 allows at most 24 hours)."""
MAX_ERROR_LENGTH = 500


class Outcome(enum.Enum):
    SENT = "SENT"
    GONE = "GONE"
    RETRY = "RETRY"
    FAILED = "FAILED"


@dataclass(frozen=True)
class PushTarget:
    """The device a message goes to."""

    platform: PushPlatform
    endpoint: str
    """The Web Push subscription URL, or the FCM registration token / APNs device token."""
    p256dh: str | None = None
    auth: str | None = None


@dataclass(frozen=True)
class PushMessage:
    """What a push carries: a notification, by its global id."""

    notification_id: str
    kind: str
    message: str
    subject_id: str | None
    sent_at: str
    title: str
    """In the recipient's language (``messages.push_title``)."""

    def payload(self) -> dict[str, Any]:
        return {
            "id": self.notification_id,
            "kind": self.kind,
            "title": self.title,
            "message": self.message,
            "subjectId": self.subject_id,
            "createdAt": self.sent_at,
        }


@dataclass(frozen=True)
class PushResult:
    outcome: Outcome
    error: str | None = None

    @classmethod
    def from_status(cls, status: int, body: str, *, gone: frozenset[int]) -> PushResult:
        if 200 <= status < 300:
            return cls(Outcome.SENT)
        error = f"HTTP {status}: {body}"[:MAX_ERROR_LENGTH]
        if status in gone:
            return cls(Outcome.GONE, error)
        if status == 429 or status >= 500:
            return cls(Outcome.RETRY, error)
        return cls(Outcome.FAILED, error)


class PushProvider(Protocol):
    """Sends one message to one device of its platform."""

    async def send(self, target: PushTarget, message: PushMessage) -> PushResult: ...


def b64url_decode(value: str) -> bytes:
    """Base64url without padding (as Web Push keys travel); raises ValueError."""
    if not value or any(c not in _B64URL for c in value):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


_B64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def load_or_create_vapid_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The development VAPID key pair, made at first start into the data directory."""
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, ec.EllipticCurvePrivateKey)
        return key
    key = ec.generate_private_key(ec.SECP256R1())
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(pem)
    return key


def vapid_key_of(settings: Settings) -> ec.EllipticCurvePrivateKey:
    """The server's VAPID private key: ``EDOM_VAPID_PRIVATE_KEY`` (PEM, or the raw 32-byte
    scalar in base64url); in development without it, a key in the data directory."""
    configured = settings.vapid_private_key
    if configured:
        if "BEGIN" in configured:
            key = serialization.load_pem_private_key(configured.encode(), password=None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            return key
        scalar = int.from_bytes(b64url_decode(configured.strip()), "big")
        return ec.derive_private_key(scalar, ec.SECP256R1())
    if settings.environment == "production":
        raise RuntimeError("EDOM_VAPID_PRIVATE_KEY is required in production")
    return load_or_create_vapid_key(settings.vapid_key_path)


def vapid_public_key(key: ec.EllipticCurvePrivateKey) -> str:
    """The application server key browsers subscribe with (uncompressed point, base64url)."""
    raw = key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return b64url(raw)


class WebPushProvider:
    """Web Push: VAPID-signed, RFC 8291-encrypted POSTs to the subscription's endpoint."""

    GONE = frozenset({404, 410})

    def __init__(
        self,
        key: ec.EllipticCurvePrivateKey,
        *,
        subject: str,
        client: httpx.AsyncClient,
        ttl_seconds: int = 24 * 3600,
    ) -> None:
        self._vapid = Vapid02(private_key=key)
        self.public_key = vapid_public_key(key)
        self._subject = subject
        self._client = client
        self._ttl = ttl_seconds
        self._tokens: dict[str, tuple[float, str]] = {}

    def _authorization(self, endpoint: str) -> str:
        parts = urlsplit(endpoint)
        audience = f"{parts.scheme}://{parts.netloc}"
        now = time.time()
        cached = self._tokens.get(audience)
        if cached is not None and cached[0] - now > VAPID_TOKEN_SECONDS / 2:
            return cached[1]
        expires = int(now) + VAPID_TOKEN_SECONDS
        claims = {"aud": audience, "exp": expires, "sub": self._subject}
        header: str = self._vapid.sign(claims)["Authorization"]
        self._tokens[audience] = (expires, header)
        return header

    async def send(self, target: PushTarget, message: PushMessage) -> PushResult:
        subscription = {
            "endpoint": target.endpoint,
            "keys": {"p256dh": target.p256dh or "", "auth": target.auth or ""},
        }
        data = json.dumps(message.payload(), ensure_ascii=False).encode()
        body = WebPusher(subscription).encode(data, "aes128gcm")["body"]
        headers = {
            "Authorization": self._authorization(target.endpoint),
            "Content-Encoding": "aes128gcm",
            "Content-Type": "application/octet-stream",
            "TTL": str(self._ttl),
            "Urgency": "high",
        }
        try:
            response = await self._client.post(target.endpoint, content=body, headers=headers)
        except httpx.HTTPError as error:
            return PushResult(Outcome.RETRY, f"{type(error).__name__}: {error}"[:MAX_ERROR_LENGTH])
        return PushResult.from_status(response.status_code, response.text, gone=self.GONE)


_PUBLIC_KEYS: dict[tuple[str | None, Path], str] = {}


def public_key_of(settings: Settings) -> str:
    """The VAPID public key for ``settings`` (read once per process)."""
    cache_key = (settings.vapid_private_key, settings.vapid_key_path)
    found = _PUBLIC_KEYS.get(cache_key)
    if found is None:
        found = _PUBLIC_KEYS[cache_key] = vapid_public_key(vapid_key_of(settings))
    return found
