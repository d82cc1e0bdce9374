"""The HTTP surface through real HTTP: GraphQL-over-HTTP conformance, coded refusals,
authentication, health and readiness, metrics, request ids and masked internal errors."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from starlette.applications import Starlette

from edom_graphql.core.auth import issue_dev_token, load_or_create_dev_key
from edom_graphql.core.db import plain_url
from edom_graphql.residents.models import User
from edom_graphql.server.app import create_app
from edom_graphql.server.migrations import upgrade
from edom_graphql.settings import Settings
from tests.factories import Api, GraphQLResult, Person, make_user
from tests.server.surface import GRAPHQL_RESPONSE, b64url, body_of, claims, codes

VIEWER = "{ viewer { user { id displayName } } }"
ME_QUERY = "query Me($x: Boolean!) { viewer { user { id } } __typename @include(if: $x) }"


# --- shared by the tests below ----------------------------------------------------------


async def users_with_subject(api: Api, subject: str) -> int:
    async with api.db.transaction() as (session, _):
        count = (
            await session.execute(select(func.count()).where(User.subject == subject))
        ).scalar_one()
    return int(count)


@asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app served in process (no lifespan: pub/sub stays stopped)."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield client
    finally:
        await app.state.services.db.dispose()


# --- GraphQL over HTTP -------------------------------------------------------------------


async def test_mutation_over_get_is_refused_with_405_and_changes_nothing(api: Api) -> None:
    person = await make_user(api, "get-mutation")
    mutation = 'mutation { profileUpdate(input: {displayName: "Changed"}) { user { id } } }'
    response = await api.client.get(
        "/graphql",
        params={"query": mutation},
        headers={**person.headers, "Accept": "application/json"},
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert codes(response) == ["BAD_USER_INPUT"]
    data = await api.gql("{ viewer { user { displayName } } }", as_=person)
    assert data["viewer"]["user"]["displayName"] == "get-mutation"


async def test_query_over_get(api: Api) -> None:
    person = await make_user(api, "get-query")
    response = await api.client.get(
        "/graphql",
        params={
            "query": ME_QUERY,
            "variables": json.dumps({"x": True}),
            "operationName": "Me",
        },
        headers={**person.headers, "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert body_of(response)["data"] == {
        "viewer": {"user": {"id": person.id}},
        "__typename": "Query",
    }


async def test_graphiql_for_browsers(api: Api) -> None:
    response = await api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "graphiql" in response.text.lower()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"query": "{ __typename }"', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b'"{ __typename }"', "JSON object"),
        (b"null", "JSON object"),
        (b"42", "JSON object"),
        (b'[{"query": "{ __typename }"}]', "JSON object"),
        (b"{}", "No GraphQL query"),
        (b'{"query": ""}', "No GraphQL query"),
        (b'{"query": 1}', "`query` must be a string"),
        (b'{"query": {"a": 1}}', "`query` must be a string"),
        (b'{"query": "{ __typename }", "variables": "{}"}', "`variables` must be a JSON object"),
        (b'{"query": "{ __typename }", "variables": [1]}', "`variables` must be a JSON object"),
        (b'{"query": "{ __typename }", "operationName": 5}', "`operationName` must be a string"),
        (b'{"query": "{ __typename }", "extensions": 5}', "`extensions` must be a JSON object"),
        (b'{"query": "query A { __typename }", "operationName": "B"}', "no operation named `B`"),
        (b'{"query": "fragment F on Query { __typename }"}', "no operation"),
        (b'{"query": "subscription { notificationReceived { id } }"}', "WebSocket"),
        # an unpaired UTF-16 surrogate is valid JSON syntax but no valid text
        (b'{"query": "{ __typename }", "variables": {"a": "x\\ud800"}}', "not valid JSON"),
        (b'{"query": "{ __typename }", "variables": {"a": ["\\uDFFF"]}}', "not valid JSON"),
        (b'{"query": "{ __typename }", "extensions": {"\\udbff": 1}}', "not valid JSON"),
    ],
)
@pytest.mark.parametrize("accept", ["application/json", GRAPHQL_RESPONSE])
async def test_malformed_requests_are_coded_400s(
    api: Api, content: bytes, message: str, accept: str
) -> None:
    response = await api.client.post(
        "/graphql",
        content=content,
        headers={"Content-Type": "application/json", "Accept": accept},
    )
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].split(";")[0] == accept
    body = body_of(response)
    assert "data" not in body
    assert codes(response) == ["BAD_USER_INPUT"]
    assert message in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Content-Type": "text/plain"}, 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, 415),
        ({"Content-Type": "application/graphql"}, 415),
        ({"Content-Type": "application/jsonx"}, 415),
        ({"Content-Type": ""}, 415),
        ({"Content-Type": "application/json", "Accept": "application/xml"}, 406),
        ({"Content-Type": "application/json", "Accept": "application/json;q=0"}, 406),
    ],
)
async def test_unsupported_media_types(api: Api, headers: dict[str, str], status: int) -> None:
    response = await api.client.post(
        "/graphql", content=b'{"query": "{ __typename }"}', headers=headers
    )
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert codes(response) == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"])
async def test_other_methods_are_refused_with_allow(api: Api, method: str) -> None:
    response = await api.client.request(method, "/graphql")
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    if method != "HEAD":
        assert codes(response) == ["BAD_USER_INPUT"]


async def test_body_too_large_is_refused(api: Api) -> None:
    padding = " " * 1_100_000
    response = await api.client.post(
        "/graphql",
        content=f'{{"query": "{{ __typename }}"{padding}}}'.encode(),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert codes(response) == ["BAD_USER_INPUT"]

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ __typename }"'
        for _ in range(20):
            yield b" " * 100_000
        yield b"}"

    # Without Content-Length (chunked), the limit holds while reading.
    response = await api.client.post(
        "/graphql", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert codes(response) == ["BAD_USER_INPUT"]


async def test_wrong_variable_types_are_request_errors(api: Api) -> None:
    person = await make_user(api, "variables")
    query = "query($n: Int!) { viewer { buildings(first: $n) { edges { cursor } } } }"
    for variables in ({"n": "ten"}, {"n": 1.5}, {"n": None}, {"n": {"a": 1}}, {}, {"n": 2**40}):
        result = await api.post(query, variables, as_=person)
        assert result.response.status_code == 200, result
        assert result.data is None
        assert result.codes == ["BAD_USER_INPUT"], result
        response = await api.client.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={**person.headers, "Accept": GRAPHQL_RESPONSE},
        )
        assert response.status_code == 400
        assert "data" not in body_of(response)
        assert codes(response) == ["BAD_USER_INPUT"]


async def test_several_operations_need_an_operation_name(api: Api) -> None:
    query = "query A { __typename } query B { __typename }"
    result = await api.post(query)
    assert result.codes == ["BAD_USER_INPUT"]
    assert "operationName" in result.errors[0]["message"]
    assert (await api.post(query, operation_name="B")).ok() == {"__typename": "Query"}


async def test_graphql_response_media_type(api: Api) -> None:
    headers = {"Accept": f"{GRAPHQL_RESPONSE}, application/json;q=0.9"}
    ok = await api.client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert ok.status_code == 200
    assert ok.headers["content-type"].split(";")[0] == GRAPHQL_RESPONSE
    assert ok.json() == {"data": {"__typename": "Query"}}

    syntax = await api.client.post("/graphql", json={"query": "{ viewer {"}, headers=headers)
    assert syntax.status_code == 400
    assert syntax.headers["content-type"].split(";")[0] == GRAPHQL_RESPONSE
    assert "data" not in syntax.json()
    assert codes(syntax) == ["BAD_USER_INPUT"]

    validation = await api.client.post("/graphql", json={"query": "{ nope }"}, headers=headers)
    assert validation.status_code == 400
    assert "data" not in validation.json()
    assert codes(validation) == ["BAD_USER_INPUT"]

    # A field error is not a request error: 200, with the data entry.
    person = await make_user(api, "graphql-response")
    resolver = await api.client.post(
        "/graphql",
        json={"query": "{ viewer { buildings(first: 0) { edges { cursor } } } }"},
        headers={**headers, **person.headers},
    )
    assert resolver.status_code == 200
    assert resolver.headers["content-type"].split(";")[0] == GRAPHQL_RESPONSE
    assert "data" in resolver.json()
    assert codes(resolver) == ["BAD_USER_INPUT"]
    assert resolver.json()["errors"][0]["path"] == ["viewer", "buildings"]

    anonymous = await api.client.post("/graphql", json={"query": VIEWER}, headers=headers)
    assert anonymous.status_code == 200
    assert anonymous.json()["data"] is None
    assert codes(anonymous) == ["UNAUTHENTICATED"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/json"),
        ("*/*", "application/json"),
        ("application/json", "application/json"),
        ("application/*", "application/json"),
        (GRAPHQL_RESPONSE, GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE}, application/json", GRAPHQL_RESPONSE),
        (f"application/json, {GRAPHQL_RESPONSE}", "application/json"),
        (f"application/json;q=0.5, {GRAPHQL_RESPONSE}", GRAPHQL_RESPONSE),
        (f"{GRAPHQL_RESPONSE};charset=utf-8", GRAPHQL_RESPONSE),
        ("*/*, application/json;q=0", GRAPHQL_RESPONSE),
        ("text/html, */*;q=0.8", "application/json"),
    ],
)
async def test_content_negotiation(api: Api, accept: str | None, expected: str) -> None:
    headers = {"Accept": accept} if accept is not None else {}
    response = await api.client.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == expected


async def test_anonymous_viewer_is_unauthenticated(api: Api) -> None:
    result = await api.post(VIEWER)
    assert result.response.status_code == 200
    assert result.codes == ["UNAUTHENTICATED"]
    # Anonymous requests are served, not refused.
    assert (await api.post("{ __typename }")).ok() == {"__typename": "Query"}


# --- health, readiness, metrics, request ids -------------------------------------------


async def test_healthz(api: Api) -> None:
    response = await api.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz(api: Api) -> None:
    response = await api.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "migrations": "ok", "pubsub": "ok"},
    }


async def test_unreachable_database(settings: Settings) -> None:
    app = create_app(settings, database_url="postgresql://postgres@127.0.0.1:1/nowhere")
    async with served(app) as client:
        ready = await client.get("/readyz")
        assert ready.status_code == 503
        body = ready.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["database"].startswith("unreachable")

        # A signed-in request needs the database: a coded 503 to retry, never a bare 500.
        token = issue_dev_token(settings, subject=f"test|{uuid.uuid4().hex}|down", name="Down")
        response = await client.post(
            "/graphql",
            json={"query": VIEWER},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 503
        assert response.headers["retry-after"].isdigit()
        assert codes(response) == ["SERVICE_UNAVAILABLE"]
        error = response.json()["errors"][0]
        assert error["message"].startswith("The database cannot be reached")
        assert error["extensions"]["requestId"] == response.headers["x-request-id"]
        assert "127.0.0.1" not in response.text

        # Anonymous requests that need no data still work.
        anonymous = await client.post("/graphql", json={"query": "{ __typename }"})
        assert anonymous.json() == {"data": {"__typename": "Query"}}


async def test_metrics_after_a_named_query(api: Api) -> None:
    person = await make_user(api, "metrics")
    before = _metric(
        (await api.client.get("/metrics")).text,
        "edom_graphql_operations_total",
        operation="HttpMetricsProbe",
        type="query",
        outcome="ok",
    )
    result = await api.post(
        "query HttpMetricsProbe { viewer { user { id } } }",
        as_=person,
        operation_name="HttpMetricsProbe",
    )
    result.ok()
    response = await api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    after = _metric(
        text,
        "edom_graphql_operations_total",
        operation="HttpMetricsProbe",
        type="query",
        outcome="ok",
    )
    assert after == (before or 0) + 1
    assert "# TYPE edom_graphql_operation_duration_seconds histogram" in text
    count = _metric(
        text, "edom_graphql_operation_duration_seconds_count", operation="HttpMetricsProbe"
    )
    assert count is not None
    assert count >= 1
    infinite = _metric(
        text,
        "edom_graphql_operation_duration_seconds_bucket",
        operation="HttpMetricsProbe",
        le="+Inf",
    )
    assert infinite == count
    assert _metric(text, "edom_graphql_http_requests_total", method="POST", status="200")


async def test_metrics_labels_stay_bounded(api: Api) -> None:
    await api.client.request("PROPFIND", "/graphql")
    text = (await api.client.get("/metrics")).text
    assert 'method="PROPFIND"' not in text
    assert _metric(text, "edom_graphql_http_requests_total", method="other") is not None


def _metric(text: str, name: str, **labels: str) -> float | None:
    """The value of the first sample of ``name`` whose labels include ``labels``."""
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}", 1)[0]))
        if all(found.get(key) == value for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


async def test_request_id_is_echoed_or_replaced(api: Api) -> None:
    given = f"client-{uuid.uuid4().hex[:12]}.retry_1"
    response = await api.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": given}
    )
    assert response.headers["x-request-id"] == given

    hostile_ids = (
        "short",
        "x" * 65,
        "<script>alert(1)</script>",
        "id with spaces 123",
        "id;drop table users",
        "../../etc/passwd",
    )
    for hostile in hostile_ids:
        response = await api.client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": hostile}
        )
        replaced = response.headers["x-request-id"]
        assert replaced != hostile
        assert re.fullmatch(r"[0-9a-f]{32}", replaced)

    response = await api.client.get("/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    # Refusals carry one too.
    response = await api.client.put("/graphql")
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])


# --- authentication ----------------------------------------------------------------------


def _bad_tokens(settings: Settings, subject: str) -> dict[str, str]:
    dev_key = load_or_create_dev_key(settings.dev_key_path)
    foreign = Ed25519PrivateKey.generate()
    unsigned = ".".join(
        (
            b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode()),
            b64url(json.dumps(claims(settings, subject)).encode()),
            "",
        )
    )
    past = datetime.now(UTC) - timedelta(hours=2)
    expired = issue_dev_token(settings, subject=subject, name="Old", ttl_seconds=60, now=past)
    return {
        "expired": f"Bearer {expired}",
        "foreign key": "Bearer "
        + jwt.encode(claims(settings, subject), foreign, algorithm="EdDSA"),
        "wrong audience": "Bearer "
        + jwt.encode(claims(settings, subject, aud="someone-else"), dev_key, algorithm="EdDSA"),
        "wrong issuer": "Bearer "
        + jwt.encode(
            claims(settings, subject, iss="https://evil.example"), dev_key, algorithm="EdDSA"
        ),
        "alg none": f"Bearer {unsigned}",
        "garbage": "Bearer not-a-token",
        "bearer without token": "Bearer",
        "basic": "Basic " + base64.b64encode(b"user:password").decode(),
        "10 KB": "Bearer " + "a" * 10_240,
        "10 KB well-formed": "Bearer "
        + jwt.encode(claims(settings, subject, pad="x" * 10_240), dev_key, algorithm="EdDSA"),
    }


async def test_invalid_tokens_are_refused_with_401(api: Api, settings: Settings) -> None:
    subject = f"test|{uuid.uuid4().hex[:10]}|intruder"
    for name, authorization in _bad_tokens(settings, subject).items():
        for accept in ("application/json", GRAPHQL_RESPONSE):
            response = await api.client.post(
                "/graphql",
                json={"query": VIEWER},
                headers={"Authorization": authorization, "Accept": accept},
            )
            assert response.status_code == 401, (name, response.text)
            assert response.headers["www-authenticate"].startswith("Bearer "), name
            assert response.headers["content-type"].split(";")[0] == accept
            assert codes(response) == ["UNAUTHENTICATED"], name
            assert "data" not in response.json()
        # Over GET too.
        response = await api.client.get(
            "/graphql",
            params={"query": "{ __typename }"},
            headers={"Authorization": authorization, "Accept": "application/json"},
        )
        assert response.status_code == 401, name
    assert await users_with_subject(api, subject) == 0


async def test_a_new_subject_is_provisioned_once_under_concurrency(api: Api) -> None:
    subject = f"test|{uuid.uuid4().hex[:10]}|newcomer"
    person = Person("newcomer", None, subject, api.token(subject, "Newcomer"))
    results = await asyncio.gather(*(api.post(VIEWER, as_=person) for _ in range(10)))
    ids = {result.ok()["viewer"]["user"]["id"] for result in results}
    assert len(ids) == 1
    assert await users_with_subject(api, subject) == 1
    assert results[0].data["viewer"]["user"]["displayName"] == "Newcomer"


# --- masked internal errors ----------------------------------------------------------------


@pytest.fixture(scope="module")
def breakable_database(fresh_database: Any) -> str:
    """A migrated database of its own, which a test may damage."""
    url: str = fresh_database("edom_broken")
    upgrade(url)
    return url


async def test_internal_errors_are_masked(
    breakable_database: str, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(settings, database_url=breakable_database)
    subject = f"test|{uuid.uuid4().hex[:10]}|victim"
    token = issue_dev_token(settings, subject=subject, name="V")
    headers = {"Authorization": f"Bearer {token}"}
    async with served(app) as client:
        first = await client.post("/graphql", json={"query": VIEWER}, headers=headers)
        assert first.status_code == 200, first.text
        assert first.json()["data"]["viewer"]["user"]["displayName"] == "V"

        # Break the users table under the running app: every read of it now fails.
        conn = await asyncpg.connect(plain_url(breakable_database))
        try:
            await conn.execute("ALTER TABLE users RENAME COLUMN display_name TO gone_name")
        finally:
            await conn.close()

        caplog.set_level(logging.ERROR, logger="edom_graphql")
        for accept in ("application/json", GRAPHQL_RESPONSE):
            response = await client.post(
                "/graphql",
                json={"query": "query Broken { viewer { user { id displayName } } }"},
                headers={**headers, "Accept": accept},
            )
            assert response.status_code == 200, response.text
            result = GraphQLResult(response)
            assert result.codes == ["INTERNAL_SERVER_ERROR"], result
            error = result.errors[0]
            assert error["message"] == "Internal server error."
            assert error["extensions"]["requestId"] == response.headers["x-request-id"]
            assert error["path"][0] == "viewer"
            text = response.text.lower()
            for leak in ("display_name", "select", "traceback", "asyncpg", "exist", "users"):
                assert leak not in text, (leak, response.text)
        logged = [r for r in caplog.records if r.exc_info and r.name.startswith("edom_graphql")]
        assert logged, "the unexpected error is logged with its traceback"
