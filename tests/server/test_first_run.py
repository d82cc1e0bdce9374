"""The first run of ``edom-graphql``, in real processes: a short banner and readable logs
in development, JSON logs in production, a busy port told first, ``--help`` that says
what to set, and an embedded PostgreSQL that does not outlive the command that started it."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.processes import free_port

CLI = [sys.executable, "-m", "edom_graphql.server.cli"]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDOM_")}
    env.pop("XDG_RUNTIME_DIR", None)  # pgserver's platformdirs warns without it: must not show
    return {**env, "EDOM_PAYMENT_SANDBOX_URL": f"http://127.0.0.1:{free_port()}", **extra}


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=120)


def _serve_until_ready(
    env: dict[str, str], port: int, *extra: str
) -> tuple[subprocess.Popen[str], str]:
    """``serve`` with stdout and stderr together; what it printed up to ``ready``."""
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), *extra],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 90
    for line in process.stdout:
        seen.append(line)
        if line.startswith("ready on "):
            return process, "".join(seen)
        assert time.monotonic() < deadline, "".join(seen)
    process.wait()
    pytest.fail(f"serve exited ({process.returncode}) before ready:\n{''.join(seen)}")


def _stop(process: subprocess.Popen[str], sig: int = signal.SIGINT) -> str:
    process.send_signal(sig)
    try:
        rest, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        rest, _ = process.communicate()
        pytest.fail(f"serve did not stop on {sig}:\n{rest}")
    return rest


@pytest.fixture
def short_data_dir() -> Iterator[Path]:
    """A data directory with a short path (the embedded server's socket lives in it),
    its PostgreSQL stopped and the folder removed at the end whatever the test did."""
    pytest.importorskip("pgserver")
    from edom_graphql.server.embedded import stop

    path = Path(tempfile.mkdtemp(prefix="edom-fr-", dir="/tmp"))
    try:
        yield path
    finally:
        stop(path)
        shutil.rmtree(path, ignore_errors=True)


def _postgres_of(pgdata: Path) -> list[int]:
    """Processes of PostgreSQL whose data directory is ``pgdata``."""
    import psutil

    found = []
    for process in psutil.process_iter(["pid", "cmdline"]):
        cmdline = process.info["cmdline"] or []
        if cmdline and "postgres" in Path(cmdline[0]).name and str(pgdata) in " ".join(cmdline):
            found.append(process.info["pid"])
    return found


def test_development_banner_is_short_and_logs_are_text(fresh_database: Any, tmp_path: Path) -> None:
    port = free_port()
    env = _env(EDOM_DATABASE_URL=fresh_database("edom_first_run"), EDOM_DATA_DIR=str(tmp_path))
    process, start = _serve_until_ready(env, port)
    try:
        assert len(start.encode()) < 1500, start
        assert f"http://127.0.0.1:{port}/graphql" in start
        assert f"http://127.0.0.1:{port}/dashboard" in start
        assert "edom-graphql token NAME" in start
        assert "owner, co-owner" in start
        assert "edom-graphql seed" in start  # without --demo: what to do next
        assert "eyJ" not in start  # no tokens dumped
        assert "Warning" not in start
        response = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert response.status_code == 200
    finally:
        rest = _stop(process)
    for line in (start + rest).splitlines():
        assert not line.startswith("{"), f"a JSON line in development: {line}"
    assert "Traceback" not in rest


def _public_key_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def test_production_logs_are_json(fresh_database: Any, tmp_path: Path) -> None:
    port = free_port()
    env = _env(
        EDOM_DATABASE_URL=fresh_database("edom_first_run_prod"),
        EDOM_DATA_DIR=str(tmp_path),
        EDOM_ENVIRONMENT="production",
        EDOM_VAPID_PRIVATE_KEY="ZTJ0GQwXN3b5yK3dL_2Y4mF7z9qkXwAqzVgDkWfFJjA",
        EDOM_OIDC_PUBLIC_KEY=_public_key_pem(),
    )
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "production server not ready"
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines, "no log lines in production"
    for line in lines:
        entry = json.loads(line)
        assert {"time", "level", "logger", "message"} <= set(entry)
    assert "edom-graphql token" not in out  # no development banner


def test_help_tells_defaults_personas_and_environment(tmp_path: Path) -> None:
    env = _env(EDOM_DATA_DIR=str(tmp_path))
    top = _cli("--help", env=env).stdout
    for name in (
        "EDOM_DATABASE_URL",
        "EDOM_ENVIRONMENT",
        "EDOM_PORT",
        "EDOM_HOST",
        "EDOM_DATA_DIR",
        "EDOM_PUBSUB_URL",
        "EDOM_CORS_ORIGINS",
    ):
        assert name in top
    assert "db" in top
    assert str(tmp_path) in top
    serve_help = _cli("serve", "--help", env=env).stdout
    assert "(default: 8000)" in serve_help
    assert "(default: 127.0.0.1)" in serve_help
    token_help = _cli("token", "--help", env=env).stdout
    assert "neighbour-elsewhere" in token_help
    assert "dispatcher" in token_help


def test_personas_print_the_given_port(tmp_path: Path) -> None:
    env = _env(EDOM_DATA_DIR=str(tmp_path))
    given = _cli("personas", "--port", "9123", env=env)
    assert given.returncode == 0, given.stderr
    assert "GraphiQL: http://127.0.0.1:9123/graphql" in given.stdout
    from_settings = _cli("personas", env={**env, "EDOM_PORT": "9555"})
    assert "GraphiQL: http://127.0.0.1:9555/graphql" in from_settings.stdout


def test_a_busy_port_is_told_first_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # no database at all: the port is checked before anything else is tried
        env = _env(
            EDOM_DATA_DIR=str(tmp_path), EDOM_DATABASE_URL="postgresql://nobody@127.0.0.1:1/x"
        )
        result = _cli("serve", "--port", str(port), env=env)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        f"edom-graphql: port {port} on 127.0.0.1 is in use; pick another with --port"
    ]


def test_an_unreachable_database_is_one_line(tmp_path: Path) -> None:
    env = _env(EDOM_DATA_DIR=str(tmp_path), EDOM_DATABASE_URL="postgresql://nobody@127.0.0.1:1/x")
    for command in (["migrate"], ["seed"], ["serve", "--port", str(free_port())]):
        result = _cli(*command, env=env)
        assert result.returncode == 1, result
        assert "Traceback" not in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_db_status_stop_reset(short_data_dir: Path) -> None:
    from edom_graphql.server.embedded import pgdata_of, start

    env = _env(EDOM_DATA_DIR=str(short_data_dir))
    pgdata = pgdata_of(short_data_dir)
    assert "not created yet" in _cli("db", "status", env=env).stdout

    # a command that starts the server stops it when it ends
    migrated = _cli("migrate", env=env)
    assert migrated.returncode == 0, migrated.stderr
    assert "Warning" not in migrated.stderr
    assert _cli("db", "status", env=env).stdout.startswith("stopped")
    assert _postgres_of(pgdata) == []

    # one that was running already is left running
    started = start(short_data_dir)
    assert started.started_here
    assert _cli("migrate", env=env).returncode == 0
    status = _cli("db", "status", env=env).stdout
    assert status.startswith("running (pid "), status
    assert _postgres_of(pgdata)

    stopped = _cli("db", "stop", env=env)
    assert stopped.stdout.startswith("stopped PostgreSQL"), stopped
    assert _postgres_of(pgdata) == []
    assert not (pgdata / "postmaster.pid").exists()
    assert _cli("db", "stop", env=env).stdout.strip() == "not running"

    refused = _cli("db", "reset", env=env)
    assert refused.returncode == 1
    assert "--yes" in refused.stderr
    assert pgdata.exists()
    reset = _cli("db", "reset", "--yes", env=env)
    assert reset.returncode == 0, reset.stderr
    assert f"deleted {pgdata}" in reset.stdout
    assert not pgdata.exists()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_embedded_postgres_stops_with_serve(short_data_dir: Path, sig: int) -> None:
    env = _env(EDOM_DATA_DIR=str(short_data_dir))
    pgdata = short_data_dir / "pg"
    process, start = _serve_until_ready(env, free_port())
    assert len(start.encode()) < 1500, start
    assert str(short_data_dir) in start
    assert "db status | stop | reset" in start
    assert "eyJ" not in start
    assert _postgres_of(pgdata)
    rest = _stop(process, sig)
    assert "Traceback" not in rest, rest
    assert not (pgdata / "postmaster.pid").exists()
    assert _postgres_of(pgdata) == []
