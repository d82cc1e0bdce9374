"""The billing tests' own server: the app pointed at the sandbox payment provider, which
runs as a separate process (``python -m edom_graphql.billing.service.sandbox``) on a free
port and sends its signed webhooks to this app over a real socket."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from edom_graphql.server.app import create_app
from edom_graphql.settings import Settings
from tests.billing.scene import SECRET, SandboxClient
from tests.factories import Api, Clock, serving


@pytest.fixture(scope="session")
def sandbox_process() -> Iterator[SandboxClient]:
    """The sandbox provider's process (no automatic redeliveries: tests deliver)."""
    log = tempfile.NamedTemporaryFile(prefix="edom-sandbox-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "edom_graphql.billing.service.sandbox",
            "--port",
            "0",
            "--secret",
            SECRET,
            "--retry-delays",
            "",
        ],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("sandbox listening on "):
        process.kill()
        raise RuntimeError(f"the sandbox did not start: {line!r} {Path(log.name).read_text()}")
    try:
        yield SandboxClient(line.split()[-1], process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        Path(log.name).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def billing_settings(settings: Settings, sandbox_process: SandboxClient) -> Settings:
    return settings.model_copy(
        update={"payment_sandbox_url": sandbox_process.url, "payment_sandbox_secret": SECRET}
    )


@pytest.fixture(scope="session")
async def billing_server(
    billing_settings: Settings, database_url: str, clock: Clock
) -> AsyncIterator[Any]:
    app = create_app(billing_settings, database_url=database_url, clock=clock)
    async with serving(app) as base_url:
        yield SimpleNamespace(app=app, base_url=base_url)


@pytest.fixture(scope="session")
async def api(
    billing_server: Any, billing_settings: Settings, sandbox_process: SandboxClient
) -> AsyncIterator[Api]:
    """The API of the billing server; the sandbox sends its webhooks there."""
    await sandbox_process.configure(
        webhook_url=f"{billing_server.base_url}/payments/webhook/sandbox", retry_delays=[]
    )
    async with httpx.AsyncClient(base_url=billing_server.base_url, timeout=30) as client:
        yield Api(client, billing_settings, billing_server.app)


@pytest.fixture
async def sandbox(api: Api, sandbox_process: SandboxClient) -> AsyncIterator[SandboxClient]:
    """The sandbox, configured as the tests expect it (restored after each test)."""
    yield sandbox_process
    await sandbox_process.configure(
        webhook_url=f"{api.client.base_url}/payments/webhook/sandbox",
        retry_delays=[],
        auto_complete_after=None,
    )
