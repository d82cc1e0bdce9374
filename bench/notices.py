"""``python -m bench.notices``: building notices under load — residents reading their
building's notices, and the manager posting notices that notify every resident.

The real server runs as a separate process on a real PostgreSQL. The bench writes one
building of ``--premises`` apartments over ``--entrances`` entrances, one owner each, a
manager of its organisation, and ``--notices`` notices (every third addressed to one
entrance), straight into the database. Then, over HTTP:

- **notices_read**: ``building { notices(first: 20) { … } }`` by every resident in turn for
  ``--duration`` seconds over ``--concurrency`` keep-alive connections, from a separate
  client process (:mod:`bench.client`);
- **notice_post**: ``--posts`` building-wide notices posted one after another by the
  manager; each notifies every resident in its transaction (``notify_many``): latency per
  post with that fan-out.

SQL statements per request are counted in-process (:mod:`bench.statements`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, insert, select

from bench.client import Job, JobResult, _percentile, encode_requests, run_job
from bench.database import migrate, open_database
from bench.operations import Request
from bench.runner import SPEED_LOOP, machine_speed_ms
from bench.server import HOST, Server
from bench.statements import count_statements
from edom_graphql.buildings.models import (
    Building,
    ManagementOrganisation,
    Premise,
    PremiseKind,
    StaffMembership,
)
from edom_graphql.buildings.service import premise_sort_key
from edom_graphql.core.auth import issue_dev_token
from edom_graphql.core.capabilities import StaffRole
from edom_graphql.core.db import Database
from edom_graphql.core.ids import encode_id
from edom_graphql.notices.models import Notice, NoticeCategory
from edom_graphql.notifications.models import Notification
from edom_graphql.residents.models import Ownership, User
from edom_graphql.settings import Settings

PREMISES = 600
ENTRANCES = 10
NOTICES = 200
POSTS = 30

READ = """
query Notices($id: ID!) {
  node(id: $id) {
    ... on Building {
      notices(first: 20) {
        edges { node { id category title text entrances visibleFrom visibleUntil
                       outageStart outageEnd edited editedAt withdrawnAt } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""
POST = """
mutation Post($input: NoticePostInput!) {
  noticePost(input: $input) { notice { id } userErrors { code } }
}
"""
READ_OK = (b'"notices":{',)
POST_OK = (b'"userErrors":[]',)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _body(query: str, variables: dict[str, Any]) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


def _post_input(building_id: str, n: int) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "buildingId": building_id,
        "category": "HOT_WATER_OUTAGE",
        "title": f"Отключение горячей воды {n}",
        "text": "Плановые работы на тепловых сетях.",
        "visibleFrom": now.isoformat(),
        "visibleUntil": (now + timedelta(days=14)).isoformat(),
        "outageStart": (now + timedelta(days=3)).isoformat(),
        "outageEnd": (now + timedelta(days=13)).isoformat(),
    }


async def _load(
    url: str, premises: int, entrances: int, notices: int
) -> tuple[int, str, list[str]]:
    """The building's pk, the manager's subject and the residents' subjects."""
    tag = uuid.uuid4().hex[:8]
    now = datetime.now(UTC)
    db = Database(url)
    try:
        async with db.transaction() as (session, _):
            organisation = (
                await session.execute(
                    insert(ManagementOrganisation)
                    .values(name=f"УК {tag}", inn=uuid.uuid4().hex[:12])
                    .returning(ManagementOrganisation.id)
                )
            ).scalar_one()
            building = (
                await session.execute(
                    insert(Building)
                    .values(
                        organisation_id=organisation,
                        address=f"Москва, ул. Скамеечная, {tag}",
                        latitude=Decimal("55.75"),
                        longitude=Decimal("37.61"),
                        total_area=Decimal("30000.00"),
                    )
                    .returning(Building.id)
                )
            ).scalar_one()
            per_entrance = -(-premises // entrances)
            premise_rows = (
                await session.execute(
                    insert(Premise).returning(Premise.id),
                    [
                        {
                            "building_id": building,
                            "kind": PremiseKind.APARTMENT,
                            "number": str(n),
                            "number_sort": premise_sort_key(PremiseKind.APARTMENT, str(n)),
                            "area": Decimal("50.00"),
                            "entrance": (n - 1) // per_entrance + 1,
                            "floor": 1,
                        }
                        for n in range(1, premises + 1)
                    ],
                )
            ).scalars()
            subjects = [f"bench-notices|{tag}|{n}" for n in range(premises + 1)]
            users = (
                await session.execute(
                    insert(User).returning(User.id),
                    [{"subject": s, "display_name": "Житель"} for s in subjects],
                )
            ).scalars()
            manager, *residents = list(users)
            await session.execute(
                insert(StaffMembership).values(
                    organisation_id=organisation, user_id=manager, role=StaffRole.MANAGER
                )
            )
            await session.execute(
                insert(Ownership),
                [
                    {
                        "user_id": user,
                        "premise_id": premise,
                        "building_id": building,
                        "share_numerator": 1,
                        "share_denominator": 1,
                    }
                    for user, premise in zip(residents, premise_rows, strict=True)
                ],
            )
            await session.execute(
                insert(Notice),
                [
                    {
                        "building_id": building,
                        "organisation_id": organisation,
                        "author_id": manager,
                        "category": NoticeCategory.ANNOUNCEMENT,
                        "title": f"Объявление {n}",
                        "text": "Текст объявления. " * 20,
                        "entrances": [n % entrances + 1] if n % 3 == 0 else [],
                        "visible_from": now - timedelta(days=1),
                        "visible_until": now + timedelta(days=30),
                    }
                    for n in range(notices)
                ],
            )
    finally:
        await db.dispose()
    return building, subjects[0], subjects[1:]


async def _post_all(base_url: str, token: str, building_id: str, posts: int) -> JobResult:
    result = JobResult(name="notice_post")
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        headers = {"Authorization": f"Bearer {token}"}
        started = time.perf_counter()
        for n in range(posts):
            body = {"query": POST, "variables": {"input": _post_input(building_id, n)}}
            t0 = time.perf_counter()
            response = await client.post("/graphql", json=body, headers=headers)
            latencies.append((time.perf_counter() - t0) * 1000)
            result.requests += 1
            if response.status_code != 200 or b'"userErrors":[]' not in response.content:
                result.errors += 1
                result.first_error = result.first_error or response.text[:300]
        result.seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    result.latencies_ms = {p: _percentile(ordered, f) for p, f in _PERCENTILES.items()}
    return result


_PERCENTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99}


async def _notified(url: str, building_pk: int) -> int:
    db = Database(url)
    try:
        async with db.transaction() as (session, _):
            ids = select(Notice.id).where(Notice.building_id == building_pk)
            count = await session.execute(
                select(func.count()).where(
                    Notification.kind == "NOTICE_POSTED", Notification.subject_id.in_(ids)
                )
            )
            return int(count.scalar_one())
    finally:
        await db.dispose()


def _row(result: JobResult, concurrency: int, sql: float | None) -> str:
    rate = (result.requests - result.errors) / result.seconds if result.seconds else 0.0
    lat = result.latencies_ms
    return (
        f"| `{result.name}` | {concurrency} | {result.requests:,} | {result.errors} | "
        f"{rate:,.0f} | {lat['p50']:.1f} | {lat['p90']:.1f} | {lat['p99']:.1f} | "
        f"{'–' if sql is None else f'{sql:.0f}'} |"
    )


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    db = open_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="edom-notices-"))
    try:
        migrate(db.url)
        building_pk, manager, residents = asyncio.run(
            _load(db.url, args.premises, args.entrances, args.notices)
        )
        building_id = encode_id("Building", building_pk)
        _log(f"database {db.name}: {args.premises} premises, {args.notices} notices")
        settings = Settings(
            environment="development",
            database_url=db.url,
            data_dir=work,
            log_level="WARNING",
            meeting_sweep_interval_seconds=0,
            media_sweep_interval_seconds=0,
            repair_auto_close_interval_seconds=0,
        )
        tokens = [issue_dev_token(settings, subject=s, name="Житель") for s in residents]
        manager_token = issue_dev_token(settings, subject=manager, name="Управляющий")
        reads = [Request(t, _body(READ, {"id": building_id}), READ_OK) for t in tokens]
        with Server(database_url=db.url, data_dir=work, log_path=work / "server.log") as server:
            _log(f"server pid {server.pid} on {server.base_url}")
            sql = count_statements(
                settings,
                db.url,
                {
                    "notices_read": reads[:20],
                    "notice_post": [
                        Request(
                            manager_token,
                            _body(POST, {"input": _post_input(building_id, n)}),
                            POST_OK,
                        )
                        for n in range(3)
                    ],
                },
                repetitions=3,
            )
            read_result = run_job(
                Job(
                    name="notices_read",
                    host=HOST,
                    port=server.port,
                    requests=encode_requests(HOST, server.port, reads),
                    concurrency=args.concurrency,
                    warmup=args.warmup,
                    duration=args.duration,
                    server_pid=server.pid,
                    database=server.database_name,
                )
            )
            post_result = asyncio.run(
                _post_all(server.base_url, manager_token, building_id, args.posts)
            )
        notified = asyncio.run(_notified(db.url, building_pk))
        print(
            "| operation | concurrency | requests | errors | req/s | p50 ms | p90 ms | p99 ms "
            "| SQL/req |"
        )
        print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        print(_row(read_result, args.concurrency, sql["notices_read"].per_request))
        print(_row(post_result, 1, sql["notice_post"].per_request))
        expected = (args.posts + 3) * args.premises
        print(
            f"\n{'ok  ' if notified == expected else 'FAIL'} {notified:,} notifications "
            f"for {args.posts + 3} posts × {args.premises} residents"
        )
        print(
            f"this machine: a {SPEED_LOOP:,}-step Python loop takes "
            f"{machine_speed_ms():.0f} ms; {time.perf_counter() - started:.0f} s in all"
        )
        failed = read_result.errors or post_result.errors or notified != expected
        return 1 if args.check and failed else 0
    finally:
        asyncio.run(db.drop())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.notices",
        description="Building notices: reads/s of a building's notices, and posting with "
        "the notification of every resident.",
    )
    parser.add_argument("--premises", type=int, default=PREMISES)
    parser.add_argument("--entrances", type=int, default=ENTRANCES)
    parser.add_argument("--notices", type=int, default=NOTICES)
    parser.add_argument("--posts", type=int, default=POSTS)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--database-url")
    parser.add_argument("--check", action="store_true", help="exit 1 when a check fails")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
