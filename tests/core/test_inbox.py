"""``core.inbox``: a one-reader queue and a flag that weigh nothing while idle."""

from __future__ import annotations

import asyncio

import pytest

from edom_graphql.core.inbox import Flag, Inbox


async def test_inbox_waits_wakes_and_survives_a_cancelled_read() -> None:
    inbox = Inbox()
    assert inbox.empty()
    assert inbox.qsize() == 0
    reader = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    waiting = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    assert await waiting == 1
    assert inbox.qsize() == 1
    assert await inbox.get() == 2
    assert inbox.empty()


async def test_inbox_has_one_reader_at_a_time() -> None:
    inbox = Inbox()
    first = asyncio.create_task(inbox.get())
    await asyncio.sleep(0)
    with pytest.raises(RuntimeError, match="one reader"):
        await inbox.get()
    inbox.put_nowait("a")
    assert await first == "a"


async def test_flag_wakes_every_waiter_and_forgets_a_cancelled_one() -> None:
    flag = Flag()
    waiters = [asyncio.create_task(flag.wait()) for _ in range(3)]
    await asyncio.sleep(0)
    waiters[0].cancel()
    await asyncio.sleep(0)
    assert not flag.is_set()
    flag.set()
    assert await asyncio.gather(*waiters[1:]) == [True, True]
    assert waiters[0].cancelled()
    flag.clear()
    assert not flag.is_set()
    late = asyncio.create_task(flag.wait())
    await asyncio.sleep(0)
    assert not late.done()
    flag.set()
    assert await late is True
    assert await flag.wait() is True


async def test_a_bounded_inbox_refuses_past_its_size_and_clears() -> None:
    inbox: Inbox[int] = Inbox(2)
    inbox.put_nowait(1)
    inbox.put_nowait(2)
    with pytest.raises(asyncio.QueueFull):
        inbox.put_nowait(3)
    assert inbox.clear() == 2
    assert inbox.empty()
    inbox.put_nowait(4)
    assert await inbox.get() == 4
