"""The demo's stand-ins for the systems a city runs beside the API, started by
``edom-graphql serve --demo`` as processes of their own and stopped with it: the sandbox
payment provider (so that ``billPay`` works in the demo as it would with an acquirer) and
the intercom device simulator holding the demo's panel (so that ``intercomDoorOpen`` and
entrance codes reach a device).

Each is the same reference implementation the tests run; in production none exists and
the real systems are configured instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from edom_graphql.core.db import Database
from edom_graphql.intercom.models import IntercomPanel
from edom_graphql.server.demo_intercom import DEMO_DEVICE_URL, DEMO_PANEL_SECRET
from edom_graphql.settings import Settings

log = logging.getLogger("edom_graphql.server.companions")

STOP_TIMEOUT_SECONDS = 5
START_TIMEOUT_SECONDS = 15


def _wait_listening(host: str, port: int, process: subprocess.Popen[bytes]) -> bool:
    """Until the companion accepts connections (the API must not serve before it does);
    False if it exited or did not listen in time (a port taken, say)."""
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return True
        time.sleep(0.1)
    return False


def _sandbox_command(settings: Settings, host: str, port: int) -> list[str] | None:
    url = urlsplit(settings.payment_sandbox_url)
    if url.hostname not in ("127.0.0.1", "localhost") or url.port is None:
        return None  # a sandbox elsewhere: not ours to start
    api_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    return [
        sys.executable,
        "-m",
        "edom_graphql.billing.service.sandbox",
        "--host",
        url.hostname,
        "--port",
        str(url.port),
        "--secret",
        settings.payment_sandbox_secret,
        "--webhook-url",
        f"http://{api_host}:{port}/payments/webhook/sandbox",
    ]


async def _demo_panel_id(database_url: str) -> int | None:
    db = Database(database_url)
    try:
        async with db.transaction() as (session, _):
            found = await session.execute(
                select(IntercomPanel.id).where(IntercomPanel.api_url == DEMO_DEVICE_URL)
            )
            return found.scalars().first()
    finally:
        await db.dispose()


def _port_taken(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def _start(
    command: list[str], line: str, host: str, port: int
) -> tuple[str, subprocess.Popen[bytes]] | None:
    if _port_taken(host, port):
        # Something else answers there (another demo server's companion, say): talking
        # to it would hand this server's callbacks to a stranger.
        log.warning("%s not started: port %d on %s is taken", line, port, host)
        return None
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603
    if _wait_listening(host, port, process):
        return line, process
    log.warning("%s did not start (is its port taken?)", line)
    process.kill()
    return None


def _simulator(
    database_url: str, api_host: str, api_port: int
) -> tuple[str, subprocess.Popen[bytes]] | None:
    """The simulator on the demo panel's port, told the panel's secret and callback."""
    panel_id = asyncio.run(_demo_panel_id(database_url))
    device = urlsplit(DEMO_DEVICE_URL)
    if panel_id is None or device.hostname is None or device.port is None:
        return None
    command = [
        sys.executable,
        "-m",
        "edom_graphql.intercom.service.simulator",
        "--host",
        device.hostname,
        "--port",
        str(device.port),
    ]
    started = _start(
        command, f"intercom simulator: {DEMO_DEVICE_URL}", device.hostname, device.port
    )
    if started is None:
        return None
    callback = f"http://{api_host}:{api_port}/intercom/devices/{panel_id}/events"
    answer = httpx.post(
        f"{DEMO_DEVICE_URL}/config",
        json={"secret": DEMO_PANEL_SECRET, "callback_url": callback, "mode": "online"},
        timeout=5,
    )
    if answer.status_code >= 300:
        log.warning("the intercom simulator refused the demo panel: %s", answer.text)
    return started


@contextlib.contextmanager
def demo_companions(
    settings: Settings, *, database_url: str, host: str, port: int
) -> Iterator[list[str]]:
    """The companions running for the duration of the block; yields what was started
    (one line each, for the banner)."""
    started: list[tuple[str, subprocess.Popen[bytes]]] = []
    api_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    command = _sandbox_command(settings, host, port)
    if command is not None:
        url = urlsplit(settings.payment_sandbox_url)
        line = f"payment sandbox: {settings.payment_sandbox_url}"
        sandbox = _start(command, line, url.hostname or "127.0.0.1", url.port or 0)
        if sandbox is not None:
            started.append(sandbox)
    simulator = _simulator(database_url, api_host, port)
    if simulator is not None:
        started.append(simulator)
    try:
        yield [line for line, _ in started]
    finally:
        for _, process in started:
            process.terminate()
        for line, process in started:
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop; killing it", line)
                process.kill()
