"""The server under test: ``python -m edom_graphql.server.cli serve`` in its own process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

import psutil

HOST = "127.0.0.1"
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """Starts the API on a free local port and stops it (always: use as a context manager)."""

    command_prefix: tuple[str, ...] = ()
    """What the server's command runs under (``bench.instructions``: valgrind)."""
    ready_timeout: float = READY_TIMEOUT
    on_ready: Callable[[Server], None] | None = None
    """Called once the server answers, before any request of the run."""
    on_stop: Callable[[Server], None] | None = None
    """Called before the server is stopped."""

    def __init__(
        self,
        *,
        database_url: str,
        data_dir: Path,
        log_path: Path,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.env = env or {}
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def database_name(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/")

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> Server:
        env = {
            **os.environ,
            "EDOM_DATABASE_URL": self.database_url,
            "EDOM_DATA_DIR": str(self.data_dir),
            "EDOM_ENVIRONMENT": "development",
            "EDOM_LOG_LEVEL": "WARNING",
            **self.env,
        }
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [
                *self.command_prefix,
                sys.executable,
                "-m",
                "edom_graphql.server.cli",
                "serve",
                "--host",
                HOST,
                "--port",
                str(self.port),
            ],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
            if self.on_ready is not None:
                self.on_ready(self)
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code}: {error.read()[:300]!r}"
            except OSError as error:
                last = str(error)
            time.sleep(0.2)
        raise RuntimeError(f"the server was not ready in {self.ready_timeout:.0f} s ({last})")

    def rss_mb(self) -> float | None:
        try:
            return psutil.Process(self.pid).memory_info().rss / 2**20
        except psutil.Error:
            return None

    def peak_rss_mb(self) -> float | None:
        """The server's resident-set high-water mark (``VmHWM``), over its whole life."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.on_stop is not None and self.process is not None and self.process.poll() is None:
            self.on_stop(self)
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None
