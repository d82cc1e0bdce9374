"""``python -m bench``: set up PostgreSQL and data, serve the API, load it, report."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench import client, dataset, moscow, operations, profile, report, statements
from bench.database import migrate, open_database
from bench.server import HOST, Server
from edom_graphql.core.auth import issue_dev_token
from edom_graphql.core.db import Database
from edom_graphql.repairs.service import close_expired
from edom_graphql.settings import Settings

GRANTS_PER_SECOND_PLANNED = 1000
"""Fresh grantees prepared per second of a guest_invitation_accept run."""


SPEED_LOOP = 10_000_000


def machine_speed_ms() -> float:
    """Milliseconds of one core for a fixed pure-Python loop (best of three), printed and
    stored with the results: CPU times per request of two machines compare in proportion
    to it, and the budget's milliseconds are only meaningful on a machine of known speed."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        total = 0
        for step in range(SPEED_LOOP):
            total += step
        best = min(best, time.process_time() - started)
    return best * 1000


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Load benchmark of the GraphQL API over HTTP against a real PostgreSQL.",
    )
    database = parser.add_argument_group("database and data")
    database.add_argument(
        "--database-url",
        help="use this (existing) database; default: $EDOM_BENCH_DATABASE_URL, else a fresh "
        "database on postgresql://postgres@127.0.0.1:5432 or the embedded PostgreSQL",
    )
    database.add_argument(
        "--keep", action="store_true", help="keep the fresh database (default: drop it)"
    )
    database.add_argument("--buildings", type=_positive_int, default=200)
    database.add_argument("--premises-per-building", type=_positive_int, default=60)
    database.add_argument(
        "--bench-users",
        type=_positive_int,
        default=16,
        help="owners the read operations sign in as, one per building (default 16)",
    )
    database.add_argument("--notifications-per-user", type=_positive_int, default=200)
    database.add_argument(
        "--events",
        type=_positive_int,
        default=dataset.EVENTS,
        help=f"city events spread over Moscow (default {dataset.EVENTS:,})",
    )
    database.add_argument(
        "--repair-requests",
        type=_positive_int,
        default=dataset.REPAIR_REQUESTS,
        help=f"repair requests over all buildings (default {dataset.REPAIR_REQUESTS:,})",
    )
    database.add_argument("--seed", type=int, default=None, help="seed of the run tag")
    database.add_argument(
        "--scale",
        choices=("bench", "moscow"),
        default="bench",
        help="bench: the sizes above (dataset.py); moscow: 34k buildings, 4.5M premises, "
        "1.5M users, 1M repair requests (moscow.py, COPY in batches)",
    )
    database.add_argument(
        "--scale-fraction",
        type=float,
        default=1.0,
        help="with --scale moscow: generate this part of every size (default 1)",
    )

    load = parser.add_argument_group("load")
    load.add_argument("--concurrency", type=_positive_int, default=8)
    load.add_argument(
        "--duration", type=_non_negative_float, default=10.0, help="seconds per operation"
    )
    load.add_argument("--warmup", type=_non_negative_float, default=2.0, help="seconds")
    load.add_argument(
        "--requests",
        type=_positive_int,
        default=None,
        help="measure this many requests per operation instead of --duration seconds",
    )
    load.add_argument(
        "--max-seconds",
        type=_non_negative_float,
        default=300.0,
        help="upper bound of one measured window with --requests (default 300)",
    )
    load.add_argument(
        "--operations",
        default=",".join(operations.OPERATIONS),
        help="comma-separated names (default: all): " + ", ".join(operations.OPERATIONS),
    )
    load.add_argument(
        "--count-repetitions",
        type=_positive_int,
        default=statements.REPETITIONS,
        help="requests per operation in the in-process statement count (default 20)",
    )
    load.add_argument("--no-count", action="store_true", help="skip the in-process statement count")

    out = parser.add_argument_group("output")
    out.add_argument("--json", type=Path, help="also write the results as JSON here")
    out.add_argument(
        "--check",
        action="store_true",
        help=f"exit 1 when {operations.BUDGETED} is over its budget",
    )
    out.add_argument(
        "--profile",
        type=Path,
        help="after measuring, sample the server with py-spy while --profile-operation runs "
        "and write collapsed stacks here (a summary is printed)",
    )
    out.add_argument(
        "--show-statements",
        action="store_true",
        help="print the SQL statements of one request of each operation",
    )
    out.add_argument("--profile-operation", default=operations.BUDGETED)
    out.add_argument("--profile-seconds", type=_non_negative_float, default=10.0)
    args = parser.parse_args(argv)
    names = [name.strip() for name in args.operations.split(",") if name.strip()]
    unknown = [name for name in names if name not in operations.OPERATIONS]
    if unknown or not names:
        parser.error(f"unknown operations {unknown}; known: {', '.join(operations.OPERATIONS)}")
    if args.profile_operation not in operations.OPERATIONS:
        parser.error(f"unknown --profile-operation {args.profile_operation!r}")
    if args.requests is None and args.duration <= 0:
        parser.error("--duration must be positive (or give --requests)")
    if args.scale == "moscow" and "guest_invitation_accept" in names:
        if args.operations != parser.get_default("operations"):
            parser.error(
                "--scale moscow prepares no guest invitations: leave out guest_invitation_accept"
            )
        names.remove("guest_invitation_accept")
    if not 0 < args.scale_fraction <= 1:
        parser.error("--scale-fraction must be in (0, 1]")
    args.operation_names = names
    return args


def _planned_grants(args: argparse.Namespace) -> int:
    wanted = set(args.operation_names)
    if args.profile is not None:
        wanted.add(args.profile_operation)
    if "guest_invitation_accept" not in wanted:
        return 0
    seconds = args.warmup + (args.duration if args.requests is None else 0)
    if args.profile is not None and args.profile_operation == "guest_invitation_accept":
        seconds += args.profile_seconds + 1
    planned = int(seconds * GRANTS_PER_SECOND_PLANNED) + (args.requests or 0)
    return max(500, min(planned, 500_000))


async def _settle(url: str) -> int:
    """Run the periodic repair auto-close sweep to completion, as the server would soon
    after start, so that the measured windows see a steady state; how many it closed."""
    db = Database(url)
    try:
        closed = 0
        while found := await close_expired(db, datetime.now(UTC)):
            closed += found
        return closed
    finally:
        await db.dispose()


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def _postgres_version(url: str) -> str:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        version: str = await conn.fetchval("SHOW server_version")
        return version
    finally:
        await conn.close()


def _git(*arguments: str) -> str | None:
    try:
        return subprocess.run(
            ["git", *arguments],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
            cwd=Path(__file__).parent,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


class Tokens:
    """Development tokens, one per subject, signed with the key under the data dir."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._issued: dict[str, str] = {}

    def __call__(self, person: dataset.Person) -> str:
        token = self._issued.get(person.subject)
        if token is None:
            token = issue_dev_token(self.settings, subject=person.subject, name=person.name)
            self._issued[person.subject] = token
        return token


def _job(
    args: argparse.Namespace,
    server: Server,
    name: str,
    requests: list[operations.Request],
    **overrides: Any,
) -> client.Job:
    fields: dict[str, Any] = {
        "name": name,
        "host": HOST,
        "port": server.port,
        "requests": client.encode_requests(HOST, server.port, requests),
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "duration": args.duration,
        "count": args.requests,
        "max_seconds": args.max_seconds,
        "server_pid": server.pid,
        "database": server.database_name,
    }
    fields.update(overrides)
    return client.Job(**fields)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    db = open_database(args.database_url)
    _log(f"database {db.name}" + (" (fresh)" if db.created else " (given)"))
    work = Path(tempfile.mkdtemp(prefix="edom-bench-"))
    try:
        migrate(db.url)
        _log("migrations applied")
        data = (
            moscow.run_load(
                db.url,
                moscow.MOSCOW.fraction(args.scale_fraction),
                bench_users=args.bench_users,
                notifications_per_user=args.notifications_per_user,
                seed=args.seed,
            )
            if args.scale == "moscow"
            else dataset.run_load(
                db.url,
                buildings=args.buildings,
                premises_per_building=args.premises_per_building,
                bench_users=args.bench_users,
                notifications_per_user=args.notifications_per_user,
                events=args.events,
                repair_requests=args.repair_requests,
                grantees=_planned_grants(args),
                seed=args.seed,
            )
        )
        _log(f"periodic sweeps settled ({asyncio.run(_settle(db.url))} requests auto-closed)")
        settings = Settings(
            environment="development",
            database_url=db.url,
            data_dir=work / "data",
            log_level="WARNING",
        )
        tokens = Tokens(settings)
        chosen = [operations.OPERATIONS[name] for name in args.operation_names]
        load_build = operations.Build(data, tokens)
        count_build = operations.Build(data, tokens, count_pass=True)
        load_requests = {op.name: op.requests(load_build) for op in chosen}
        if args.profile is not None and args.profile_operation not in load_requests:
            profiled = operations.OPERATIONS[args.profile_operation]
            load_requests[profiled.name] = profiled.requests(load_build)

        counts: dict[str, statements.StatementCount] = {}
        if not args.no_count:
            _log(f"counting SQL statements in-process ({args.count_repetitions} requests each)")
            counts = statements.count_statements(
                settings,
                db.url,
                {op.name: op.requests(count_build) for op in chosen},
                args.count_repetitions,
            )
            if args.show_statements:
                for name, count in counts.items():
                    _log(f"statements of one {name} request:")
                    for number, statement in enumerate(count.sample, 1):
                        _log(f"  {number:>2}. {' '.join(statement.split())[:300]}")

        results: list[report.OperationResult] = []
        profile_summary: profile.ProfileSummary | None = None
        log_path = work / "server.log"
        _log("starting the server")
        with Server(database_url=db.url, data_dir=settings.data_dir, log_path=log_path) as server:
            _log(f"server pid {server.pid} on {server.base_url}")
            used = sorted({r.token for requests in load_requests.values() for r in requests})
            prime = client.run_job(
                _job(
                    args,
                    server,
                    "prime",
                    operations.prime_requests(used),
                    warmup=0.0,
                    count=len(used),
                    max_seconds=120.0,
                )
            )
            _log(f"primed {prime.requests} subjects ({prime.errors} errors)")
            if prime.errors:
                _log(f"  first error: {prime.first_error}")
            for op in chosen:
                what = (
                    f"{args.requests} requests"
                    if args.requests is not None
                    else f"{args.duration:g} s"
                )
                _log(
                    f"running {op.name}: {what} after {args.warmup:g} s warm-up, "
                    f"concurrency {args.concurrency}"
                )
                result = client.run_job(_job(args, server, op.name, load_requests[op.name]))
                if op.mutation:
                    # Each request changes data: a later run of it starts after these.
                    load_requests[op.name] = load_requests[op.name][result.issued :]
                operation_result = report.OperationResult(
                    op.name, op.description, result, counts.get(op.name)
                )
                results.append(operation_result)
                _log(
                    f"  {result.requests:,} requests, {result.errors} errors, "
                    f"{operation_result.requests_per_second or 0:,.0f} req/s, "
                    f"server CPU {operation_result.server_cpu_ms or 0:.2f} ms/request"
                )
                if result.worker_cpu_shares:
                    split = " / ".join(f"{share:.0%}" for share in result.worker_cpu_shares)
                    _log(f"  workers' CPU split: {split}")
                if result.first_error:
                    _log(f"  first error: {result.first_error}")
            peak_rss = server.peak_rss_mb()
            if args.profile is not None:
                profile_summary = _profile(args, server, load_requests)
            server_log = server.log_tail(20)

        print()
        print(
            (
                f"edom-graphql bench: {args.buildings} buildings × {args.premises_per_building} "
                if args.scale == "bench"
                else f"edom-graphql bench: Moscow scale × {args.scale_fraction:g}: "
                f"{data.counts['buildings']:,} buildings, {data.counts['premises']:,} "
            )
            + f"premises, concurrency {args.concurrency}, "
            + (f"{args.requests} requests" if args.requests is not None else f"{args.duration:g} s")
            + f" per operation after {args.warmup:g} s warm-up"
        )
        print(report.table(results))
        print()
        print(
            "srv CPU: server process user+system CPU time in the measured window ÷ requests; "
            f"SQL/req: counted in-process over {args.count_repetitions} requests; "
            "values/resp: scalar values in one response's data; "
            "pg CPU: local PostgreSQL backends of the bench database."
        )
        if peak_rss is not None:
            print(f"server peak RSS (VmHWM) over the run: {peak_rss:.0f} MB")
        machine_ms = machine_speed_ms()
        print(
            f"this machine: a {SPEED_LOOP:,}-step Python loop takes {machine_ms:.0f} ms "
            "(compare CPU times across machines by this)"
        )
        budgeted = next((r for r in results if r.name == operations.BUDGETED), None)
        verdict: report.Budget | None = None
        if budgeted is not None:
            verdict = report.budget(budgeted)
            print(verdict.line())
        if profile_summary is not None:
            print()
            print(f"py-spy profile of {args.profile_operation} → {args.profile}")
            print(profile_summary.render())
        if any(r.load and r.load.errors for r in results) and server_log:
            _log("server log (tail):\n" + server_log)

        if args.json is not None:
            document = {
                "generated_at": datetime.now(UTC).isoformat(),
                "config": {
                    key: (str(value) if isinstance(value, Path) else value)
                    for key, value in vars(args).items()
                },
                "environment": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                    "python_loop_ms": machine_ms,
                    "postgres": asyncio.run(_postgres_version(db.url)),
                    "commit": _git("rev-parse", "--short", "HEAD"),
                    "uncommitted_changes": bool(_git("status", "--porcelain", "--", "src")),
                },
                "dataset": {"tag": data.tag, "rows": data.counts},
                "server_peak_rss_mb": peak_rss,
                "operations": [r.as_json() for r in results],
                "budget": verdict.as_json() if verdict else None,
                "profile": profile_summary.as_json() if profile_summary else None,
                "seconds": time.perf_counter() - started,
            }
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
            _log(f"wrote {args.json}")
        if args.check and (verdict is None or not verdict.passed):
            return 1
        return 0
    finally:
        if db.created and not args.keep:
            try:
                asyncio.run(db.drop())
                _log(f"dropped database {db.name}")
            except Exception as error:
                _log(f"could not drop database {db.name}: {error}")
        elif db.created:
            _log(f"kept database {db.name}: {db.url}")
        _remove_tree(work)


def _profile(
    args: argparse.Namespace,
    server: Server,
    load_requests: dict[str, list[operations.Request]],
) -> profile.ProfileSummary | None:
    if profile.py_spy() is None:
        _log("py-spy is not installed (pip install py-spy): no profile")
        return None
    name = args.profile_operation
    seconds = args.profile_seconds
    _log(f"profiling {name} with py-spy for {seconds:g} s")
    output: Path = args.profile
    output.parent.mkdir(parents=True, exist_ok=True)
    recorder = profile.start_recording(server.pid, output, seconds + 0.5)
    try:
        client.run_job(
            _job(args, server, name, load_requests[name], warmup=0.5, duration=seconds, count=None)
        )
        out, _ = recorder.communicate(timeout=seconds + 60)
    finally:
        if recorder.poll() is None:
            recorder.terminate()
            recorder.wait(timeout=10)
    if recorder.returncode != 0 or not output.exists():
        _log(f"py-spy failed ({recorder.returncode}): {out.decode(errors='replace')[-2000:]}")
        return None
    return profile.summarise(output)


def _remove_tree(path: Path) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except KeyboardInterrupt:
        _log("interrupted")
        return 130
