"""Alembic environment: async engine, URL from the Alembic config or ``EDOM_DATABASE_URL``."""

from __future__ import annotations

import asyncio
import os

from alembic import context
from sqlalchemy import func, pool, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from edom_graphql.core.db import async_url
from edom_graphql.models import metadata

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url") or os.environ.get("EDOM_DATABASE_URL")
    if not url:
        raise RuntimeError("set EDOM_DATABASE_URL or use `edom-graphql migrate`")
    return async_url(url)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        compare_server_default=True,
        transaction_per_migration=True,
    )
    with context.begin_transaction():
        context.run_migrations()


MIGRATION_LOCK = 7_301_000
"""Session advisory lock held while migrating: any number of processes (containers
starting together) may run the migrations at once; they take turns, and the later ones
find the database at head and do nothing."""


async def _run_async() -> None:
    engine = create_async_engine(_url(), poolclass=pool.NullPool)
    async with engine.connect() as connection:
        await connection.execute(select(func.pg_advisory_lock(MIGRATION_LOCK)))
        await connection.commit()  # the session lock outlives this transaction
        try:
            await connection.run_sync(_run)
        finally:
            await connection.execute(select(func.pg_advisory_unlock(MIGRATION_LOCK)))
            await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    asyncio.run(_run_async())
