"""The one source of "now" (UTC-aware), replaceable in tests through the API's settings."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
