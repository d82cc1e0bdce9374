"""Reads shared by the live subscribers of one server process.

One chat message wakes every subscriber of that chat at once. Each must read the new
rows and decide again whether its viewer may still see them; done one by one, 5,000
subscribers cost 10,000 statements per message. :meth:`LiveReads.once` runs identical
reads asked for before the first of them has started only once (the rows after the same
cursor of the same stream); the access layer batches the subscribers' standings alike
(:mod:`edom_graphql.access.live`).

Nothing is cached: every call reads the database as it is now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class _SharedRead:
    __slots__ = ("started", "waiters")

    def __init__(self) -> None:
        self.started: int | None = None
        """When the read began (a tick of :class:`LiveReads`); None until then."""
        self.waiters: list[asyncio.Future[Any]] = []
        """One future per caller: a caller that is cancelled cancels only its own."""

    def settle(self, task: asyncio.Task[Any]) -> None:
        """Hand the read's outcome to every caller still waiting."""
        cancelled = task.cancelled()
        error = None if cancelled else task.exception()  # retrieved even if nobody waits
        for waiter in self.waiters:
            if waiter.done():  # that caller was cancelled
                continue
            if cancelled:
                waiter.cancel()
            elif error is not None:
                waiter.set_exception(error)
            else:
                waiter.set_result(task.result())


class LiveReads:
    """Created once per process."""

    def __init__(self) -> None:
        self._in_flight: dict[Hashable, _SharedRead] = {}
        self._ticks = 0

    async def once(self, key: Hashable, read: Callable[[], Awaitable[T]]) -> T:
        """The result of ``read()``, shared with the callers asking for ``key`` before it
        has started.

        A read that is already running is never joined: it may have taken its snapshot
        before the caller was woken by a commit, and would hide that commit from it.
        Callers woken by the same event all ask before the first of them gets to start
        the read, so they still share it.
        """
        self._ticks += 1
        asked = self._ticks
        shared = self._in_flight.get(key)
        if shared is None or (shared.started is not None and shared.started < asked):
            shared = self._in_flight[key] = _SharedRead()
            task = asyncio.ensure_future(self._run(shared, read))
            task.add_done_callback(lambda done: self._finish(key, shared, done))
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        shared.waiters.append(waiter)
        return await waiter

    async def _run(self, shared: _SharedRead, read: Callable[[], Awaitable[T]]) -> T:
        self._ticks += 1
        shared.started = self._ticks
        return await read()

    def _finish(self, key: Hashable, shared: _SharedRead, task: asyncio.Task[Any]) -> None:
        if self._in_flight.get(key) is shared:
            del self._in_flight[key]
        shared.settle(task)
