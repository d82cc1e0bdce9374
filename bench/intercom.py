"""``python -m bench.intercom``: door-open latency through the device adapter, and the
fan-out of a call to an apartment's occupants.

The real server runs as its own process on a real PostgreSQL, and so does the device
simulator (``python -m edom_graphql.intercom.service.simulator``). The bench writes a
building straight into the database: ``--premises`` apartments (default 100) in
entrance 1, an owner each, the entrance connected to one simulated panel; apartment 1
also has ``--occupants`` registered occupants (default 50).

1. **Door opening**: at each ``--concurrency`` level (default 1, 8, 32), owners call
   ``intercomDoorOpen`` over HTTP (the server signs a command to the simulator over its
   socket and waits for its answer, then logs the entry): openings/s and latency p50 /
   p99, each opening OPENED (checked).
2. **Call fan-out**: every occupant of apartment 1 subscribes to ``intercomCalls`` over
   its own WebSocket; ``--rings`` times (default 20) the simulator rings apartment 1 (it
   POSTs the signed ring to the server's callback) and then hangs up. Per ring: the time
   from the ring to each occupant's RINGING event (p50 / p99 over all deliveries) and to
   the last one.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from websockets.asyncio.client import connect

from bench.database import migrate, open_database
from bench.runner import machine_speed_ms
from bench.server import Server
from edom_graphql.buildings.models import PremiseKind
from edom_graphql.buildings.service import premise_sort_key
from edom_graphql.core.auth import issue_dev_token
from edom_graphql.core.ids import encode_id
from edom_graphql.settings import Settings

SECRET = "bench-intercom-panel-secret"
DEVICE = "bench-panel"
OPEN = (
    "mutation ($input: IntercomDoorOpenInput!) { intercomDoorOpen(input: $input) { "
    "outcome userErrors { code } } }"
)
CALLS = "subscription ($p: ID!) { intercomCalls(premiseId: $p) { cursor state call { id } } }"
OPENS_PER_OWNER = 9
"""Below the door's rate limit (10 a minute per user)."""


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def percentile(values: Sequence[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _load(
    url: str, premises: int, occupants: int, device_url: str
) -> tuple[list[str], list[str], int, int, int]:
    """The building; the owners' and occupants' subjects, the entrance, panel and
    apartment 1."""
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
                "total_area, intercom_capable) VALUES ($1, $2, 55.75, 37.61, $3, true) "
                "RETURNING id",
                org,
                f"Москва, ул. Домофонная, {tag}",
                premises * 50,
            )
            entrance = await conn.fetchval(
                "INSERT INTO building_entrances (building_id, number) VALUES ($1, 1) RETURNING id",
                building,
            )
            panel = await conn.fetchval(
                "INSERT INTO intercom_panels (building_id, entrance_id, name, api_url, secret) "
                "VALUES ($1, $2, 'Main door', $3, $4) RETURNING id",
                building,
                entrance,
                device_url,
                SECRET,
            )
            owners, first = [], 0
            for n in range(1, premises + 1):
                subject = f"bench|{tag}|{n}"
                user = await conn.fetchval(
                    "INSERT INTO users (subject, display_name) VALUES ($1, $2) RETURNING id",
                    subject,
                    f"Жилец {n}",
                )
                premise = await conn.fetchval(
                    "INSERT INTO premises (building_id, kind, number, number_sort, area, "
                    "entrance) VALUES ($1, 'APARTMENT', $2, $3, 50, 1) RETURNING id",
                    building,
                    str(n),
                    premise_sort_key(PremiseKind.APARTMENT, str(n)),
                )
                first = first or premise
                await conn.execute(
                    "INSERT INTO ownerships (user_id, premise_id, building_id, share_numerator, "
                    "share_denominator) VALUES ($1, $2, $3, 1, 1)",
                    user,
                    premise,
                    building,
                )
                owners.append(subject)
            family = []
            for n in range(occupants):
                subject = f"bench|{tag}|occupant-{n}"
                user = await conn.fetchval(
                    "INSERT INTO users (subject, display_name) VALUES ($1, $2) RETURNING id",
                    subject,
                    f"Член семьи {n}",
                )
                await conn.execute(
                    "INSERT INTO registrations (user_id, premise_id, building_id) "
                    "VALUES ($1, $2, $3)",
                    user,
                    first,
                    building,
                )
                family.append(subject)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return owners, family, entrance, panel, first


class Simulator:
    """The device simulator in its own process, on a free port."""

    def __init__(self, log_path: Path) -> None:
        self.log = log_path.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "edom_graphql.intercom.service.simulator", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("simulator listening on "):
            self.stop()
            raise RuntimeError(f"the simulator did not start: {line!r}")
        self.url = line.split()[-1]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.log.close()


async def _warm(base_url: str, tokens: Sequence[str]) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=60, trust_env=False) as client:
        for token in tokens:
            await client.post(
                "/graphql",
                json={"query": "{ viewer { user { id } } }"},
                headers={"Authorization": f"Bearer {token}"},
            )


async def _opens(
    base_url: str, tokens: list[str], entrance_id: str, concurrency: int
) -> dict[str, Any]:
    """Each token opens the door OPENS_PER_OWNER times, ``concurrency`` at a time."""
    jobs = [token for _ in range(OPENS_PER_OWNER) for token in tokens]
    latencies: list[float] = []
    failures = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=60, limits=limits, trust_env=False
    ) as client:

        async def worker() -> None:
            nonlocal failures
            while jobs:
                token = jobs.pop()
                started = time.perf_counter()
                response = await client.post(
                    "/graphql",
                    json={"query": OPEN, "variables": {"input": {"entranceId": entrance_id}}},
                    headers={"Authorization": f"Bearer {token}"},
                )
                latencies.append((time.perf_counter() - started) * 1000)
                data = (response.json().get("data") or {}).get("intercomDoorOpen") or {}
                failures += data.get("outcome") != "OPENED"

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
    return {
        "concurrency": concurrency,
        "openings": len(latencies),
        "not_opened": failures,
        "per_s": round(len(latencies) / seconds, 1),
        "p50_ms": round(percentile(latencies, 0.5), 2),
        "p99_ms": round(percentile(latencies, 0.99), 2),
    }


async def _listen(ws_url: str, token: str, premise_id: str, arrived: asyncio.Queue[float]) -> None:
    async with connect(ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(
            json.dumps(
                {
                    "id": "1",
                    "type": "subscribe",
                    "payload": {"query": CALLS, "variables": {"p": premise_id}},
                }
            )
        )
        await arrived.put(-1.0)  # subscribed
        while True:
            message = json.loads(await ws.recv())
            if message["type"] == "ping":
                await ws.send(json.dumps({"type": "pong"}))
            elif (
                message["type"] == "next"
                and message["payload"]["data"]["intercomCalls"]["state"] == "RINGING"
            ):
                await arrived.put(time.perf_counter())


async def _fanout(
    base_url: str, simulator_url: str, tokens: list[str], premise_id: str, rings: int
) -> dict[str, Any]:
    ws_url = base_url.replace("http://", "ws://") + "/graphql"
    arrived: asyncio.Queue[float] = asyncio.Queue()
    listeners = [
        asyncio.create_task(_listen(ws_url, token, premise_id, arrived)) for token in tokens
    ]
    for _ in tokens:
        await asyncio.wait_for(arrived.get(), 30)
    await asyncio.sleep(1.0)  # every subscription has read its stream once
    each: list[float] = []
    last: list[float] = []
    try:
        async with httpx.AsyncClient(base_url=simulator_url, timeout=60, trust_env=False) as sim:
            for _ in range(rings):
                started = time.perf_counter()
                rang = (await sim.post(f"/devices/{DEVICE}/ring", json={"apartment": "1"})).json()
                times = [await asyncio.wait_for(arrived.get(), 30) for _ in tokens]
                each.extend((t - started) * 1000 for t in times)
                last.append((max(times) - started) * 1000)
                await sim.post(f"/devices/{DEVICE}/hangup", json={"call_id": rang["call_id"]})
    finally:
        for task in listeners:
            task.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
    return {
        "occupants": len(tokens),
        "rings": rings,
        "each_p50_ms": round(percentile(each, 0.5), 2),
        "each_p99_ms": round(percentile(each, 0.99), 2),
        "last_p50_ms": round(percentile(last, 0.5), 2),
        "last_p99_ms": round(percentile(last, 0.99), 2),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.intercom",
        description="Door-open latency through the device adapter and call fan-out.",
    )
    parser.add_argument("--premises", type=int, default=100)
    parser.add_argument("--occupants", type=int, default=50)
    parser.add_argument("--rings", type=int, default=20)
    parser.add_argument("--concurrency", default="1,8,32")
    parser.add_argument("--database-url", help="use this (existing) database")
    args = parser.parse_args(argv)
    args.levels = [int(level) for level in args.concurrency.split(",") if level.strip()]
    return args


def run(args: argparse.Namespace) -> int:
    speed = machine_speed_ms()
    db = open_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="edom-bench-intercom-"))
    simulator = Simulator(work / "simulator.log")
    try:
        migrate(db.url)
        owners, family, entrance, panel, first = asyncio.run(
            _load(db.url, args.premises, args.occupants, f"{simulator.url}/devices/{DEVICE}")
        )
        settings = Settings(environment="development", database_url=db.url, data_dir=work)
        with Server(database_url=db.url, data_dir=work, log_path=work / "server.log") as server:

            async def configure() -> None:
                async with httpx.AsyncClient(base_url=simulator.url, trust_env=False) as sim:
                    callback = f"{server.base_url}/intercom/devices/{panel}/events"
                    await sim.post(
                        f"/devices/{DEVICE}/config",
                        json={"secret": SECRET, "callback_url": callback, "mode": "online"},
                    )

            asyncio.run(configure())
            owner_tokens = [issue_dev_token(settings, subject=s, name="Жилец") for s in owners]
            family_tokens = [issue_dev_token(settings, subject=s, name="Жилец") for s in family]
            asyncio.run(_warm(server.base_url, owner_tokens + family_tokens))
            entrance_id = encode_id("Entrance", entrance)
            share = max(1, len(owner_tokens) // len(args.levels))
            opens = [
                asyncio.run(
                    _opens(
                        server.base_url,
                        owner_tokens[i * share : (i + 1) * share],
                        entrance_id,
                        level,
                    )
                )
                for i, level in enumerate(args.levels)
            ]
            fanout = asyncio.run(
                _fanout(
                    server.base_url,
                    simulator.url,
                    family_tokens,
                    encode_id("Premise", first),
                    args.rings,
                )
            )
    finally:
        simulator.stop()
        if not args.database_url:
            asyncio.run(db.drop())
    print(f"machine speed {speed:.0f} ms")
    print("| concurrency | openings | not opened | openings/s | p50 ms | p99 ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    for row in opens:
        print(
            f"| {row['concurrency']} | {row['openings']} | {row['not_opened']} | "
            f"{row['per_s']} | {row['p50_ms']} | {row['p99_ms']} |"
        )
    print()
    print("| occupants | rings | each p50 ms | each p99 ms | last p50 ms | last p99 ms |")
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {fanout['occupants']} | {fanout['rings']} | {fanout['each_p50_ms']} | "
        f"{fanout['each_p99_ms']} | {fanout['last_p50_ms']} | {fanout['last_p99_ms']} |"
    )
    return 1 if any(row["not_opened"] for row in opens) else 0


def main(argv: list[str] | None = None) -> None:
    sys.exit(run(parse_args(argv)))


if __name__ == "__main__":
    main()
