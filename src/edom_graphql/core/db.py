"""Database access: one async engine, Core reads without transaction round trips,
ORM sessions for writes, and events published only after commit."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy import MetaData, Row
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql import Executable

from edom_graphql.core.errors import ServiceError

if TYPE_CHECKING:
    from edom_graphql.core.pubsub import PubSub

log = logging.getLogger("edom_graphql.db")
T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table; the schema itself is created by migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def async_url(url: str) -> str:
    """Normalise any PostgreSQL URL to the ``postgresql+asyncpg`` dialect."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+", 1)[0]
    if scheme not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL URL: scheme {parts.scheme!r}")
    return urlunsplit(parts._replace(scheme="postgresql+asyncpg"))


def plain_url(url: str) -> str:
    """The same URL without the SQLAlchemy driver suffix (for asyncpg and pub/sub)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme=parts.scheme.split("+", 1)[0]))


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database name."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


def with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


@dataclass(slots=True)
class Outbox:
    """Events gathered inside a transaction, published once it has committed."""

    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def add(self, channel: str, message: dict[str, Any]) -> None:
        self.events.append((channel, message))


class Database:
    """The engine, plus the two ways the app touches PostgreSQL.

    * :meth:`fetch` runs a Core statement on an autocommit connection: no BEGIN and
      no ROLLBACK round trips, so a read costs one round trip. Concurrent loaders
      each check out their own connection.
    * :meth:`transaction` yields an ORM session inside one transaction and an
      :class:`Outbox`; the outbox is published only after COMMIT succeeds.
    """

    def __init__(
        self,
        url: str,
        *,
        pool_size: int = 10,
        max_overflow: int = 10,
        statement_timeout_ms: int = 15_000,
        application_name: str = "edom-graphql",
    ) -> None:
        self.url = async_url(url)
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=False,
            pool_reset_on_return=None,
            connect_args={
                "server_settings": {
                    "application_name": application_name,
                    "statement_timeout": str(statement_timeout_ms),
                    "timezone": "UTC",
                },
            },
        )
        self.read_engine: AsyncEngine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.pubsub: PubSub | None = None

    async def fetch(self, statement: Executable) -> Sequence[Row[*tuple[Any, ...]]]:
        async with self.read_engine.connect() as conn:
            result = await conn.execute(statement)
            return result.all()

    async def fetch_one(self, statement: Executable) -> Row[*tuple[Any, ...]] | None:
        rows = await self.fetch(statement)
        return rows[0] if rows else None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[tuple[AsyncSession, Outbox]]:
        outbox = Outbox()
        async with (
            AsyncSession(self.engine, expire_on_commit=False) as session,
            session.begin(),
        ):
            yield session, outbox
        await self.publish(outbox)

    async def publish(self, outbox: Outbox) -> None:
        if self.pubsub is None:
            return
        for channel, message in outbox.events:
            try:
                await self.pubsub.publish(channel, message)
            except Exception:
                # The data is committed; subscribers catch up from the database.
                log.exception("publish failed", extra={"channel": channel})

    async def dispose(self) -> None:
        await self.engine.dispose()


async def run_in_transaction(
    db: Database, work: Callable[[AsyncSession, Outbox], Awaitable[T]]
) -> T | ServiceError:
    """Run ``work`` in one transaction; a :class:`ServiceError` rolls it back and is returned."""
    try:
        async with db.transaction() as (session, outbox):
            return await work(session, outbox)
    except ServiceError as error:
        return error
