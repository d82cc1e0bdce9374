"""Serving on one port from one process or from several (``serve --workers N``).

Each worker is a fresh (spawned) process with its own event loop, application and
database pool. Every worker listens on a socket of its own bound to the same address with
``SO_REUSEPORT``, so the kernel spreads new connections over the workers by a hash of each
connection's addresses. One listening socket shared by all workers would hand each
connection to whichever worker wakes first: under a burst, one busy worker can take them
all while the others idle.

What crosses workers goes through shared services: live events through the pub/sub broker
(``EDOM_PUBSUB_URL``; with ``memory://`` the workers use PostgreSQL ``LISTEN``/``NOTIFY``
on the database instead), periodic jobs through the database (their sweeps claim rows with
``FOR UPDATE SKIP LOCKED``, so a sweep that runs in every worker does each row once).

The parent process only supervises: it restarts a worker that dies, and stops them all
(gracefully, with SIGTERM) when it is told to stop.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any, cast

import uvicorn

from edom_graphql.server.app import create_app
from edom_graphql.server.http import MAX_MESSAGE_BYTES
from edom_graphql.server.sockets import SocketProtocol
from edom_graphql.settings import Settings

log = logging.getLogger("edom_graphql.server.workers")

STOP_TIMEOUT_SECONDS = 15.0
"""How long a worker may take to finish its requests once told to stop."""
START_TIMEOUT_SECONDS = 60.0
RESTARTS_PER_MINUTE = 5
"""A worker that dies more often than this is not restarted: the server stops."""


class WorkerError(Exception):
    """The workers could not be started or kept running."""


def default_workers(settings: Settings) -> int:
    """``EDOM_WORKERS``; unset, one in development and one per usable CPU in production."""
    if settings.workers is not None:
        return settings.workers
    if settings.environment == "production":
        return len(os.sched_getaffinity(0))
    return 1


def shared_settings(settings: Settings, database_url: str, workers: int) -> Settings:
    """The settings the workers run with: several workers cannot share an in-process
    broker, so ``memory://`` becomes the database's ``LISTEN``/``NOTIFY``."""
    if workers > 1 and settings.pubsub_url == "memory://":
        return settings.model_copy(update={"pubsub_url": database_url})
    return settings


def uvicorn_config(app: Any, settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        loop="uvloop",
        http="httptools",
        ws=SocketProtocol,
        ws_per_message_deflate=settings.websocket_compression,
        # a little above the app's own limit, which answers with close code 1009
        ws_max_size=MAX_MESSAGE_BYTES + 4096,
        access_log=False,
        server_header=False,  # the software serving is nobody's business
        log_config=None,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


class _Server(uvicorn.Server):
    """uvicorn's server, calling ``on_ready`` once it listens."""

    def __init__(self, config: uvicorn.Config, on_ready: Callable[[], None]) -> None:
        super().__init__(config)
        self.on_ready = on_ready

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.on_ready()


def serve_here(
    app: Any, settings: Settings, *, host: str, port: int, on_ready: Callable[[], None]
) -> bool:
    """Serve ``app`` in this process until told to stop; False if it never started."""
    server = _Server(uvicorn_config(app, settings, host=host, port=port), on_ready)
    server.run()
    return server.started or server.should_exit


def reuse_port_socket(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` that other workers' sockets may share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    return sock


def _worker(
    index: int,
    settings: Settings,
    database_url: str,
    host: str,
    port: int,
    configure: Callable[[], None],
    ready: Queue[int],
) -> None:
    """A worker process: its own application on its own ``SO_REUSEPORT`` socket."""
    configure()
    sock = reuse_port_socket(host, port)
    app = create_app(settings, database_url=database_url)
    config = uvicorn_config(app, settings, host=host, port=port)
    server = _Server(config, lambda: ready.put(index))
    server.run(sockets=[sock])


@dataclass
class Workers:
    """``count`` worker processes serving ``host:port``."""

    settings: Settings
    database_url: str
    host: str
    port: int
    count: int
    configure: Callable[[], None]
    """Sets up logging in a worker as in the parent."""
    _context: Any = field(default_factory=lambda: multiprocessing.get_context("spawn"))
    _processes: dict[int, BaseProcess] = field(default_factory=dict)
    _restarts: list[float] = field(default_factory=list)

    def _start(self, index: int, ready: Queue[int]) -> None:
        process = self._context.Process(
            target=_worker,
            name=f"edom-graphql-worker-{index}",
            args=(
                index,
                self.settings,
                self.database_url,
                self.host,
                self.port,
                self.configure,
                ready,
            ),
            daemon=False,
        )
        process.start()
        self._processes[index] = process

    def run(self, on_ready: Callable[[], None]) -> None:
        """Start the workers, call ``on_ready`` once all listen, and keep them running
        until this process is told to stop (KeyboardInterrupt or SystemExit)."""
        ready: Queue[int] = self._context.Queue()
        try:
            for index in range(self.count):
                self._start(index, ready)
            self._await_ready(ready, set(range(self.count)))
            on_ready()
            while True:
                self._supervise(ready)
        finally:
            self.stop()

    def _await_ready(self, ready: Queue[int], waiting: set[int]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while waiting:
            for index in list(waiting):
                process = self._processes[index]
                if not process.is_alive():
                    raise WorkerError(
                        f"worker {index} exited while starting (exit code {process.exitcode})"
                    )
            if time.monotonic() > deadline:
                raise WorkerError(f"workers {sorted(waiting)} did not start in time")
            try:
                waiting.discard(ready.get(timeout=0.2))
            except queue.Empty:
                continue

    def _supervise(self, ready: Queue[int]) -> None:
        """Wait for a worker to die, and start it again unless they die too often."""
        sentinels = {process.sentinel: index for index, process in self._processes.items()}
        for sentinel in wait(list(sentinels)):
            index = sentinels[cast(int, sentinel)]
            # The sentinel is ready once the worker's end of the pipe closes, a moment
            # before the worker can be reaped: join it so no zombie is left behind.
            self._processes[index].join()
            exitcode = self._processes[index].exitcode
            now = time.monotonic()
            self._restarts = [moment for moment in self._restarts if now - moment < 60]
            if len(self._restarts) >= RESTARTS_PER_MINUTE:
                raise WorkerError(f"worker {index} keeps dying (exit code {exitcode})")
            self._restarts.append(now)
            log.warning("worker %d exited with code %s; starting it again", index, exitcode)
            self._start(index, ready)
            self._await_ready(ready, {index})

    def stop(self) -> None:
        """Ask every worker to finish (SIGTERM), then kill those that do not in time."""
        for process in self._processes.values():
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        for process in self._processes.values():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join()
