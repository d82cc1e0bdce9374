"""Publish/subscribe of small JSON events between API processes.

This is the only module that talks to :mod:`broadcaster`; the rest of the application
uses :class:`PubSub`. Supported URLs:

* ``memory://`` -- within this :class:`PubSub` instance only (tests, single process);
* ``postgres://`` / ``postgresql://`` (also ``postgresql+asyncpg://`` and unix-socket URLs
  such as ``postgresql://user:@/db?host=/run/postgresql``) -- ``LISTEN``/``NOTIFY``;
* ``redis://`` / ``rediss://`` -- Redis ``PUBLISH``/``SUBSCRIBE``.

Delivery is best effort, and every possible loss is reported: a subscriber receives
:data:`RESYNC` whenever events for it may have been dropped (its bounded queue overflowed,
or the connection to the broker was lost and re-established). On ``RESYNC`` the subscriber
reloads its state from the database, so the application as a whole stays lossless.

A supervisor task publishes a heartbeat on a channel private to the instance; when the
heartbeat does not come back in time, a publish fails, or a listener dies, the broker
connection is rebuilt with exponential backoff and every subscriber gets ``RESYNC``.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import json
import logging
import random
import re
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Final, TypeAlias
from urllib.parse import parse_qs, urlsplit, urlunsplit

import asyncpg
from broadcaster import Broadcast, BroadcastBackend, Event
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from edom_graphql.core.inbox import Inbox

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "RESYNC",
    "JSONValue",
    "PubSub",
    "PubSubUnavailable",
    "ResyncMarker",
    "Subscription",
]

logger = logging.getLogger("edom_graphql.pubsub")

JSONValue: TypeAlias = (
    "str | int | float | bool | Sequence[JSONValue] | Mapping[str, JSONValue] | None"
)
"""A value that :func:`json.dumps` can encode."""

MAX_PAYLOAD_BYTES: Final = 7900
"""Largest encoded message accepted by :meth:`PubSub.publish` (NOTIFY allows 8000 bytes)."""

_CHANNEL_RE: Final = re.compile(r"[A-Za-z0-9_.:-]{1,63}")
_CONNECT_TIMEOUT: Final = 10.0
"""Seconds allowed for opening a broker connection."""
_OPERATION_TIMEOUT: Final = 5.0
"""Seconds allowed for a subscribe/unsubscribe round trip."""
_TEARDOWN_TIMEOUT: Final = 2.0
"""Seconds allowed for closing a connection and its listeners."""
_PUBLISH_WAIT: Final = 2.0
"""Seconds :meth:`PubSub.publish` waits for a (re)connection before giving up."""
_MIN_PUBLISH_ATTEMPT: Final = 0.25
_INITIAL_BACKOFF: Final = 0.1
_APPLICATION_NAME: Final = "edom-graphql-pubsub"

_rng = random.SystemRandom()


class ResyncMarker(enum.Enum):
    """Type of :data:`RESYNC`; ``item is RESYNC`` narrows a received item for type checkers."""

    RESYNC = "RESYNC"

    def __repr__(self) -> str:
        return "RESYNC"

    __str__ = __repr__


RESYNC: Final = ResyncMarker.RESYNC
"""Received by a subscriber when events for it may have been lost: reload from the database."""


class PubSubUnavailable(RuntimeError):
    """The broker cannot be reached; the event was not published."""


def _validate_channel(channel: str) -> None:
    if not isinstance(channel, str) or _CHANNEL_RE.fullmatch(channel) is None:
        raise ValueError(
            f"invalid channel name {channel!r}: use 1-63 characters from [A-Za-z0-9_.:-]"
        )


def _encode(message: Mapping[str, JSONValue]) -> str:
    if not isinstance(message, Mapping):
        raise ValueError(f"a message must be a mapping, not {type(message).__name__}")
    try:
        payload = json.dumps(dict(message), separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"message is not JSON-encodable: {exc}") from exc
    size = len(payload.encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise ValueError(
            f"encoded message is {size} bytes; the limit is {MAX_PAYLOAD_BYTES} "
            "(publish ids, not documents)"
        )
    return payload


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if not parts.password:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def _parse_url(url: str) -> tuple[str, str]:
    """Return ``(kind, url)`` with ``kind`` one of ``memory``, ``postgres``, ``redis``."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError("pubsub URL must look like memory://, postgresql://… or redis://…")
    scheme = scheme.lower()
    if scheme == "memory":
        return "memory", "memory://"
    if scheme in ("postgres", "postgresql", "postgres+asyncpg", "postgresql+asyncpg"):
        return "postgres", f"postgresql://{rest}"
    if scheme in ("redis", "rediss"):
        return "redis", f"{scheme}://{rest}"
    raise ValueError(
        f"unsupported pubsub URL scheme {scheme!r}: use memory://, postgresql:// or redis://"
    )


class Subscription:
    """Events of one channel for one local subscriber, in publication order.

    Items are decoded message dicts, or :data:`RESYNC` when events may have been lost.
    The queue is bounded: when it is full, newer events are dropped and a single
    ``RESYNC`` follows as soon as there is room again. One task reads it, and an idle
    one holds no buffer (:class:`~edom_graphql.core.inbox.Inbox`): every open stream of
    every connection has one.
    """

    __slots__ = ("_channel", "_dropped", "_queue", "_resync_pending", "_tail_is_resync")

    def __init__(self, channel: str, queue_size: int) -> None:
        self._channel = channel
        self._queue: Inbox[dict[str, Any] | ResyncMarker] = Inbox(queue_size)
        self._resync_pending = False
        self._tail_is_resync = False
        self._dropped = 0

    @property
    def channel(self) -> str:
        return self._channel

    @property
    def dropped(self) -> int:
        """Number of events dropped because this subscriber's queue was full."""
        return self._dropped

    def __repr__(self) -> str:
        return f"<Subscription channel={self._channel!r} queued={self._queue.qsize()}>"

    def __aiter__(self) -> AsyncIterator[dict[str, Any] | ResyncMarker]:
        return self

    async def __anext__(self) -> dict[str, Any] | ResyncMarker:
        return await self.get()

    async def get(self) -> dict[str, Any] | ResyncMarker:
        """Wait for the next event (or :data:`RESYNC`)."""
        item = await self._queue.get()
        self._flush_resync()
        return item

    def drain(self) -> int:
        """Discard the events already queued; how many there were.

        A subscriber that re-reads current state on waking coalesces a burst this way.
        """
        drained = self._queue.clear()
        self._flush_resync()
        return drained

    def _put(self, message: dict[str, Any]) -> None:
        if self._resync_pending:
            self._flush_resync()
            if self._resync_pending:
                self._dropped += 1
                return
        try:
            self._queue.put_nowait(message)
        except asyncio.QueueFull:
            self._dropped += 1
            self._resync_pending = True
            if self._dropped == 1 or self._dropped % 1000 == 0:
                logger.warning(
                    "subscriber queue for channel %r is full; dropping events (%d so far)",
                    self._channel,
                    self._dropped,
                )
        else:
            self._tail_is_resync = False

    def _request_resync(self) -> None:
        if self._tail_is_resync and not self._queue.empty():
            return  # an unconsumed RESYNC is already the last item
        self._resync_pending = True
        self._flush_resync()

    def _flush_resync(self) -> None:
        if not self._resync_pending:
            return
        try:
            self._queue.put_nowait(RESYNC)
        except asyncio.QueueFull:
            return
        self._resync_pending = False
        self._tail_is_resync = True


# --------------------------------------------------------------------------- backends


class _PostgresBackend(BroadcastBackend):
    """LISTEN/NOTIFY on one asyncpg connection, with loss detection.

    asyncpg allows one operation at a time per connection, so LISTEN, UNLISTEN and
    NOTIFY are serialised by a lock.
    """

    def __init__(self, dsn: str, on_lost: Callable[[str], None]) -> None:
        self._dsn = dsn
        self._on_lost = on_lost
        self._conn: Any = None
        self._lock = asyncio.Lock()
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._closed = False

    async def connect(self) -> None:
        query = parse_qs(urlsplit(self._dsn).query)
        server_settings = (
            None if "application_name" in query else {"application_name": _APPLICATION_NAME}
        )
        self._conn = await asyncpg.connect(
            self._dsn, timeout=_CONNECT_TIMEOUT, server_settings=server_settings
        )
        self._conn.add_termination_listener(self._on_terminated)

    async def disconnect(self) -> None:
        if self._closed:
            return
        self._closed = True
        conn, self._conn = self._conn, None
        if conn is None:
            return
        conn.remove_termination_listener(self._on_terminated)
        try:
            await asyncio.wait_for(conn.close(), _TEARDOWN_TIMEOUT)
        except Exception:
            conn.terminate()

    def _live(self) -> Any:
        if self._closed or self._conn is None or self._conn.is_closed():
            raise ConnectionError("PostgreSQL pubsub connection is closed")
        return self._conn

    async def subscribe(self, channel: str) -> None:
        async with self._lock:
            await self._live().add_listener(channel, self._on_notify)

    async def unsubscribe(self, channel: str) -> None:
        if self._closed or self._conn is None or self._conn.is_closed():
            return
        async with self._lock:
            await self._live().remove_listener(channel, self._on_notify)

    async def publish(self, channel: str, message: Any) -> None:
        async with self._lock:
            await self._live().execute("SELECT pg_notify($1, $2)", channel, message)

    async def next_published(self) -> Event:
        return await self._events.get()

    def _on_notify(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        self._events.put_nowait(Event(channel=channel, message=payload))

    def _on_terminated(self, connection: Any) -> None:
        if not self._closed:
            self._on_lost("PostgreSQL LISTEN connection was closed")


class _RedisBackend(BroadcastBackend):
    """Redis pub/sub with loss detection.

    redis-py silently reconnects and re-subscribes a dropped pub/sub connection, losing
    whatever was published meanwhile; any reconnection is therefore reported as a loss.
    ``subscribe`` returns only once the server has confirmed the subscription.
    """

    def __init__(self, url: str, on_lost: Callable[[str], None]) -> None:
        self._url = url
        self._on_lost = on_lost
        self._events: asyncio.Queue[Event] = asyncio.Queue()
        self._confirmations: dict[str, list[asyncio.Future[None]]] = {}
        self._publisher: Redis | None = None
        self._subscriber: Redis | None = None
        # redis-py's PubSub and connection classes are partly untyped.
        self._pubsub: Any = None
        self._watched: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._closed = False

    async def connect(self) -> None:
        # Options given in the URL (such as ``client_name``) take precedence.
        options: dict[str, Any] = {
            "socket_connect_timeout": _CONNECT_TIMEOUT,
            "client_name": _APPLICATION_NAME,
        }
        self._publisher = Redis.from_url(self._url, **options)
        self._subscriber = Redis.from_url(self._url, retry=Retry(NoBackoff(), 0), **options)
        self._pubsub = self._subscriber.pubsub()
        try:
            await self._publisher.ping()
            await self._pubsub.connect()
        except BaseException:
            await self.disconnect()
            raise
        connection = self._pubsub.connection
        if connection is not None:
            connection.register_connect_callback(self._on_reconnected)
            self._watched = connection
        self._reader = asyncio.create_task(self._read(self._pubsub), name="edom-pubsub-redis")

    async def disconnect(self) -> None:
        if self._closed:
            return
        self._closed = True
        for futures in self._confirmations.values():
            for future in futures:
                if not future.done():
                    future.set_exception(ConnectionError("Redis pubsub connection closed"))
        self._confirmations.clear()
        if self._watched is not None:
            self._watched.deregister_connect_callback(self._on_reconnected)
            self._watched = None
        if self._reader is not None:
            self._reader.cancel()
        for close in (
            self._pubsub.aclose if self._pubsub is not None else None,
            self._subscriber.aclose if self._subscriber is not None else None,
            self._publisher.aclose if self._publisher is not None else None,
        ):
            if close is None:
                continue
            try:
                await asyncio.wait_for(close(), _TEARDOWN_TIMEOUT)
            except Exception as exc:
                logger.debug("error while closing a Redis connection: %r", exc)
        if self._reader is not None:
            await asyncio.wait({self._reader}, timeout=_TEARDOWN_TIMEOUT)

    def _live_pubsub(self) -> Any:
        if self._closed or self._pubsub is None:
            raise ConnectionError("Redis pubsub connection is closed")
        return self._pubsub

    async def subscribe(self, channel: str) -> None:
        pubsub = self._live_pubsub()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiting = self._confirmations.setdefault(channel, [])
        waiting.append(future)
        try:
            await pubsub.subscribe(channel)
            async with asyncio.timeout(_OPERATION_TIMEOUT):
                await future
        finally:
            if future in waiting:
                waiting.remove(future)
            if not waiting and self._confirmations.get(channel) is waiting:
                del self._confirmations[channel]

    async def unsubscribe(self, channel: str) -> None:
        if self._closed or self._pubsub is None:
            return
        await self._pubsub.unsubscribe(channel)

    async def publish(self, channel: str, message: Any) -> None:
        if self._closed or self._publisher is None:
            raise ConnectionError("Redis connection is closed")
        await self._publisher.publish(channel, message)

    async def next_published(self) -> Event:
        return await self._events.get()

    def _on_reconnected(self, connection: object) -> None:
        if not self._closed:
            self._on_lost("Redis pubsub connection was re-established")

    async def _read(self, pubsub: Any) -> None:
        try:
            while True:
                message = await pubsub.get_message(timeout=None)
                if message is None:
                    continue
                kind = message.get("type")
                raw_channel = message.get("channel")
                channel = (
                    raw_channel.decode("utf-8", "replace")
                    if isinstance(raw_channel, bytes)
                    else str(raw_channel)
                )
                if kind == "message":
                    data = message.get("data")
                    try:
                        text = data.decode("utf-8") if isinstance(data, bytes) else str(data)
                    except UnicodeDecodeError:
                        logger.warning("skipping non-UTF-8 message on channel %r", channel)
                        continue
                    self._events.put_nowait(Event(channel=channel, message=text))
                elif kind == "subscribe":
                    for future in self._confirmations.pop(channel, []):
                        if not future.done():
                            future.set_result(None)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if not self._closed:
                self._on_lost(f"Redis pubsub reader failed: {exc!r}")


# --------------------------------------------------------------------------- PubSub


@dataclass(eq=False)
class _Pump:
    """The task forwarding one channel of one connection to the local subscribers."""

    channel: str
    generation: int
    ready: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    task: asyncio.Task[None] | None = field(default=None, repr=False)
    stopping: bool = False


class PubSub:
    """Channels of small JSON events shared by every process using the same URL.

    Call :meth:`start` once (application startup) and :meth:`stop` at shutdown.
    """

    def __init__(
        self,
        url: str,
        *,
        queue_size: int = 1000,
        heartbeat_interval: float = 5.0,
        reconnect_max_delay: float = 10.0,
    ) -> None:
        self._kind, self._url = _parse_url(url)
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        if not heartbeat_interval > 0:
            raise ValueError("heartbeat_interval must be positive")
        if not reconnect_max_delay > 0:
            raise ValueError("reconnect_max_delay must be positive")
        self._queue_size = queue_size
        self._heartbeat_interval = float(heartbeat_interval)
        self._reconnect_max_delay = float(reconnect_max_delay)
        self._heartbeat_channel = f"edom.hb.{uuid.uuid4().hex[:16]}"

        self._subscribers: dict[str, set[Subscription]] = {}
        self._pumps: dict[str, _Pump] = {}
        self._stopping_pumps: dict[str, asyncio.Task[None]] = {}

        self._broadcast: Broadcast | None = None
        self._backend: BroadcastBackend | None = None
        self._generation = 0
        self._connected = asyncio.Event()
        self._failure: str | None = None
        self._wakeup = asyncio.Event()
        self._heartbeats_sent = 0
        self._heartbeats_seen = 0

        self._running = False
        self._supervisor: asyncio.Task[None] | None = None
        self._teardowns: set[asyncio.Task[None]] = set()

    def __repr__(self) -> str:
        state = "connected" if self.connected else "disconnected"
        return f"<PubSub {_redact(self._url)} {state} channels={len(self._subscribers)}>"

    @property
    def connected(self) -> bool:
        """Whether the broker connection is up and listening."""
        return self._connected.is_set()

    # ------------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Connect to the broker and start supervising the connection.

        Raises :class:`PubSubUnavailable` when the first connection cannot be made.
        """
        if self._running:
            return
        self._running = True
        try:
            await self._establish()
        except Exception as exc:
            self._running = False
            raise PubSubUnavailable(
                f"cannot connect to pubsub broker {_redact(self._url)}: {exc!r}"
            ) from exc
        except BaseException:
            self._running = False
            raise
        self._supervisor = asyncio.create_task(self._supervise(), name="edom-pubsub-supervisor")
        # Subscribers that registered before the connection may have missed events.
        self._resync_all()
        logger.info("pubsub connected to %s", _redact(self._url))

    async def stop(self) -> None:
        """Stop listening and close the broker connection. Safe to call more than once.

        Open subscriptions stay registered but receive nothing more until :meth:`start`
        is called again, after which they receive :data:`RESYNC`.
        """
        self._running = False
        supervisor, self._supervisor = self._supervisor, None
        if supervisor is not None:
            supervisor.cancel()
            await asyncio.wait({supervisor})
        if self._teardowns:
            await asyncio.wait(set(self._teardowns))
        await self._teardown()

    # ------------------------------------------------------------------ publishing

    async def publish(self, channel: str, message: Mapping[str, JSONValue]) -> None:
        """Publish ``message`` on ``channel`` to every subscriber of every process.

        Raises :class:`ValueError` for an invalid channel name or a message that cannot be
        encoded within :data:`MAX_PAYLOAD_BYTES`, and :class:`PubSubUnavailable` when the
        broker stays unreachable for about two seconds.
        """
        _validate_channel(channel)
        payload = _encode(message)
        if not self._running:
            raise PubSubUnavailable("pubsub is not started")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + _PUBLISH_WAIT
        while True:
            if not self._connected.is_set() and not await self._wait_connected(
                deadline - loop.time()
            ):
                raise PubSubUnavailable(
                    f"pubsub broker unavailable; event on channel {channel!r} not published"
                )
            broadcast, generation = self._broadcast, self._generation
            if broadcast is None:
                if loop.time() >= deadline:
                    raise PubSubUnavailable("pubsub broker unavailable")
                await asyncio.sleep(0.05)
                continue
            try:
                async with asyncio.timeout(max(deadline - loop.time(), _MIN_PUBLISH_ATTEMPT)):
                    await broadcast.publish(channel, payload)
            except Exception as exc:
                self._report_failure(generation, f"publish failed: {exc!r}")
                if loop.time() >= deadline:
                    raise PubSubUnavailable(
                        f"publishing on channel {channel!r} failed: {exc!r}"
                    ) from exc
                logger.info("publish on channel %r failed (%r); retrying", channel, exc)
            else:
                return

    # ------------------------------------------------------------------ subscribing

    def subscribe(self, channel: str) -> AbstractAsyncContextManager[Subscription]:
        """Subscribe to ``channel`` for the duration of an ``async with`` block.

        When the block is entered, the subscription is registered and, if connected, the
        broker subscription is effective: events published from then on are received.
        While disconnected, entering succeeds and :data:`RESYNC` follows the reconnection.
        """
        _validate_channel(channel)
        return self._subscription(channel)

    @asynccontextmanager
    async def _subscription(self, channel: str) -> AsyncIterator[Subscription]:
        subscription = Subscription(channel, self._queue_size)
        self._subscribers.setdefault(channel, set()).add(subscription)
        try:
            pump = self._ensure_pump(channel)
            if pump is not None and not pump.ready.is_set():
                try:
                    async with asyncio.timeout(_OPERATION_TIMEOUT + 1.0):
                        await pump.ready.wait()
                except TimeoutError:
                    logger.warning("subscribing to channel %r is taking long", channel)
            yield subscription
        finally:
            subscribers = self._subscribers.get(channel)
            if subscribers is not None:
                subscribers.discard(subscription)
                if not subscribers:
                    del self._subscribers[channel]
                    stopped = (
                        None if channel == self._heartbeat_channel else self._stop_pump(channel)
                    )
                    if stopped is not None:
                        await asyncio.wait({stopped}, timeout=_OPERATION_TIMEOUT)

    def _ensure_pump(self, channel: str) -> _Pump | None:
        pump = self._pumps.get(channel)
        if pump is not None:
            return pump
        broadcast = self._broadcast
        if broadcast is None or not self._connected.is_set():
            return None  # the (re)connection creates it, then sends RESYNC
        return self._start_pump(channel, broadcast, self._generation)

    def _start_pump(self, channel: str, broadcast: Broadcast, generation: int) -> _Pump:
        pump = _Pump(channel, generation)
        previous = self._stopping_pumps.get(channel)
        pump.task = asyncio.create_task(
            self._run_pump(pump, broadcast, previous), name=f"edom-pubsub:{channel}"
        )
        pump.task.add_done_callback(lambda task: self._pump_done(pump, task))
        self._pumps[channel] = pump
        return pump

    def _stop_pump(self, channel: str) -> asyncio.Task[None] | None:
        pump = self._pumps.pop(channel, None)
        if pump is None or pump.task is None:
            return None
        pump.stopping = True
        pump.task.cancel()
        self._stopping_pumps[channel] = pump.task
        return pump.task

    async def _run_pump(
        self, pump: _Pump, broadcast: Broadcast, previous: asyncio.Task[None] | None
    ) -> None:
        try:
            if previous is not None:
                # The previous listener of this channel must have unsubscribed first.
                await asyncio.wait({previous})
            async with broadcast.subscribe(pump.channel) as subscriber:
                pump.ready.set()
                while True:
                    event = await subscriber.get()
                    self._dispatch(pump.channel, event.message)
        except Exception as exc:
            if pump.stopping or pump.generation != self._generation:
                logger.debug("listener of channel %r ended with %r", pump.channel, exc)
            else:
                logger.error("listener of channel %r failed", pump.channel, exc_info=exc)
                self._report_failure(
                    pump.generation, f"listener of channel {pump.channel!r} failed: {exc!r}"
                )
        finally:
            pump.ready.set()

    def _pump_done(self, pump: _Pump, task: asyncio.Task[None]) -> None:
        if self._pumps.get(pump.channel) is pump:
            del self._pumps[pump.channel]
        if self._stopping_pumps.get(pump.channel) is task:
            del self._stopping_pumps[pump.channel]

    def _dispatch(self, channel: str, raw: Any) -> None:
        if channel == self._heartbeat_channel:
            self._on_heartbeat(raw)
            return
        subscribers = self._subscribers.get(channel)
        if not subscribers:
            return
        try:
            message = json.loads(raw)
        except (TypeError, ValueError):
            logger.warning("skipping malformed message on channel %r: %.200r", channel, raw)
            return
        if not isinstance(message, dict):
            logger.warning("skipping non-object message on channel %r: %.200r", channel, raw)
            return
        first = True
        for subscription in list(subscribers):
            # Each subscriber gets its own copy; the first one gets the decoded original.
            subscription._put(message if first else json.loads(raw))
            first = False

    def _resync_all(self) -> None:
        for subscribers in self._subscribers.values():
            for subscription in subscribers:
                subscription._request_resync()

    # ------------------------------------------------------------------ connection

    def _make_broadcast(self, generation: int) -> tuple[Broadcast, BroadcastBackend | None]:
        def on_lost(reason: str) -> None:
            self._report_failure(generation, reason)

        backend: BroadcastBackend
        if self._kind == "postgres":
            backend = _PostgresBackend(self._url, on_lost)
        elif self._kind == "redis":
            backend = _RedisBackend(self._url, on_lost)
        else:
            return Broadcast(self._url), None
        return Broadcast(backend=backend), backend

    def _wanted_channels(self) -> list[str]:
        return [self._heartbeat_channel, *self._subscribers]

    async def _establish(self) -> None:
        """Open a new connection and listen to every channel that has subscribers."""
        self._generation += 1
        generation = self._generation
        self._failure = None
        broadcast, backend = self._make_broadcast(generation)
        self._broadcast, self._backend = broadcast, backend
        try:
            async with asyncio.timeout(_CONNECT_TIMEOUT):
                await broadcast.connect()
            while True:
                missing = [ch for ch in self._wanted_channels() if ch not in self._pumps]
                if not missing:
                    break
                pumps = [self._start_pump(ch, broadcast, generation) for ch in missing]
                async with asyncio.timeout(_OPERATION_TIMEOUT + 0.01 * len(pumps)):
                    for pump in pumps:
                        await pump.ready.wait()
                if self._failure is not None:
                    raise PubSubUnavailable(self._failure)
                if generation != self._generation:
                    raise PubSubUnavailable("connection replaced while connecting")
        except BaseException:
            await self._teardown()
            raise
        self._connected.set()

    def _report_failure(self, generation: int, reason: str) -> None:
        if generation != self._generation or self._failure is not None:
            return
        self._failure = reason
        self._connected.clear()
        self._wakeup.set()

    async def _teardown(self) -> None:
        """Close the current connection and its listeners (shielded from cancellation)."""
        task = asyncio.ensure_future(self._close_connection())
        self._teardowns.add(task)
        task.add_done_callback(self._teardowns.discard)
        await asyncio.shield(task)

    async def _close_connection(self) -> None:
        self._connected.clear()
        self._generation += 1
        broadcast, self._broadcast = self._broadcast, None
        backend, self._backend = self._backend, None
        tasks: list[asyncio.Task[None]] = []
        for pump in self._pumps.values():
            pump.stopping = True
            if pump.task is not None:
                tasks.append(pump.task)
        tasks.extend(self._stopping_pumps.values())
        self._pumps.clear()
        self._stopping_pumps.clear()
        # Closing the connection first makes the listeners' unsubscribe calls no-ops.
        if broadcast is not None:
            try:
                async with asyncio.timeout(_TEARDOWN_TIMEOUT):
                    await broadcast.disconnect()
            except Exception as exc:
                logger.info("error while disconnecting pubsub: %r", exc)
        if backend is not None:
            try:
                async with asyncio.timeout(_TEARDOWN_TIMEOUT):
                    await backend.disconnect()
            except Exception as exc:
                logger.info("error while closing pubsub connection: %r", exc)
        for task in tasks:
            task.cancel()
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=_TEARDOWN_TIMEOUT)
            if pending:
                logger.warning("%d pubsub listener(s) did not stop in time", len(pending))

    async def _wait_connected(self, seconds: float) -> bool:
        if seconds <= 0:
            return self._connected.is_set()
        try:
            async with asyncio.timeout(seconds):
                await self._connected.wait()
        except TimeoutError:
            return False
        return True

    # ------------------------------------------------------------------ supervision

    async def _supervise(self) -> None:
        while True:
            try:
                if not self._connected.is_set():
                    await self._teardown()
                    await self._reconnect()
                    self._resync_all()
                    logger.info("pubsub reconnected to %s", _redact(self._url))
                reason = await self._monitor()
                logger.warning("pubsub connection lost (%s); reconnecting", reason)
                self._connected.clear()
            except Exception:
                logger.exception("pubsub supervisor error")
                self._connected.clear()
                await asyncio.sleep(_INITIAL_BACKOFF)

    async def _reconnect(self) -> None:
        delay = _INITIAL_BACKOFF
        attempt = 0
        while True:
            attempt += 1
            await asyncio.sleep(delay * _rng.uniform(0.5, 1.0))
            try:
                await self._establish()
            except Exception as exc:
                logger.warning(
                    "pubsub reconnection attempt %d to %s failed: %r",
                    attempt,
                    _redact(self._url),
                    exc,
                )
                delay = min(delay * 2, self._reconnect_max_delay)
            else:
                return

    async def _monitor(self) -> str:
        """Send heartbeats until the connection is deemed lost; return the reason."""
        loop = asyncio.get_running_loop()
        interval = self._heartbeat_interval
        while True:
            if self._failure is not None:
                return self._failure
            broadcast = self._broadcast
            if broadcast is None or not self._connected.is_set():
                return "not connected"
            self._heartbeats_sent += 1
            seq = self._heartbeats_sent
            sent_at = loop.time()
            payload = json.dumps({"seq": seq}, separators=(",", ":"))
            try:
                async with asyncio.timeout(2 * interval):
                    await broadcast.publish(self._heartbeat_channel, payload)
            except Exception as exc:
                return f"heartbeat publish failed: {exc!r}"
            received = await self._wait_until(
                functools.partial(self._heartbeat_returned, seq), sent_at + 2 * interval
            )
            if self._failure is not None:
                return self._failure
            if not received:
                return f"heartbeat not received within {2 * interval:g}s"
            await self._wait_until(lambda: self._failure is not None, sent_at + interval)

    async def _wait_until(self, predicate: Callable[[], bool], deadline: float) -> bool:
        loop = asyncio.get_running_loop()
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._wakeup.clear()
            try:
                async with asyncio.timeout(remaining):
                    await self._wakeup.wait()
            except TimeoutError:
                pass
        return True

    def _heartbeat_returned(self, seq: int) -> bool:
        return self._heartbeats_seen >= seq or self._failure is not None

    def _on_heartbeat(self, raw: Any) -> None:
        try:
            seq = json.loads(raw)["seq"]
        except (TypeError, ValueError, KeyError):
            logger.warning("skipping malformed heartbeat: %.200r", raw)
            return
        if isinstance(seq, int) and seq > self._heartbeats_seen:
            self._heartbeats_seen = seq
            self._wakeup.set()
