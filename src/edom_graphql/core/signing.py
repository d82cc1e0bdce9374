"""Signed messages between the platform and the systems beside it (a payment provider's
webhooks, an intercom panel's callbacks): HMAC-SHA256 over the event id, the timestamp
and the raw body, so that neither the id nor the time can be swapped by a replayer.

Each protocol encodes the digest and names its headers its own way (Standard Webhooks for
payments, ``docs/intercom-protocol.md`` for panels); the construction is this one.
"""

from __future__ import annotations

import hashlib
import hmac


def digest(secret: str, event_id: str, timestamp: int, body: bytes) -> bytes:
    """The HMAC-SHA256 of ``<event id>.<timestamp>.<body>`` with ``secret``."""
    message = f"{event_id}.{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def fresh(timestamp: int, now: float, tolerance_seconds: float) -> bool:
    """The message was signed within ``tolerance_seconds`` of ``now`` (either way)."""
    return abs(now - timestamp) <= tolerance_seconds


def same(expected: str, given: str) -> bool:
    """Compare two encoded signatures in constant time."""
    return hmac.compare_digest(expected.encode(), given.encode())
