"""The pool of connections that reads run on.

Every read is one statement in autocommit on a connection taken for just that statement
(:meth:`edom_graphql.core.db.Database.fetch`), a few of them per request. asyncpg's own
pool pays for generality on each of those: a proxy object per acquisition, and a release
that runs in a task of its own under ``asyncio.shield``, inside an ``asyncio.timeout``,
and re-arms an inactivity timer, several turns of the event loop and three timer or task
objects per statement. Here taking an idle connection and giving it back are plain
method calls: no task, no timer, no proxy.

What the pool still guarantees:

* at most ``max_size`` connections, opened on demand; a request that finds none free
  waits in line (first come, first served) up to ``acquire_timeout`` and then fails with
  :class:`TimeoutError` (reported to clients as the database being unavailable);
* a connection the server closed (a restart, ``pg_terminate_backend``) is never handed
  out: it is dropped when it is seen closed, and its place goes to the next in line;
* a connection whose statement was cancelled (the request was) goes back only once
  PostgreSQL has acknowledged the cancellation, and one left in a transaction or in an
  unknown state is closed, never reused;
* a connection is closed after ``max_queries`` statements and once it has been idle for
  ``idle_lifetime`` seconds (the pool keeps ``min_size``), by one timer for the pool.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Mapping
from typing import Any

import asyncpg

log = logging.getLogger("edom_graphql.db")


class ReadPool:
    """Connections for single autocommit statements; see the module's description."""

    def __init__(
        self,
        dsn: str,
        *,
        max_size: int,
        server_settings: Mapping[str, str],
        connect_timeout: float,
        acquire_timeout: float,
        min_size: int = 1,
        idle_lifetime: float = 300.0,
        max_queries: int = 50_000,
    ) -> None:
        if max_size < 1 or min_size < 0 or min_size > max_size:
            raise ValueError(f"pool sizes out of range: min {min_size}, max {max_size}")
        self._dsn = dsn
        self._server_settings = dict(server_settings)
        self._connect_timeout = connect_timeout
        self._acquire_timeout = acquire_timeout
        self.max_size = max_size
        self.min_size = min_size
        self._idle_lifetime = idle_lifetime
        self._max_queries = max_queries
        self._idle: deque[tuple[asyncpg.Connection, float]] = deque()
        """Free connections with when each was given back; the newest at the right."""
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        """Acquirers in line; a None result hands over a place to open a connection in."""
        self._size = 0
        """Connections open or being opened, free or taken."""
        self._settling: set[asyncio.Task[None]] = set()
        self._trim_timer: asyncio.TimerHandle | None = None
        self._closed = False

    @property
    def size(self) -> int:
        """Connections open or being opened."""
        return self._size

    @property
    def idle_size(self) -> int:
        return len(self._idle)

    async def start(self) -> None:
        """Open ``min_size`` connections (so a database that is down is seen at once)."""
        while self._size < self.min_size:
            self._size += 1
            try:
                connection = await self._connect()
            except BaseException:
                self._size -= 1
                raise
            self._give_back(connection)

    async def acquire(self) -> asyncpg.Connection:
        """A connection for one statement; give it back with :meth:`release`."""
        if self._closed:
            raise asyncpg.InterfaceError("the read pool is closed")
        idle = self._idle
        while idle:
            connection, _ = idle.pop()
            if not connection.is_closed():
                return connection
            self._size -= 1
        if self._size < self.max_size:
            return await self._open()
        return await self._wait()

    def release(self, connection: asyncpg.Connection) -> None:
        """Give back a connection taken with :meth:`acquire`, whatever its statement did."""
        if connection.is_closed():
            self._lost()
            return
        protocol = connection._protocol
        if protocol._is_cancelling():
            self._settle(connection)
            return
        if (
            self._closed
            or connection.is_in_transaction()
            or protocol.queries_count >= self._max_queries
        ):
            self._close(connection)
            return
        self._give_back(connection)

    async def close(self) -> None:
        """Close every connection; those still taken are closed as they come back."""
        self._closed = True
        if self._trim_timer is not None:
            self._trim_timer.cancel()
            self._trim_timer = None
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(asyncpg.InterfaceError("the read pool is closed"))
        closing = []
        while self._idle:
            connection, _ = self._idle.pop()
            self._size -= 1
            closing.append(connection.close(timeout=self._connect_timeout))
        results = await asyncio.gather(*closing, *self._settling, return_exceptions=True)
        for result in results:
            if isinstance(result, Exception):
                log.warning("closing a read connection failed: %s", result)

    # --- internals --------------------------------------------------------------------

    async def _connect(self) -> asyncpg.Connection:
        connection: asyncpg.Connection = await asyncpg.connect(
            self._dsn, server_settings=self._server_settings, timeout=self._connect_timeout
        )
        return connection

    async def _open(self) -> asyncpg.Connection:
        """Open a connection in a free place (the pool has fewer than ``max_size``)."""
        self._size += 1
        try:
            return await self._connect()
        except BaseException:
            self._lost()
            raise

    async def _wait(self) -> asyncpg.Connection:
        waiter: asyncio.Future[asyncpg.Connection | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self._acquire_timeout):
                connection = await waiter
        except BaseException:
            if not waiter.done():
                waiter.cancel()
            elif not waiter.cancelled() and waiter.exception() is None:
                # Handed a connection (or a place) just as the wait ended: pass it on.
                handed = waiter.result()
                if handed is None:
                    self._lost()
                else:
                    self.release(handed)
            raise
        if connection is None:
            # A place freed by a lost connection: open one in it (already counted).
            try:
                return await self._connect()
            except BaseException:
                self._lost()
                raise
        return connection

    def _next_waiter(self) -> asyncio.Future[asyncpg.Connection | None] | None:
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                return waiter
        return None

    def _give_back(self, connection: asyncpg.Connection) -> None:
        waiter = self._next_waiter()
        if waiter is not None:
            waiter.set_result(connection)
            return
        self._idle.append((connection, time.monotonic()))
        if self._trim_timer is None and len(self._idle) > self.min_size:
            self._arm_trim()

    def _lost(self) -> None:
        """A connection (or an attempt to open one) is gone: its place goes to the next
        in line, who opens a connection in it."""
        waiter = self._next_waiter()
        if waiter is not None and not self._closed:
            waiter.set_result(None)
            return
        self._size -= 1

    def _close(self, connection: asyncpg.Connection) -> None:
        self._lost()
        self._track(self._close_quietly(connection))

    async def _close_quietly(self, connection: asyncpg.Connection) -> None:
        try:
            await connection.close(timeout=self._connect_timeout)
        except Exception:  # the server is gone or the close timed out
            connection.terminate()

    def _settle(self, connection: asyncpg.Connection) -> None:
        """Wait for a cancelled statement's acknowledgement, then give it back."""
        self._track(self._settle_then_release(connection))

    async def _settle_then_release(self, connection: asyncpg.Connection) -> None:
        try:
            await connection._protocol._wait_for_cancellation(self._connect_timeout)
        except Exception:  # not acknowledged in time: asyncpg has terminated it
            connection.terminate()
        if connection._protocol._is_cancelling():
            connection.terminate()
        self.release(connection)

    def _track(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._settling.add(task)
        task.add_done_callback(self._settling.discard)

    def _arm_trim(self) -> None:
        self._trim_timer = asyncio.get_running_loop().call_later(self._idle_lifetime, self._trim)

    def _trim(self) -> None:
        """Close connections idle for ``idle_lifetime`` (the oldest are on the left)."""
        self._trim_timer = None
        stale = time.monotonic() - self._idle_lifetime
        idle = self._idle
        while len(idle) > self.min_size and idle[0][1] <= stale:
            connection, _ = idle.popleft()
            self._close(connection)
        if len(idle) > self.min_size:
            self._arm_trim()
