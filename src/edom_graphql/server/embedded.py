"""An embedded PostgreSQL (the ``pgserver`` package) for running without a server."""

from __future__ import annotations

import logging
from pathlib import Path

log = logging.getLogger("edom_graphql.embedded")

DATABASE_NAME = "edom"


def start_embedded_postgres(data_dir: Path, *, database: str = DATABASE_NAME) -> str:
    """Start (or reuse) the PostgreSQL under ``data_dir`` and return a URL of ``database``.

    The server listens on a Unix socket inside its data directory only, and keeps
    running after this process exits, so the next start reuses it.
    """
    from pgserver import get_server  # type: ignore[attr-defined]

    pgdata = data_dir / "pg"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = get_server(pgdata, cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{database}';")
    if "1 row" not in exists:
        server.psql(f'CREATE DATABASE "{database}";')
        log.info("created database %s in %s", database, pgdata)
    uri: str = server.get_uri(database)
    return uri
