"""``core.loaders.later``: a loaded value is handed over at once, anything else awaited."""

from __future__ import annotations

import asyncio

from edom_graphql.core.loaders import later


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
