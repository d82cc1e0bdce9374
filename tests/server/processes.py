"""Real ``edom-graphql serve`` processes for the tests that need more than one server
or a server they can kill: started on free ports, awaited on ``/readyz``, stopped
gracefully (SIGTERM) and killed only when that hangs."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(STOP_TIMEOUT)


LEAN = {
    # The test PostgreSQL is shared by every worker's servers (max_connections 100): a
    # spawned server serves a handful of requests, so it keeps a small pool...
    "EDOM_DATABASE_POOL_SIZE": "3",
    "EDOM_DATABASE_MAX_OVERFLOW": "3",
    # ...and leaves the periodic sweeps to the tests that drive them.
    "EDOM_MEETING_SWEEP_INTERVAL_SECONDS": "0",
    "EDOM_INTERCOM_MISSED_CALL_INTERVAL_SECONDS": "0",
    "EDOM_METER_REMINDER_INTERVAL_SECONDS": "0",
    "EDOM_PUSH_DELIVERY_INTERVAL_SECONDS": "0",
}


def start_server(name: str, env: dict[str, str], log_dir: Path, *args: str) -> ServerProcess:
    """A server process (``serve`` with ``args``) on a free port, lean unless ``env`` says
    otherwise."""
    env = {**LEAN, **env}
    port = free_port()
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "edom_graphql.server.cli", "serve", "--port", str(port), *args],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return ServerProcess(name, port, process, log_path)


async def wait_ready(server: ServerProcess) -> None:
    """Poll ``/readyz`` until it answers 200 (database, migrations and broker are up)."""
    deadline = time.monotonic() + START_TIMEOUT
    last: str = "no answer"
    async with httpx.AsyncClient(base_url=server.base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                pytest.fail(f"server {server.name} exited early:\n{server.log()}")
            try:
                response = await client.get("/readyz")
            except httpx.TransportError as error:
                last = repr(error)
            else:
                if response.status_code == 200:
                    return
                last = response.text
            await asyncio.sleep(0.1)
    pytest.fail(f"server {server.name} not ready in {START_TIMEOUT} s ({last}):\n{server.log()}")
