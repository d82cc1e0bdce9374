"""``python -m bench.meters``: meter readings on the first morning of a reading window, when
many premises submit at once.

The real server runs as a separate process on a real PostgreSQL, with its clock set to
08:00 (Moscow time) on the 15th of the coming month, when the water and the electricity
windows both open (``python -m bench.meters serve``, the app of ``create_app`` with a
shifted clock, served by uvicorn as ``edom-graphql serve`` does). The bench writes the
data set straight into the database: ``--buildings`` buildings of ``--premises`` apartments
in all, each apartment with its owner (a user of the platform), a cold and a hot water
meter and a two-zone electricity meter, installed a year ago, with the readings of the
last period. Then, from a separate client process over ``--concurrency`` (16) keep-alive
connections, every owner submits the readings of their three meters
(``meterReadingSubmit``, one request per meter, with their own token), premise after
premise: submissions/s, readings/s (a two-zone meter is two readings), latency, the
server's and PostgreSQL's CPU per submission. Statements per submission are counted
in-process (the same app with the same clock, through ``httpx.ASGITransport``) on
premises kept aside for it.

With ``--check`` it exits 1 unless every submission was accepted, the database holds
exactly one current reading per meter, zone and period with the value sent, and each
meter's period earned its points once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
from sqlalchemy import event

from bench.client import Job, encode_requests, run_job
from bench.database import migrate, open_database
from bench.operations import Request
from bench.runner import machine_speed_ms
from bench.server import HOST, Server
from edom_graphql.buildings.models import PremiseKind
from edom_graphql.buildings.service import premise_sort_key
from edom_graphql.core.auth import issue_dev_token
from edom_graphql.core.ids import encode_id
from edom_graphql.settings import Settings

MOSCOW = ZoneInfo("Europe/Moscow")
PREMISES = 2000
BUILDINGS = 20
COUNTED = 20
"""Premises kept aside for the in-process statement count."""
SUBMIT = (
    "mutation Submit($input: MeterReadingSubmitInput!) { meterReadingSubmit(input: $input) "
    "{ readings { id value } pointsAwarded userErrors { code message } } }"
)
ACCEPTED = (b'"userErrors":[]',)
METERS = (("COLD_WATER", 1, 3, "C"), ("HOT_WATER", 1, 3, "H"), ("ELECTRICITY", 2, 1, "E"))
"""(kind, zones, precision, serial prefix) of every apartment's meters."""
MONTHLY = {"COLD_WATER": Decimal("4.125"), "HOT_WATER": Decimal("2.750"), "ELECTRICITY": None}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def first_morning(now: datetime) -> datetime:
    """08:00 Moscow time on the 15th of the coming month (both windows open then)."""
    local = now.astimezone(MOSCOW)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return datetime(year, month, 15, 8, tzinfo=MOSCOW)


# -- the server, with its clock on the window's first morning ----------------------------


def serve(port: int, offset_seconds: float) -> None:
    """The app on ``port``, its clock ``offset_seconds`` ahead (the ``serve`` command)."""
    import uvicorn

    from edom_graphql.core.logs import configure_logging
    from edom_graphql.server.app import create_app

    settings = Settings()
    configure_logging(level=settings.log_level, json_format=settings.log_json)
    offset = timedelta(seconds=offset_seconds)
    assert settings.database_url is not None
    app = create_app(
        settings, database_url=settings.database_url, clock=lambda: datetime.now(UTC) + offset
    )
    uvicorn.run(
        app,
        host=HOST,
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_config=None,
        timeout_graceful_shutdown=10,
    )


class ShiftedServer(Server):
    """:class:`bench.server.Server` whose process is ``python -m bench.meters serve``."""

    def __init__(self, *, offset_seconds: float, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.offset_seconds = offset_seconds

    def __enter__(self) -> ShiftedServer:
        env = {
            **os.environ,
            "EDOM_DATABASE_URL": self.database_url,
            "EDOM_DATA_DIR": str(self.data_dir),
            "EDOM_ENVIRONMENT": "development",
            "EDOM_LOG_LEVEL": "WARNING",
            # the reminders of the opening windows are not what is measured here
            "EDOM_METER_REMINDER_INTERVAL_SECONDS": "0",
        }
        self._log = self.log_path.open("wb")
        command = [sys.executable, "-m", "bench.meters", "serve", "--port", str(self.port)]
        self.process = subprocess.Popen(
            [*command, "--offset-seconds", str(self.offset_seconds)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self


# -- the data set ----------------------------------------------------------------------------


@dataclass
class Submission:
    subject: str
    meter_id: int
    values: tuple[Decimal, ...]
    kind: str


@dataclass
class Dataset:
    tag: str
    period: date
    engineer_subject: str
    submissions: list[Submission] = field(default_factory=list)
    """Premise after premise, the three meters of each."""


async def load(url: str, *, premises: int, buildings: int, morning: datetime) -> Dataset:
    tag = uuid.uuid4().hex[:8]
    period = morning.astimezone(MOSCOW).date().replace(day=1)
    previous = (period - timedelta(days=1)).replace(day=1)
    installed = morning - timedelta(days=400)
    per_building = -(-premises // buildings)
    numbers = list(range(1, per_building + 1))
    sort_keys = [premise_sort_key(PremiseKind.APARTMENT, str(n)) for n in numbers]
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            org = await conn.fetchval(
                "INSERT INTO management_organisations (name, inn) VALUES ($1, $2) RETURNING id",
                f"УК счётчиков {tag}",
                uuid.uuid4().hex[:12],
            )
            engineer_subject = f"bench-meters|{tag}|engineer"
            engineer = await conn.fetchval(
                "INSERT INTO users (subject, display_name) VALUES ($1, 'Инженер') RETURNING id",
                engineer_subject,
            )
            await conn.execute(
                "INSERT INTO staff_memberships (organisation_id, user_id, role) "
                "VALUES ($1, $2, 'ENGINEER')",
                org,
                engineer,
            )
            building_ids = [
                row["id"]
                for row in await conn.fetch(
                    "INSERT INTO buildings (organisation_id, address, latitude, longitude, "
                    "total_area) SELECT $1, 'Москва, ул. Счётчиков, ' || $2 || '-' || b, 55.75, "
                    "37.61, 1000 FROM generate_series(1, $3) b RETURNING id",
                    org,
                    tag,
                    buildings,
                )
            ]
            await conn.execute(
                "INSERT INTO premises (building_id, kind, number, number_sort, area, entrance, "
                "floor) SELECT b, 'APARTMENT', n::text, k, 52.4, 1, 1 "
                "FROM unnest($1::bigint[]) b, unnest($2::int[], $3::int[]) AS x(n, k)",
                building_ids,
                numbers,
                sort_keys,
            )
            await conn.execute(
                "INSERT INTO users (subject, display_name) SELECT 'bench-meters|' || $2 || '|' "
                "|| p.id, 'Собственник ' || p.number FROM premises p "
                "WHERE p.building_id = ANY($1::bigint[])",
                building_ids,
                tag,
            )
            await conn.execute(
                "INSERT INTO ownerships (premise_id, building_id, user_id, share_numerator, "
                "share_denominator) SELECT p.id, p.building_id, u.id, 1, 1 FROM premises p "
                "JOIN users u ON u.subject = 'bench-meters|' || $2 || '|' || p.id "
                "WHERE p.building_id = ANY($1::bigint[])",
                building_ids,
                tag,
            )
            await conn.execute(
                "INSERT INTO meters (premise_id, building_id, kind, zones, serial_number, "
                "installed_on, next_verification_on, precision, registered_by_id) "
                "SELECT p.id, p.building_id, k.kind::meter_kind, k.zones, k.prefix || p.id, "
                "$2::date, $2::date + 2190, k.precision, $3 FROM premises p CROSS JOIN "
                "unnest($4::text[], $5::int[], $6::int[], $7::text[]) "
                "AS k(kind, zones, precision, prefix) WHERE p.building_id = ANY($1::bigint[])",
                building_ids,
                installed.astimezone(MOSCOW).date(),
                engineer,
                *map(list, zip(*METERS, strict=True)),
            )
            # installation readings, and the last period's: 100 + (meter % 50), then a month on
            await conn.execute(
                "INSERT INTO meter_readings (meter_id, building_id, zone, period, value, source, "
                "submitted_by_id, submitted_at) SELECT m.id, m.building_id, "
                "('T' || z)::meter_zone, r.period, 100 + m.id % 50 + r.step * "
                "CASE WHEN m.kind = 'ELECTRICITY' THEN 210 ELSE 3.5 END, "
                "r.source::meter_reading_source, "
                "$2, $3 FROM meters m JOIN generate_series(1, 3) z ON z <= m.zones "
                "CROSS JOIN (VALUES (NULL::date, 0, 'INSTALLATION'), ($4::date, 1, 'SUBMITTED')) "
                "AS r(period, step, source) WHERE m.building_id = ANY($1::bigint[])",
                building_ids,
                engineer,
                installed,
                previous,
            )
            rows = await conn.fetch(
                "SELECT m.id, m.kind::text, m.zones, u.subject FROM meters m "
                "JOIN ownerships o ON o.premise_id = m.premise_id "
                "JOIN users u ON u.id = o.user_id "
                "WHERE m.building_id = ANY($1::bigint[]) ORDER BY m.premise_id, m.id LIMIT $2",
                building_ids,
                premises * len(METERS),
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    dataset = Dataset(tag, period, engineer_subject)
    for meter_id, kind, zones, subject in rows:
        last = Decimal(100 + meter_id % 50) + (
            Decimal(210) if kind == "ELECTRICITY" else Decimal("3.5")
        )
        monthly = MONTHLY[kind]
        values = (
            (last + monthly,)
            if monthly is not None
            else tuple(last + Decimal(f"{150 + 40 * z}.{meter_id % 10}") for z in range(zones))
        )
        dataset.submissions.append(Submission(subject, meter_id, values, kind))
    return dataset


def body(submission: Submission) -> bytes:
    readings = [
        {"zone": f"T{zone + 1}", "value": str(value)}
        for zone, value in enumerate(submission.values)
    ]
    variables = {
        "input": {"meterId": encode_id("Meter", submission.meter_id), "readings": readings}
    }
    return json.dumps({"query": SUBMIT, "variables": variables}).encode()


# -- statements per submission, in-process ---------------------------------------------------


async def _count(
    settings: Settings, url: str, requests: list[Request], clock_offset: timedelta
) -> tuple[float, list[str]]:
    from edom_graphql.server.app import create_app

    app = create_app(settings, database_url=url, clock=lambda: datetime.now(UTC) + clock_offset)
    db = app.state.services.db
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench.invalid", timeout=60
        ) as client,
    ):
        for request in requests:  # a subject's first request looks it up: not counted
            await client.post(
                "/graphql",
                json={"query": "{ viewer { user { id } } }"},
                headers={"Authorization": f"Bearer {request.token}"},
            )
        event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        db.statement_listeners.append(statements.append)
        sample: list[str] = []
        try:
            for index, request in enumerate(requests):
                before = len(statements)
                response = await client.post(
                    "/graphql",
                    content=request.body,
                    headers={
                        "Authorization": f"Bearer {request.token}",
                        "Content-Type": "application/json",
                    },
                )
                if not all(expected in response.content for expected in request.expect):
                    raise RuntimeError(f"a counted submission failed: {response.text[:500]}")
                if index == 0:
                    sample = statements[before:]
        finally:
            event.remove(db.engine.sync_engine, "before_cursor_execute", record)
            db.statement_listeners.remove(statements.append)
    return len(statements) / len(requests), sample


# -- checks ------------------------------------------------------------------------------------


async def verify(url: str, dataset: Dataset, sent: list[Submission]) -> list[str]:
    """What is wrong in the database after ``sent`` were accepted (nothing: [])."""
    conn = await asyncpg.connect(url)
    try:
        meter_ids = [s.meter_id for s in sent]
        current = await conn.fetch(
            "SELECT meter_id, zone::text, value, count(*) OVER (PARTITION BY meter_id, zone) "
            "FROM meter_readings WHERE meter_id = ANY($1::bigint[]) AND period = $2 "
            "AND superseded_at IS NULL",
            meter_ids,
            dataset.period,
        )
        awards = await conn.fetchval(
            "SELECT count(*) FROM point_entries WHERE source_key = ANY($1::text[])",
            [f"meter-reading:{m}:{dataset.period:%Y-%m}" for m in meter_ids],
        )
    finally:
        await conn.close()
    problems = []
    found = {(row[0], row[1]): row[2] for row in current}
    if any(row[3] != 1 for row in current):
        problems.append("a meter has more than one current reading of a zone and period")
    for submission in sent:
        for zone, value in enumerate(submission.values):
            if found.get((submission.meter_id, f"T{zone + 1}")) != value:
                problems.append(f"meter {submission.meter_id} T{zone + 1}: not {value}")
                break
    if awards != len(sent):
        problems.append(f"{awards} awards for {len(sent)} meters' periods")
    return problems[:10]


# -- the run -------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    db = open_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="edom-meters-"))
    now = datetime.now(UTC)
    morning = first_morning(now)
    offset = morning - now
    try:
        migrate(db.url)
        started = time.perf_counter()
        dataset = asyncio.run(
            load(
                db.url, premises=args.premises + COUNTED, buildings=args.buildings, morning=morning
            )
        )
        _log(
            f"database {db.name}: {args.premises + COUNTED} premises in {args.buildings} "
            f"buildings, {len(dataset.submissions)} meters "
            f"({time.perf_counter() - started:.1f} s); "
            f"the server's clock: {morning.isoformat()}"
        )
        settings = Settings(
            environment="development",
            database_url=db.url,
            data_dir=work,
            log_level="WARNING",
            meter_reminder_interval_seconds=0,
            meeting_sweep_interval_seconds=0,
            media_sweep_interval_seconds=0,
            repair_auto_close_interval_seconds=0,
        )
        tokens: dict[str, str] = {}
        requests = []
        for submission in dataset.submissions:
            token = tokens.get(submission.subject)
            if token is None:
                token = tokens[submission.subject] = issue_dev_token(
                    settings, subject=submission.subject, name="Собственник"
                )
            requests.append(Request(token, body(submission), ACCEPTED))
        counted, loaded = requests[-COUNTED * len(METERS) :], requests[: -COUNTED * len(METERS)]
        _log("counting SQL statements in-process")
        per_submission, sample = asyncio.run(_count(settings, db.url, counted, offset))
        with ShiftedServer(
            offset_seconds=offset.total_seconds(),
            database_url=db.url,
            data_dir=work,
            log_path=work / "server.log",
        ) as server:
            _log(f"server pid {server.pid} on {server.base_url}")
            viewers = [
                Request(token, b'{"query":"{ viewer { user { id } } }"}', (b'"viewer"',))
                for token in dict.fromkeys(r.token for r in loaded)
            ]
            run_job(
                Job(
                    name="warm tokens",
                    host=HOST,
                    port=server.port,
                    requests=encode_requests(HOST, server.port, viewers),
                    concurrency=args.concurrency,
                    warmup=0,
                    duration=0,
                    count=len(viewers),
                )
            )
            _log(f"{len(loaded)} submissions over {args.concurrency} connections")
            result = run_job(
                Job(
                    name="meter_reading_submit",
                    host=HOST,
                    port=server.port,
                    requests=encode_requests(HOST, server.port, loaded),
                    concurrency=args.concurrency,
                    warmup=0,
                    duration=0,
                    count=len(loaded) - 4 * args.concurrency,
                    max_seconds=args.max_seconds,
                    server_pid=server.pid,
                    database=db.name,
                )
            )
            sent = dataset.submissions[: result.issued]
        problems = asyncio.run(verify(db.url, dataset, sent)) if result.errors == 0 else []
        zones = sum(len(s.values) for s in sent) / max(1, len(sent))
        per_second = result.requests / result.seconds if result.seconds else 0.0
        report = {
            "premises": args.premises,
            "buildings": args.buildings,
            "concurrency": args.concurrency,
            "submissions": result.requests,
            "errors": result.errors,
            "first_error": result.first_error,
            "seconds": round(result.seconds, 2),
            "submissions_per_second": round(per_second, 1),
            "readings_per_second": round(per_second * zones, 1),
            "latency_ms": {k: round(v, 2) for k, v in result.latencies_ms.items()},
            "server_cpu_ms_per_submission": round(
                1000 * (result.server_cpu_seconds or 0) / max(1, result.requests), 2
            ),
            "pg_cpu_ms_per_submission": round(
                1000 * (result.db_cpu_seconds or 0) / max(1, result.requests), 2
            )
            if result.db_cpu_seconds is not None
            else None,
            "server_rss_peak_mb": result.server_rss_peak_mb,
            "statements_per_submission": per_submission,
            "python_loop_ms": round(machine_speed_ms(), 1),
            "problems": problems,
        }
        print_report(report, sample if args.show_statements else [])
        if args.json:
            args.json.write_text(json.dumps(report, indent=2, default=str))
        failed = result.errors > 0 or bool(problems)
        return 1 if args.check and failed else 0
    finally:
        if not args.keep:
            asyncio.run(db.drop())


def print_report(report: dict[str, Any], sample: list[str]) -> None:
    latency = report["latency_ms"]
    print(
        f"\nmeter readings on the window's first morning: {report['premises']} premises × 3 "
        f"meters, concurrency {report['concurrency']}\n"
    )
    print(
        "| submissions/s | readings/s | p50 ms | p90 ms | p99 ms | srv CPU ms | pg CPU ms | SQL |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    print(
        f"| {report['submissions_per_second']} | {report['readings_per_second']} | "
        f"{latency['p50']} | {latency['p90']} | {latency['p99']} | "
        f"{report['server_cpu_ms_per_submission']} | {report['pg_cpu_ms_per_submission']} | "
        f"{report['statements_per_submission']:.1f} |"
    )
    failure = f"; {report['first_error']}" if report["errors"] else ""
    print(
        f"\n{report['submissions']} submissions in {report['seconds']} s, "
        f"{report['errors']} errors{failure}; "
        f"peak RSS {report['server_rss_peak_mb'] or 0:.0f} MB; "
        f"python loop {report['python_loop_ms']} ms"
    )
    for problem in report["problems"]:
        print(f"CHECK FAILED: {problem}")
    for statement in sample:
        print(f"  {' '.join(statement.split())[:160]}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.meters",
        description="Meter readings on the first morning of a reading window: many premises "
        "submit at once; submissions/s, readings/s, latency, CPU and SQL per submission.",
    )
    commands = parser.add_subparsers(dest="command")
    server = commands.add_parser("serve", help="(internal) the server with a shifted clock")
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--offset-seconds", type=float, required=True)
    parser.add_argument("--premises", type=int, default=PREMISES)
    parser.add_argument("--buildings", type=int, default=BUILDINGS)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--max-seconds", type=float, default=600.0)
    parser.add_argument("--database-url", help="use this (existing) database")
    parser.add_argument("--keep", action="store_true", help="keep a fresh database")
    parser.add_argument("--check", action="store_true", help="exit 1 on a failed check")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--show-statements", action="store_true", help="print the SQL of one submission"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.command == "serve":
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        serve(args.port, args.offset_seconds)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
