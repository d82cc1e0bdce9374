"""The PostgreSQL the benchmark runs against: a given database, or a fresh one that is
created on the local server (or the embedded one) and dropped afterwards."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from edom_graphql.core.db import plain_url, with_database

LOCAL_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
EMBEDDED_DIR = Path(tempfile.gettempdir()) / "edom-bench-pg"
CONNECT_TIMEOUT = 5.0


@dataclass
class BenchDatabase:
    url: str
    """URL of the database the server and the loader use."""
    admin_url: str | None
    """Maintenance database of the server, when the database was created here."""
    name: str
    created: bool

    async def drop(self) -> None:
        if not self.created or self.admin_url is None:
            return
        conn = await asyncpg.connect(self.admin_url, timeout=CONNECT_TIMEOUT)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)', timeout=60)
        finally:
            await conn.close()


async def _answers(url: str) -> bool:
    try:
        conn = await asyncpg.connect(url, timeout=CONNECT_TIMEOUT)
    except (TimeoutError, OSError, asyncpg.PostgresError):
        return False
    await conn.close()
    return True


def _admin_url() -> str:
    if asyncio.run(_answers(LOCAL_ADMIN_URL)):
        return LOCAL_ADMIN_URL
    from edom_graphql.server.embedded import start_embedded_postgres

    print(
        f"nothing answers at {LOCAL_ADMIN_URL}; starting the embedded PostgreSQL in "
        f"{EMBEDDED_DIR} …",
        file=sys.stderr,
    )
    return plain_url(start_embedded_postgres(EMBEDDED_DIR, database="postgres"))


async def _create(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url, timeout=CONNECT_TIMEOUT)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"', timeout=60)
    finally:
        await conn.close()


def open_database(given: str | None) -> BenchDatabase:
    """The database to use: ``given``, ``EDOM_BENCH_DATABASE_URL``, or a fresh one."""
    url = given or os.environ.get("EDOM_BENCH_DATABASE_URL")
    if url:
        url = plain_url(url)
        name = urlsplit(url).path.lstrip("/")
        return BenchDatabase(url=url, admin_url=None, name=name, created=False)
    admin_url = _admin_url()
    name = f"edom_bench_{uuid.uuid4().hex[:10]}"
    asyncio.run(_create(admin_url, name))
    return BenchDatabase(
        url=with_database(admin_url, name), admin_url=admin_url, name=name, created=True
    )


def migrate(url: str) -> None:
    from edom_graphql.server.migrations import upgrade

    upgrade(url)
