"""SQL statements per request, counted in-process.

The application is built with ``create_app`` in this process and served through
``httpx.ASGITransport``; a ``before_cursor_execute`` listener on the engine counts every
statement SQLAlchemy sends while each operation runs a fixed number of times, and so does
a listener in ``Database.statement_listeners`` for reads that bypass SQLAlchemy. (BEGIN
and COMMIT of write transactions are sent by asyncpg itself and are not counted.)
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy import event

from bench.operations import NO_ERRORS, Request
from edom_graphql.server.app import create_app
from edom_graphql.settings import Settings

REPETITIONS = 20


@dataclass
class StatementCount:
    requests: int = 0
    statements: int = 0
    errors: int = 0
    first_error: str | None = None
    sample: list[str] = field(default_factory=list)
    """The statements of one request, for reading."""
    values: int | None = None
    """Leaf values (scalars) in the ``data`` of one response: the size of the answer."""

    @property
    def per_request(self) -> float | None:
        return self.statements / self.requests if self.requests else None


def _leaf_values(data: Any) -> int:
    if isinstance(data, dict):
        return sum(_leaf_values(value) for value in data.values())
    if isinstance(data, list):
        return sum(_leaf_values(value) for value in data)
    return 1


async def _count(
    settings: Settings,
    url: str,
    operations: Mapping[str, Sequence[Request]],
    repetitions: int,
) -> dict[str, StatementCount]:
    app = create_app(settings, database_url=url)
    db = app.state.services.db
    engine = db.engine.sync_engine
    results: dict[str, StatementCount] = {}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench.invalid", timeout=60
        ) as client,
    ):

        async def post(request: Request) -> tuple[bool, str, int]:
            response = await client.post(
                "/graphql",
                content=request.body,
                headers={
                    "Authorization": f"Bearer {request.token}",
                    "Content-Type": "application/json",
                },
            )
            body = response.content
            ok = (
                response.status_code == 200
                and NO_ERRORS not in body
                and all(expected in body for expected in request.expect)
            )
            values = _leaf_values(response.json().get("data")) if ok else 0
            return ok, f"HTTP {response.status_code}: {body[:500].decode(errors='replace')}", values

        # The first request of a subject provisions it (one extra SELECT): not counted.
        tokens = {r.token: r for requests in operations.values() for r in requests[:repetitions]}
        for token in tokens:
            await client.post(
                "/graphql",
                json={"query": "{ viewer { user { id } } }"},
                headers={"Authorization": f"Bearer {token}"},
            )
        for name, requests in operations.items():
            count = StatementCount()
            statements: list[str] = []

            def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
                statements.append(statement)  # noqa: B023 - removed before the next operation

            def read(statement: str) -> None:
                statements.append(statement)  # noqa: B023 - removed before the next operation

            # Writes go through SQLAlchemy; reads may bypass it (``Database.fetch`` on a
            # plain asyncpg pool announces its statements to ``statement_listeners``).
            listeners = getattr(db, "statement_listeners", None)
            event.listen(engine, "before_cursor_execute", record)
            if listeners is not None:
                listeners.append(read)
            try:
                for index in range(repetitions):
                    before = len(statements)
                    ok, detail, values = await post(requests[index % len(requests)])
                    count.requests += 1
                    if not ok:
                        count.errors += 1
                        count.first_error = count.first_error or detail
                    if index == 0:
                        count.sample = statements[before:]
                        count.values = values
            finally:
                event.remove(engine, "before_cursor_execute", record)
                if listeners is not None:
                    listeners.remove(read)
            count.statements = len(statements)
            results[name] = count
            if count.statements == 0:
                print(
                    f"  warning: no statement seen for {name}: does the database layer still "
                    "report its statements?",
                    file=sys.stderr,
                )
            print(
                f"  {name:<34} {count.per_request or 0:5.1f} statements/request"
                + (f"  ({count.errors} errors)" if count.errors else ""),
                file=sys.stderr,
                flush=True,
            )
    return results


def count_statements(
    settings: Settings,
    url: str,
    operations: Mapping[str, Sequence[Request]],
    repetitions: int = REPETITIONS,
) -> dict[str, StatementCount]:
    """Statements per request of each operation (run ``repetitions`` times, sequentially)."""
    return asyncio.run(_count(settings, url, operations, repetitions))
