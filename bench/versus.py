"""``python -m bench.versus``: this project and PostGraphile 5 side by side, one process each.

On one bench database (``dataset.py``) it starts this project's server
(``python -m edom_graphql.server.cli serve``) and PostGraphile 5 (``postgraphile.py``),
first checks that both answer every request of each compared selection with the same rows
(ids, numbers, order, owners and shares), then measures them in interleaved rounds: in
each round, for each selection and concurrency, one window of each server (which goes
first alternates), every window from the same load client (``client.py``) with the same
request list. It prints, per selection and concurrency, the median over the rounds of
the ratio of requests/s (this project ÷ PostGraphile) and each server's median p50, p99,
CPU ms per request (its process tree) and PostgreSQL CPU ms per request.

This project checks access on every request (the bench users are an owner of the
building asked about and the organisation's dispatcher); PostGraphile runs without any.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import statistics
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import client, dataset, operations, postgraphile
from bench.database import migrate, open_database
from bench.runner import Tokens, _settle, machine_speed_ms
from bench.server import HOST, Server
from edom_graphql.settings import Settings

OURS = "edom-graphql"
THEIRS = "PostGraphile"
EXECUTIONS = ("compiled", "graphql-core")
"""How this project's server executes queries (``EDOM_EXECUTION``)."""


def ours_named(execution: str) -> str:
    return OURS if execution == "compiled" else f"{OURS} ({execution})"


EVENTS = 1_000
"""City events of the data set: no compared selection reads them."""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _concurrencies(text: str) -> list[int]:
    values = [int(part) for part in text.split(",") if part.strip()]
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("a comma-separated list of positive integers")
    return values


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.versus",
        description="This project and PostGraphile 5 on the same bench database, side by side.",
    )
    parser.add_argument("--database-url", help="use this (existing) database")
    parser.add_argument("--keep", action="store_true", help="keep the fresh database")
    parser.add_argument("--buildings", type=int, default=200)
    parser.add_argument("--premises-per-building", type=int, default=60)
    parser.add_argument("--bench-users", type=int, default=16)
    parser.add_argument("--repair-requests", type=int, default=dataset.REPAIR_REQUESTS)
    parser.add_argument("--events", type=int, default=EVENTS)
    parser.add_argument("--notifications-per-user", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per window")
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds before each window")
    parser.add_argument("--concurrency", type=_concurrencies, default=[1, 16])
    parser.add_argument(
        "--operations",
        default=",".join(postgraphile.PAIRS),
        help="comma-separated (default: all): " + ", ".join(postgraphile.PAIRS),
    )
    parser.add_argument(
        "--executions",
        default="compiled",
        help="comma-separated executions of this project's server, one server each, all in "
        "the same interleaved rounds: compiled (default), graphql-core",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    executions = [name.strip() for name in args.executions.split(",") if name.strip()]
    if not executions or any(name not in EXECUTIONS for name in executions):
        parser.error(f"--executions: a comma-separated list of {', '.join(EXECUTIONS)}")
    args.execution_names = executions
    names = [name.strip() for name in args.operations.split(",") if name.strip()]
    unknown = [name for name in names if name not in postgraphile.PAIRS]
    if unknown or not names:
        parser.error(f"unknown operations {unknown}; known: {', '.join(postgraphile.PAIRS)}")
    if args.rounds < 1 or args.duration <= 0:
        parser.error("--rounds must be at least 1 and --duration positive")
    args.operation_names = names
    return args


def answer(base_url: str, request: operations.Request) -> dict[str, Any]:
    """The ``data`` of one request sent as the load client sends it; raises on errors."""
    http = urllib.request.Request(
        f"{base_url}/graphql",
        data=request.body,
        headers={
            "Authorization": f"Bearer {request.token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        },
    )
    with urllib.request.urlopen(http, timeout=30) as response:
        document: dict[str, Any] = json.load(response)
    if document.get("errors") or not document.get("data"):
        raise AssertionError(f"{base_url}: {json.dumps(document, ensure_ascii=False)[:500]}")
    data: dict[str, Any] = document["data"]
    return data


def differences(
    pair: postgraphile.Pair,
    ours_url: str,
    ours: list[operations.Request],
    theirs_url: str,
    theirs: list[operations.Request],
) -> list[str]:
    """Where the two servers' answers to the same requests reduce to different rows."""
    found = []
    for index, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
        expected = pair.reduce_ours(answer(ours_url, mine))
        got = pair.reduce_theirs(answer(theirs_url, other))
        if expected != got:
            found.append(f"{pair.name} request {index}: {OURS} {expected!r} ≠ {THEIRS} {got!r}")
    return found


@dataclass
class Window:
    server: str
    operation: str
    concurrency: int
    round: int
    requests: int
    errors: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float | None
    pg_cpu_ms: float | None
    first_error: str | None

    @property
    def key(self) -> tuple[str, str, int]:
        return self.server, self.operation, self.concurrency


def _window(
    args: argparse.Namespace,
    server: str,
    pid: int,
    port: int,
    database: str,
    operation: str,
    requests: list[operations.Request],
    concurrency: int,
    round_: int,
) -> Window:
    result = client.run_job(
        client.Job(
            name=f"{server}-{operation}",
            host=HOST,
            port=port,
            requests=client.encode_requests(HOST, port, requests),
            concurrency=concurrency,
            warmup=args.warmup,
            duration=args.duration,
            server_pid=pid,
            database=database,
        )
    )
    done = max(result.requests, 1)
    return Window(
        server=server,
        operation=operation,
        concurrency=concurrency,
        round=round_,
        requests=result.requests,
        errors=result.errors,
        requests_per_second=result.requests / result.seconds if result.seconds > 0 else 0.0,
        p50_ms=result.latencies_ms["p50"],
        p99_ms=result.latencies_ms["p99"],
        cpu_ms=None
        if result.server_cpu_seconds is None
        else result.server_cpu_seconds * 1000 / done,
        pg_cpu_ms=None if result.db_cpu_seconds is None else result.db_cpu_seconds * 1000 / done,
        first_error=result.first_error,
    )


@dataclass
class Row:
    operation: str
    concurrency: int
    server: str
    """Which of this project's servers (its execution) the row compares."""
    ratio: float
    """Median over the rounds of (our req/s ÷ PostGraphile's req/s) in the same round."""
    ours: dict[str, float | None]
    theirs: dict[str, float | None]
    errors: int


def _median(values: list[float | None]) -> float | None:
    present = [value for value in values if value is not None]
    return statistics.median(present) if present else None


def summarise(windows: list[Window]) -> list[Row]:
    rows = []
    ours = sorted({w.server for w in windows if w.server != THEIRS})
    keys = sorted(
        {(w.operation, w.concurrency, name) for w in windows for name in ours},
        key=lambda key: (list(postgraphile.PAIRS).index(key[0]), key[1], key[2]),
    )
    for operation, concurrency, name in keys:
        mine = {w.round: w for w in windows if w.key == (name, operation, concurrency)}
        other = {w.round: w for w in windows if w.key == (THEIRS, operation, concurrency)}
        ratios = [
            mine[r].requests_per_second / other[r].requests_per_second
            for r in mine
            if r in other and other[r].requests_per_second > 0
        ]

        def figures(group: dict[int, Window]) -> dict[str, float | None]:
            values = list(group.values())
            return {
                "requests_per_second": _median([w.requests_per_second for w in values]),
                "p50_ms": _median([w.p50_ms for w in values]),
                "p99_ms": _median([w.p99_ms for w in values]),
                "cpu_ms": _median([w.cpu_ms for w in values]),
                "pg_cpu_ms": _median([w.pg_cpu_ms for w in values]),
            }

        rows.append(
            Row(
                operation=operation,
                concurrency=concurrency,
                server=name,
                ratio=statistics.median(ratios) if ratios else float("nan"),
                ours=figures(mine),
                theirs=figures(other),
                errors=sum(w.errors for w in (*mine.values(), *other.values())),
            )
        )
    return rows


def _number(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:,.{digits}f}"


def table(rows: list[Row]) -> str:
    lines = [
        "| read | conc | ours | req/s ratio (ours ÷ PG) | req/s ours / PG | p50 ms ours / PG "
        "| p99 ms ours / PG | srv CPU ms/req ours / PG | pg CPU ms/req ours / PG | errors |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:

        def both(key: str, digits: int = 2, row: Row = row) -> str:
            return f"{_number(row.ours[key], digits)} / {_number(row.theirs[key], digits)}"

        lines.append(
            f"| `{row.operation}` | {row.concurrency} | {row.server} | {row.ratio:.2f} "
            f"| {both('requests_per_second', 0)} | {both('p50_ms')} | {both('p99_ms')} "
            f"| {both('cpu_ms')} | {both('pg_cpu_ms')} | {row.errors} |"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    try:
        postgraphile.require_installed()
    except postgraphile.NotInstalled as error:
        print(error, file=sys.stderr)
        return 2
    started = time.perf_counter()
    db = open_database(args.database_url)
    _log(f"database {db.name}" + (" (fresh)" if db.created else " (given)"))
    work = Path(tempfile.mkdtemp(prefix="edom-versus-"))
    try:
        migrate(db.url)
        data = dataset.run_load(
            db.url,
            buildings=args.buildings,
            premises_per_building=args.premises_per_building,
            bench_users=args.bench_users,
            notifications_per_user=args.notifications_per_user,
            events=args.events,
            repair_requests=args.repair_requests,
            grantees=0,
        )
        _log(f"periodic sweeps settled ({asyncio.run(_settle(db.url))} requests auto-closed)")
        settings = Settings(
            environment="development",
            database_url=db.url,
            data_dir=work / "data",
            log_level="WARNING",
        )
        tokens = Tokens(settings)
        pairs = [postgraphile.PAIRS[name] for name in args.operation_names]
        build = operations.Build(data, tokens)
        ours_requests = {pair.name: pair.ours(build) for pair in pairs}
        with contextlib.ExitStack() as stack:
            variants = {
                ours_named(execution): stack.enter_context(
                    Server(
                        database_url=db.url,
                        data_dir=settings.data_dir,
                        log_path=work / f"server-{execution}.log",
                        env={"EDOM_EXECUTION": execution},
                    )
                )
                for execution in args.execution_names
            }
            theirs = stack.enter_context(
                postgraphile.PostGraphileServer(
                    database_url=db.url, log_path=work / "postgraphile.log"
                )
            )
            for name, server in variants.items():
                _log(f"{name} pid {server.pid} on {server.base_url}")
            _log(f"{THEIRS} pid {theirs.pid} on {theirs.base_url}")
            context = postgraphile.Context(
                data,
                tokens,
                postgraphile.desk_cursor_digest(theirs.base_url, min(data.dispatchers)),
            )
            theirs_requests = {pair.name: pair.theirs(context) for pair in pairs}
            used = sorted({r.token for requests in ours_requests.values() for r in requests})
            for server in variants.values():
                for token in used:
                    answer(server.base_url, operations.prime_requests([token])[0])
            _log(f"primed {len(used)} subjects; comparing the answers")
            mismatches = [
                difference
                for pair in pairs
                for server in variants.values()
                for difference in differences(
                    pair,
                    server.base_url,
                    ours_requests[pair.name],
                    theirs.base_url,
                    theirs_requests[pair.name],
                )
            ]
            if mismatches:
                for line in mismatches[:10]:
                    _log(line)
                _log(f"{len(mismatches)} answers differ: not measuring")
                return 1
            _log("every answer holds the same rows on both servers")
            windows: list[Window] = []
            servers = {
                **{
                    name: (server.pid, server.port, ours_requests)
                    for name, server in variants.items()
                },
                THEIRS: (theirs.pid, theirs.port, theirs_requests),
            }
            step = 0
            for round_ in range(args.rounds):
                for pair in pairs:
                    for concurrency in args.concurrency:
                        names = list(servers)
                        shift = step % len(names)
                        order = names[shift:] + names[:shift]
                        step += 1
                        for name in order:
                            pid, port, requests = servers[name]
                            window = _window(
                                args,
                                name,
                                pid,
                                port,
                                db.name,
                                pair.name,
                                requests[pair.name],
                                concurrency,
                                round_,
                            )
                            windows.append(window)
                            _log(
                                f"round {round_ + 1}/{args.rounds} {pair.name} c={concurrency} "
                                f"{name}: {window.requests_per_second:,.0f} req/s, "
                                f"p99 {window.p99_ms:.1f} ms, CPU {_number(window.cpu_ms)} "
                                f"ms/req, {window.errors} errors"
                            )
                            if window.first_error:
                                _log(f"  first error: {window.first_error}")
        rows = summarise(windows)
        machine_ms = machine_speed_ms()
        print()
        print(
            f"{OURS} vs {THEIRS} {postgraphile.version()}: {args.buildings} buildings × "
            f"{args.premises_per_building} premises, {args.repair_requests:,} repair requests; "
            f"{args.rounds} interleaved rounds of {args.duration:g} s windows after "
            f"{args.warmup:g} s warm-up; one process each"
        )
        print(table(rows))
        print()
        print(
            "ratio: median over the rounds of (our req/s ÷ PostGraphile's) in the same round; "
            "other figures: medians over the rounds; srv CPU: the server's process tree; "
            f"a 10,000,000-step Python loop takes {machine_ms:.0f} ms on this machine"
        )
        if args.json is not None:
            document = {
                "generated_at": datetime.now(UTC).isoformat(),
                "config": {
                    key: (str(value) if isinstance(value, Path) else value)
                    for key, value in vars(args).items()
                },
                "postgraphile": postgraphile.version(),
                "python_loop_ms": machine_ms,
                "rows": [asdict(row) for row in rows],
                "windows": [asdict(window) for window in windows],
                "seconds": time.perf_counter() - started,
            }
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
            _log(f"wrote {args.json}")
        return 1 if any(row.errors for row in rows) else 0
    finally:
        if db.created and not args.keep:
            try:
                asyncio.run(db.drop())
                _log(f"dropped database {db.name}")
            except Exception as error:
                _log(f"could not drop database {db.name}: {error}")
        elif db.created:
            _log(f"kept database {db.name}: {db.url}")
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        _log("interrupted")
        return 130


if __name__ == "__main__":
    sys.exit(main())
