"""``python -m bench.chat_fanout``: live delivery of a building chat to many WebSocket
subscribers.

The real server runs as a separate process on a real PostgreSQL. One building gets as many
residents as the largest level asks for; for each level (default 100, 1,000 and 5,000)
that many of them connect over graphql-transport-ws and subscribe to
``chatMessageEvents`` of the building chat, while one writer at a time sends messages
through ``chatMessageSend`` over HTTP. Reported per level:

- **delivery latency** p50 / p90 / p99 / max, from the moment the writer starts sending a
  message to the moment a subscriber has received it (every subscriber, every message);
- **last receipt**: the time until the slowest subscriber has a message (median over the
  messages);
- **memory per idle connection**: the server's RSS with the level's connections open and
  subscribed, minus its RSS before they opened, divided by their number;
- **server CPU per message** (all subscribers' deliveries), and the client's CPU.

Every message must reach every subscriber exactly once; anything lost, repeated or
refused is counted and printed. The writer waits until a message has reached everyone
before it sends the next, so the latencies are those of one message's fan-out, not of a
queue. Server, client and PostgreSQL share this machine's cores: read the latency of the
large levels with the client's CPU beside it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from bench.database import migrate, open_database
from bench.server import Server
from edom_graphql.core.auth import issue_dev_token
from edom_graphql.core.ids import encode_id
from edom_graphql.settings import Settings

EVENTS = """
subscription ($chatId: ID!, $after: String) {
  chatMessageEvents(chatId: $chatId, after: $after) { cursor message { id body } }
}
"""
SEND = """
mutation ($input: ChatMessageSendInput!) {
  chatMessageSend(input: $input) { message { id } userErrors { code } }
}
"""
CHAT = "query ($id: ID!) { building(id: $id) { chat { id eventsCursor } } }"
PREMISES = 100
CONNECT_BATCH = 100
"""Connections opened at once (the server's accept queue and the client stay calm)."""
DELIVERY_TIMEOUT = 120.0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _levels(text: str) -> list[int]:
    levels = sorted({int(part) for part in text.split(",") if part.strip()})
    if not levels or levels[0] < 1:
        raise argparse.ArgumentTypeError("give positive numbers, e.g. 100,1000,5000")
    return levels


@dataclass
class Resident:
    pk: int
    subject: str


async def _load(url: str, residents: int) -> tuple[str, list[Resident]]:
    """One organisation, one building of ``PREMISES`` apartments and ``residents``
    registered residents; the building's global id and the residents."""
    tag = uuid.uuid4().hex[:8]
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            organisation = await conn.fetchval(
                "INSERT INTO management_organisations (name, inn) VALUES ($1, $2) RETURNING id",
                f"УК «Фан-аут» {tag}",
                uuid.uuid4().hex[:12],
            )
            building = await conn.fetchval(
                """
                INSERT INTO buildings (organisation_id, address, latitude, longitude, total_area)
                VALUES ($1, $2, 55.75, 37.61, 5000) RETURNING id
                """,
                organisation,
                f"Москва, ул. Нагрузочная, д. 1 ({tag})",
            )
            premises = [
                row["id"]
                for row in await conn.fetch(
                    """
                    INSERT INTO premises (building_id, kind, number, number_sort, area)
                    SELECT $1, 'APARTMENT', g::text, g, 50 FROM generate_series(1, $2) AS g
                    RETURNING id
                    """,
                    building,
                    PREMISES,
                )
            ]
            rows = await conn.fetch(
                """
                INSERT INTO users (subject, display_name)
                SELECT 'fanout|' || $1 || '|' || g, 'Житель ' || g
                FROM generate_series(1, $2) AS g
                RETURNING id, subject
                """,
                tag,
                residents,
            )
            await conn.executemany(
                "INSERT INTO registrations (premise_id, building_id, user_id) VALUES ($1, $2, $3)",
                [(premises[i % len(premises)], building, row["id"]) for i, row in enumerate(rows)],
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return encode_id("Building", building), [Resident(r["id"], r["subject"]) for r in rows]


class Tally:
    """How many subscribers hold each message; wakes whoever waits for all of them."""

    def __init__(self, subscribers: int) -> None:
        self.subscribers = subscribers
        self.counts: dict[str, int] = {}
        self.complete: dict[str, asyncio.Event] = {}

    def event(self, body: str) -> asyncio.Event:
        return self.complete.setdefault(body, asyncio.Event())

    def arrived(self, body: str) -> None:
        self.counts[body] = self.counts.get(body, 0) + 1
        if self.counts[body] == self.subscribers:
            self.event(body).set()

    async def wait_for_all(self, body: str) -> bool:
        """Whether every subscriber has the message within ``DELIVERY_TIMEOUT``."""
        try:
            async with asyncio.timeout(DELIVERY_TIMEOUT):
                await self.event(body).wait()
        except TimeoutError:
            return False
        return True


@dataclass
class Subscriber:
    ws: ClientConnection
    tally: Tally
    received: dict[str, float] = field(default_factory=dict)
    """Message body → wall-clock time of receipt."""
    repeated: int = 0
    errors: list[Any] = field(default_factory=list)


async def _subscribe(
    url: str, token: str, chat_id: str, after: str | None, tally: Tally
) -> Subscriber:
    ws = await connect(
        url,
        subprotocols=[Subprotocol("graphql-transport-ws")],
        open_timeout=60,
        close_timeout=2,
        max_queue=None,
    )
    await ws.send(
        json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
    )
    ack = json.loads(await ws.recv())
    if ack.get("type") != "connection_ack":
        raise RuntimeError(f"not acknowledged: {ack}")
    payload = {"query": EVENTS, "variables": {"chatId": chat_id, "after": after}}
    await ws.send(json.dumps({"id": "c", "type": "subscribe", "payload": payload}))
    return Subscriber(ws, tally)


async def _listen(subscriber: Subscriber) -> None:
    async for raw in subscriber.ws:
        at = time.time()
        message = json.loads(raw)
        kind = message.get("type")
        if kind == "ping":
            await subscriber.ws.send('{"type":"pong"}')
        elif kind == "next" and "errors" not in message["payload"]:
            body = message["payload"]["data"]["chatMessageEvents"]["message"]["body"]
            if body in subscriber.received:
                subscriber.repeated += 1
            else:
                subscriber.received[body] = at
                subscriber.tally.arrived(body)
        elif kind in ("next", "error", "complete"):
            subscriber.errors.append(message)


@dataclass
class LevelResult:
    subscribers: int
    messages: int
    latencies_ms: list[float]
    last_receipt_ms: list[float]
    lost: int
    repeated: int
    errors: int
    rss_before_mb: float
    rss_after_mb: float
    server_cpu_ms_per_message: float
    client_cpu_ms_per_message: float
    connect_seconds: float

    @property
    def memory_per_connection_kb(self) -> float:
        return (self.rss_after_mb - self.rss_before_mb) * 1024 / self.subscribers

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def row(self) -> str:
        return (
            f"{self.subscribers:>11,} {self.messages:>8} {self.percentile(0.5):>8.1f} "
            f"{self.percentile(0.9):>8.1f} {self.percentile(0.99):>8.1f} "
            f"{max(self.latencies_ms):>8.1f} {statistics.median(self.last_receipt_ms):>10.1f} "
            f"{self.memory_per_connection_kb:>11.1f} {self.server_cpu_ms_per_message:>10.1f} "
            f"{self.client_cpu_ms_per_message:>10.1f} {self.lost:>5} {self.repeated:>5} "
            f"{self.errors:>6}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "subscribers": self.subscribers,
            "messages": self.messages,
            "latency_ms": {
                "p50": self.percentile(0.5),
                "p90": self.percentile(0.9),
                "p99": self.percentile(0.99),
                "max": max(self.latencies_ms),
            },
            "last_receipt_ms_median": statistics.median(self.last_receipt_ms),
            "memory_per_idle_connection_kb": self.memory_per_connection_kb,
            "server_rss_mb": {"before": self.rss_before_mb, "after": self.rss_after_mb},
            "server_cpu_ms_per_message": self.server_cpu_ms_per_message,
            "client_cpu_ms_per_message": self.client_cpu_ms_per_message,
            "lost": self.lost,
            "repeated": self.repeated,
            "errors": self.errors,
            "connect_seconds": self.connect_seconds,
        }


HEADER = (
    f"{'subscribers':>11} {'messages':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
    f"{'max ms':>8} {'last ms':>10} {'KB/conn':>11} {'srv CPU':>10} {'cli CPU':>10} "
    f"{'lost':>5} {'dup':>5} {'errors':>6}"
)


async def _level(
    server: Server,
    server_process: psutil.Process,
    http: httpx.AsyncClient,
    tokens: list[str],
    count: int,
    messages: int,
    level_index: int,
    building_id: str,
) -> LevelResult:
    ws_url = server.base_url.replace("http://", "ws://") + "/graphql"
    writers = tokens[count : count + messages + 1] if len(tokens) > count else tokens
    chat = (await _post(http, CHAT, {"id": building_id}, tokens[0]))["building"]["chat"]
    await asyncio.sleep(1.0)
    rss_before = server_process.memory_info().rss / 2**20
    started = time.perf_counter()
    subscribers: list[Subscriber] = []
    tally = Tally(count)
    for first in range(0, count, CONNECT_BATCH):
        batch = tokens[first : min(count, first + CONNECT_BATCH)]
        subscribers += await asyncio.gather(
            *(_subscribe(ws_url, token, chat["id"], chat["eventsCursor"], tally) for token in batch)
        )
    connect_seconds = time.perf_counter() - started
    listeners = [asyncio.create_task(_listen(s)) for s in subscribers]
    try:
        warm = f"warm-up {level_index}"
        await _post(http, SEND, {"input": {"chatId": chat["id"], "body": warm}}, writers[0])
        if not await tally.wait_for_all(warm):
            missing = [s for s in subscribers if warm not in s.received]
            raise RuntimeError(
                f"the warm-up message did not reach {len(missing)} subscribers; first "
                f"errors: {[s.errors[:1] for s in missing[:3]]}"
            )
        await asyncio.sleep(2.0)  # idle: every connection open and subscribed
        rss_after = server_process.memory_info().rss / 2**20
        sent_at: dict[str, float] = {}
        server_cpu = server_process.cpu_times()
        client_cpu = psutil.Process().cpu_times()
        for index in range(messages):
            body = f"level {level_index} message {index}"
            writer = writers[(index + 1) % len(writers)]
            sent_at[body] = time.time()
            variables = {"input": {"chatId": chat["id"], "body": body}}
            await _post(http, SEND, variables, writer)
            await tally.wait_for_all(body)
            await asyncio.sleep(0.05)
        server_after = server_process.cpu_times()
        client_after = psutil.Process().cpu_times()
        await asyncio.sleep(0.5)  # anything repeated late would arrive now
        rss_end = server_process.memory_info().rss / 2**20
        per_delivery = (rss_end - rss_after) * 2**20 / (messages * count)
        _log(
            f"  server RSS {rss_after:.0f} -> {rss_end:.0f} MB over the messages "
            f"({per_delivery:.0f} B per delivery)"
        )
        latencies: list[float] = []
        last: list[float] = []
        lost = 0
        for body, at in sent_at.items():
            arrivals = [s.received[body] for s in subscribers if body in s.received]
            lost += len(subscribers) - len(arrivals)
            latencies += [(arrival - at) * 1000 for arrival in arrivals]
            if arrivals:
                last.append((max(arrivals) - at) * 1000)
        return LevelResult(
            subscribers=count,
            messages=messages,
            latencies_ms=latencies or [float("nan")],
            last_receipt_ms=last or [float("nan")],
            lost=lost,
            repeated=sum(s.repeated for s in subscribers),
            errors=sum(len(s.errors) for s in subscribers),
            rss_before_mb=rss_before,
            rss_after_mb=rss_after,
            server_cpu_ms_per_message=_cpu_ms(server_cpu, server_after) / messages,
            client_cpu_ms_per_message=_cpu_ms(client_cpu, client_after) / messages,
            connect_seconds=connect_seconds,
        )
    finally:
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        await asyncio.gather(*(s.ws.close() for s in subscribers), return_exceptions=True)


def _cpu_ms(before: Any, after: Any) -> float:
    return float((after.user + after.system - before.user - before.system) * 1000)


async def _post(
    http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str
) -> dict[str, Any]:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    if response.status_code != 200 or body.get("errors"):
        raise RuntimeError(f"{response.status_code}: {body}")
    data: dict[str, Any] = body["data"]
    for payload in data.values():
        if isinstance(payload, dict) and payload.get("userErrors"):
            raise RuntimeError(f"refused: {payload}")
    return data


async def _measure(
    args: argparse.Namespace, server: Server, tokens: list[str], building_id: str
) -> list[LevelResult]:
    server_process = psutil.Process(server.pid)
    results = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        # every subject is provisioned before anything is measured
        for first in range(0, len(tokens), 50):
            await asyncio.gather(
                *(_post(http, "{ viewer { user { id } } }", {}, t) for t in tokens[first:][:50])
            )
        for index, count in enumerate(args.subscribers):
            _log(f"level {count:,}: connecting")
            result = await _level(
                server, server_process, http, tokens, count, args.messages, index, building_id
            )
            _log(
                f"  connected in {result.connect_seconds:.1f} s; p50 {result.percentile(0.5):.1f}"
                f" ms, p99 {result.percentile(0.99):.1f} ms, lost {result.lost}"
            )
            results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.chat_fanout",
        description="Delivery latency and memory of chatMessageEvents with many subscribers.",
    )
    parser.add_argument("--subscribers", type=_levels, default=[100, 1000, 5000])
    parser.add_argument("--messages", type=int, default=20, help="messages per level")
    parser.add_argument("--database-url", help="use this (existing) database")
    parser.add_argument(
        "--pubsub-url",
        default="memory://",
        help="the server's broker (memory://, or postgres:// / redis:// as in production)",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    db = open_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="edom-fanout-"))
    try:
        migrate(db.url)
        writers = args.messages + 1
        building_id, residents = asyncio.run(_load(db.url, max(args.subscribers) + writers))
        settings = Settings(environment="development", database_url=db.url, data_dir=work)
        tokens = [issue_dev_token(settings, subject=r.subject, name="Житель") for r in residents]
        os.environ["EDOM_PUBSUB_URL"] = args.pubsub_url
        with Server(database_url=db.url, data_dir=work, log_path=work / "server.log") as server:
            _log(f"server pid {server.pid} on {server.base_url}, broker {args.pubsub_url}")
            results = asyncio.run(_measure(args, server, tokens, building_id))
        print()
        print(
            f"chatMessageEvents fan-out: one building chat, {args.messages} messages per "
            f"level, broker {args.pubsub_url}"
        )
        print(HEADER)
        for result in results:
            print(result.row())
        print()
        print(
            "latency: from the writer starting chatMessageSend to a subscriber holding the "
            "event (every subscriber × every message); last: until the slowest subscriber "
            "has it (median over messages); KB/conn: server RSS growth per idle subscribed "
            "connection; srv/cli CPU: ms per message (all deliveries)."
        )
        if args.json is not None:
            args.json.write_text(
                json.dumps(
                    {"pubsub": args.pubsub_url, "levels": [r.as_json() for r in results]},
                    indent=2,
                )
                + "\n"
            )
        return 0 if all(r.lost == r.repeated == r.errors == 0 for r in results) else 1
    finally:
        if db.created:
            asyncio.run(db.drop())
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
