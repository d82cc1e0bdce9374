"""The read pool against a real PostgreSQL: reuse, waiting in line, timeouts, connections
the server closed, statements cancelled mid-flight, idle trimming and closing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import func, select

from edom_graphql.core.db import Database, ReadPlans, plain_url
from edom_graphql.core.readpool import ReadPool

SETTINGS = {"application_name": "edom-graphql-readpool-test", "timezone": "UTC"}


def _pool(database_url: str, **options: Any) -> ReadPool:
    options.setdefault("max_size", 2)
    options.setdefault("connect_timeout", 5.0)
    options.setdefault("acquire_timeout", 5.0)
    return ReadPool(plain_url(database_url), server_settings=SETTINGS, **options)


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[ReadPool]:
    pool = _pool(database_url)
    await pool.start()
    yield pool
    await pool.close()


async def _backend(pool: ReadPool) -> int:
    connection = await pool.acquire()
    try:
        pid: int = await connection.fetchval("SELECT pg_backend_pid()")
    finally:
        pool.release(connection)
    return pid


async def test_connections_are_reused_and_bounded(pool: ReadPool) -> None:
    assert (pool.size, pool.idle_size) == (1, 1)
    first = await _backend(pool)
    assert await _backend(pool) == first
    assert pool.size == 1

    # Concurrent statements open connections up to max_size and no further.
    pids = await asyncio.gather(*(_sleeping_backend(pool, 0.05) for _ in range(6)))
    assert len(set(pids)) == 2
    assert (pool.size, pool.idle_size) == (2, 2)


async def _sleeping_backend(pool: ReadPool, seconds: float) -> int:
    connection = await pool.acquire()
    try:
        pid: int = await connection.fetchval("SELECT pg_backend_pid() FROM pg_sleep($1)", seconds)
    finally:
        pool.release(connection)
    return pid


async def test_waiters_are_served_in_order(pool: ReadPool) -> None:
    held = [await pool.acquire(), await pool.acquire()]
    order: list[int] = []

    async def take(n: int) -> None:
        connection = await pool.acquire()
        order.append(n)
        await asyncio.sleep(0)
        pool.release(connection)

    takers = [asyncio.create_task(take(n)) for n in range(4)]
    await asyncio.sleep(0.01)
    assert order == []
    for connection in held:
        pool.release(connection)
    await asyncio.gather(*takers)
    assert order == [0, 1, 2, 3]
    assert (pool.size, pool.idle_size) == (2, 2)


async def test_waiting_longer_than_the_timeout_fails_and_leaves_the_pool_whole(
    database_url: str,
) -> None:
    pool = _pool(database_url, max_size=1, acquire_timeout=0.05)
    await pool.start()
    try:
        held = await pool.acquire()
        with pytest.raises(TimeoutError):
            await pool.acquire()
        pool.release(held)
        assert (pool.size, pool.idle_size) == (1, 1)
        assert await _backend(pool) > 0
    finally:
        await pool.close()


async def test_a_cancelled_waiter_gives_its_place_up(pool: ReadPool) -> None:
    held = [await pool.acquire(), await pool.acquire()]
    waiting = asyncio.create_task(pool.acquire())
    behind = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0.01)
    waiting.cancel()
    pool.release(held[0])
    connection = await behind
    assert waiting.cancelled()
    pool.release(connection)
    pool.release(held[1])
    assert (pool.size, pool.idle_size) == (2, 2)


async def test_a_connection_the_server_closed_is_never_handed_out(
    pool: ReadPool, database_url: str
) -> None:
    victim = await _backend(pool)
    admin = await asyncpg.connect(plain_url(database_url))
    try:
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", victim)
        for _ in range(100):
            if not await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", victim
            ):
                break
            await asyncio.sleep(0.01)
    finally:
        await admin.close()
    await asyncio.sleep(0.05)  # the client side sees the socket closed

    replacement = await _backend(pool)
    assert replacement != victim
    assert pool.size == 1


async def test_a_lost_connection_makes_room_for_the_next_in_line(
    database_url: str,
) -> None:
    pool = _pool(database_url, max_size=1)
    await pool.start()
    try:
        held = await pool.acquire()
        waiting = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0.01)
        held.terminate()
        pool.release(held)
        connection = await waiting
        assert await connection.fetchval("SELECT 1") == 1
        pool.release(connection)
        assert (pool.size, pool.idle_size) == (1, 1)
    finally:
        await pool.close()


async def test_a_cancelled_statement_leaves_a_usable_connection(
    database_url: str,
) -> None:
    pool = _pool(database_url, max_size=1)
    await pool.start()
    try:
        first = await _backend(pool)
        slow = asyncio.create_task(_sleeping_backend(pool, 5))
        await asyncio.sleep(0.1)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert pool.idle_size == 0  # PostgreSQL has not acknowledged it yet
        # Given back once PostgreSQL acknowledged the cancellation, not before.
        connection = await pool.acquire()
        try:
            assert await connection.fetchval("SELECT pg_backend_pid()") == first
            assert not connection.is_in_transaction()
        finally:
            pool.release(connection)
        assert (pool.size, pool.idle_size) == (1, 1)
    finally:
        await pool.close()


async def test_a_connection_left_in_a_transaction_is_closed(pool: ReadPool) -> None:
    connection = await pool.acquire()
    await connection.execute("BEGIN")
    pid = await connection.fetchval("SELECT pg_backend_pid()")
    pool.release(connection)
    await asyncio.sleep(0.05)
    assert connection.is_closed()
    assert await _backend(pool) != pid


async def test_a_failed_statement_leaves_the_connection_in_the_pool(pool: ReadPool) -> None:
    pid = await _backend(pool)
    connection = await pool.acquire()
    try:
        with pytest.raises(asyncpg.DivisionByZeroError):
            await connection.fetchval("SELECT 1 / 0")
    finally:
        pool.release(connection)
    assert await _backend(pool) == pid


async def test_connections_past_their_query_budget_are_replaced(database_url: str) -> None:
    pool = _pool(database_url, max_size=1, max_queries=3)
    await pool.start()
    try:
        pids = [await _backend(pool) for _ in range(5)]
        assert pids[0] == pids[1] == pids[2]
        assert pids[3] != pids[0]
    finally:
        await pool.close()


async def test_idle_connections_beyond_the_minimum_are_closed(database_url: str) -> None:
    pool = _pool(database_url, max_size=3, idle_lifetime=0.1)
    await pool.start()
    try:
        await asyncio.gather(*(_sleeping_backend(pool, 0.05) for _ in range(3)))
        assert pool.size == 3
        for _ in range(50):
            if pool.size == 1:
                break
            await asyncio.sleep(0.05)
        assert (pool.size, pool.idle_size) == (1, 1)
        assert await _backend(pool) > 0
    finally:
        await pool.close()


async def test_an_unreachable_server_fails_at_once_and_is_retried(database_url: str) -> None:
    pool = ReadPool(
        "postgresql://postgres@127.0.0.1:1/nowhere",
        max_size=2,
        server_settings=SETTINGS,
        connect_timeout=1.0,
        acquire_timeout=1.0,
    )
    with pytest.raises(ConnectionRefusedError):
        await pool.start()
    assert pool.size == 0
    with pytest.raises(ConnectionRefusedError):
        await pool.acquire()
    assert pool.size == 0


async def test_close_closes_taken_connections_as_they_come_back(database_url: str) -> None:
    pool = _pool(database_url)
    await pool.start()
    taken = await pool.acquire()
    waiting_pool_full = [await pool.acquire()]
    waiter = asyncio.create_task(pool.acquire())
    await asyncio.sleep(0.01)
    await pool.close()
    with pytest.raises(asyncpg.InterfaceError):
        await waiter
    pool.release(taken)
    pool.release(waiting_pool_full[0])
    await asyncio.sleep(0.05)
    assert taken.is_closed()
    assert waiting_pool_full[0].is_closed()
    assert pool.size == 0
    with pytest.raises(asyncpg.InterfaceError):
        await pool.acquire()


@pytest.mark.parametrize(
    ("read_plans", "mode"), [("generic", "force_generic_plan"), ("auto", "auto")]
)
async def test_reads_are_planned_as_configured(
    database_url: str, read_plans: ReadPlans, mode: str
) -> None:
    db = Database(database_url, read_plans=read_plans)
    try:
        row = await db.fetch_one(select(func.current_setting("plan_cache_mode")))
        assert row is not None
        assert row[0] == mode
    finally:
        await db.dispose()
