"""The load generator: raw HTTP/1.1 keep-alive connections on asyncio (uvloop when present).

It runs in its own process (see :func:`run_job`), so its CPU never competes with the
server's event loop, and it measures the server from the outside: CPU time of the server
process (``/proc/<pid>/stat`` through psutil) at the start and end of the measured window,
its resident memory every 50 ms, and the CPU time of the local PostgreSQL backends that
serve the bench database.

Requests are pre-encoded bytes; a response is read by its ``Content-Length`` (or chunks)
and judged by cheap byte tests, so the client spends a few tens of microseconds per request.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing
import queue
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import psutil

from bench.operations import NO_ERRORS, Request

RSS_SAMPLE_SECONDS = 0.05
DRAIN_SECONDS = 30.0
RECONNECT_PAUSE = 0.05


@dataclass
class Job:
    """One run of one operation."""

    name: str
    host: str
    port: int
    requests: list[tuple[bytes, tuple[bytes, ...]]]
    """Raw HTTP requests with the byte strings their responses must contain."""
    concurrency: int
    warmup: float
    duration: float
    count: int | None = None
    """Stop after this many measured requests instead of after ``duration``."""
    max_seconds: float = 300.0
    """Upper bound of the measured window when ``count`` is given."""
    server_pid: int | None = None
    database: str | None = None
    """Name of the bench database: PostgreSQL backends serving it are measured too."""


@dataclass
class JobResult:
    name: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: dict[str, float] = field(default_factory=dict)
    server_cpu_seconds: float | None = None
    client_cpu_seconds: float = 0.0
    db_cpu_seconds: float | None = None
    server_rss_peak_mb: float | None = None
    first_error: str | None = None
    issued: int = 0
    worker_cpu_shares: list[float] = field(default_factory=list)
    """Of a server of several worker processes: each worker's part of the workers' CPU
    time in the window, largest first (one worker with every connection shows as
    ``[1.0, 0.0]``)."""


def encode_requests(
    host: str, port: int, requests: Sequence[Request]
) -> list[tuple[bytes, tuple[bytes, ...]]]:
    """Pre-encoded ``POST /graphql`` requests."""
    encoded = []
    for request in requests:
        head = (
            f"POST /graphql HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {request.token}\r\n"
            "Content-Type: application/json\r\nAccept: application/json\r\n"
            f"Content-Length: {len(request.body)}\r\n\r\n"
        ).encode("latin-1")
        encoded.append((head + request.body, request.expect))
    return encoded


class _Sampler:
    """CPU times of the server, this process and PostgreSQL; the server's peak RSS."""

    def __init__(self, server_pid: int | None, database: str | None) -> None:
        self.server = psutil.Process(server_pid) if server_pid else None
        self.database = database
        self.rss_peak = 0
        self._postgres: dict[int, psutil.Process] = {}

    def server_cpu(self) -> float | None:
        """CPU seconds of the server's process tree (a server of several workers is the
        parent and its children)."""
        if self.server is None:
            return None
        times = self.server.cpu_times()
        return times.user + times.system + sum(self._children_cpu(workers_only=False).values())

    def worker_cpu(self) -> dict[int, float]:
        """CPU seconds of each worker process of the server (none for one process; the
        helper multiprocessing starts beside spawned workers is not one)."""
        return self._children_cpu(workers_only=True)

    def _children_cpu(self, *, workers_only: bool) -> dict[int, float]:
        found: dict[int, float] = {}
        if self.server is None:
            return found
        for child in self.server.children(recursive=True):
            try:
                if workers_only and "resource_tracker" in " ".join(child.cmdline()):
                    continue
                times = child.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            found[child.pid] = times.user + times.system
        return found

    def sample_rss(self) -> None:
        if self.server is not None:
            self.rss_peak = max(self.rss_peak, self.server.memory_info().rss)

    def postgres_cpu(self) -> dict[int, float]:
        """CPU seconds of the local PostgreSQL backends serving the bench database, by pid.

        A backend's command line reads ``postgres: … <user> <database> <client> <state>``.
        """
        found: dict[int, float] = {}
        if not self.database:
            return found
        needle = f" {self.database} "
        for process in psutil.process_iter(["name"]):
            if process.info["name"] != "postgres":
                continue
            try:
                if needle not in " ".join(process.cmdline()) + " ":
                    continue
                times = process.cpu_times()
            except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
                continue
            found[process.pid] = times.user + times.system
        return found


def _shares(seconds: list[float]) -> list[float]:
    """Each part of the total, largest first; nothing for fewer than two parts."""
    total = sum(seconds)
    if len(seconds) < 2 or total <= 0:
        return []
    return sorted((part / total for part in seconds), reverse=True)


def _percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """Status, body and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    keep_alive = b"\r\nconnection: close" not in lower
    at = lower.find(b"\r\ncontent-length:")
    if at >= 0:
        end = lower.index(b"\r\n", at + 2)
        length = int(lower[at + 17 : end])
        return status, await reader.readexactly(length), keep_alive
    if b"\r\ntransfer-encoding: chunked" in lower:
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                return status, b"".join(chunks), keep_alive
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    return status, await reader.read(), False


async def _run(job: Job) -> JobResult:
    sampler = _Sampler(job.server_pid, job.database)
    result = JobResult(name=job.name)
    latencies: list[float] = []
    loop = asyncio.get_running_loop()
    now = time.perf_counter
    begin = now()
    start = begin + job.warmup
    end = start + (job.max_seconds if job.count is not None else job.duration)
    state: dict[str, Any] = {"next": 0, "measured_issued": 0, "measured_done": 0}
    snapshots: dict[str, Any] = {}
    done = asyncio.Event()

    def snapshot(label: str) -> None:
        snapshots[label] = (
            now(),
            sampler.server_cpu(),
            time.process_time(),
            sampler.postgres_cpu(),
            sampler.worker_cpu(),
        )

    async def window() -> None:
        await asyncio.sleep(max(0.0, start - now()))
        snapshot("start")
        if job.count is None:
            await asyncio.sleep(max(0.0, end - now()))
            snapshot("end")
            done.set()
        else:
            try:
                await asyncio.wait_for(done.wait(), timeout=max(0.0, end - now()))
            except TimeoutError:
                snapshot("end")
                done.set()

    async def rss() -> None:
        while not done.is_set():
            if start <= now():
                sampler.sample_rss()
            await asyncio.sleep(RSS_SAMPLE_SECONDS)

    def take() -> tuple[int, bool] | None:
        """The index of the next request to send and whether it is measured."""
        if done.is_set():
            return None
        measured = now() >= start and "start" in snapshots
        if job.count is not None and measured:
            if state["measured_issued"] >= job.count:
                return None
            state["measured_issued"] += 1
        index = state["next"]
        state["next"] = index + 1
        return index, measured

    async def worker() -> None:
        reader = writer = None
        while True:
            taken = take()
            if taken is None:
                break
            index, measured = taken
            data, expect = job.requests[index % len(job.requests)]
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection(job.host, job.port)
                assert reader is not None
                sent = now()
                writer.write(data)
                status, body, keep_alive = await _read_response(reader)
                received = now()
                ok = status == 200 and NO_ERRORS not in body and all(e in body for e in expect)
                if not ok and result.first_error is None:
                    result.first_error = f"HTTP {status}: {body[:500].decode(errors='replace')}"
                if not keep_alive:
                    writer.close()
                    reader = writer = None
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                received = now()
                sent = received
                ok = False
                if result.first_error is None:
                    result.first_error = f"{type(error).__name__}: {error}"
                if writer is not None:
                    writer.close()
                reader = writer = None
                await asyncio.sleep(RECONNECT_PAUSE)
            result.issued += 1
            if job.count is None:
                # Completions inside the window, as the server's CPU time is measured there.
                opened = snapshots.get("start")
                counted = opened is not None and opened[0] <= received <= end
            else:
                counted = measured
            if counted:
                result.requests += 1
                if ok:
                    latencies.append((received - sent) * 1000)
                else:
                    result.errors += 1
                if job.count is not None:
                    state["measured_done"] += 1
                    if state["measured_done"] >= job.count and not done.is_set():
                        snapshot("end")
                        done.set()
        if writer is not None:
            writer.close()

    helpers = [loop.create_task(window()), loop.create_task(rss())]
    workers = [loop.create_task(worker()) for _ in range(job.concurrency)]
    limit = job.warmup + (job.max_seconds if job.count is not None else job.duration)
    _, pending = await asyncio.wait(workers, timeout=limit + DRAIN_SECONDS)
    for task in (*pending, *helpers):
        task.cancel()
    await asyncio.gather(*pending, *helpers, return_exceptions=True)
    if "end" not in snapshots:
        snapshot("end")
    if "start" not in snapshots:
        snapshots["start"] = snapshots["end"]

    t0, server0, client0, pg0, workers0 = snapshots["start"]
    t1, server1, client1, pg1, workers1 = snapshots["end"]
    result.worker_cpu_shares = _shares(
        [cpu - workers0[pid] for pid, cpu in workers1.items() if pid in workers0]
    )
    result.seconds = t1 - t0
    if server0 is not None and server1 is not None:
        result.server_cpu_seconds = server1 - server0
    result.client_cpu_seconds = client1 - client0
    if pg1:
        result.db_cpu_seconds = sum(cpu - pg0.get(pid, 0.0) for pid, cpu in pg1.items())
    if sampler.rss_peak:
        result.server_rss_peak_mb = sampler.rss_peak / 2**20
    latencies.sort()
    result.latencies_ms = {
        "p50": _percentile(latencies, 0.50),
        "p90": _percentile(latencies, 0.90),
        "p99": _percentile(latencies, 0.99),
        "max": latencies[-1] if latencies else float("nan"),
    }
    return result


def _main(job: Job, results: Any) -> None:
    try:
        import uvloop

        loop_factory: Any = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        loop_factory = None
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            results.put(("ok", runner.run(_run(job))))
    except BaseException as error:
        results.put(("error", f"{type(error).__name__}: {error}"))
        raise


def run_job(job: Job) -> JobResult:
    """Run ``job`` in a separate process and return its result."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(target=_main, args=(job, results), name=f"bench-client-{job.name}")
    process.start()
    limit = job.warmup + (job.max_seconds if job.count is not None else job.duration)
    try:
        status, payload = results.get(timeout=limit + DRAIN_SECONDS + 30)
    except queue.Empty:
        raise RuntimeError(f"the load generator of {job.name} did not finish in time") from None
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
        results.close()
    if status != "ok":
        raise RuntimeError(f"the load generator of {job.name} failed: {payload}")
    result: JobResult = payload
    return result
