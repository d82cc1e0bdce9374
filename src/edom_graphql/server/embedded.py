"""An embedded PostgreSQL (the ``pgserver`` package) for running without a server.

Its cluster lives in ``<data_dir>/pg`` and listens on a Unix socket only. The process
that starts it owns it: :func:`start` says whether this process started the server, and
:func:`stop` ends it (``pg_ctl stop -m fast``).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import shutil
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("edom_graphql.embedded")

DATABASE_NAME = "edom"


class EmbeddedError(Exception):
    """The embedded PostgreSQL could not be started or stopped (one line, for the CLI)."""


@dataclass(frozen=True)
class Embedded:
    url: str
    pgdata: Path
    started_here: bool


@dataclass(frozen=True)
class Status:
    pgdata: Path
    initialised: bool
    pid: int | None
    socket_dir: Path | None


def pgdata_of(data_dir: Path) -> Path:
    return data_dir / "pg"


def _pgserver() -> Any:
    # pgserver asks platformdirs for a runtime directory at import: without
    # XDG_RUNTIME_DIR that warns and falls back to /tmp/runtime-<uid>, which is fine.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import pgserver
        except ImportError as error:
            raise EmbeddedError(
                "the embedded PostgreSQL is not installed: set EDOM_DATABASE_URL, "
                "or pip install 'edom-graphql[embedded]'"
            ) from error

    return pgserver


def _system_user() -> str | None:
    """pgserver runs PostgreSQL as the ``pgserver`` user when we are root."""
    return "pgserver" if os.name == "posix" and os.geteuid() == 0 else None


def _running_pid(pgdata: Path) -> tuple[int | None, Path | None]:
    """The postmaster's pid (and socket directory) if one runs on ``pgdata``."""
    pid_file = pgdata / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
    except OSError:
        return None, None
    try:
        pid = int(lines[0])
    except (IndexError, ValueError):
        return None, None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None, None
    except PermissionError:
        pass
    socket_dir = Path(lines[4]) if len(lines) > 4 and lines[4] else None
    return pid, socket_dir


def status(data_dir: Path) -> Status:
    pgdata = pgdata_of(data_dir)
    pid, socket_dir = _running_pid(pgdata)
    return Status(pgdata, (pgdata / "PG_VERSION").exists(), pid, socket_dir)


def start(data_dir: Path, *, database: str = DATABASE_NAME) -> Embedded:
    """Start (or reuse) the PostgreSQL under ``data_dir``; a URL of ``database`` on it."""
    pgdata = pgdata_of(data_dir)
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    already, _ = _running_pid(pgdata)
    try:
        server = _pgserver().get_server(pgdata, cleanup_mode=None)
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
        if "1 row" not in exists:
            server.psql(f'CREATE DATABASE "{database}";')
            log.info("created database %s in %s", database, pgdata)
    except (subprocess.SubprocessError, OSError) as error:
        raise EmbeddedError(
            f"the embedded PostgreSQL in {pgdata} did not start ({error}); see {pgdata / 'log'}"
        ) from error
    uri: str = server.get_uri(database)
    return Embedded(uri, pgdata, started_here=already is None)


def start_embedded_postgres(data_dir: Path, *, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the PostgreSQL under ``data_dir`` and return a URL of ``database``.

    The server keeps running after this process exits unless :func:`stop` is called.
    """
    return start(data_dir, database=database).url


def stop(data_dir: Path) -> bool:
    """Stop the PostgreSQL running on ``data_dir``; False when none was running."""
    pgdata = pgdata_of(data_dir)
    pid, _ = _running_pid(pgdata)
    if pid is None:
        return False
    _pgserver()
    pg_ctl = importlib.import_module("pgserver._commands").pg_ctl

    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=_system_user(), timeout=30)
    except (subprocess.SubprocessError, OSError) as error:
        if _running_pid(pgdata)[0] is not None:
            raise EmbeddedError(f"could not stop PostgreSQL {pid} on {pgdata}: {error}") from error
    return True


def reset(data_dir: Path, extra: tuple[Path, ...] = ()) -> list[Path]:
    """Stop the server and delete its cluster and ``extra`` (files or folders under the
    data directory); the directory itself goes when nothing else is left in it."""
    stop(data_dir)
    removed: list[Path] = []
    for path in (pgdata_of(data_dir), *extra):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
        else:
            continue
        removed.append(path)
    with contextlib.suppress(OSError):
        data_dir.rmdir()
    return removed
