"""LiveReads.once: who shares a read and who must not."""

from __future__ import annotations

import asyncio

from edom_graphql.core.live import LiveReads


def reads() -> LiveReads:
    return LiveReads()


async def test_callers_woken_together_share_one_read() -> None:
    live = reads()
    calls = 0

    async def read() -> int:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.01)
        return calls

    results = await asyncio.gather(*(live.once("k", read) for _ in range(50)))
    assert results == [1] * 50
    assert calls == 1
    assert await live.once("k", read) == 2  # a later caller reads again


async def test_a_running_read_is_not_joined() -> None:
    """A read that began before the caller asked may predate a commit the caller was told
    about: the caller gets a read of its own."""
    live = reads()
    snapshot = ["before the commit"]
    first_started = asyncio.Event()
    release = asyncio.Event()

    async def read() -> list[str]:
        seen = list(snapshot)  # the snapshot is taken when the read starts
        first_started.set()
        await release.wait()
        return seen

    early = asyncio.ensure_future(live.once("k", read))
    await first_started.wait()
    snapshot.append("committed")  # … and the caller below is woken by this commit
    late = asyncio.ensure_future(live.once("k", read))
    await asyncio.sleep(0)
    release.set()
    assert await early == ["before the commit"]
    assert await late == ["before the commit", "committed"]


async def test_a_failed_read_fails_its_sharers_and_is_forgotten() -> None:
    live = reads()
    attempts = 0

    async def read() -> int:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionError("lost")
        return attempts

    results = await asyncio.gather(
        live.once("k", read), live.once("k", read), return_exceptions=True
    )
    assert [type(r) for r in results] == [ConnectionError, ConnectionError]
    assert await live.once("k", read) == 2


async def test_a_cancelled_caller_does_not_cancel_the_shared_read() -> None:
    live = reads()
    release = asyncio.Event()

    async def read() -> str:
        await release.wait()
        return "rows"

    leaving = asyncio.ensure_future(live.once("k", read))
    staying = asyncio.ensure_future(live.once("k", read))
    await asyncio.sleep(0)
    leaving.cancel()
    release.set()
    assert await staying == "rows"
