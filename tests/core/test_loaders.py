"""``core.loaders.later``: a loaded value is handed over at once, anything else awaited;
``core.loaders.settled``: futures under way awaited in turn."""

from __future__ import annotations

import asyncio

import pytest

from edom_graphql.core.loaders import later, settled


async def test_a_value_already_loaded_is_returned_as_it_is() -> None:
    future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    future.set_result("building")
    assert later(future) == "building"


async def test_a_pending_failed_or_cancelled_load_is_left_to_be_awaited() -> None:
    loop = asyncio.get_running_loop()
    pending: asyncio.Future[str] = loop.create_future()
    assert later(pending) is pending
    failed: asyncio.Future[str] = loop.create_future()
    failed.set_exception(LookupError("gone"))
    assert later(failed) is failed  # awaiting it raises where graphql-core reports it
    cancelled: asyncio.Future[str] = loop.create_future()
    cancelled.cancel()
    assert later(cancelled) is cancelled
    pending.set_result("later")
    assert later(pending) == "later"  # once loaded, as it is


async def test_settled_gives_each_result_in_order_once_all_are_in() -> None:
    loop = asyncio.get_running_loop()
    first, second = loop.create_future(), loop.create_future()
    loop.call_soon(second.set_result, "second")
    loop.call_soon(first.set_result, "first")
    assert await settled([first, second]) == ["first", "second"]


async def test_a_failure_leaves_the_other_futures_to_their_holders() -> None:
    loop = asyncio.get_running_loop()
    failing, shared = loop.create_future(), loop.create_future()
    failing.set_exception(RuntimeError("statement failed"))
    with pytest.raises(RuntimeError, match="statement failed"):
        await settled([failing, shared])
    # Another field of the operation may hold the same loader future: not cancelled.
    assert not shared.cancelled()
    shared.set_exception(RuntimeError("also failed"))
    await asyncio.sleep(0)
    assert shared.done()  # its exception retrieved: asyncio does not report it as lost


async def test_a_cancelled_caller_leaves_the_futures_it_had_not_reached() -> None:
    loop = asyncio.get_running_loop()
    awaited, later_one = loop.create_future(), loop.create_future()
    waiter = asyncio.ensure_future(settled([awaited, later_one]))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert awaited.cancelled()  # as a cancelled task cancels what it awaits (gather too)
    assert not later_one.cancelled()
    later_one.set_result("read")
