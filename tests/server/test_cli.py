"""The README's run command, end to end: `edom-graphql serve --demo` in a real process."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from edom_graphql.schema import build_schema
from edom_graphql.settings import Settings


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


DEMO_PERSONAS = ("owner", "registered", "resident", "guest-initial", "dispatcher", "admin")


def _serve(env: dict[str, str], port: int) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """``serve --demo`` until it says it is ready; the personas' tokens from ``token``."""
    process = subprocess.Popen(
        [sys.executable, "-m", "edom_graphql.server.cli", "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    deadline = time.monotonic() + 90
    assert process.stdout is not None
    for line in process.stdout:
        assert not line.strip().startswith("eyJ"), "serve --demo printed a token"
        if line.startswith("ready on "):
            break
        assert time.monotonic() < deadline, "serve --demo did not get ready in time"
    tokens = {
        key: subprocess.run(
            [sys.executable, "-m", "edom_graphql.server.cli", "token", key],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for key in DEMO_PERSONAS
    }
    return process, tokens


def _wait_ready(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError("server never became ready")


def _check_demo(base: str, tokens: dict[str, str]) -> None:
    assert {"owner", "registered", "resident", "guest-initial", "dispatcher", "admin"} <= set(
        tokens
    )
    query = "{ viewer { user { displayName } premises { tier premise { number } } } }"
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query},
        headers={"Authorization": f"Bearer {tokens['owner']}"},
        timeout=10,
    )
    assert response.status_code == 200
    viewer = response.json()["data"]["viewer"]
    assert viewer["user"]["displayName"] == "Анна"
    assert {p["tier"] for p in viewer["premises"]} == {"OWNER"}
    nearby = httpx.post(
        f"{base}/graphql",
        json={
            "query": "{ viewer { buildings(first: 1) { nodes { eventsNearby(radiusKm: 2, "
            "first: 10) { edges { distanceKm node { title } } } } } } }"
        },
        headers={"Authorization": f"Bearer {tokens['owner']}"},
        timeout=10,
    ).json()["data"]["viewer"]["buildings"]["nodes"][0]["eventsNearby"]["edges"]
    assert nearby[0]["node"]["title"] == "Субботник во дворе"
    assert [edge["distanceKm"] for edge in nearby] == sorted(e["distanceKm"] for e in nearby)
    page = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"}, timeout=10)
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
    _pay_a_bill(base, tokens["owner"])
    _open_the_door(base, tokens["owner"])


ENTRANCES = "{ viewer { buildings(first: 5) { nodes { entrances { id number connected } } } } }"
OPEN = """
mutation ($input: IntercomDoorOpenInput!) {
  intercomDoorOpen(input: $input) { outcome userErrors { code } }
}
"""


def _open_the_door(base: str, token: str) -> None:
    """The demo's intercom simulator runs beside the server with the demo's panel: the
    owner opens the entrance door and the device answers."""
    headers = {"Authorization": f"Bearer {token}"}

    def gql(query: str, variables: dict[str, Any] | None = None) -> Any:
        body = {"query": query, "variables": variables or {}}
        answer = httpx.post(f"{base}/graphql", json=body, headers=headers, timeout=10).json()
        assert "errors" not in answer, answer
        return answer["data"]

    entrances = [
        entrance
        for building in gql(ENTRANCES)["viewer"]["buildings"]["nodes"]
        for entrance in building["entrances"]
        if entrance["connected"]
    ]
    opened = gql(OPEN, {"input": {"entranceId": entrances[0]["id"]}})["intercomDoorOpen"]
    assert opened == {"outcome": "OPENED", "userErrors": []}


UNPAID = """
{ viewer { premises { premise { number
    bills(first: 20, unpaid: true) { nodes { id kind amountDue status } } } } } }
"""
PAY = """
mutation ($input: BillPayInput!) {
  billPay(input: $input) { payment { id status confirmationUrl } userErrors { code } }
}
"""
BILL = "query ($id: ID!) { node(id: $id) { ... on Bill { status amountDue } } }"


def _pay_a_bill(base: str, token: str) -> None:
    """The demo's payment sandbox runs beside the server: a bill is paid end to end
    (billPay, the sandbox's confirmation page, its signed webhook back to the API)."""
    headers = {"Authorization": f"Bearer {token}"}

    def gql(query: str, variables: dict[str, Any] | None = None) -> Any:
        body = {"query": query, "variables": variables or {}}
        answer = httpx.post(f"{base}/graphql", json=body, headers=headers, timeout=10).json()
        assert "errors" not in answer, answer
        return answer["data"]

    bills = [
        bill
        for entry in gql(UNPAID)["viewer"]["premises"]
        for bill in entry["premise"]["bills"]["nodes"]
    ]
    bill = bills[0]
    started = gql(
        PAY,
        {
            "input": {
                "billId": bill["id"],
                "amount": bill["amountDue"],
                "idempotencyKey": uuid.uuid4().hex,
            }
        },
    )["billPay"]
    assert started["userErrors"] == []
    payment = started["payment"]
    assert payment["status"] == "PENDING"
    paid = httpx.post(payment["confirmationUrl"], data={"action": "pay"}, timeout=10)
    assert paid.status_code in (200, 303)
    deadline = time.monotonic() + 15
    while gql(BILL, {"id": bill["id"]})["node"]["status"] != "PAID":
        assert time.monotonic() < deadline, "the sandbox's webhook never settled the bill"
        time.sleep(0.2)


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDOM_")}
    sandbox = f"http://127.0.0.1:{_free_port()}"  # the demo's payment sandbox
    return {**env, "EDOM_LOG_LEVEL": "WARNING", "EDOM_PAYMENT_SANDBOX_URL": sandbox, **extra}


def _stop(process: subprocess.Popen[Any]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def test_serve_demo_on_given_database(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database("edom_cli")
    port = _free_port()
    process, tokens = _serve(_env(EDOM_DATABASE_URL=url, EDOM_DATA_DIR=str(tmp_path)), port)
    try:
        _wait_ready(f"http://127.0.0.1:{port}")
        _check_demo(f"http://127.0.0.1:{port}", tokens)
    finally:
        _stop(process)
    # A second start reuses the data: the demo is not loaded twice.
    process, tokens = _serve(_env(EDOM_DATABASE_URL=url, EDOM_DATA_DIR=str(tmp_path)), port)
    try:
        _wait_ready(f"http://127.0.0.1:{port}")
        _check_demo(f"http://127.0.0.1:{port}", tokens)
    finally:
        _stop(process)


def test_serve_demo_on_embedded_postgres() -> None:
    """No EDOM_DATABASE_URL: an embedded PostgreSQL under the data directory."""
    pytest.importorskip("pgserver")
    import tempfile

    data_dir = Path(tempfile.mkdtemp(prefix="edom-e2e-", dir="/tmp"))
    port = _free_port()
    process, tokens = _serve(_env(EDOM_DATA_DIR=str(data_dir)), port)
    try:
        _wait_ready(f"http://127.0.0.1:{port}")
        _check_demo(f"http://127.0.0.1:{port}", tokens)
    finally:
        _stop(process)
        from edom_graphql.server.embedded import stop

        outlived = stop(data_dir)
        shutil.rmtree(data_dir, ignore_errors=True)
    assert not outlived, "the embedded PostgreSQL outlived serve"


@pytest.mark.parametrize("command", [["token", "owner"], ["personas"]])
def test_no_tokens_in_production(tmp_path: Path, command: list[str]) -> None:
    """Neither command issues a token there, nor makes a development signing key."""
    production = subprocess.run(
        [sys.executable, "-m", "edom_graphql.server.cli", *command],
        env=_env(EDOM_DATA_DIR=str(tmp_path), EDOM_ENVIRONMENT="production"),
        capture_output=True,
        text=True,
    )
    assert production.returncode != 0
    assert "only in development" in production.stderr
    assert "eyJ" not in production.stdout
    assert not (tmp_path / "dev-signing-key.pem").exists()


def test_token_and_export_schema(tmp_path: Path) -> None:
    env = _env(EDOM_DATA_DIR=str(tmp_path))
    token = subprocess.run(
        [sys.executable, "-m", "edom_graphql.server.cli", "token", "owner"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert token.count(".") == 2
    refused = subprocess.run(
        [sys.executable, "-m", "edom_graphql.server.cli", "token", "nobody"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0
    assert "unknown persona" in refused.stderr

    output = tmp_path / "schema.graphql"
    subprocess.run(
        [sys.executable, "-m", "edom_graphql.server.cli", "export-schema", "--output", str(output)],
        env=env,
        capture_output=True,
        check=True,
    )
    assert output.read_text() == build_schema(Settings(introspection=True)).as_str() + "\n"
