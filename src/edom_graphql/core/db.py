"""Database access: one async engine, Core reads without transaction round trips,
ORM sessions for writes, and events published only after commit."""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import sqlalchemy.event
import sqlalchemy.exc
from sqlalchemy import MetaData
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from edom_graphql.core.errors import ServiceError
from edom_graphql.core.readpool import ReadPool

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


class Prepared:
    """A Core statement compiled once for asyncpg and run with named parameters.

    Build it once (at import time) with ``bindparam`` placeholders; every request
    then only binds values: no SQL compilation, no cache-key computation.

    A parameter declared ``literal_execute`` (a page's row limit: :mod:`.pagination`) is
    written into the statement's text instead, as an integer, one text per value: with a
    ``LIMIT $n`` PostgreSQL's generic plan must guess the row count (a tenth of the
    table) and, estimating it dearer than custom plans, plans the statement anew on every
    execution; with ``LIMIT 21`` it plans it once.
    """

    __slots__ = ("_defaults", "_literals", "_names", "_sql", "_texts", "statement")

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._sql: str | None = None
        self._names: tuple[str, ...] = ()
        self._literals: tuple[str, ...] = ()
        self._texts: dict[tuple[Any, ...], str] = {}
        self._defaults: dict[str, Any] = {}

    def bind(self, params: dict[str, Any]) -> tuple[str, list[Any]]:
        if self._sql is None:
            self._compile()
        defaults = self._defaults
        sql = self._sql if not self._literals else self._text(params)
        assert sql is not None
        return sql, [
            _plain(params[name] if name in params else defaults.get(name)) for name in self._names
        ]

    def _compile(self) -> None:
        compiled = self.statement.compile(dialect=_DIALECT)
        assert isinstance(compiled, SQLCompiler)
        literals = tuple(bind.key for bind in compiled.literal_execute_params)
        self._literals = literals
        self._names = tuple(name for name in compiled.positiontup or () if name not in literals)
        self._defaults = {
            name: bind.effective_value
            for name, bind in compiled.binds.items()
            if bind.effective_value is not None
        }
        self._sql = compiled.string

    def _text(self, params: dict[str, Any]) -> str:
        values = tuple(
            params[name] if name in params else self._defaults.get(name) for name in self._literals
        )
        text = self._texts.get(values)
        if text is None:
            text = self._sql
            assert text is not None
            for name, value in zip(self._literals, values, strict=True):
                if type(value) is not int:
                    raise TypeError(f"{name!r} is written into the statement: {value!r} is no int")
                text = text.replace(f"__[POSTCOMPILE_{name}]", str(value))
            if len(self._texts) < MAX_LITERAL_TEXTS:
                self._texts[values] = text
        return text


MAX_LITERAL_TEXTS = 128
"""Texts one :class:`Prepared` keeps, one per set of literal values (page sizes are 1–100)."""
_DIALECT = postgresql.asyncpg.dialect()  # type: ignore[no-untyped-call]


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, enum.Enum) else value


StatementListener = Callable[[str], None]

ReadPlans = Literal["generic", "auto"]
READ_PLAN_MODES: dict[str, str] = {"generic": "force_generic_plan", "auto": "auto"}
"""PostgreSQL's ``plan_cache_mode`` for the connections reads run on.

Every read is a prepared statement of constant text (its values are parameters). With
``auto`` (the default) PostgreSQL plans a statement anew on each execution for as long
as it estimates its generic plan dearer than the custom ones, and for some of our joins
and unions it does: planning then costs more than executing (the desk's page: 0.25 ms
planned against 0.12 ms run). ``generic`` plans each statement once per connection,
which took the desk's PostgreSQL CPU from 1.04 to 0.40 ms a request; but a generic plan
cannot see the parameters, and for some shapes it is much worse: the viewer's buildings
(``id = ANY($1) OR organisation_id = ANY($2)``, by id, a page) become a scan of every
building in id order (0.5 ms at a tenth of Moscow's 34,000, instead of 0.09). Hence an
opt-in, for a deployment that has checked its own screens (``bench/README.md``)."""

CONNECT_TIMEOUT_SECONDS = 5.0
"""How long opening a connection may take: a database that is down is reported at once,
not after a minute."""
ACQUIRE_TIMEOUT_SECONDS = 10.0
"""How long a request waits for a free pooled connection."""

_UNAVAILABLE = (
    OSError,  # refused, reset, unreachable
    TimeoutError,
    asyncpg.PostgresConnectionError,  # and CannotConnectNowError while starting up
    asyncpg.InterfaceError,  # "connection is closed"
    asyncpg.exceptions.AdminShutdownError,  # terminating connection: a restart
    asyncpg.exceptions.CrashShutdownError,
    asyncpg.exceptions.ConnectionDoesNotExistError,
    sqlalchemy.exc.DisconnectionError,
    sqlalchemy.exc.TimeoutError,  # no pooled connection in time
)


def is_unavailable(error: BaseException | None) -> bool:
    """Whether ``error`` (or what caused it) says the database cannot be reached now, as
    opposed to a statement failing: the request may be retried once it is back."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, _UNAVAILABLE):
            return True
        if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
            return True
        error = getattr(error, "orig", None) or error.__cause__ or error.__context__
        seen += 1
    return False


def _refuse_closed(dbapi_connection: Any, record: Any, proxy: Any) -> None:
    """On checkout: a connection the server dropped (a restart) is replaced at once by the
    pool, without a round trip, instead of failing the request that gets it."""
    driver = getattr(dbapi_connection, "_connection", None)
    if driver is not None and driver.is_closed():
        raise sqlalchemy.exc.DisconnectionError("the server closed the connection")


class Database:
    """The engine, plus the two ways the app touches PostgreSQL.

    * :meth:`fetch` runs a :class:`Prepared` statement on a pooled asyncpg
      connection outside any transaction: one round trip per read and none of the
      ORM's per-row work. Concurrent loaders each take their own connection.
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
        read_plans: ReadPlans = "auto",
    ) -> None:
        self.url = async_url(url)
        self._server_settings = {
            "application_name": application_name,
            "statement_timeout": str(statement_timeout_ms),
            "timezone": "UTC",
        }
        self.engine: AsyncEngine = create_async_engine(
            self.url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            pool_pre_ping=False,
            pool_reset_on_return=None,
            pool_timeout=ACQUIRE_TIMEOUT_SECONDS,
            connect_args={
                "server_settings": self._server_settings,
                "timeout": CONNECT_TIMEOUT_SECONDS,
            },
        )
        sqlalchemy.event.listen(self.engine.sync_engine.pool, "checkout", _refuse_closed)
        self._read_pool_size = pool_size + max_overflow
        self._read_plans = read_plans
        self._read_pool: ReadPool | None = None
        self._read_pool_lock = asyncio.Lock()
        self.pubsub: PubSub | None = None
        self.statement_listeners: list[StatementListener] = []

    async def read_pool(self) -> ReadPool:
        if self._read_pool is None:
            async with self._read_pool_lock:
                if self._read_pool is None:
                    pool = ReadPool(
                        plain_url(self.url),
                        max_size=self._read_pool_size,
                        server_settings={
                            **self._server_settings,
                            "plan_cache_mode": READ_PLAN_MODES[self._read_plans],
                        },
                        connect_timeout=CONNECT_TIMEOUT_SECONDS,
                        acquire_timeout=ACQUIRE_TIMEOUT_SECONDS,
                    )
                    await pool.start()
                    self._read_pool = pool
        return self._read_pool

    async def fetch(
        self, query: Prepared | ClauseElement, **params: Any
    ) -> Sequence[asyncpg.Record]:
        """Rows of a read; ``query`` is best a module-level :class:`Prepared`."""
        prepared = query if isinstance(query, Prepared) else Prepared(query)
        sql, args = prepared.bind(params)
        for listener in self.statement_listeners:
            listener(sql)
        pool = self._read_pool or await self.read_pool()
        conn = await pool.acquire()
        try:
            rows: Sequence[asyncpg.Record] = await conn.fetch(sql, *args)
        finally:
            pool.release(conn)
        return rows

    async def fetch_one(
        self, query: Prepared | ClauseElement, **params: Any
    ) -> asyncpg.Record | None:
        rows = await self.fetch(query, **params)
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
        if self._read_pool is not None:
            await self._read_pool.close()
            self._read_pool = None
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
