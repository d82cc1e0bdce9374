"""``python -m bench.soak``: an hour (``--minutes``) of mixed load, to see that nothing
grows that should not.

The real server runs as its own process on a real PostgreSQL. One building gets
``--subscribers`` residents (1,000 by default), each subscribed over graphql-transport-ws
to the building chat's ``chatMessageEvents`` for the whole run, while readers keep asking
the everyday screens over HTTP (the viewer, the building's premises, the chat's latest
messages) and a writer sends a chat message every ``--message-interval`` seconds. Every
``--sample-seconds`` the run notes:

- the server's resident memory and open file descriptors, and the database's connections;
- the readers' requests per second and p50 / p99 latency in that interval;
- the delivery of that interval's messages: p99 from sending to a subscriber holding it,
  and what was lost or repeated;
- errors of any kind.

At the end it prints the samples and compares the last third of the run with the first
(after ``--warmup-minutes``): with ``--check`` it exits non-zero when memory grew by more
than ``--max-growth`` (10 %), descriptors or connections grew, p99 rose by more than half,
or anything was lost, repeated or refused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx
import psutil

from bench.chat_fanout import SEND, Tally, _listen, _load, _log, _post, _subscribe
from bench.database import migrate, open_database
from bench.server import Server
from edom_graphql.core.auth import issue_dev_token
from edom_graphql.settings import Settings

CHAT = "query ($id: ID!) { building(id: $id) { chat { id eventsCursor } } }"
READS = {
    "viewer": "{ viewer { user { id displayName } premises { tier premise { id number } } } }",
    "premises": "query ($id: ID!) { building(id: $id) { premises(first: 20) { nodes { id "
    "number area } } } }",
    "chat": "query ($chat: ID!) { node(id: $chat) { ... on Chat { messages(first: 20) { "
    "nodes { id body author { displayName } } } } } }",
}


@dataclass
class Interval:
    """What one sample interval saw."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    sent: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class Sample:
    minute: float
    rss_mb: float
    fds: int
    db_connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    delivery_p99_ms: float
    lost: int
    repeated: int
    errors: int

    def row(self) -> str:
        return (
            f"{self.minute:7.1f} {self.rss_mb:8.1f} {self.fds:5d} {self.db_connections:5d} "
            f"{self.requests_per_second:7.1f} {self.p50_ms:7.1f} {self.p99_ms:7.1f} "
            f"{self.delivery_p99_ms:9.1f} {self.lost:5d} {self.repeated:5d} {self.errors:5d}"
        )


HEADER = "   min   RSS MB   fds  conns   req/s  p50 ms  p99 ms  deliv p99  lost  twice errors"


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _db_connections(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        )
        return count - 1  # not this one
    finally:
        await conn.close()


async def _soak(
    args: argparse.Namespace, server: Server, db_url: str, tokens: list[str], building_id: str
) -> list[Sample]:
    process = psutil.Process(server.pid)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        for first in range(0, len(tokens), 50):
            await asyncio.gather(
                *(_post(http, "{ viewer { user { id } } }", {}, t) for t in tokens[first:][:50])
            )
        chat = (await _post(http, CHAT, {"id": building_id}, tokens[0]))["building"]["chat"]
        chat_id, cursor = chat["id"], chat["eventsCursor"]
        subscribers_tokens = tokens[: args.subscribers]
        tally = Tally(len(subscribers_tokens))
        ws_url = server.base_url.replace("http://", "ws://") + "/graphql"
        subscribers = []
        for first in range(0, len(subscribers_tokens), 100):
            subscribers += await asyncio.gather(
                *(
                    _subscribe(ws_url, token, chat_id, cursor, tally)
                    for token in subscribers_tokens[first : first + 100]
                )
            )
        listeners = [asyncio.create_task(_listen(s)) for s in subscribers]
        _log(f"{len(subscribers):,} subscribers connected")
        interval = Interval()
        stop = asyncio.Event()

        async def reader(index: int) -> None:
            rng = random.Random(index)
            while not stop.is_set():
                name = rng.choice(list(READS))
                token = rng.choice(tokens)
                began = time.perf_counter()
                try:
                    await _post(http, READS[name], {"id": building_id, "chat": chat_id}, token)
                    interval.latencies.append((time.perf_counter() - began) * 1000)
                except Exception:
                    interval.errors += 1
                await asyncio.sleep(args.read_pause)

        async def writer() -> None:
            n = 0
            writers = tokens[args.subscribers :]
            while not stop.is_set():
                body = f"soak {n}"
                sent_at = time.time()
                try:
                    await _post(
                        http,
                        SEND,
                        {"input": {"chatId": chat_id, "body": body}},
                        writers[n % len(writers)],
                    )
                    interval.sent.append((body, sent_at))
                except Exception:
                    interval.errors += 1
                n += 1
                await asyncio.sleep(args.message_interval)

        tasks = [asyncio.create_task(reader(i)) for i in range(args.readers)]
        tasks.append(asyncio.create_task(writer()))
        samples: list[Sample] = []
        started = time.monotonic()
        pending: list[tuple[str, float]] = []
        try:
            while time.monotonic() - started < args.minutes * 60:
                await asyncio.sleep(args.sample_seconds)
                done, interval = interval, Interval()
                # deliveries of messages sent a sample ago (given time to arrive)
                ready, pending = pending, done.sent
                deliveries = [
                    (s.received[body] - sent_at) * 1000
                    for body, sent_at in ready
                    for s in subscribers
                    if body in s.received
                ]
                lost = sum(1 for body, _ in ready for s in subscribers if body not in s.received)
                for s in subscribers:  # forget what was counted
                    for body, _ in ready:
                        s.received.pop(body, None)
                sample = Sample(
                    minute=(time.monotonic() - started) / 60,
                    rss_mb=process.memory_info().rss / 2**20,
                    fds=process.num_fds(),
                    db_connections=await _db_connections(db_url),
                    requests_per_second=len(done.latencies) / args.sample_seconds,
                    p50_ms=_percentile(done.latencies, 0.5),
                    p99_ms=_percentile(done.latencies, 0.99),
                    delivery_p99_ms=_percentile(deliveries, 0.99),
                    lost=lost,
                    repeated=sum(s.repeated for s in subscribers),
                    errors=done.errors + sum(len(s.errors) for s in subscribers),
                )
                samples.append(sample)
                _log(sample.row())
        finally:
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            for s in subscribers:
                await s.ws.close()
            for listener in listeners:
                listener.cancel()
    return samples


def _verdict(args: argparse.Namespace, samples: list[Sample]) -> list[str]:
    """What was not flat (empty: it was)."""
    steady = [s for s in samples if s.minute >= args.warmup_minutes]
    if len(steady) < 3:
        return ["too short to tell: run longer than the warm-up and three samples"]
    third = max(1, len(steady) // 3)
    first, last = steady[:third], steady[-third:]
    problems = []
    rss_first = statistics.median(s.rss_mb for s in first)
    rss_last = statistics.median(s.rss_mb for s in last)
    if rss_last > rss_first * (1 + args.max_growth):
        problems.append(f"memory grew {rss_first:.0f} → {rss_last:.0f} MB")
    for name in ("fds", "db_connections"):
        before = max(getattr(s, name) for s in first)
        after = max(getattr(s, name) for s in last)
        if after > before:
            problems.append(f"{name} grew {before} → {after}")
    p99_first = statistics.median(s.p99_ms for s in first)
    p99_last = statistics.median(s.p99_ms for s in last)
    if p99_last > p99_first * 1.5 + 5:
        problems.append(f"p99 rose {p99_first:.1f} → {p99_last:.1f} ms")
    if any(s.lost or s.errors for s in samples) or samples[-1].repeated:
        problems.append("messages were lost or repeated, or requests refused")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--warmup-minutes", type=float, default=5.0)
    parser.add_argument("--sample-seconds", type=float, default=60.0)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--readers", type=int, default=8)
    parser.add_argument(
        "--read-pause", type=float, default=0.02, help="seconds between a reader's requests"
    )
    parser.add_argument("--message-interval", type=float, default=2.0)
    parser.add_argument("--max-growth", type=float, default=0.10)
    parser.add_argument("--database-url")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)

    db = open_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="edom-soak-"))
    try:
        migrate(db.url)
        writers = 40  # each may send 30 a minute
        building_id, residents = asyncio.run(_load(db.url, args.subscribers + writers))
        settings = Settings(environment="development", database_url=db.url, data_dir=work)
        tokens = [
            issue_dev_token(settings, subject=r.subject, name="Житель", ttl_seconds=86_400)
            for r in residents
        ]
        with Server(database_url=db.url, data_dir=work, log_path=work / "server.log") as server:
            _log(f"server pid {server.pid} on {server.base_url}; {args.minutes:g} minutes")
            samples = asyncio.run(_soak(args, server, db.url, tokens, building_id))
        print()
        print(
            f"soak: {args.subscribers:,} subscribers, {args.readers} readers, a message every "
            f"{args.message_interval:g} s, {args.minutes:g} minutes"
        )
        print(HEADER)
        for sample in samples:
            print(sample.row())
        problems = _verdict(args, samples)
        print("\nflat" if not problems else "\nnot flat: " + "; ".join(problems))
        if args.json is not None:
            args.json.write_text(
                json.dumps({"samples": [vars(s) for s in samples], "problems": problems}, indent=1)
                + "\n"
            )
        return 1 if args.check and problems else 0
    finally:
        if db.created:
            asyncio.run(db.drop())
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
