"""``python -m bench.points``: city points under load — balance reads per second, and
redemptions per second when many users redeem at once, including a race for the last
items of a reward.

The real server runs as a separate process on a real PostgreSQL. The bench writes
``--users`` users straight into the database, each with a ledger of ``--entries`` awards
(10 points each, balances to match), and puts three rewards in the catalogue through the
domain's service (price 10 each): one with unlimited stock, a "hot" one with
``--hot-stock`` items, and one with a large stock for counting statements. Then, over
HTTP:

- **balance_read**: ``viewer { points { balance entries(first: 10) { … } } }`` by every
  user in turn for ``--duration`` seconds over ``--concurrency`` keep-alive connections,
  from a separate client process (:mod:`bench.client`);
- **redeem**: ``--redeemers`` users each redeem the unlimited reward once (a fresh
  idempotency key each), all at once over ``--concurrency`` connections: redemptions/s;
- **redeem_last_items**: ``--contenders`` other users each try once for the hot reward,
  over ``--race-concurrency`` connections: exactly ``--hot-stock`` must get one.

The two redemption phases send each request exactly once, from this process (a few tens
of microseconds of client CPU a request).

SQL statements per request are counted in-process (:mod:`bench.statements`) with users of
their own. Afterwards the bench checks the database: every ledger balances (the entries
sum to the balance row, and each entry's ``balance_after`` to the running sum), no balance
is negative, each redeemer spent exactly once, the hot reward's stock is 0 and it was
redeemed exactly ``--hot-stock`` times. With ``--check`` it exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.client import (
    Job,
    JobResult,
    _percentile,
    _read_response,
    _Sampler,
    encode_requests,
    run_job,
)
from bench.database import migrate, open_database
from bench.operations import NO_ERRORS, Request
from bench.runner import SPEED_LOOP, machine_speed_ms
from bench.server import HOST, Server
from bench.statements import count_statements
from edom_graphql.core.auth import issue_dev_token
from edom_graphql.core.db import Database
from edom_graphql.core.ids import encode_id
from edom_graphql.points.models import RewardKind
from edom_graphql.points.service import catalogue
from edom_graphql.settings import Settings

USERS = 2000
ENTRIES = 50
REDEEMERS = 1000
CONTENDERS = 400
HOT_STOCK = 100
PRICE = 10
COUNTED = 20
"""Users of the in-process statement count (their own, so the measured ones are fresh)."""

BALANCE = """
query Balance {
  viewer {
    points { balance entries(first: 10) { nodes { amount reason balanceAfter createdAt } } }
  }
}
"""
REDEEM = """
mutation Redeem($input: RewardRedeemInput!) {
  rewardRedeem(input: $input) {
    redemption { id points entry { balanceAfter } }
    userErrors { code }
  }
}
"""
BALANCE_OK = (b'"balance":',)
REDEEM_OK = (b'"userErrors":[]',)
RACE_OK = (b'"rewardRedeem":{',)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _body(query: str, variables: dict[str, Any] | None = None) -> bytes:
    return json.dumps({"query": query, "variables": variables or {}}).encode()


@dataclass
class Scene:
    tag: str
    users: list[tuple[int, str]]
    """(pk, subject) of every bench user, in id order."""
    unlimited_id: str
    hot_id: str
    hot_pk: int
    limited_id: str
    """A reward with a large stock, for counting a limited reward's statements."""


async def _load(url: str, users: int, entries: int, hot_stock: int) -> Scene:
    tag = uuid.uuid4().hex[:8]
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            rows = await conn.fetch(
                "INSERT INTO users (subject, display_name)"
                " SELECT 'bench-points|' || $1 || '|' || g, 'Житель ' || g"
                " FROM generate_series(1, $2) g ORDER BY g RETURNING id, subject",
                tag,
                users,
            )
            pks = [int(row["id"]) for row in rows]
            await conn.execute(
                "INSERT INTO point_entries (user_id, amount, reason, source_key, balance_after)"
                " SELECT u, 10, 'METER_READING', 'bench:' || $2 || ':' || u || ':' || k, 10 * k"
                " FROM unnest($1::bigint[]) u, generate_series(1, $3) k ORDER BY u, k",
                pks,
                tag,
                entries,
            )
            await conn.execute(
                "INSERT INTO point_balances (user_id, balance)"
                " SELECT u, 10 * $2 FROM unnest($1::bigint[]) u",
                pks,
                entries,
            )
        await conn.execute("ANALYZE point_entries; ANALYZE point_balances; ANALYZE users")
    finally:
        await conn.close()
    db = Database(url)
    try:
        async with db.transaction() as (session, _):
            unlimited = await catalogue.add_reward(
                session,
                catalogue.NewReward(
                    kind=RewardKind.SERVICE,
                    title=f"Билет в музей {tag}",
                    partner="Музеи Москвы",
                    price=PRICE,
                    stock=None,
                ),
            )
            hot = await catalogue.add_reward(
                session,
                catalogue.NewReward(
                    kind=RewardKind.GOODS,
                    title=f"Термокружка {tag}",
                    partner="Мосгортранс",
                    price=PRICE,
                    stock=hot_stock,
                ),
            )
            limited = await catalogue.add_reward(
                session,
                catalogue.NewReward(
                    kind=RewardKind.GOODS,
                    title=f"Значок {tag}",
                    partner="Мосгортранс",
                    price=PRICE,
                    stock=10_000,
                ),
            )
    finally:
        await db.dispose()
    return Scene(
        tag=tag,
        users=[(int(row["id"]), str(row["subject"])) for row in rows],
        unlimited_id=encode_id("Reward", unlimited),
        hot_id=encode_id("Reward", hot),
        hot_pk=hot,
        limited_id=encode_id("Reward", limited),
    )


async def _warm(base_url: str, tokens: list[str]) -> None:
    """Every token used once: no subject is provisioned inside a measured window."""
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        queue = list(tokens)

        async def worker() -> None:
            while queue:
                token = queue.pop()
                response = await client.post(
                    "/graphql",
                    json={"query": "{ viewer { user { id } } }"},
                    headers={"Authorization": f"Bearer {token}"},
                )
                response.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(16)))


def _redeem_requests(tokens: list[str], reward_id: str, prefix: str, expect: Any) -> list[Request]:
    return [
        Request(
            token,
            _body(REDEEM, {"input": {"rewardId": reward_id, "idempotencyKey": f"{prefix}-{n}"}}),
            expect,
        )
        for n, token in enumerate(tokens)
    ]


async def _once(
    name: str,
    port: int,
    requests: list[Request],
    concurrency: int,
    server_pid: int,
    database: str,
) -> JobResult:
    """Send every request exactly once over ``concurrency`` keep-alive connections, all
    at once (from this process): their rate, latencies and the server's CPU time."""
    encoded = iter(encode_requests(HOST, port, requests))
    sampler = _Sampler(server_pid, database)
    result = JobResult(name=name)
    latencies: list[float] = []

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            for data, expect in encoded:
                sent = time.perf_counter()
                writer.write(data)
                status, body, keep_alive = await _read_response(reader)
                latencies.append((time.perf_counter() - sent) * 1000)
                result.requests += 1
                ok = status == 200 and NO_ERRORS not in body and all(e in body for e in expect)
                if not ok:
                    result.errors += 1
                    result.first_error = result.first_error or body[:500].decode(errors="replace")
                if not keep_alive:
                    writer.close()
                    reader, writer = await asyncio.open_connection(HOST, port)
        finally:
            writer.close()

    cpu_before, pg_before = sampler.server_cpu(), sampler.postgres_cpu()
    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - began
    cpu_after, pg_after = sampler.server_cpu(), sampler.postgres_cpu()
    if cpu_before is not None and cpu_after is not None:
        result.server_cpu_seconds = cpu_after - cpu_before
    if pg_after:
        result.db_cpu_seconds = sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_after.items())
    latencies.sort()
    result.latencies_ms = {
        "p50": _percentile(latencies, 0.50),
        "p90": _percentile(latencies, 0.90),
        "p99": _percentile(latencies, 0.99),
        "max": latencies[-1] if latencies else float("nan"),
    }
    return result


@dataclass
class Checks:
    lines: list[tuple[str, bool]]

    def add(self, label: str, ok: bool) -> None:
        self.lines.append((label, ok))

    @property
    def ok(self) -> bool:
        return all(ok for _, ok in self.lines)


async def _verify(
    url: str, scene: Scene, redeemers: list[int], contenders: list[int], hot_stock: int
) -> Checks:
    checks = Checks([])
    everyone = [pk for pk, _ in scene.users]
    conn = await asyncpg.connect(url)
    try:
        unbalanced = await conn.fetchval(
            "SELECT count(*) FROM (SELECT u, b.balance, coalesce(sum(e.amount), 0) AS total"
            " FROM unnest($1::bigint[]) u LEFT JOIN point_balances b ON b.user_id = u"
            " LEFT JOIN point_entries e ON e.user_id = u GROUP BY u, b.balance) s"
            " WHERE s.balance IS DISTINCT FROM s.total",
            everyone,
        )
        checks.add(f"every ledger sums to its balance ({unbalanced} do not)", unbalanced == 0)
        broken = await conn.fetchval(
            "SELECT count(*) FROM (SELECT balance_after, sum(amount) OVER"
            " (PARTITION BY user_id ORDER BY id) AS running FROM point_entries"
            " WHERE user_id = ANY($1::bigint[])) s WHERE balance_after <> running",
            everyone,
        )
        checks.add(f"each entry's balance_after is the running sum ({broken} not)", broken == 0)
        negative = await conn.fetchval(
            "SELECT count(*) FROM point_balances WHERE user_id = ANY($1::bigint[]) AND balance < 0",
            everyone,
        )
        checks.add(f"no balance is negative ({negative})", negative == 0)
        spends = await conn.fetch(
            "SELECT user_id, count(*) AS n FROM point_entries"
            " WHERE user_id = ANY($1::bigint[]) AND amount < 0 GROUP BY user_id",
            redeemers,
        )
        once = sum(1 for row in spends if row["n"] == 1)
        checks.add(
            f"each of {len(redeemers)} redeemers spent exactly once ({once})",
            once == len(redeemers) and len(spends) == len(redeemers),
        )
        stock = await conn.fetchval("SELECT stock FROM rewards WHERE id = $1", scene.hot_pk)
        won = await conn.fetchval(
            "SELECT count(*) FROM reward_redemptions WHERE reward_id = $1", scene.hot_pk
        )
        checks.add(f"the hot reward's stock is 0 ({stock})", stock == 0)
        checks.add(
            f"the hot reward went to exactly {min(hot_stock, len(contenders))} of "
            f"{len(contenders)} ({won})",
            won == min(hot_stock, len(contenders)),
        )
    finally:
        await conn.close()
    return checks


def _per_request(seconds: float | None, requests: int) -> str:
    return f"{seconds * 1000 / requests:.2f}" if seconds is not None and requests else "–"


def _row(result: JobResult, concurrency: int, sql: float | None) -> str:
    rate = (result.requests - result.errors) / result.seconds if result.seconds else 0.0
    lat = result.latencies_ms
    return (
        f"| `{result.name}` | {concurrency} | {result.requests:,} | {result.errors} | "
        f"{rate:,.0f} | {lat['p50']:.1f} | {lat['p90']:.1f} | {lat['p99']:.1f} | "
        f"{_per_request(result.server_cpu_seconds, result.requests)} | "
        f"{_per_request(result.db_cpu_seconds, result.requests)} | "
        f"{'–' if sql is None else f'{sql:.0f}'} |"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.points",
        description="City points: balance reads/s, redemptions/s, and a race for the last "
        "items of a reward.",
    )
    parser.add_argument("--users", type=int, default=USERS)
    parser.add_argument("--entries", type=int, default=ENTRIES, help="awards per user")
    parser.add_argument("--redeemers", type=int, default=REDEEMERS)
    parser.add_argument("--contenders", type=int, default=CONTENDERS)
    parser.add_argument("--hot-stock", type=int, default=HOT_STOCK)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--race-concurrency", type=int, default=64)
    parser.add_argument("--duration", type=float, default=10.0, help="of the balance reads, s")
    parser.add_argument("--warmup", type=float, default=2.0, help="of the balance reads, s")
    parser.add_argument("--database-url", help="use this (existing) database")
    parser.add_argument("--check", action="store_true", help="exit 1 when a check fails")
    args = parser.parse_args(argv)
    if args.redeemers + args.contenders + COUNTED > args.users:
        parser.error(f"--users must be at least --redeemers + --contenders + {COUNTED}")
    return args


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    db = open_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="edom-points-"))
    try:
        migrate(db.url)
        scene = asyncio.run(_load(db.url, args.users, args.entries, args.hot_stock))
        _log(
            f"database {db.name}: {args.users:,} users × {args.entries} entries; "
            f"hot reward stock {args.hot_stock}"
        )
        settings = Settings(
            environment="development",
            database_url=db.url,
            data_dir=work,
            log_level="WARNING",
            meeting_sweep_interval_seconds=0,
            media_sweep_interval_seconds=0,
            repair_auto_close_interval_seconds=0,
        )
        tokens = [issue_dev_token(settings, subject=s, name="Житель") for _, s in scene.users]
        pks = [pk for pk, _ in scene.users]
        r, c = args.redeemers, args.contenders
        redeemers, contenders, counted = (
            slice(0, r),
            slice(r, r + c),
            slice(r + c, r + c + COUNTED),
        )
        with Server(database_url=db.url, data_dir=work, log_path=work / "server.log") as server:
            _log(f"server pid {server.pid} on {server.base_url}")
            asyncio.run(_warm(server.base_url, tokens))
            _log("counting SQL statements in-process")
            sql = count_statements(
                settings,
                db.url,
                {
                    "balance_read": [Request(t, _body(BALANCE), BALANCE_OK) for t in tokens],
                    "redeem": _redeem_requests(
                        tokens[counted], scene.unlimited_id, "count", REDEEM_OK
                    ),
                    "redeem_limited": _redeem_requests(
                        tokens[counted], scene.limited_id, "count-limited", REDEEM_OK
                    ),
                },
                repetitions=COUNTED,
            )
            per_request = {name: count.per_request for name, count in sql.items()}

            def job(name: str, requests: list[Request], **kwargs: Any) -> JobResult:
                _log(f"running {name}")
                return run_job(
                    Job(
                        name=name,
                        host=HOST,
                        port=server.port,
                        requests=encode_requests(HOST, server.port, requests),
                        server_pid=server.pid,
                        database=server.database_name,
                        **kwargs,
                    )
                )

            reads = job(
                "balance_read",
                [Request(t, _body(BALANCE), BALANCE_OK) for t in tokens],
                concurrency=args.concurrency,
                warmup=args.warmup,
                duration=args.duration,
            )
            _log("running redeem")
            redeemed = asyncio.run(
                _once(
                    "redeem",
                    server.port,
                    _redeem_requests(tokens[redeemers], scene.unlimited_id, "bench", REDEEM_OK),
                    args.concurrency,
                    server.pid,
                    server.database_name,
                )
            )
            _log("running redeem_last_items")
            raced = asyncio.run(
                _once(
                    "redeem_last_items",
                    server.port,
                    _redeem_requests(tokens[contenders], scene.hot_id, "race", RACE_OK),
                    args.race_concurrency,
                    server.pid,
                    server.database_name,
                )
            )
        checks = asyncio.run(
            _verify(db.url, scene, pks[redeemers], pks[contenders], args.hot_stock)
        )
        speed = machine_speed_ms()
        print(
            "| operation | concurrency | requests | errors | req/s | p50 ms | p90 ms | p99 ms "
            "| srv CPU ms/req | pg CPU ms/req | SQL/req |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        print(_row(reads, args.concurrency, per_request["balance_read"]))
        print(_row(redeemed, args.concurrency, per_request["redeem"]))
        print(_row(raced, args.race_concurrency, per_request["redeem_limited"]))
        print()
        for label, ok in checks.lines:
            print(f"{'ok  ' if ok else 'FAIL'} {label}")
        print(
            f"\nthis machine: a {SPEED_LOOP:,}-step Python loop takes {speed:.0f} ms; "
            f"1-minute load average {load_before:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end; {time.perf_counter() - started:.0f} s in all"
        )
        for result in (reads, redeemed, raced):
            if result.first_error:
                print(f"first error of {result.name}: {result.first_error}", file=sys.stderr)
        failed = not checks.ok or reads.errors or redeemed.errors or raced.errors
        return 1 if args.check and failed else 0
    finally:
        asyncio.run(db.drop())


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
