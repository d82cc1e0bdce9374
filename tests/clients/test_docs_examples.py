"""docs/clients.md stays true: each of its Python and JavaScript blocks is a verbatim
excerpt of an example the suite runs, and what it says about tokens, subscriptions over
HTTP and browsers without ``EDOM_CORS_ORIGINS`` is what the server does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.typing import Origin, Subprotocol

from tests.factories import Api
from tests.live import TRANSPORT_WS

ROOT = Path(__file__).parents[2]
DOC = ROOT / "docs" / "clients.md"
EXAMPLES = {
    "python": [Path(__file__).parent / "gql_examples.py"],
    "js": sorted((Path(__file__).parent / "js").glob("*.mjs")),
}
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks() -> list[tuple[str, str]]:
    return [
        (language, body)
        for language, body in BLOCK.findall(DOC.read_text(encoding="utf-8"))
        if language in EXAMPLES
    ]


def test_the_document_has_examples_for_both_languages() -> None:
    languages = [language for language, _ in blocks()]
    assert languages.count("python") >= 4
    assert languages.count("js") >= 4


@pytest.mark.parametrize("index", range(len(blocks())))
def test_each_code_block_is_a_tested_excerpt(index: int) -> None:
    language, body = blocks()[index]
    sources = [path.read_text(encoding="utf-8") for path in EXAMPLES[language]]
    assert any(body in source for source in sources), (
        f"this {language} block of docs/clients.md is in none of "
        f"{[str(path.relative_to(ROOT)) for path in EXAMPLES[language]]}:\n{body}"
    )


def test_the_readme_links_here() -> None:
    assert "(docs/clients.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


async def test_a_refused_token_gets_401_with_www_authenticate(api: Api) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": "{ __typename }"},
        headers={"Authorization": "Bearer not.a.token"},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_a_subscription_over_http_is_refused(api: Api) -> None:
    query = "subscription { notificationReceived { id } }"
    response = await api.client.post("/graphql", json={"query": query})
    assert response.status_code == 400
    assert "WebSocket" in response.json()["errors"][0]["message"]


async def test_without_cors_origins_a_preflight_gets_no_cors_headers(api: Api) -> None:
    response = await api.client.options(
        "/graphql",
        headers={
            "Origin": "https://app.example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 405
    assert not any(name.startswith("access-control-") for name in response.headers)


async def test_without_cors_origins_a_cross_origin_websocket_is_refused(api: Api) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            api.ws_url,
            subprotocols=[Subprotocol(TRANSPORT_WS)],
            origin=Origin("https://app.example.org"),
        ):
            pass
    assert refused.value.response.status_code == 403


async def test_without_a_token_a_request_runs_anonymously(api: Api) -> None:
    response = await api.client.post("/graphql", json={"query": "{ viewer { user { id } } }"})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
