"""The device adapter interface, its signatures, and the reference HTTP adapter.

A panel is driven through a :class:`Device`: open the door, set a code with its
validity, revoke a code. The device reports entries and calls back to the platform by a
signed HTTP callback (``POST /intercom/devices/<panel id>/events``, see
:mod:`edom_graphql.intercom.service.callbacks`). Both directions are signed with the
panel's shared secret: headers ``X-Intercom-Event-Id`` (a unique id of the message),
``X-Intercom-Timestamp`` (Unix seconds) and ``X-Intercom-Signature`` (``v1=`` and the hex
HMAC-SHA256 of ``<event id>.<timestamp>.<raw body>``). The protocol is written out in
``docs/intercom-protocol.md``.

:class:`HttpDevice` is the reference adapter for that HTTP device API; a vendor's
adapter is another class with the same three methods (:func:`device_for` chooses one).
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import json
import secrets
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx

from edom_graphql.core import signing
from edom_graphql.intercom.models import DoorOutcome

DEVICE_TIMEOUT_SECONDS = 3.0
"""How long the platform waits for a device's answer before calling it a TIMEOUT."""
SIGNATURE_TOLERANCE_SECONDS = 300
"""How far a signed timestamp may be from now."""


class Reply(enum.Enum):
    """A device's answer to a command."""

    OK = "OK"
    OFFLINE = "OFFLINE"
    TIMEOUT = "TIMEOUT"


DOOR_OUTCOMES = {
    Reply.OK: DoorOutcome.OPENED,
    Reply.OFFLINE: DoorOutcome.DEVICE_OFFLINE,
    Reply.TIMEOUT: DoorOutcome.TIMEOUT,
}


@dataclass(frozen=True, slots=True)
class PanelAddress:
    """How the platform reaches one panel."""

    api_url: str
    secret: str


class Device(Protocol):
    """One panel, as the platform drives it; every call answers the device's outcome."""

    async def open_door(self, request_id: str) -> DoorOutcome: ...

    async def set_code(self, code_id: int, code: str, valid_until: datetime | None) -> Reply:
        """Store a code (valid until ``valid_until``, or for good when None)."""
        ...

    async def revoke_code(self, code_id: int) -> Reply: ...


def sign(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    return "v1=" + signing.digest(secret, event_id, timestamp, body).hex()


def signed_headers(secret: str, body: bytes, *, event_id: str | None = None) -> dict[str, str]:
    """The headers of a signed message with ``body``."""
    event_id = event_id or secrets.token_hex(12)
    timestamp = int(time.time())
    return {
        "content-type": "application/json",
        "x-intercom-event-id": event_id,
        "x-intercom-timestamp": str(timestamp),
        "x-intercom-signature": sign(secret, event_id, timestamp, body),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes, *, now: float) -> str | None:
    """The message's event id if it is signed with ``secret`` within the tolerance."""
    event_id = headers.get("x-intercom-event-id", "")
    stamp = headers.get("x-intercom-timestamp", "")
    signature = headers.get("x-intercom-signature", "")
    if not event_id or len(event_id) > 100 or not stamp.isdigit() or len(stamp) > 12:
        return None
    timestamp = int(stamp)
    if not signing.fresh(timestamp, now, SIGNATURE_TOLERANCE_SECONDS):
        return None
    if not signing.same(sign(secret, event_id, timestamp, body), signature):
        return None
    return event_id


_CLIENTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def _client() -> httpx.AsyncClient:
    """The process's HTTP client of devices (one per event loop): making one per call
    costs more than the call (its TLS context)."""
    loop = asyncio.get_running_loop()
    client = _CLIENTS.get(loop)
    if client is None:
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        client = _CLIENTS[loop] = httpx.AsyncClient(limits=limits, trust_env=False)
    return client


class HttpDevice:
    """The reference adapter: the HTTP device API of ``docs/intercom-protocol.md``."""

    def __init__(self, address: PanelAddress, *, timeout: float = DEVICE_TIMEOUT_SECONDS) -> None:
        self.address = address
        self.timeout = timeout

    async def _send(self, method: str, path: str, payload: dict[str, Any]) -> Reply:
        body = json.dumps(payload).encode()
        url = self.address.api_url.rstrip("/") + path
        try:
            response = await _client().request(
                method,
                url,
                content=body,
                headers=signed_headers(self.address.secret, body),
                timeout=self.timeout,
            )
        except httpx.TimeoutException:
            return Reply.TIMEOUT
        except httpx.HTTPError:
            return Reply.OFFLINE
        if response.status_code // 100 != 2:
            return Reply.OFFLINE
        try:
            answer = response.json()
        except ValueError:
            return Reply.OFFLINE
        return (
            Reply.OK if isinstance(answer, dict) and answer.get("result") == "OK" else Reply.OFFLINE
        )

    async def open_door(self, request_id: str) -> DoorOutcome:
        return DOOR_OUTCOMES[await self._send("POST", "/open", {"request_id": request_id})]

    async def set_code(self, code_id: int, code: str, valid_until: datetime | None) -> Reply:
        return await self._send(
            "PUT",
            f"/codes/{code_id}",
            {"code": code, "valid_until": valid_until.isoformat() if valid_until else None},
        )

    async def revoke_code(self, code_id: int) -> Reply:
        return await self._send("DELETE", f"/codes/{code_id}", {})


def device_for(address: PanelAddress) -> Device:
    """The adapter of a panel (every panel speaks the reference HTTP API for now)."""
    return HttpDevice(address)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


__all__ = [
    "DEVICE_TIMEOUT_SECONDS",
    "Device",
    "HttpDevice",
    "PanelAddress",
    "Reply",
    "device_for",
    "hash_code",
    "sign",
    "signed_headers",
    "verify",
]
