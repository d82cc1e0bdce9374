"""The device simulator and the payment sandbox say "listening on URL" only once they
listen: a client that connects the moment it reads that line is queued until the server
accepts, never refused (a refusal there once failed a whole module of tests)."""

from __future__ import annotations

import socket
import subprocess
import sys
from urllib.parse import urlsplit

import pytest

COMMANDS = {
    "intercom simulator": ["-m", "edom_graphql.intercom.service.simulator", "--port", "0"],
    "payment sandbox": [
        "-m",
        "edom_graphql.billing.service.sandbox",
        "--port",
        "0",
        "--secret",
        "s",
        "--webhook-url",
        "http://127.0.0.1:9/payments/webhook/sandbox",
    ],
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_connection_made_on_the_first_line_is_answered(name: str) -> None:
    process = subprocess.Popen(
        [sys.executable, *COMMANDS[name]],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on http://" in line, line
        url = urlsplit(line.split()[-1])
        assert url.hostname is not None
        assert url.port is not None
        with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
            conn.sendall(b"GET /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            conn.settimeout(20)
            answer = conn.recv(64)
        assert answer.startswith(b"HTTP/1.1 "), answer
    finally:
        process.terminate()
        process.wait(timeout=10)
