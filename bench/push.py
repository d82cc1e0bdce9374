"""``python -m bench.push``: push deliveries per second to a local Web Push service.

The push service (``tests/notifications/push_service.py``) runs as its own process and
does what a real one does per message: verifies the VAPID JWT (ES256) and decrypts the
RFC 8291 payload. The bench writes ``--users`` users (default 200) with ``--devices``
Web Push subscriptions each (default 2) straight into a real PostgreSQL, then
``--notifications`` notifications per user through ``notify_many`` (which enqueues the
deliveries in the same transaction). Then ``--workers`` delivery workers
(:func:`deliver_due`, as every server process runs it; default 1 and 4 in turn, each on
its own fresh backlog) drain the backlog. Reported: deliveries/s, CPU ms per delivery of
this process (encryption, VAPID, SQL) and of the push service, and a check that every
delivery was SENT exactly once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import psutil
from sqlalchemy import func, insert, select

from bench.database import migrate, open_database
from bench.runner import machine_speed_ms
from edom_graphql.core.db import Database
from edom_graphql.notifications import service
from edom_graphql.notifications.models import DeliveryState, PushDelivery, PushDevice, PushPlatform
from edom_graphql.notifications.service.delivery import deliver_due, providers_of
from edom_graphql.residents.models import User
from edom_graphql.settings import Settings


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def start_push_service(log: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.notifications.push_service", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=log.open("w"),
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("push service listening on "):
        process.kill()
        raise RuntimeError(f"the push service did not start: {line!r}")
    return process, line.split()[-1]


async def _load(db: Database, push_url: str, users: int, devices: int) -> list[int]:
    tag = uuid.uuid4().hex[:8]
    async with httpx.AsyncClient() as client:
        subscriptions = [
            (await client.post(f"{push_url}/subscriptions")).json() for _ in range(users * devices)
        ]
    async with db.transaction() as (session, _):
        user_ids = list(
            (
                await session.execute(
                    insert(User).returning(User.id),
                    [
                        {"subject": f"bench|push|{tag}|{i}", "display_name": "Bench"}
                        for i in range(users)
                    ],
                )
            ).scalars()
        )
        now = await session.scalar(select(func.now()))
        await session.execute(
            insert(PushDevice),
            [
                {
                    "user_id": user_ids[i // devices],
                    "platform": PushPlatform.WEB_PUSH,
                    "endpoint": s["endpoint"],
                    "p256dh": s["keys"]["p256dh"],
                    "auth": s["keys"]["auth"],
                    "name": "Bench",
                    "updated_at": now,
                }
                for i, s in enumerate(subscriptions)
            ],
        )
    return user_ids


async def _round(
    db: Database,
    settings: Settings,
    user_ids: list[int],
    notifications: int,
    workers: int,
    push_pid: int,
) -> dict[str, float]:
    async with db.transaction() as (session, outbox):
        for n in range(notifications):
            await service.notify_many(
                session,
                outbox,
                user_ids=user_ids,
                kind="VEHICLE_OWNER_CONTACT",
                message=f"bench {n}",
            )
    me, push = psutil.Process(), psutil.Process(push_pid)
    cpu = (sum(me.cpu_times()[:2]), sum(push.cpu_times()[:2]))
    async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(max_connections=100)) as client:
        providers = providers_of(settings, client)

        async def worker() -> int:
            total = 0
            while claimed := await deliver_due(db, providers, await _now(db)):
                total += claimed
            return total

        started = time.perf_counter()
        counts = await asyncio.gather(*(worker() for _ in range(workers)))
        elapsed = time.perf_counter() - started
    sent = sum(counts)
    return {
        "deliveries": sent,
        "seconds": elapsed,
        "per_second": sent / elapsed if elapsed else 0.0,
        "cpu_ms_worker": (sum(me.cpu_times()[:2]) - cpu[0]) * 1000 / max(sent, 1),
        "cpu_ms_push_service": (sum(push.cpu_times()[:2]) - cpu[1]) * 1000 / max(sent, 1),
    }


async def _now(db: Database) -> object:
    async with db.transaction() as (session, _):
        return await session.scalar(select(func.now()))


async def _check(db: Database) -> tuple[int, int]:
    async with db.transaction() as (session, _):
        sent = await session.scalar(
            select(func.count()).where(
                PushDelivery.state == DeliveryState.SENT, PushDelivery.attempts == 1
            )
        )
        other = await session.scalar(
            select(func.count()).where(
                (PushDelivery.state != DeliveryState.SENT) | (PushDelivery.attempts != 1)
            )
        )
    return int(sent or 0), int(other or 0)


async def _main(
    args: argparse.Namespace, url: str, push_url: str, push_pid: int, data_dir: Path
) -> int:
    settings = Settings(environment="development", database_url=url, data_dir=data_dir)
    db = Database(url, pool_size=20)
    try:
        user_ids = await _load(db, push_url, args.users, args.devices)
        _log(f"{args.users} users × {args.devices} devices at {push_url}")
        for workers in args.workers:
            result = await _round(db, settings, user_ids, args.notifications, workers, push_pid)
            print(
                f"workers {workers}: {result['deliveries']:.0f} deliveries in "
                f"{result['seconds']:.2f} s = {result['per_second']:.0f}/s; CPU per delivery "
                f"{result['cpu_ms_worker']:.2f} ms worker, "
                f"{result['cpu_ms_push_service']:.2f} ms push service"
            )
        sent, other = await _check(db)
        print(f"check: {sent} SENT once, {other} otherwise")
        return 0 if other == 0 else 1
    finally:
        await db.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--notifications", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args(argv)
    _log(f"machine speed {machine_speed_ms():.1f} ms")
    db = open_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="edom-bench-push-"))
    process, push_url = start_push_service(work / "push.log")
    try:
        migrate(db.url)
        return asyncio.run(_main(args, db.url, push_url, process.pid, work))
    finally:
        process.terminate()
        process.wait(timeout=10)
        asyncio.run(db.drop())


if __name__ == "__main__":
    sys.exit(main())
