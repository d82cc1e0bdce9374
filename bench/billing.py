"""``python -m bench.billing``: payments per second, each a ``billPay`` and the provider's
webhook round trip through the sandbox.

The real server runs as its own process on a real PostgreSQL, and so does the sandbox
payment provider (``python -m edom_graphql.billing.service.sandbox``). The bench writes a
building straight into the database: ``--premises`` apartments (default 200), an owner
each, ``--bills`` ЕПД bills per apartment (default 5). Then, at each ``--concurrency``
level (default 1, 8, 32; the bills are shared out between the levels), every worker takes
the next bill and:

1. ``billPay`` over HTTP with the owner's token (the server asks the sandbox over its
   socket to create the payment, idempotence key = the payment's reference);
2. asks the sandbox to complete the payment: the sandbox signs its webhook and POSTs it to
   ``/payments/webhook/sandbox``, and answers once the server has answered (the bill is
   credited, cashback awarded, the payer notified, all in the webhook's transaction).

Per level: payments/s, latency p50 / p99 of ``billPay``, of the confirmation (sandbox →
webhook → answer) and of the whole round trip, CPU ms per payment of the server, the
sandbox and this client. SQL statements of one ``billPay`` and of one webhook are counted
in-process (the app through ``httpx.ASGITransport``, the same sandbox). With ``--check``
the bench exits 1 unless every payment succeeded, every bill's paid amount equals its
succeeded payments, and every payment has exactly one cashback entry.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from sqlalchemy import event

from bench.database import migrate, open_database
from bench.runner import machine_speed_ms
from bench.server import Server
from edom_graphql.billing.service.providers import signed_headers
from edom_graphql.buildings.models import PremiseKind
from edom_graphql.buildings.service import premise_sort_key
from edom_graphql.core.auth import issue_dev_token
from edom_graphql.core.ids import encode_id
from edom_graphql.server.app import create_app
from edom_graphql.settings import Settings

SECRET = "bench-sandbox-secret"
PAY = (
    "mutation ($input: BillPayInput!) { billPay(input: $input) { "
    "payment { id status confirmationUrl } userErrors { code message } } }"
)
LINES = ((b"MAINTENANCE", 254_300), (b"HEATING", 189_912))
AMOUNT = sum(amount for _, amount in LINES)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Owner:
    subject: str
    token: str = ""
    bills: list[int] = field(default_factory=list)


async def _load(url: str, premises: int, bills: int) -> list[Owner]:
    """A building of ``premises`` apartments, an owner each, ``bills`` bills each."""
    tag = uuid.uuid4().hex[:8]
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            org = await conn.fetchval(
                "INSERT INTO management_organisations (name, inn) VALUES ($1, $2) RETURNING id",
                f"УК {tag}",
                tag + "0000",
            )
            building = await conn.fetchval(
                "INSERT INTO buildings (organisation_id, address, latitude, longitude, "
                "total_area) VALUES ($1, $2, 55.75, 37.61, $3) RETURNING id",
                org,
                f"Москва, ул. Платёжная, {tag}",
                premises * 50,
            )
            owners = []
            for n in range(1, premises + 1):
                subject = f"bench|{tag}|{n}"
                user = await conn.fetchval(
                    "INSERT INTO users (subject, display_name) VALUES ($1, $2) RETURNING id",
                    subject,
                    f"Плательщик {n}",
                )
                premise = await conn.fetchval(
                    "INSERT INTO premises (building_id, kind, number, number_sort, area) "
                    "VALUES ($1, 'APARTMENT', $2, $3, 50) RETURNING id",
                    building,
                    str(n),
                    premise_sort_key(PremiseKind.APARTMENT, str(n)),
                )
                await conn.execute(
                    "INSERT INTO ownerships (user_id, premise_id, building_id, share_numerator, "
                    "share_denominator) VALUES ($1, $2, $3, 1, 1)",
                    user,
                    premise,
                    building,
                )
                owner = Owner(subject)
                for month in range(bills):
                    period = (2020 + month // 12) * 100 + month % 12 + 1
                    bill = await conn.fetchval(
                        "INSERT INTO bills (building_id, premise_id, kind, period, amount, "
                        "due_on) VALUES ($1, $2, 'EPD', $3, $4, '2030-01-10') RETURNING id",
                        building,
                        premise,
                        period,
                        AMOUNT,
                    )
                    await conn.executemany(
                        "INSERT INTO bill_lines (bill_id, position, service, amount) "
                        "VALUES ($1, $2, $3, $4)",
                        [
                            (bill, i, service.decode(), amount)
                            for i, (service, amount) in enumerate(LINES, 1)
                        ],
                    )
                    owner.bills.append(bill)
                owners.append(owner)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return owners


class Sandbox:
    """The sandbox provider in its own process, on a free port."""

    def __init__(self, log_path: Path) -> None:
        self.log = log_path.open("w")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "edom_graphql.billing.service.sandbox",
                "--port",
                "0",
                "--secret",
                SECRET,
                "--retry-delays",
                "",
            ],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("sandbox listening on "):
            self.stop()
            raise RuntimeError(f"the sandbox did not start: {line!r}")
        self.url = line.split()[-1]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.log.close()


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class Level:
    concurrency: int
    payments: int = 0
    errors: int = 0
    first_error: str = ""
    seconds: float = 0.0
    pay_ms: list[float] = field(default_factory=list)
    confirm_ms: list[float] = field(default_factory=list)
    round_ms: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)

    def row(self) -> dict[str, Any]:
        return {
            "concurrency": self.concurrency,
            "payments": self.payments,
            "errors": self.errors,
            "payments_per_s": self.payments / self.seconds if self.seconds else 0.0,
            **{
                f"{name}_{label}": round(percentile(values, fraction), 2)
                for name, values in (
                    ("billpay", self.pay_ms),
                    ("confirm", self.confirm_ms),
                    ("round_trip", self.round_ms),
                )
                for label, fraction in (("p50_ms", 0.5), ("p99_ms", 0.99))
            },
            **{f"{name}_cpu_ms_per_payment": round(v, 2) for name, v in self.cpu.items()},
        }


def _cpu(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def _one(
    api: httpx.AsyncClient, sandbox: httpx.AsyncClient, token: str, bill: int, level: Level
) -> None:
    started = time.perf_counter()
    bill_id = encode_id("Bill", bill)
    response = await api.post(
        "/graphql",
        json={
            "query": PAY,
            "variables": {
                "input": {"billId": bill_id, "amount": AMOUNT, "idempotencyKey": str(uuid.uuid4())}
            },
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    paid = time.perf_counter()
    body = response.json()
    payload = (body.get("data") or {}).get("billPay") or {}
    url = (payload.get("payment") or {}).get("confirmationUrl")
    if response.status_code != 200 or body.get("errors") or payload.get("userErrors") or not url:
        level.errors += 1
        level.first_error = level.first_error or json.dumps(body)[:300]
        return
    answer = (await sandbox.post(f"/v1/payments/{url.rsplit('/', 1)[1]}/complete")).json()
    done = time.perf_counter()
    delivery = answer.get("delivery") or {}
    if delivery.get("status") != 200 or '"APPLIED"' not in delivery.get("answer", ""):
        level.errors += 1
        level.first_error = level.first_error or json.dumps(answer)[:300]
        return
    level.payments += 1
    level.pay_ms.append((paid - started) * 1000)
    level.confirm_ms.append((done - paid) * 1000)
    level.round_ms.append((done - started) * 1000)


async def _level(
    base_url: str, sandbox_url: str, jobs: list[tuple[str, int]], level: Level, pids: dict[str, int]
) -> None:
    limits = httpx.Limits(
        max_connections=level.concurrency, max_keepalive_connections=level.concurrency
    )
    async with (
        httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits, trust_env=False) as api,
        httpx.AsyncClient(base_url=sandbox_url, timeout=60, limits=limits, trust_env=False) as sbx,
    ):
        queue = list(reversed(jobs))

        async def worker() -> None:
            while queue:
                token, bill = queue.pop()
                await _one(api, sbx, token, bill, level)

        before = {name: _cpu(pid) for name, pid in pids.items()}
        client_before = time.process_time()
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(level.concurrency)))
        level.seconds = time.perf_counter() - started
        spent = {name: _cpu(pid) - before[name] for name, pid in pids.items()}
        spent["client"] = time.process_time() - client_before
        level.cpu = {name: s * 1000 / max(level.payments, 1) for name, s in spent.items()}


async def _statements(
    settings: Settings, url: str, sandbox_url: str, token: str, bill: int
) -> dict[str, Any]:
    """SQL statements of one ``billPay`` and of its webhook, counted in-process."""
    app = create_app(settings, database_url=url)
    db = app.state.services.db
    engine = db.engine.sync_engine
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://bench.invalid", timeout=60
        ) as client,
        httpx.AsyncClient(base_url=sandbox_url, timeout=60, trust_env=False) as sandbox,
    ):
        headers = {"Authorization": f"Bearer {token}"}
        await client.post("/graphql", json={"query": "{ viewer { user { id } } }"}, headers=headers)
        event.listen(engine, "before_cursor_execute", record)
        db.statement_listeners.append(seen.append)
        try:
            variables = {
                "input": {
                    "billId": encode_id("Bill", bill),
                    "amount": AMOUNT,
                    "idempotencyKey": str(uuid.uuid4()),
                }
            }
            paid = (
                await client.post(
                    "/graphql", json={"query": PAY, "variables": variables}, headers=headers
                )
            ).json()
            pay_statements = list(seen)
            provider_id = paid["data"]["billPay"]["payment"]["confirmationUrl"].rsplit("/", 1)[1]
            made = (await sandbox.post(f"/v1/payments/{provider_id}/complete?deliver=false")).json()
            found = (await sandbox.get(f"/v1/events/{made['event']}")).json()
            seen.clear()
            answer = await client.post(
                "/payments/webhook/sandbox",
                content=found["body"].encode(),
                headers=signed_headers(
                    SECRET, found["id"], int(time.time()), found["body"].encode()
                ),
            )
            webhook_statements = list(seen)
        finally:
            event.remove(engine, "before_cursor_execute", record)
            db.statement_listeners.remove(seen.append)
    assert answer.json()["outcome"] == "APPLIED", answer.text
    return {"billPay": pay_statements, "webhook": webhook_statements}


CHECKS = {
    "every payment succeeded": (
        "SELECT count(*) FROM payments WHERE building_id = $1 AND status <> 'SUCCEEDED'"
    ),
    "every bill's paid amount is its succeeded payments": (
        "SELECT count(*) FROM bills b WHERE b.building_id = $1 AND b.paid_amount <> "
        "(SELECT coalesce(sum(p.amount), 0) FROM payments p "
        "WHERE p.bill_id = b.id AND p.status = 'SUCCEEDED')"
    ),
    "one cashback entry per payment": (
        "SELECT count(*) FROM payments p WHERE p.building_id = $1 AND (SELECT count(*) "
        "FROM point_entries e WHERE e.source_key = 'epd-cashback:' || p.id) <> 1"
    ),
}


async def _check(url: str, bill: int) -> dict[str, bool]:
    conn = await asyncpg.connect(url)
    try:
        building = await conn.fetchval("SELECT building_id FROM bills WHERE id = $1", bill)
        return {name: await conn.fetchval(sql, building) == 0 for name, sql in CHECKS.items()}
    finally:
        await conn.close()


async def _warm(base_url: str, tokens: Sequence[str]) -> None:
    """Every token once (its subject is looked up, not provisioned, while measuring)."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60, trust_env=False) as client:
        for token in tokens:
            await client.post(
                "/graphql",
                json={"query": "{ viewer { user { id } } }"},
                headers={"Authorization": f"Bearer {token}"},
            )


async def _configure(sandbox_url: str, webhook_url: str) -> None:
    async with httpx.AsyncClient(base_url=sandbox_url, timeout=30, trust_env=False) as client:
        response = await client.post(
            "/v1/config", json={"webhook_url": webhook_url, "retry_delays": []}
        )
        response.raise_for_status()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.billing",
        description="Payments per second: billPay and the webhook round trip through the "
        "sandbox provider, both as their own processes.",
    )
    parser.add_argument("--premises", type=int, default=200)
    parser.add_argument(
        "--bills", type=int, default=5, help="bills per premise (at most 30: billPay's limit)"
    )
    parser.add_argument(
        "--concurrency", default="1,8,32", help="levels, comma-separated (default 1,8,32)"
    )
    parser.add_argument("--database-url", help="use this (existing) database")
    parser.add_argument("--check", action="store_true", help="exit 1 on a failed check")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)
    args.levels = [int(level) for level in args.concurrency.split(",") if level.strip()]
    if not 1 <= args.bills <= 30 or args.premises < 2 or not args.levels:
        parser.error("--bills must be 1–30, --premises at least 2, one level at least")
    return args


def run(args: argparse.Namespace) -> int:
    speed = machine_speed_ms()
    db = open_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="edom-bench-billing-"))
    sandbox: Sandbox | None = None
    try:
        migrate(db.url)
        owners = asyncio.run(_load(db.url, args.premises, args.bills))
        _log(f"database {db.name}: {args.premises} premises, {args.premises * args.bills} bills")
        settings = Settings(
            environment="development",
            database_url=db.url,
            data_dir=work,
            log_level="WARNING",
            payment_sandbox_secret=SECRET,
        )
        for owner in owners:
            owner.token = issue_dev_token(settings, subject=owner.subject, name="Плательщик")
        sandbox = Sandbox(work / "sandbox.log")
        os.environ.update(
            EDOM_PAYMENT_SANDBOX_URL=sandbox.url,
            EDOM_PAYMENT_SANDBOX_SECRET=SECRET,
            EDOM_MEETING_SWEEP_INTERVAL_SECONDS="0",
            EDOM_REPAIR_AUTO_CLOSE_INTERVAL_SECONDS="0",
        )
        settings = settings.model_copy(update={"payment_sandbox_url": sandbox.url})
        with Server(database_url=db.url, data_dir=work, log_path=work / "server.log") as server:
            asyncio.run(_configure(sandbox.url, f"{server.base_url}/payments/webhook/sandbox"))
            asyncio.run(_warm(server.base_url, [o.token for o in owners]))
            counted = asyncio.run(
                _statements(settings, db.url, sandbox.url, owners[0].token, owners[0].bills[0])
            )
            jobs = [
                (owner.token, owner.bills[month])
                for month in range(args.bills)
                for owner in owners
                if (owner, month) != (owners[0], 0)
            ]
            share = len(jobs) // len(args.levels)
            levels = []
            pids = {"server": server.pid, "sandbox": sandbox.process.pid}
            for index, concurrency in enumerate(args.levels):
                level = Level(concurrency)
                part = jobs[index * share : (index + 1) * share]
                asyncio.run(_level(server.base_url, sandbox.url, part, level, pids))
                _log(
                    f"concurrency {concurrency}: {level.payments} payments in {level.seconds:.1f} s"
                )
                levels.append(level)
            checks = asyncio.run(_check(db.url, owners[0].bills[0]))
    finally:
        if sandbox is not None:
            sandbox.stop()
        if not args.database_url:
            asyncio.run(db.drop())
    report(levels, counted, checks, speed, args)
    failed = [name for name, ok in checks.items() if not ok]
    errors = sum(level.errors for level in levels)
    return 1 if args.check and (failed or errors) else 0


def report(
    levels: list[Level],
    counted: dict[str, Any],
    checks: dict[str, bool],
    speed: float,
    args: argparse.Namespace,
) -> None:
    rows = [level.row() for level in levels]
    print(
        "| concurrency | payments | errors | payments/s | billPay p50/p99 ms | "
        "confirm p50/p99 ms | round trip p50/p99 ms | srv CPU ms | sandbox CPU ms | "
        "client CPU ms |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        print(
            f"| {row['concurrency']} | {row['payments']} | {row['errors']} | "
            f"{row['payments_per_s']:.1f} | {row['billpay_p50_ms']} / {row['billpay_p99_ms']} | "
            f"{row['confirm_p50_ms']} / {row['confirm_p99_ms']} | "
            f"{row['round_trip_p50_ms']} / {row['round_trip_p99_ms']} | "
            f"{row['server_cpu_ms_per_payment']} | {row['sandbox_cpu_ms_per_payment']} | "
            f"{row['client_cpu_ms_per_payment']} |"
        )
    print(
        f"\nSQL statements: billPay {len(counted['billPay'])}, webhook {len(counted['webhook'])}"
        f"\npython_loop_ms {speed:.0f} (a fixed 10-million-step loop on one core)"
    )
    for name, ok in checks.items():
        print(f"check {name}: {'ok' if ok else 'FAILED'}")
    for level in levels:
        if level.first_error:
            print(f"first error at concurrency {level.concurrency}: {level.first_error}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "levels": rows,
                    "statements": counted,
                    "checks": checks,
                    "python_loop_ms": speed,
                    "premises": args.premises,
                    "bills_per_premise": args.bills,
                },
                ensure_ascii=False,
                indent=2,
            )
        )


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
