"""What tests of the HTTP surface read and send: response bodies and their error codes,
and token claims made by hand (to sign with keys of the test's choosing)."""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx

from edom_graphql.settings import Settings

GRAPHQL_RESPONSE = "application/graphql-response+json"


def body_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].split(";")[0] in ("application/json", GRAPHQL_RESPONSE)
    body: dict[str, Any] = response.json()
    return body


def codes(response: httpx.Response) -> list[str]:
    return [error["extensions"]["code"] for error in body_of(response)["errors"]]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def claims(settings: Settings, subject: str, **overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": settings.oidc_issuer,
        "aud": settings.oidc_audience,
        "sub": subject,
        "name": "Mallory",
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        **overrides,
    }
