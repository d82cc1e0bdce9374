"""Tests of :mod:`edom_graphql.core.pubsub` against the real brokers.

PostgreSQL comes from ``EDOM_TEST_DATABASE_URL`` and Redis from ``EDOM_TEST_REDIS_URL``.
When a variable is unset the local default is tried, and the tests of that broker are
skipped only if nothing answers there.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import os
import pathlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg
import pytest
import redis.asyncio as aredis
from broadcaster import Broadcast

from edom_graphql.core.pubsub import (
    MAX_PAYLOAD_BYTES,
    RESYNC,
    JSONValue,
    PubSub,
    PubSubUnavailable,
    ResyncMarker,
    Subscription,
)

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
RECEIVE_TIMEOUT = 3.0


def _pg_url() -> str:
    url = os.environ.get("EDOM_TEST_DATABASE_URL") or DEFAULT_PG_URL
    scheme, sep, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}{sep}{rest}"


def _redis_url() -> str:
    return os.environ.get("EDOM_TEST_REDIS_URL") or DEFAULT_REDIS_URL


def _with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in params]
    query.extend(params.items())
    return urlunsplit(parts._replace(query=urlencode(query)))


_unavailable: dict[str, str | None] = {}


async def _check(kind: str) -> str | None:
    """Return why ``kind`` cannot be used, or None when it answers."""
    if kind not in _unavailable:
        try:
            if kind == "postgres":
                conn = await asyncpg.connect(_pg_url(), timeout=3)
                await conn.close()
            else:
                client = aredis.Redis.from_url(_redis_url(), socket_connect_timeout=3)
                try:
                    await client.ping()
                finally:
                    await client.aclose()
            _unavailable[kind] = None
        except Exception as exc:
            _unavailable[kind] = f"{kind} is not reachable: {exc!r}"
    return _unavailable[kind]


async def _require(kind: str) -> str:
    if kind == "memory":
        return "memory://"
    reason = await _check(kind)
    if reason is not None:
        env = "EDOM_TEST_DATABASE_URL" if kind == "postgres" else "EDOM_TEST_REDIS_URL"
        if os.environ.get(env):
            pytest.fail(f"{env} is set but {reason}")
        pytest.skip(reason)
    return _pg_url() if kind == "postgres" else _redis_url()


@pytest.fixture(params=["memory", "postgres", "redis"])
async def url(request: pytest.FixtureRequest) -> str:
    return await _require(request.param)


@pytest.fixture(params=["postgres", "redis"])
async def broker_url(request: pytest.FixtureRequest) -> str:
    return await _require(request.param)


@pytest.fixture
async def pg_url() -> str:
    return await _require("postgres")


@pytest.fixture
async def redis_url() -> str:
    return await _require("redis")


@asynccontextmanager
async def running(url: str, **options: Any) -> AsyncIterator[PubSub]:
    pubsub = PubSub(url, **options)
    await pubsub.start()
    try:
        yield pubsub
    finally:
        await pubsub.stop()


def new_channel() -> str:
    return f"test.{uuid.uuid4().hex[:12]}"


async def receive(subscription: Subscription, seconds: float = RECEIVE_TIMEOUT) -> Any:
    return await asyncio.wait_for(subscription.get(), seconds)


async def assert_nothing(subscription: Subscription, within: float = 0.2) -> None:
    try:
        item = await asyncio.wait_for(subscription.get(), within)
    except TimeoutError:
        return
    pytest.fail(f"unexpected item {item!r}")


async def eventually(predicate: Any, seconds: float = RECEIVE_TIMEOUT) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not predicate():
        assert loop.time() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


# ------------------------------------------------------------------ 1. fan-out


async def test_publish_reaches_every_subscriber_of_the_channel_in_order(url: str) -> None:
    channel, other = new_channel(), new_channel()
    messages: list[dict[str, JSONValue]] = [
        {"id": i, "kind": "post", "tags": ["a", "b"], "meta": {"x": None, "f": 1.5, "ok": True}}
        for i in range(25)
    ]
    async with (
        running(url) as pubsub,
        pubsub.subscribe(channel) as first,
        pubsub.subscribe(channel) as second,
        pubsub.subscribe(other) as bystander,
    ):
        for message in messages:
            await pubsub.publish(channel, message)
        got_first = [await receive(first) for _ in messages]
        got_second = []
        async for item in second:
            got_second.append(item)
            if len(got_second) == len(messages):
                break
        assert got_first == messages
        assert got_second == messages
        assert got_first[0] is not got_second[0]  # each subscriber owns its dicts
        await assert_nothing(bystander)
        await assert_nothing(first, within=0.05)

        await pubsub.publish(other, {"id": "other"})
        assert await receive(bystander) == {"id": "other"}
        await assert_nothing(first)
        await assert_nothing(second, within=0.05)


# ------------------------------------------------------------------ 2. across instances


async def test_instances_on_the_same_broker_see_each_others_events(broker_url: str) -> None:
    channel = new_channel()
    async with (
        running(broker_url) as one,
        running(broker_url) as two,
        one.subscribe(channel) as on_one,
        two.subscribe(channel) as on_two,
    ):
        await one.publish(channel, {"id": 1})
        assert await receive(on_two) == {"id": 1}
        assert await receive(on_one) == {"id": 1}
        await two.publish(channel, {"id": 2})
        assert await receive(on_one) == {"id": 2}
        assert await receive(on_two) == {"id": 2}


async def test_memory_instances_are_isolated() -> None:
    channel = new_channel()
    async with (
        running("memory://") as one,
        running("memory://") as two,
        two.subscribe(channel) as on_two,
    ):
        await one.publish(channel, {"id": 1})
        await assert_nothing(on_two)


# ------------------------------------------------------------------ 3. bounded queues


async def test_full_queue_drops_then_delivers_exactly_one_resync(url: str) -> None:
    channel = new_channel()
    async with running(url, queue_size=10) as pubsub, pubsub.subscribe(channel) as sub:
        for i in range(50):
            await pubsub.publish(channel, {"id": i})
        await eventually(lambda: sub.dropped == 40)

        items = [await receive(sub) for _ in range(11)]
        assert items[:10] == [{"id": i} for i in range(10)]
        assert items[10] is RESYNC
        await assert_nothing(sub)

        for i in range(50, 53):
            await pubsub.publish(channel, {"id": i})
        assert [await receive(sub) for _ in range(3)] == [{"id": i} for i in range(50, 53)]
        await assert_nothing(sub)


async def test_slow_subscriber_does_not_affect_others(url: str) -> None:
    channel = new_channel()
    async with (
        running(url, queue_size=10) as pubsub,
        pubsub.subscribe(channel) as slow,
        pubsub.subscribe(channel) as fast,
    ):
        received = []
        for i in range(30):
            await pubsub.publish(channel, {"id": i})
            received.append(await receive(fast))
        assert received == [{"id": i} for i in range(30)]
        assert slow.dropped == 20
        assert [await receive(slow) for _ in range(11)][-1] is RESYNC


# ------------------------------------------------------------------ 4. reconnection


async def _wait_for_resync_then_roundtrip(pubsub: PubSub, sub: Subscription, channel: str) -> None:
    assert await receive(sub, seconds=5) is RESYNC
    assert pubsub.connected
    await pubsub.publish(channel, {"id": "after"})
    assert await receive(sub) == {"id": "after"}
    await assert_nothing(sub)


async def test_postgres_connection_killed_by_server_reconnects_and_resyncs(pg_url: str) -> None:
    app_name = f"edom-test-{uuid.uuid4().hex[:12]}"
    channel = new_channel()
    url = _with_query(pg_url, application_name=app_name)
    async with running(url, heartbeat_interval=0.2) as pubsub, pubsub.subscribe(channel) as sub:
        await pubsub.publish(channel, {"id": "before"})
        assert await receive(sub) == {"id": "before"}

        admin = await asyncpg.connect(pg_url)
        try:
            killed = await admin.fetchval(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) "
                "FROM pg_stat_activity WHERE application_name = $1",
                app_name,
            )
        finally:
            await admin.close()
        assert killed == 1
        await _wait_for_resync_then_roundtrip(pubsub, sub, channel)


async def test_redis_pubsub_connection_killed_reconnects_and_resyncs(redis_url: str) -> None:
    client_name = f"edom-test-{uuid.uuid4().hex[:12]}"
    channel = new_channel()
    url = _with_query(redis_url, client_name=client_name)
    async with running(url, heartbeat_interval=0.2) as pubsub, pubsub.subscribe(channel) as sub:
        await pubsub.publish(channel, {"id": "before"})
        assert await receive(sub) == {"id": "before"}

        admin = aredis.Redis.from_url(redis_url)
        try:
            ours = [c for c in await admin.client_list(_type="pubsub") if c["name"] == client_name]
            assert len(ours) == 1
            killed = await admin.client_kill_filter(_id=ours[0]["id"], _type="pubsub")
        finally:
            await admin.aclose()
        assert killed == 1
        await _wait_for_resync_then_roundtrip(pubsub, sub, channel)


async def test_lost_heartbeat_triggers_reconnect_and_resync(broker_url: str) -> None:
    channel = new_channel()
    async with (
        running(broker_url, heartbeat_interval=0.2) as pubsub,
        pubsub.subscribe(channel) as sub,
    ):
        # The connection stays up but stops delivering the heartbeat channel.
        backend = pubsub._backend
        assert backend is not None
        await backend.unsubscribe(pubsub._heartbeat_channel)
        await _wait_for_resync_then_roundtrip(pubsub, sub, channel)


async def test_publish_fails_fast_when_not_started_or_broker_unreachable() -> None:
    pubsub = PubSub("memory://")
    with pytest.raises(PubSubUnavailable):
        await pubsub.publish("x", {"id": 1})
    unreachable = PubSub("postgresql://postgres@127.0.0.1:1/postgres")
    with pytest.raises(PubSubUnavailable):
        await unreachable.start()
    assert not unreachable.connected
    await unreachable.stop()


async def test_subscriber_registered_before_start_gets_resync(url: str) -> None:
    channel = new_channel()
    pubsub = PubSub(url)
    async with pubsub.subscribe(channel) as sub:
        await pubsub.start()
        try:
            assert await receive(sub) is RESYNC
            await pubsub.publish(channel, {"id": 1})
            assert await receive(sub) == {"id": 1}
        finally:
            await pubsub.stop()


# ------------------------------------------------------------------ 5. validation


@pytest.mark.parametrize(
    "channel",
    ["", "a" * 64, "with space", "semi;colon", "slash/ed", "ünïcode", "quote'", "new\nline"],
)
async def test_invalid_channel_names_are_refused(channel: str) -> None:
    async with running("memory://") as pubsub:
        with pytest.raises(ValueError, match="channel"):
            await pubsub.publish(channel, {"id": 1})
        with pytest.raises(ValueError, match="channel"):
            pubsub.subscribe(channel)


async def test_longest_and_richest_valid_channel_names_work(url: str) -> None:
    async with running(url) as pubsub:
        for channel in ["a" * 63, f"Aa0_.:-{uuid.uuid4().hex[:8]}"]:
            async with pubsub.subscribe(channel) as sub:
                await pubsub.publish(channel, {"id": channel})
                assert await receive(sub) == {"id": channel}


async def test_payload_size_limit(url: str) -> None:
    channel = new_channel()
    overhead = len('{"b":""}')
    largest = {"b": "x" * (MAX_PAYLOAD_BYTES - overhead)}
    not_json: Any = {"ids": {1, 2}}
    async with running(url) as pubsub, pubsub.subscribe(channel) as sub:
        await pubsub.publish(channel, largest)
        assert await receive(sub) == largest
        with pytest.raises(ValueError, match="bytes"):
            await pubsub.publish(channel, {"b": "x" * (MAX_PAYLOAD_BYTES - overhead + 1)})
        with pytest.raises(ValueError, match="bytes"):
            # multi-byte characters count in bytes, not characters
            await pubsub.publish(channel, {"b": "é" * 4000})
        with pytest.raises(ValueError, match="JSON"):
            await pubsub.publish(channel, not_json)
        with pytest.raises(ValueError, match="JSON"):
            await pubsub.publish(channel, {"x": float("nan")})
        await assert_nothing(sub)


@pytest.mark.parametrize(
    "bad_url",
    [
        "kafka://localhost:9092",
        "http://example.com",
        "mysql://root@localhost/db",
        "postgresql+psycopg://postgres@localhost/postgres",
        "redis-stream://localhost",
        "localhost:6379",
        "",
    ],
)
def test_unknown_url_scheme_is_refused(bad_url: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        PubSub(bad_url)


def test_accepted_url_forms() -> None:
    for good in [
        "memory://",
        "postgres://u:p@h/db",
        "postgresql://u@h:5432/db",
        "postgresql+asyncpg://u@h/db",
        "postgresql://postgres:@/postgres?host=/tmp/dir",
        "redis://localhost:6379/0",
        "rediss://localhost:6380/0",
    ]:
        PubSub(good)
    with pytest.raises(ValueError, match="queue_size"):
        PubSub("memory://", queue_size=0)


def _unix_socket_url(pg_url: str) -> str | None:
    """The URL of the same local server through its unix socket, if it has one here."""
    parts = urlsplit(pg_url)
    port = parts.port or 5432
    socket_dir = "/var/run/postgresql"
    if parts.hostname not in ("127.0.0.1", "localhost"):
        return None
    if not pathlib.Path(socket_dir, f".s.PGSQL.{port}").exists():
        return None
    user = parts.username or "postgres"
    database = parts.path.lstrip("/") or "postgres"
    return f"postgresql://{user}:{parts.password or ''}@/{database}?host={socket_dir}&port={port}"


async def test_postgres_driver_suffix_and_unix_socket_urls_connect(pg_url: str) -> None:
    scheme, rest = pg_url.split("://", 1)
    urls = [f"{scheme}+asyncpg://{rest}"]
    socket_url = _unix_socket_url(pg_url)
    if socket_url is not None:
        try:
            await (await asyncpg.connect(socket_url, timeout=3)).close()
        except Exception:
            logging.getLogger(__name__).info("unix socket not usable; not testing it")
        else:
            urls.append(socket_url)
    for url in urls:
        channel = new_channel()
        async with running(url) as pubsub, pubsub.subscribe(channel) as sub:
            await pubsub.publish(channel, {"url": "ok"})
            assert await receive(sub) == {"url": "ok"}


@asynccontextmanager
async def raw_publisher(url: str, pubsub: PubSub) -> AsyncIterator[Any]:
    """Yield ``publish(channel, text)`` that bypasses :class:`PubSub`'s encoding."""
    if url.startswith("postgres"):
        conn = await asyncpg.connect(url)
        try:

            async def notify(channel: str, text: str) -> None:
                await conn.execute("SELECT pg_notify($1, $2)", channel, text)

            yield notify
        finally:
            await conn.close()
    elif url.startswith("redis"):
        async with Broadcast(url) as broadcast:
            yield broadcast.publish
    else:
        own = pubsub._broadcast
        assert own is not None
        yield own.publish


async def test_malformed_messages_are_logged_and_skipped(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    channel = new_channel()
    async with running(url) as pubsub, pubsub.subscribe(channel) as sub:
        async with raw_publisher(url, pubsub) as publish_raw:
            with caplog.at_level(logging.WARNING, logger="edom_graphql.pubsub"):
                for bad in ["not json", "[1,2,3]", '"text"', "{truncated", ""]:
                    await publish_raw(channel, bad)
                await pubsub.publish(channel, {"id": "good"})
                assert await receive(sub) == {"id": "good"}
        await assert_nothing(sub)
        assert pubsub.connected
    assert sum("malformed" in r.message or "non-object" in r.message for r in caplog.records) == 5


# ------------------------------------------------------------------ 6. unsubscribing


def _our_tasks(besides: set[asyncio.Task[Any]] | None = None) -> list[asyncio.Task[Any]]:
    """The pubsub tasks running, but for ``besides`` (those of other instances in the same
    event loop, such as the test server's)."""
    return [
        t
        for t in asyncio.all_tasks()
        if t.get_name().startswith("edom-pubsub") and not t.done() and t not in (besides or set())
    ]


async def test_leaving_the_context_unsubscribes_without_leaks(url: str) -> None:
    before = set(_our_tasks())
    channel, other = new_channel(), new_channel()
    pubsub = PubSub(url)
    await pubsub.start()
    heartbeat = {pubsub._heartbeat_channel}
    async with pubsub.subscribe(channel), pubsub.subscribe(channel), pubsub.subscribe(other):
        assert set(pubsub._subscribers) == {channel, other}
        assert set(pubsub._pumps) == heartbeat | {channel, other}
    assert pubsub._subscribers == {}
    assert set(pubsub._pumps) == heartbeat
    assert pubsub._stopping_pumps == {}
    assert pubsub._broadcast is not None
    assert set(pubsub._broadcast._subscribers) == heartbeat
    if url.startswith("redis"):
        admin = aredis.Redis.from_url(url)
        try:
            assert await admin.pubsub_channels(channel) == []
        finally:
            await admin.aclose()

    # Churn on one channel: each new listener starts after the previous one unsubscribed.
    for i in range(10):
        async with pubsub.subscribe(channel) as sub:
            await pubsub.publish(channel, {"round": i})
            assert await receive(sub) == {"round": i}

    async def subscribe_and_receive() -> Any:
        async with pubsub.subscribe(other) as sub:
            await ready.wait()
            return await receive(sub)

    ready = asyncio.Event()
    tasks = [asyncio.create_task(subscribe_and_receive()) for _ in range(5)]
    await eventually(lambda: len(pubsub._subscribers.get(other, ())) == 5)
    await pubsub.publish(other, {"id": "all"})
    ready.set()
    assert await asyncio.gather(*tasks) == [{"id": "all"}] * 5
    assert pubsub._subscribers == {}

    await pubsub.stop()
    await pubsub.stop()
    assert not pubsub.connected
    assert pubsub._pumps == {}
    assert _our_tasks(besides=before) == []
    with pytest.raises(PubSubUnavailable):
        await pubsub.publish(channel, {"id": 1})


async def test_cancelled_subscriber_is_removed(url: str) -> None:
    channel = new_channel()
    async with running(url) as pubsub:
        entered = asyncio.Event()

        async def consume() -> None:
            async with pubsub.subscribe(channel) as sub:
                entered.set()
                await sub.get()

        task = asyncio.create_task(consume())
        await entered.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert pubsub._subscribers == {}
        assert channel not in pubsub._pumps


# ------------------------------------------------------------------ RESYNC


def test_resync_marker() -> None:
    assert repr(RESYNC) == "RESYNC"
    assert str(RESYNC) == "RESYNC"
    assert RESYNC is ResyncMarker.RESYNC
    assert copy.deepcopy(RESYNC) is RESYNC
    assert isinstance(RESYNC, ResyncMarker)
