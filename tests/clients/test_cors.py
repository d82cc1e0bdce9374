"""Browsers on another origin reach the API only when EDOM_CORS_ORIGINS names theirs:
a preflight from a listed origin is answered with the allow headers, one from any other
origin is refused without them, and without the setting there is no CORS at all (the
endpoint answers an OPTIONS with its coded 405)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from edom_graphql.server.app import create_app
from edom_graphql.settings import Settings
from tests.factories import Api, Clock, serving

ALLOWED = "https://app.example.ru"
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


@pytest.fixture(scope="module")
async def cors_base_url(settings: Settings, database_url: str, clock: Clock) -> AsyncIterator[str]:
    with_cors = settings.model_copy(update={"cors_origins": [ALLOWED]})
    async with serving(create_app(with_cors, database_url=database_url, clock=clock)) as url:
        yield url


async def preflight(base_url: str, origin: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base_url) as client:
        return await client.options("/graphql", headers={"Origin": origin, **PREFLIGHT})


async def test_a_listed_origin_is_allowed(cors_base_url: str) -> None:
    response = await preflight(cors_base_url, ALLOWED)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in response.headers["access-control-allow-methods"]
    allowed_headers = response.headers["access-control-allow-headers"].lower()
    assert "authorization" in allowed_headers
    assert "content-type" in allowed_headers
    async with httpx.AsyncClient(base_url=cors_base_url) as client:
        answer = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"Origin": ALLOWED}
        )
    assert answer.json() == {"data": {"__typename": "Query"}}
    assert answer.headers["access-control-allow-origin"] == ALLOWED


async def test_another_origin_is_not(cors_base_url: str) -> None:
    response = await preflight(cors_base_url, "https://evil.example.com")
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_without_the_setting_a_preflight_is_a_405(api: Api) -> None:
    assert api.settings.cors_origins == []
    response: Any = await preflight(str(api.client.base_url), ALLOWED)
    assert response.status_code == 405
    assert "access-control-allow-origin" not in response.headers
    assert response.json()["errors"][0]["extensions"]["code"]
