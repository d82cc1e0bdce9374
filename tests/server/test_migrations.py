"""The schema is created only by migrations, and they agree with the models."""

from __future__ import annotations

import asyncio
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
