"""Test fixtures: a real PostgreSQL (the given server or an embedded one), the app served
by uvicorn on a local port, and helpers to call it over HTTP and WebSocket."""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import asyncpg
import httpx
import pytest
from sqlalchemy import delete

from edom_graphql.core.db import plain_url, with_database
from edom_graphql.core.execution import MISMATCHES, NEEDLESS
from edom_graphql.core.ratelimit import RateLimitHit
from edom_graphql.server.app import create_app
from edom_graphql.server.embedded import start_embedded_postgres
from edom_graphql.server.embedded import stop as stop_embedded_postgres
from edom_graphql.server.migrations import upgrade
from edom_graphql.settings import Settings
from tests.factories import Api, Clock, serving

EMBEDDED_DIR = Path(tempfile.gettempdir()) / "edom-test-pg"


def _admin_url() -> str:
    given = os.environ.get("EDOM_TEST_DATABASE_URL")
    if given:
        return plain_url(given)
    # One embedded server for every worker of a parallel run (each test session makes
    # its own databases on it): the first to arrive starts it, the others wait and reuse.
    EMBEDDED_DIR.mkdir(parents=True, exist_ok=True)
    with (EMBEDDED_DIR / "start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        url = start_embedded_postgres(EMBEDDED_DIR, database="postgres")
        _embedded_users({os.getpid()}, set())
        return url


def _embedded_users(add: set[int], remove: set[int]) -> set[int]:
    """The live test sessions using the embedded server (call with its lock held)."""
    path = EMBEDDED_DIR / "sessions"
    known = {int(pid) for pid in path.read_text().split()} if path.exists() else set()
    users = set()
    for pid in (known | add) - remove:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        users.add(pid)
    path.write_text(" ".join(map(str, sorted(users))))
    return users


def _release_embedded() -> None:
    """The last session to finish stops the embedded server and removes its folder."""
    if os.environ.get("EDOM_TEST_DATABASE_URL") or not EMBEDDED_DIR.exists():
        return
    with (EMBEDDED_DIR / "start.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _embedded_users(set(), {os.getpid()}):
            return
        stop_embedded_postgres(EMBEDDED_DIR)
        shutil.rmtree(EMBEDDED_DIR, ignore_errors=True)


async def _create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
        # Every statement runs under a generic plan from its first execution, as a
        # prepared statement does from about its sixth: plan-dependent bugs show at once
        # (a partial index bound by a parameter no longer arbitrates ON CONFLICT).
        await conn.execute(f'ALTER DATABASE "{name}" SET plan_cache_mode = force_generic_plan')
    finally:
        await conn.close()


async def _drop_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def admin_url() -> Iterator[str]:
    """A URL of the test PostgreSQL server's maintenance database."""
    yield _admin_url()
    _release_embedded()


@pytest.fixture(scope="session")
def fresh_database(admin_url: str) -> Iterator[Any]:
    """A factory of empty databases on the test server, dropped at the end."""
    created: list[str] = []

    def make(prefix: str = "edom_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        asyncio.run(_create_database(admin_url, name))
        created.append(name)
        return with_database(admin_url, name)

    yield make
    for name in created:
        asyncio.run(_drop_database(admin_url, name))


@pytest.fixture(scope="session")
def database_url(fresh_database: Any) -> str:
    """The migrated database the test server uses."""
    url: str = fresh_database()
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    url = os.environ.get("EDOM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    host_port = url.split("//", 1)[1].split("/", 1)[0]
    host, _, port = host_port.rpartition(":")
    try:
        with socket.create_connection((host.split("@")[-1] or "127.0.0.1", int(port or 6379)), 1):
            return url
    except OSError:
        return None


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="edom-test-") as path:
        yield Path(path)


@pytest.fixture(scope="session")
def settings(database_url: str, data_dir: Path) -> Settings:
    return Settings(
        environment="development",
        database_url=database_url,
        data_dir=data_dir,
        pubsub_url="memory://",
        pubsub_heartbeat_seconds=1.0,
        log_json=False,
        # Every compiled query is also run by graphql-core; a different answer fails the
        # test (_no_execution_mismatch).
        execution="differential",
        max_depth=12,
        max_aliases=30,
        max_cost=50_000,
        max_tokens=5000,
        websocket_init_timeout_seconds=1.5,
        # Tests move the clock by days; they sweep with close_expired / auto_close_task
        # themselves rather than race a background sweep.
        repair_auto_close_interval_seconds=0,
        meeting_sweep_interval_seconds=0,  # likewise advance (tests/meetings)
        intercom_missed_call_interval_seconds=0,  # likewise sweep_missed (tests/intercom)
        meter_reminder_interval_seconds=0,  # likewise send_reminders (tests/meters)
        media_sweep_interval_seconds=0,  # likewise sweep_orphans (tests/server/test_media_sweep.py)
        push_delivery_interval_seconds=0,  # likewise deliver_due (tests/notifications)
    )


@pytest.fixture(scope="session")
def clock() -> Clock:
    return Clock()


@pytest.fixture(autouse=True)
def _reset_clock(clock: Clock) -> Iterator[None]:
    yield
    clock.reset()


@pytest.fixture(scope="session")
async def server(settings: Settings, database_url: str, clock: Clock) -> AsyncIterator[Any]:
    """The app served by uvicorn on a free local port, in this event loop."""
    app = create_app(settings, database_url=database_url, clock=clock)
    async with serving(app) as base_url:
        yield SimpleNamespace(app=app, base_url=base_url)


@pytest.fixture(scope="session")
async def api(server: Any, settings: Settings) -> AsyncIterator[Api]:
    async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as client:
        yield Api(client, settings, server.app)


@pytest.fixture(autouse=True)
def _no_execution_mismatch() -> Iterator[None]:
    """A compiled query answered differently from graphql-core fails the test, and so
    does one whose plan gave way although graphql-core answered it without an error."""
    MISMATCHES.clear()
    NEEDLESS.clear()
    yield
    mismatches = list(MISMATCHES)
    MISMATCHES.clear()
    needless = list(NEEDLESS)
    NEEDLESS.clear()
    assert not mismatches, f"compiled execution differs from graphql-core: {mismatches[0]}"
    assert not needless, f"a compiled plan gave way where graphql-core had no error: {needless[0]}"


@pytest.fixture(autouse=True)
async def _forget_rate_limits(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Rate limits count per user across tests that share a world (module fixtures): each
    test starts with none counted. Tests of a limit reach it within themselves."""
    yield
    if "api" in request.fixturenames:
        api: Api = request.getfixturevalue("api")
        async with api.db.transaction() as (session, _):
            await session.execute(delete(RateLimitHit))


def utc(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)
