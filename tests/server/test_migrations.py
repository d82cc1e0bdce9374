"""The schema is created only by migrations, and they agree with the models."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from edom_graphql.core.db import async_url
from edom_graphql.models import metadata
from edom_graphql.server.migrations import downgrade, head_revision, upgrade


def _diff(url: str) -> list[Any]:
    async def run() -> list[Any]:
        engine = create_async_engine(async_url(url))
        async with engine.connect() as conn:
            result = await conn.run_sync(
                lambda sync: compare_metadata(
                    MigrationContext.configure(
                        sync, opts={"compare_type": True, "compare_server_default": True}
                    ),
                    metadata,
                )
            )
        await engine.dispose()
        return list(result)

    return asyncio.run(run())


def _tables(url: str) -> set[str]:
    async def run() -> set[str]:
        engine = create_async_engine(async_url(url))
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda sync: set(inspect(sync).get_table_names()))
            enums = await conn.exec_driver_sql("SELECT typname FROM pg_type WHERE typtype = 'e'")
            names |= {f"enum:{row[0]}" for row in enums}
        await engine.dispose()
        return names

    return asyncio.run(run())


def test_upgrade_matches_models_and_downgrade_to_base(fresh_database: Any) -> None:
    url = fresh_database("edom_migrations")
    upgrade(url)
    assert _diff(url) == [], "models and migrations disagree: write a migration"
    assert set(metadata.tables) <= _tables(url)

    downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}, "downgrade left objects behind"

    upgrade(url)
    assert _diff(url) == []


def test_head_is_single() -> None:
    assert head_revision() is not None


def test_three_migrates_at_once_on_an_empty_database(fresh_database: Any, tmp_path: Any) -> None:
    """Containers that start together each run `edom-graphql migrate`: they take turns
    on an advisory lock, all succeed, and the database ends at head."""
    url = fresh_database("edom_migrate_race")
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDOM_")}
    env.update(EDOM_DATABASE_URL=url, EDOM_DATA_DIR=str(tmp_path), EDOM_LOG_LEVEL="WARNING")
    command = [sys.executable, "-m", "edom_graphql.server.cli", "migrate"]
    processes = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(3)
    ]
    outcomes = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0, 0], outcomes

    async def revision() -> str | None:
        engine = create_async_engine(async_url(url))
        try:
            async with engine.connect() as conn:
                return await conn.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
        finally:
            await engine.dispose()

    assert asyncio.run(revision()) == head_revision()
