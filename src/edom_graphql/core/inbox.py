"""Waiting without the weight of asyncio's general primitives.

A process holds thousands of open subscriptions and sockets, each with a queue of what
it has not read yet and a flag for write flow control, nearly always empty and idle.
``asyncio.Queue`` keeps three deques for that (the items, the getters, the putters) and
``asyncio.Event`` one: about 2.5 KB a connection before anything happens. These keep a
deque only while items wait and a future only while someone waits.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class Inbox(Generic[T]):
    """What ``asyncio.Queue`` does for one reader: ``put_nowait`` (``QueueFull`` past
    ``maxsize``, if one is given), ``get``, ``empty``, ``qsize`` and ``clear``, with
    nothing allocated while idle but the future of a waiting ``get``."""

    __slots__ = ("_items", "_maxsize", "_waiter")

    def __init__(self, maxsize: int = 0) -> None:
        self._maxsize = maxsize
        self._items: deque[T] | None = None
        self._waiter: asyncio.Future[None] | None = None

    def put_nowait(self, item: T) -> None:
        items = self._items
        if items is None:
            items = self._items = deque()
        elif 0 < self._maxsize <= len(items):
            raise asyncio.QueueFull
        items.append(item)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def empty(self) -> bool:
        return not self._items

    def qsize(self) -> int:
        return len(self._items) if self._items is not None else 0

    def clear(self) -> int:
        """Discard what is queued; how many there were."""
        count = self.qsize()
        self._items = None
        return count

    async def get(self) -> T:
        while not self._items:
            if self._waiter is not None:
                raise RuntimeError("an inbox has one reader at a time")
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None
        items = self._items
        item = items.popleft()
        if not items:
            self._items = None
        return item


class Flag:
    """What ``asyncio.Event`` does (``set``, ``clear``, ``is_set``, ``wait``), with its
    waiters in a list made only when someone waits."""

    __slots__ = ("_open", "_waiters")

    def __init__(self, *, open: bool = False) -> None:
        self._open = open
        self._waiters: list[asyncio.Future[None]] | None = None

    def is_set(self) -> bool:
        return self._open

    def set(self) -> None:
        self._open = True
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            if not waiter.done():
                waiter.set_result(None)

    def clear(self) -> None:
        self._open = False

    async def wait(self) -> bool:
        if self._open:
            return True
        waiter = asyncio.get_running_loop().create_future()
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(waiter)
        try:
            await waiter
        finally:
            if self._waiters is not None and waiter in self._waiters:
                self._waiters.remove(waiter)
        return True
