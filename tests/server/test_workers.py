"""``serve --workers 2``: two worker processes on one port, each with its own
``SO_REUSEPORT`` socket. New connections are spread over both; a chat message written
through one worker reaches a subscriber held by the other (with the default in-process
broker the workers switch to PostgreSQL LISTEN/NOTIFY); a worker that dies is started
again; SIGTERM to the server stops every worker."""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest
from websockets.asyncio.client import connect
from websockets.typing import Subprotocol

from bench import client as bench_client
from bench import operations as bench_operations
from tests.factories import Api, make_world
from tests.server.processes import ServerProcess, start_server, wait_ready
from tests.server.test_cross_process import CHAT_EVENTS, CHAT_OF_BUILDING, CHAT_SEND

RECEIVE_TIMEOUT = 10.0
CONNECTIONS = 32


@pytest.fixture
def workers_server(database_url: str, data_dir: Path, tmp_path: Path) -> Iterator[ServerProcess]:
    env = {
        **os.environ,
        "EDOM_ENVIRONMENT": "development",
        "EDOM_DATABASE_URL": database_url,
        "EDOM_DATA_DIR": str(data_dir),
        "EDOM_PUBSUB_URL": "memory://",
        "EDOM_PUBSUB_HEARTBEAT_SECONDS": "1",
        "EDOM_LOG_JSON": "false",
        "EDOM_LOG_LEVEL": "WARNING",
    }
    process = start_server("workers", env, tmp_path, "--workers", "2")
    try:
        yield process
    finally:
        process.stop()


def workers_of(server: ServerProcess) -> list[psutil.Process]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    found = []
    for child in psutil.Process(server.process.pid).children():
        with contextlib.suppress(psutil.ZombieProcess, psutil.NoSuchProcess):
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
    return found


def await_workers(server: ServerProcess, count: int) -> list[psutil.Process]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        alive = [child for child in workers_of(server) if child.is_running()]
        alive = [child for child in alive if child.status() != psutil.STATUS_ZOMBIE]
        if len(alive) == count and all(_listens(child, server.port) for child in alive):
            return alive
        time.sleep(0.1)
    pytest.fail(f"not {count} listening workers:\n{server.log()}")


def _listens(process: psutil.Process, port: int) -> bool:
    return any(
        c.status == psutil.CONN_LISTEN and c.laddr.port == port
        for c in process.net_connections("tcp")
    )


def await_all_ready(server: ServerProcess) -> None:
    """Until every worker has started (the server says "ready" once all have)."""
    deadline = time.monotonic() + 60
    while "ready on" not in server.log() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "ready on" in server.log(), server.log()


def await_gone(pid: int) -> None:
    """Until the server has reaped its killed worker (not our child: no ``wait()``)."""
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def owner_of(workers: list[psutil.Process], server_port: int, client_port: int) -> int:
    """Which worker (its pid) holds the connection from ``client_port``."""
    for _ in range(50):
        for worker in workers:
            for c in worker.net_connections("tcp"):
                if c.laddr.port == server_port and c.raddr and c.raddr.port == client_port:
                    return worker.pid
        time.sleep(0.02)
    raise AssertionError(f"no worker holds the connection from port {client_port}")


def opened(server: ServerProcess) -> http.client.HTTPConnection:
    """A keep-alive connection that a worker has accepted (it answered once)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    assert response.status == 200
    return connection


def post(
    connection: http.client.HTTPConnection, query: str, variables: dict[str, Any], token: str
) -> dict[str, Any]:
    connection.request(
        "POST",
        "/graphql",
        body=json.dumps({"query": query, "variables": variables}),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )
    response = connection.getresponse()
    body: dict[str, Any] = json.loads(response.read())
    assert response.status == 200, body
    assert not body.get("errors"), body
    data: dict[str, Any] = body["data"]
    return data


def client_port(connection: http.client.HTTPConnection) -> int:
    assert connection.sock is not None
    port: int = connection.sock.getsockname()[1]
    return port


async def test_connections_are_spread_over_the_workers(workers_server: ServerProcess) -> None:
    server = workers_server
    await wait_ready(server)
    await_all_ready(server)
    workers = await_workers(server, 2)
    connections = [opened(server) for _ in range(CONNECTIONS)]
    try:
        owners = [owner_of(workers, server.port, client_port(c)) for c in connections]
    finally:
        for connection in connections:
            connection.close()
    counts = sorted(owners.count(worker.pid) for worker in workers)
    # The kernel hashes each connection to a socket: both get a fair share (a worker
    # with fewer than 6 of 32 would happen by chance once in about 100,000 runs).
    assert counts[0] >= 6, counts


async def test_a_message_through_one_worker_reaches_a_subscriber_of_the_other(
    workers_server: ServerProcess, api: Api
) -> None:
    server = workers_server
    await wait_ready(server)
    await_all_ready(server)
    workers = await_workers(server, 2)
    world = await make_world(api)
    reader, writer = world["resident"], world["owner"]
    assert reader.token is not None
    assert writer.token is not None
    lookup = opened(server)
    chat = post(lookup, CHAT_OF_BUILDING, {"id": world.building_id}, reader.token)["building"][
        "chat"
    ]
    lookup.close()
    async with connect(
        server.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")], close_timeout=2
    ) as ws:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {reader.token}"}}
        await ws.send(json.dumps(init))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        variables = {"chatId": chat["id"], "after": chat["eventsCursor"]}
        payload = {"query": CHAT_EVENTS, "variables": variables}
        await ws.send(json.dumps({"id": "c", "type": "subscribe", "payload": payload}))
        subscriber_port = ws.transport.get_extra_info("sockname")[1]
        holder = owner_of(workers, server.port, subscriber_port)
        # a writing connection accepted by the other worker
        for _ in range(64):
            writing = opened(server)
            if owner_of(workers, server.port, client_port(writing)) != holder:
                break
            writing.close()
        else:
            pytest.fail("every connection went to the subscriber's worker")
        await asyncio.sleep(0.5)  # the subscriber is idle: only the broker can wake it
        sent = post(
            writing, CHAT_SEND, {"input": {"chatId": chat["id"], "body": "сосед"}}, writer.token
        )
        writing.close()
        assert sent["chatMessageSend"]["userErrors"] == []
        async with asyncio.timeout(RECEIVE_TIMEOUT):
            while True:
                message = json.loads(await ws.recv())
                if message["type"] == "ping":
                    await ws.send(json.dumps({"type": "pong"}))
                    continue
                assert message["type"] == "next", message
                break
        assert message["payload"]["data"]["chatMessageEvents"]["message"]["body"] == "сосед"


async def test_a_dead_worker_is_started_again_and_sigterm_stops_all(
    workers_server: ServerProcess,
) -> None:
    server = workers_server
    await wait_ready(server)
    await_all_ready(server)
    first, second = await_workers(server, 2)
    first.send_signal(signal.SIGKILL)
    await_gone(first.pid)
    assert not psutil.pid_exists(first.pid), "the killed worker was not reaped"
    replaced = await_workers(server, 2)
    assert first.pid not in {worker.pid for worker in replaced}
    assert second.pid in {worker.pid for worker in replaced}
    await wait_ready(server)
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(30) == 0 or server.process.returncode in (0, 143), server.log()
    for worker in replaced:
        with pytest.raises(psutil.NoSuchProcess):
            psutil.Process(worker.pid).status()


def test_a_busy_port_is_refused_before_any_worker_starts(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "EDOM_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none"}
        import subprocess
        import sys

        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "edom_graphql.server.cli",
                "serve",
                "--workers",
                "2",
                "--port",
                str(port),
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is in use" in result.stderr


async def test_the_bench_load_is_shared_by_both_workers(
    workers_server: ServerProcess, api: Api
) -> None:
    """The bench's load client (16 keep-alive connections) keeps both workers busy, and
    reports each one's part of the work."""
    server = workers_server
    await wait_ready(server)
    await_all_ready(server)
    await_workers(server, 2)
    world = await make_world(api)
    token = world["owner"].token
    assert token is not None
    query = json.dumps({"query": "{ viewer { user { id } } }"}).encode()
    job = bench_client.Job(
        name="viewer",
        host="127.0.0.1",
        port=server.port,
        requests=bench_client.encode_requests(
            "127.0.0.1", server.port, [bench_operations.Request(token, query, (b'"viewer":{',))]
        ),
        concurrency=16,
        warmup=0.5,
        duration=2.0,
        server_pid=server.process.pid,
    )
    result = await asyncio.to_thread(bench_client.run_job, job)
    assert result.requests > 0
    assert result.errors == 0, result.first_error
    shares = result.worker_cpu_shares
    assert len(shares) == 2, shares
    assert abs(sum(shares) - 1) < 1e-9
    # 16 connections hashed over two sockets: a worker with fewer than 2 of them (and so
    # less than a tenth of the work) would happen by chance about once in 2,000 runs.
    assert shares[1] > 0.1, shares
