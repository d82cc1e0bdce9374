"""``python -m bench.meetings``: an owners' general meeting of a 500-premise building, its
1,500 owners voting at once.

The real server runs as a separate process on a real PostgreSQL. The bench writes the
building straight into the database: 500 apartments of 33.33–120.00 m², a third of them
owned by one owner, the rest in shares (½ + ½, ⅓ × 3, 2/7 + 2/7 + 3/7, ¼ × 4, … up to
1/7 × 7; some 2/7 + 2/7 whose remaining 3/7 belong to an owner not on the platform), 1,500
ownership records of 1,500 owners. The organisation's manager drafts a meeting of four
questions and schedules it through the API; the bench then moves the meeting's dates back
(its 15 days of notice have passed) and opens voting in-process with
:func:`~edom_graphql.meetings.service.closing.open_voting`, as the server's sweep would
(the server runs with ``EDOM_MEETING_SWEEP_INTERVAL_SECONDS=0``, so only the bench moves
the meeting). Then, over HTTP:

- **ballots**: every owner casts one ballot (``meetingVoteCast``, a decision on every
  question, with their own token), half of them over ``--concurrency`` 16 keep-alive
  connections, the other half over 64, from a separate client process: ballots/s and
  latency p50 / p99;
- **tally while voting**: meanwhile the administrator (the manager) reads
  ``node(id) { ... on Meeting { tally { … } } }`` on one more connection, read after
  read (``--tally-interval`` puts a pause between them): its p50 / p99;
- **closing**: when voting ends the bench runs
  :func:`~edom_graphql.meetings.service.closing.close_voting` in-process, the step that
  counts the 1,500-entry meeting and forms its protocol as data and as PDF documents
  (protocol and register annex), stores them and notifies every owner; its time, split
  into those parts, and its SQL statements;
- **protocol read**: afterwards owners read ``Meeting.protocol`` (data) and download the
  protocol's PDF and the register annex through the media route: p50 / p99.

SQL statements per ballot, per tally read and per protocol read are counted in-process as
``python -m bench`` does (:mod:`bench.statements`); the ballots counted there are cast at
a second, 20-premise building's meeting, so all 1,500 owners of the big one vote over
HTTP.

Every owner's decisions are drawn from ``--seed``; with ``--check`` the bench exits 1 if
any ballot was refused, lost or counted twice (the ballots in the database, decision by
decision, are the ones sent; the final tally counts 1,500 ballots; the protocol's turnout
and every question's FOR / AGAINST / ABSTAIN equal exact :class:`~fractions.Fraction`\\ s
computed here from the areas and shares; the adopted flags follow), or if a budget of
:data:`BUDGETS` is exceeded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import inspect
import json
import math
import multiprocessing
import os
import queue
import random
import re
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil
from sqlalchemy import event

from bench.client import _read_response, _Sampler
from bench.database import migrate, open_database
from bench.dataset import FIRST_NAMES, SURNAMES
from bench.operations import NO_ERRORS, Request
from bench.runner import SPEED_LOOP, machine_speed_ms
from bench.server import HOST, Server
from bench.statements import count_statements
from edom_graphql.buildings.models import PremiseKind
from edom_graphql.buildings.service import premise_sort_key
from edom_graphql.core.auth import issue_dev_token
from edom_graphql.core.db import Database
from edom_graphql.core.ids import encode_id
from edom_graphql.core.storage import LocalStorage, Storage
from edom_graphql.meetings.service import closing, protocol
from edom_graphql.settings import Settings

PREMISES = 500
OWNERS = 1500
COUNTING_PREMISES = 20
"""The second building, whose meeting's ballots are cast in-process to count statements."""
MIN_AREA_CENTI, MAX_AREA_CENTI = 3333, 12000

SPLITS: dict[int, list[tuple[tuple[int, int], ...]]] = {
    2: [((1, 2), (1, 2)), ((1, 3), (2, 3)), ((2, 7), (2, 7))],
    3: [((1, 3), (1, 3), (1, 3)), ((2, 7), (2, 7), (3, 7)), ((1, 2), (1, 4), (1, 4))],
    4: [((1, 4),) * 4, ((1, 2), (1, 4), (1, 8), (1, 8))],
    5: [((1, 5),) * 5, ((1, 4), (1, 4), (1, 6), (1, 6), (1, 6))],
    6: [((1, 6),) * 6],
    7: [((1, 7),) * 7],
}
"""Ways a premise is split between its owners, by their number; ``(2/7, 2/7)`` leaves
3/7 to an owner who is not on the platform (and so never votes)."""

AGENDA: list[dict[str, Any]] = [
    {
        "title": "Выбор администратора общего собрания собственников",
        "proposal": "Избрать администратором общих собраний управляющую организацию.",
        "kind": "ADMINISTRATOR",
        "administratorIsOrganisation": True,
        "votingDays": 14,
        "decisionsPlace": "Офис управляющей организации, ул. Собраний, 1",
    },
    {
        "title": "Утверждение плана текущего ремонта подъездов на 2027 год",
        "proposal": "Утвердить план текущего ремонта подъездов, приложенный к сообщению.",
        "kind": "GENERAL",
    },
    {
        "title": "Капитальный ремонт крыши за счёт фонда капитального ремонта",
        "proposal": "Провести капитальный ремонт крыши в 2027 году.",
        "kind": "CAPITAL_REPAIR",
    },
    {
        "title": "Выбор способа управления многоквартирным домом",
        "proposal": "Сохранить управление домом управляющей организацией.",
        "kind": "MANAGEMENT_METHOD",
    },
]
THRESHOLDS = [
    "MAJORITY_OF_VOTES_CAST",
    "MAJORITY_OF_VOTES_CAST",
    "TWO_THIRDS_OF_ALL",
    "MORE_THAN_HALF_OF_ALL",
]
"""The threshold each question of the agenda takes (by its kind, or the default)."""
LEANINGS = [(0.75, 0.15), (0.55, 0.35), (0.68, 0.22), (0.52, 0.38)]
"""Per question: the chance an owner votes FOR, and AGAINST (the rest abstain)."""

CREATE = """
mutation ($input: MeetingCreateInput!) {
  meetingCreate(input: $input) { meeting { id state } userErrors { code field message } }
}
"""
SCHEDULE = """
mutation ($input: MeetingScheduleInput!) {
  meetingSchedule(input: $input) { meeting { id state } userErrors { code field message } }
}
"""
VOTE = """
mutation Vote($input: MeetingVoteCastInput!) {
  meetingVoteCast(input: $input) { entry { id ballot { channel } } userErrors { code } }
}
"""
TALLY = """
query Tally($id: ID!) { node(id: $id) { ... on Meeting { id state tally {
  state cursor ballots quorumReached turnout { numerator denominator percentOfAll }
  questions { number votesFor { percentOfAll } against { percentOfAll }
              abstain { percentOfAll } } } } } }
"""
PROTOCOL = """
query Protocol($id: ID!) { node(id: $id) { ... on Meeting { id state quorum
  tally { ballots }
  protocol { number formedAt votingStartedAt votingEndedAt totalArea quorum
    turnout { numerator denominator percentOfAll }
    questions { number title threshold adopted
      votesFor { numerator denominator percentOfAll percentOfCast }
      against { numerator denominator percentOfAll percentOfCast }
      abstain { numerator denominator percentOfAll percentOfCast } }
    document { contentType url } }
  register { annex { contentType url } } } } }
"""
PRIME = '{"query":"{ viewer { user { id } } }"}'

BUDGETS: dict[str, float] = {
    "ballots_per_second_min": 25.0,
    "ballot_p99_ms_c16": 2_000.0,
    "ballot_p99_ms_c64": 6_000.0,
    "tally_p99_ms": 3_000.0,
    "sql_per_ballot": 20.0,
    "closing_seconds": 30.0,
    "protocol_read_p99_ms": 500.0,
}
"""Generous for a slow 2-core machine shared by server, client and PostgreSQL (see
bench/README.md for what was measured)."""
CHILD_TIMEOUT = 300.0


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Owner:
    pk: int
    subject: str
    name: str
    area_centi: int
    share: Fraction


@dataclass
class Building:
    pk: int
    total_centi: int
    owners: list[Owner]

    @property
    def id(self) -> str:
        return encode_id("Building", self.pk)

    def weight(self, owner: Owner) -> Fraction:
        return Fraction(owner.area_centi, self.total_centi) * owner.share


@dataclass
class Scene:
    tag: str
    manager_subject: str
    manager_name: str
    big: Building
    counting: Building


def _owners_per_premise(rng: random.Random, premises: int, owners: int, sole: int) -> list[int]:
    """How many owners each premise has: ``sole`` premises one, the rest 2–7, ``owners``
    in all."""
    rest = premises - sole
    target = owners - sole
    lowest, highest = min(SPLITS), max(SPLITS)
    if not lowest * rest <= target <= highest * rest:
        raise SystemExit(f"{owners} owners do not fit {premises} premises ({sole} sole-owned)")
    sizes = [rng.choice((2, 2, 3, 3, 4, 4, 5, 6, 7)) for _ in range(rest)]
    while (excess := sum(sizes) - target) != 0:
        index = rng.randrange(rest)
        step = -1 if excess > 0 else 1
        if lowest <= sizes[index] + step <= highest:
            sizes[index] += step
    counts = [1] * sole + sizes
    rng.shuffle(counts)
    return counts


def _name(index: int) -> str:
    return f"{SURNAMES[index % len(SURNAMES)]} {FIRST_NAMES[(index // 3) % len(FIRST_NAMES)]}"


async def _building(
    conn: asyncpg.Connection,
    *,
    organisation: int,
    tag: str,
    label: str,
    areas: Sequence[int],
    splits: Sequence[tuple[tuple[int, int], ...]],
) -> Building:
    total = sum(areas)
    building = await conn.fetchval(
        """
        INSERT INTO buildings (organisation_id, address, latitude, longitude, total_area)
        VALUES ($1, $2, 55.75, 37.61, $3) RETURNING id
        """,
        organisation,
        f"Москва, ул. Собраний, д. {label} ({tag})",
        Decimal(total) / 100,
    )
    numbers = list(range(1, len(areas) + 1))
    premise_of = {
        row["number"]: row["id"]
        for row in await conn.fetch(
            """
            INSERT INTO premises (building_id, kind, number, number_sort, area)
            SELECT $1, 'APARTMENT', n::text, s, a
            FROM unnest($2::int[], $3::int[], $4::numeric[]) AS t(n, s, a)
            RETURNING id, number
            """,
            building,
            numbers,
            [premise_sort_key(PremiseKind.APARTMENT, str(n)) for n in numbers],
            [Decimal(area) / 100 for area in areas],
        )
    }
    rows: list[tuple[str, str, int, int, int]] = []
    for number, shares in zip(numbers, splits, strict=True):
        for numerator, denominator in shares:
            index = len(rows)
            subject = f"meetings|{tag}|{label}|{index}"
            rows.append((subject, _name(index), number, numerator, denominator))
    users = {
        row["subject"]: row["id"]
        for row in await conn.fetch(
            """
            INSERT INTO users (subject, display_name, full_name)
            SELECT s, split_part(n, ' ', 2), n FROM unnest($1::text[], $2::text[]) AS t(s, n)
            RETURNING id, subject
            """,
            [row[0] for row in rows],
            [row[1] for row in rows],
        )
    }
    await conn.execute(
        """
        INSERT INTO ownerships (premise_id, building_id, user_id, share_numerator,
                                share_denominator)
        SELECT p, $1, u, n, d FROM unnest($2::bigint[], $3::bigint[], $4::int[], $5::int[])
            AS t(p, u, n, d)
        """,
        building,
        [premise_of[str(row[2])] for row in rows],
        [users[row[0]] for row in rows],
        [row[3] for row in rows],
        [row[4] for row in rows],
    )
    return Building(
        pk=building,
        total_centi=total,
        owners=[
            Owner(users[s], s, name, areas[number - 1], Fraction(num, den))
            for s, name, number, num, den in rows
        ],
    )


async def _load(url: str, args: argparse.Namespace, rng: random.Random) -> Scene:
    tag = uuid.uuid4().hex[:8]
    sole = round(args.premises / 3)  # a third of the premises have one owner
    counts = _owners_per_premise(rng, args.premises, args.owners, sole)
    splits = [((1, 1),) if n == 1 else rng.choice(SPLITS[n]) for n in counts]
    areas = [rng.randint(MIN_AREA_CENTI, MAX_AREA_CENTI) for _ in range(args.premises)]
    areas[0] = MIN_AREA_CENTI  # 33.33 m² and 120.00 m² are both there
    areas[-1] = MAX_AREA_CENTI
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            organisation = await conn.fetchval(
                "INSERT INTO management_organisations (name, inn) VALUES ($1, $2) RETURNING id",
                f"УК «Собрание» {tag}",
                uuid.uuid4().hex[:12],
            )
            manager_name = "Управляющая Мария Петровна"
            manager_subject = f"meetings|{tag}|manager"
            manager = await conn.fetchval(
                "INSERT INTO users (subject, display_name, full_name) VALUES ($1, 'Мария', $2)"
                " RETURNING id",
                manager_subject,
                manager_name,
            )
            await conn.execute(
                "INSERT INTO staff_memberships (organisation_id, user_id, role)"
                " VALUES ($1, $2, 'MANAGER')",
                organisation,
                manager,
            )
            big = await _building(
                conn, organisation=organisation, tag=tag, label="1", areas=areas, splits=splits
            )
            counting = await _building(
                conn,
                organisation=organisation,
                tag=tag,
                label="2",
                areas=[5000] * COUNTING_PREMISES,
                splits=[((1, 1),)] * COUNTING_PREMISES,
            )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return Scene(tag, manager_subject, manager_name, big, counting)


def _decisions(rng: random.Random, owners: Sequence[Owner]) -> dict[int, list[str]]:
    """Each owner's decision on every question, by the owner's user id."""
    chosen: dict[int, list[str]] = {}
    for owner in owners:
        marks = []
        for votes_for, against in LEANINGS:
            draw = rng.random()
            marks.append(
                "FOR"
                if draw < votes_for
                else "AGAINST"
                if draw < votes_for + against
                else "ABSTAIN"
            )
        chosen[owner.pk] = marks
    return chosen


@dataclass(frozen=True)
class Expected:
    """The meeting's outcome, computed here from the areas, shares and decisions."""

    turnout: Fraction
    totals: list[dict[str, Fraction]]
    adopted: list[bool]


def _expected(building: Building, decisions: dict[int, list[str]]) -> Expected:
    turnout = Fraction(0)
    totals: list[dict[str, Fraction]] = [
        {"FOR": Fraction(0), "AGAINST": Fraction(0), "ABSTAIN": Fraction(0)} for _ in AGENDA
    ]
    for owner in building.owners:
        weight = building.weight(owner)
        turnout += weight
        for question, mark in enumerate(decisions[owner.pk]):
            totals[question][mark] += weight
    quorum = turnout > Fraction(1, 2)
    adopted = []
    for rule, votes in zip(THRESHOLDS, totals, strict=True):
        if rule == "MAJORITY_OF_VOTES_CAST":
            passed = votes["FOR"] > turnout / 2
        elif rule == "TWO_THIRDS_OF_ALL":
            passed = votes["FOR"] >= Fraction(2, 3)
        else:
            assert rule == "MORE_THAN_HALF_OF_ALL"
            passed = votes["FOR"] > Fraction(1, 2)
        adopted.append(quorum and passed)
    return Expected(turnout, totals, adopted)


# ------------------------------------------------------------- raw HTTP, client side


@dataclass
class Sent:
    """Requests sent once each, in order of their index."""

    latencies_ms: list[float]
    """Per request; NaN where it failed."""
    failed: int
    failures: list[str]
    started: float
    """``time.monotonic()`` of the first send and of the last answer (comparable across
    processes on Linux)."""
    finished: float
    client_cpu_seconds: float

    @property
    def seconds(self) -> float:
        return self.finished - self.started

    @property
    def ok(self) -> list[float]:
        return sorted(ms for ms in self.latencies_ms if not math.isnan(ms))


Encoded = tuple[bytes, tuple[bytes, ...]]


def encode_post(port: int, token: str, body: bytes, expect: tuple[bytes, ...]) -> Encoded:
    head = (
        f"POST /graphql HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n"
        "Content-Type: application/json\r\nAccept: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode("latin-1")
    return head + body, expect


def encode_get(port: int, token: str, path: str, expect: bytes) -> Encoded:
    head = (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nAuthorization: Bearer {token}\r\n\r\n"
    ).encode("latin-1")
    return head, (expect,)


def _graphql(query: str, variables: dict[str, Any]) -> bytes:
    return json.dumps({"query": query, "variables": variables}).encode()


async def send_all(port: int, requests: Sequence[Encoded], concurrency: int) -> Sent:
    """Send every request once over ``concurrency`` keep-alive connections; a request is
    ok when it answers HTTP 200 with no ``errors`` and every expected byte string."""
    latencies = [math.nan] * len(requests)
    failures: list[str] = []
    indexes = iter(range(len(requests)))
    cpu = time.process_time()

    async def worker() -> None:
        reader: asyncio.StreamReader | None = None
        writer: asyncio.StreamWriter | None = None
        for index in indexes:
            data, expect = requests[index]
            try:
                if writer is None or reader is None:
                    reader, writer = await asyncio.open_connection(HOST, port)
                sent = time.monotonic()
                writer.write(data)
                status, body, keep_alive = await _read_response(reader)
                received = time.monotonic()
            except (OSError, asyncio.IncompleteReadError, ValueError) as error:
                failures.append(f"#{index}: {type(error).__name__}: {error}")
                if writer is not None:
                    writer.close()
                reader = writer = None
                continue
            if status == 200 and NO_ERRORS not in body and all(e in body for e in expect):
                latencies[index] = (received - sent) * 1000
            else:
                failures.append(f"#{index}: HTTP {status}: {body[:300].decode(errors='replace')}")
            if not keep_alive:
                writer.close()
                reader = writer = None
        if writer is not None:
            writer.close()

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(min(concurrency, len(requests)))))
    return Sent(
        latencies_ms=latencies,
        failed=len(failures),
        failures=failures[:5],
        started=started,
        finished=time.monotonic(),
        client_cpu_seconds=time.process_time() - cpu,
    )


def _child(port: int, requests: list[Encoded], concurrency: int, results: Any) -> None:
    try:
        import uvloop

        loop_factory: Any = uvloop.new_event_loop
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        loop_factory = None
    try:
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            results.put(("started", None))
            results.put(("ok", runner.run(send_all(port, requests, concurrency))))
    except BaseException as error:
        results.put(("error", f"{type(error).__name__}: {error}"))
        raise


def send_elsewhere(
    port: int,
    requests: list[Encoded],
    concurrency: int,
    on_event: Callable[[str], None] = lambda event: None,
) -> Sent:
    """:func:`send_all` in a separate process, so the load generator's CPU is not this
    process's (where the tally is read meanwhile); ``on_event`` hears "started" when it
    is about to send and "finished" as soon as its results are in."""
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    process = context.Process(
        target=_child, args=(port, requests, concurrency, results), name="bench-ballots"
    )
    process.start()
    try:
        status, payload = results.get(timeout=CHILD_TIMEOUT)
        if status == "started":
            on_event("started")
            status, payload = results.get(timeout=CHILD_TIMEOUT)
        on_event("finished")
    except queue.Empty:
        raise RuntimeError("the ballot client did not finish in time") from None
    finally:
        process.join(timeout=10)
        if process.is_alive():
            process.terminate()
            process.join(timeout=5)
        results.close()
    if status != "ok":
        raise RuntimeError(f"the ballot client failed: {payload}")
    sent: Sent = payload
    return sent


# ------------------------------------------------------------------- measurements


def percentile(ordered: Sequence[float], fraction: float) -> float:
    if not ordered:
        return math.nan
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


@dataclass
class Row:
    """One line of the table."""

    name: str
    count: int
    seconds: float
    latencies_ms: list[float]
    errors: int
    server_cpu_seconds: float | None = None
    pg_cpu_seconds: float | None = None
    sql: float | None = None
    note: str = ""

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else math.nan

    def p(self, fraction: float) -> float:
        return percentile(sorted(self.latencies_ms), fraction)

    def cpu_ms(self, seconds: float | None) -> str:
        if seconds is None or not self.count:
            return "–"
        return f"{seconds * 1000 / self.count:.1f}"

    def line(self) -> str:
        sql = "–" if self.sql is None else f"{self.sql:.1f}"
        return (
            f"{self.name:<34} {self.count:>6,} {self.per_second:>8.1f} {self.p(0.5):>8.1f} "
            f"{self.p(0.99):>8.1f} {max(self.latencies_ms, default=math.nan):>8.1f} "
            f"{self.cpu_ms(self.server_cpu_seconds):>8} {self.cpu_ms(self.pg_cpu_seconds):>8} "
            f"{sql:>6} {self.errors:>6}  {self.note}"
        ).rstrip()

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "count": self.count,
            "seconds": self.seconds,
            "per_second": self.per_second,
            "p50_ms": self.p(0.5),
            "p99_ms": self.p(0.99),
            "max_ms": max(self.latencies_ms, default=math.nan),
            "errors": self.errors,
            "server_cpu_ms_per_request": (
                None
                if self.server_cpu_seconds is None
                else self.server_cpu_seconds * 1000 / max(1, self.count)
            ),
            "pg_cpu_ms_per_request": (
                None
                if self.pg_cpu_seconds is None
                else self.pg_cpu_seconds * 1000 / max(1, self.count)
            ),
            "sql_per_request": self.sql,
        }


HEADER = (
    f"{'':<34} {'n':>6} {'per s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} "
    f"{'srv CPU':>8} {'pg CPU':>8} {'SQL':>6} {'errors':>6}"
)


class Machine:
    """CPU seconds of the server process and of the bench database's PostgreSQL
    backends."""

    def __init__(self, server: Server) -> None:
        self.server = psutil.Process(server.pid)
        self.postgres = _Sampler(None, server.database_name)

    def now(self) -> tuple[float, dict[int, float]]:
        times = self.server.cpu_times()
        return times.user + times.system, self.postgres.postgres_cpu()

    @staticmethod
    def spent(
        before: tuple[float, dict[int, float]], after: tuple[float, dict[int, float]]
    ) -> tuple[float, float | None]:
        pg = sum(cpu - before[1].get(pid, 0.0) for pid, cpu in after[1].items())
        return after[0] - before[0], (pg if after[1] else None)


@dataclass
class Poll:
    at: float
    ms: float
    ballots: int | None


async def poll_tally(
    port: int, request: Encoded, stop: asyncio.Event, interval: float
) -> list[Poll]:
    """Read the tally on one connection until ``stop``, each read ``interval`` seconds
    after the previous answer (0: at once)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    polls: list[Poll] = []
    try:
        while not stop.is_set():
            data, expect = request
            sent = time.monotonic()
            writer.write(data)
            status, body, _ = await _read_response(reader)
            ms = (time.monotonic() - sent) * 1000
            ballots = None
            if status == 200 and NO_ERRORS not in body and all(e in body for e in expect):
                ballots = json.loads(body)["data"]["node"]["tally"]["ballots"]
            polls.append(Poll(sent, ms, ballots))
            if interval > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=interval)
    finally:
        writer.close()
    return polls


@dataclass
class Phase:
    concurrency: int
    ballots: Row
    tally: Row
    seen: list[int | None] = field(default_factory=list)
    """The tally's ballots, read by read."""
    answered: list[bool] = field(default_factory=list)
    """Whether each ballot sent was accepted, in order."""
    accepted: list[int] = field(default_factory=list)
    """Owners (user ids) whose ballot was accepted."""


async def voting_phase(
    server: Server,
    machine: Machine,
    ballots: list[Encoded],
    tally: Encoded,
    concurrency: int,
    interval: float,
    sql: dict[str, float | None],
) -> Phase:
    """Cast ``ballots`` over ``concurrency`` connections while the tally is read on one
    more; the tally reads start, and the server's CPU is counted, once the ballot client
    is about to send."""
    loop = asyncio.get_running_loop()
    events = {"started": asyncio.Event(), "finished": asyncio.Event()}
    stop = asyncio.Event()

    def on_event(name: str) -> None:
        loop.call_soon_threadsafe(events[name].set)

    async def until(name: str) -> None:
        waiting = asyncio.ensure_future(events[name].wait())
        await asyncio.wait([casting, waiting], return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()

    casting = asyncio.ensure_future(
        asyncio.to_thread(send_elsewhere, server.port, ballots, concurrency, on_event)
    )
    await until("started")
    before = machine.now()
    poller = asyncio.create_task(poll_tally(server.port, tally, stop, interval))
    try:
        await until("finished")
    finally:
        stop.set()
        polls = await poller
    server_cpu, pg_cpu = machine.spent(before, machine.now())
    sent = await casting
    during = [p for p in polls if sent.started <= p.at <= sent.finished]
    tally_errors = sum(1 for p in during if p.ballots is None)
    for failure in sent.failures:
        _log(f"  refused: {failure}")
    return Phase(
        concurrency=concurrency,
        ballots=Row(
            f"meetingVoteCast, c={concurrency}",
            len(ballots),
            sent.seconds,
            sent.ok,
            sent.failed,
            server_cpu,
            pg_cpu,
            sql.get("ballot"),
            note=f"client CPU {sent.client_cpu_seconds * 1000 / len(ballots):.1f} ms/ballot",
        ),
        tally=Row(
            "  tally read meanwhile (c=1)",
            len(during),
            sent.seconds,
            [p.ms for p in during if p.ballots is not None],
            tally_errors,
            sql=sql.get("tally"),
            note="back to back" if interval <= 0 else f"{interval:g} s after each answer",
        ),
        seen=[p.ballots for p in polls],
        answered=[not math.isnan(ms) for ms in sent.latencies_ms],
    )


class Stopwatch:
    """Time spent in named functions of the closing step while it runs once, by wrapping
    them in their modules for the duration of a ``with`` block."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def add(self, label: str, since: float) -> None:
        """Count a call of ``label`` that began at ``since`` (``perf_counter``)."""
        self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - since
        self.calls[label] = self.calls.get(label, 0) + 1

    def wrap(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def timed_async(*args: Any, **kwargs: Any) -> Any:
                since = time.perf_counter()
                try:
                    return await function(*args, **kwargs)
                finally:
                    self.add(label, since)

            return timed_async

        @functools.wraps(function)
        def timed(*args: Any, **kwargs: Any) -> Any:
            since = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.add(label, since)

        return timed

    @contextlib.contextmanager
    def patched(self, targets: Sequence[tuple[Any, str, str]]) -> Iterator[None]:
        originals = [(module, name, getattr(module, name)) for module, name, _ in targets]
        try:
            for (module, name, label), (_, _, original) in zip(targets, originals, strict=True):
                setattr(module, name, self.wrap(label, original))
            yield
        finally:
            for module, name, original in originals:
                setattr(module, name, original)


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-z])", pdf))


class TimedStorage:
    """A storage that times its writes."""

    def __init__(self, inner: Storage, watch: Stopwatch) -> None:
        self.inner = inner
        self.watch = watch
        self.pdfs: list[tuple[int, int]] = []
        """Bytes and pages of each file saved."""

    async def save(self, data: bytes, content_type: str) -> str:
        since = time.perf_counter()
        try:
            return await self.inner.save(data, content_type)
        finally:
            self.pdfs.append((len(data), _pages(data)))
            self.watch.add("storage", since)

    async def read(self, key: str) -> bytes | None:
        return await self.inner.read(key)

    async def delete(self, key: str) -> None:
        await self.inner.delete(key)

    async def saved_before(self, moment: datetime) -> list[str]:
        return await self.inner.saved_before(moment)


@contextlib.contextmanager
def counting_statements(db: Database) -> Iterator[list[str]]:
    """The statements ``db`` sends in the block, through SQLAlchemy or its read pool."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    engine = db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    db.statement_listeners.append(statements.append)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)
        db.statement_listeners.remove(statements.append)


@dataclass
class Step:
    """A time-driven step run in-process."""

    seconds: float
    statements: int
    parts: dict[str, float] = field(default_factory=dict)
    """Seconds spent in each part."""
    calls: dict[str, int] = field(default_factory=dict)
    """Calls of the functions timed for each part."""
    pdfs: list[tuple[int, int]] = field(default_factory=list)
    """Bytes and pages of the protocol's PDF and of the register annex."""


async def open_meetings(url: str, meeting_pks: Sequence[int]) -> dict[int, Step]:
    """Open voting of the meetings (due now), one step each, as the sweep would."""
    db = Database(url)
    opened: dict[int, Step] = {}
    try:
        conn = await asyncpg.connect(url)
        try:
            for meeting_pk in sorted(meeting_pks):
                with counting_statements(db) as statements:
                    since = time.perf_counter()
                    if not await closing.open_voting(db, datetime.now(UTC)):
                        raise RuntimeError("no meeting was due to open")
                    seconds = time.perf_counter() - since
                state = await conn.fetchval("SELECT state FROM meetings WHERE id = $1", meeting_pk)
                if state != "VOTING":
                    raise RuntimeError(f"meeting {meeting_pk} is {state}, not VOTING")
                opened[meeting_pk] = Step(seconds, len(statements))
        finally:
            await conn.close()
    finally:
        await db.dispose()
    return opened


async def close_meeting(url: str, uploads: Path, meeting_pk: int, now: datetime) -> Step:
    """Count the meeting and form its protocol (``close_voting`` at ``now``), timed part by
    part. Its outbox goes nowhere (no broker in this process; nothing subscribes here)."""
    db = Database(url)
    watch = Stopwatch()
    storage = TimedStorage(LocalStorage(uploads), watch)
    targets = [
        (closing, "tally_in", "tally (data)"),
        (protocol, "register_lines", "register lines (data)"),
        (protocol, "render_protocol", "protocol PDF"),
        (protocol, "render_register", "register annex PDF"),
        (protocol, "documents", "documents"),
        (closing, "owners_of", "notifications"),
        (closing, "tell", "notifications"),
    ]
    try:
        with watch.patched(targets), counting_statements(db) as statements:
            since = time.perf_counter()
            if not await closing.close_voting(db, storage, now):
                raise RuntimeError("the meeting was not due to close")
            seconds = time.perf_counter() - since
    finally:
        await db.dispose()
    conn = await asyncpg.connect(url)
    try:
        key = await conn.fetchval("SELECT protocol_key FROM meetings WHERE id = $1", meeting_pk)
    finally:
        await conn.close()
    if key is None:
        raise RuntimeError(f"meeting {meeting_pk} has no protocol after closing")
    parts = dict(watch.seconds)
    documents = parts.pop("documents", 0.0)
    rendered = parts.get("protocol PDF", 0.0) + parts.get("register annex PDF", 0.0)
    parts["protocol data (meeting, questions)"] = (
        documents - rendered - parts.get("register lines (data)", 0.0)
    )
    parts["the rest (locks, updates, commit)"] = seconds - sum(parts.values())
    return Step(seconds, len(statements), parts, dict(watch.calls), storage.pdfs)


# ------------------------------------------------------------------- the scenario


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


def _meeting_input(building: Building, starts: datetime, days: int) -> dict[str, Any]:
    return {
        "buildingId": building.id,
        "title": "Годовое общее собрание собственников помещений",
        "votingStartsAt": starts.isoformat(),
        "votingEndsAt": (starts + timedelta(days=days)).isoformat(),
        "decisionsPlace": "Офис управляющей организации, ул. Собраний, 1",
        "onBehalfOfOrganisation": True,
        "agenda": AGENDA,
    }


@dataclass
class Ready:
    big_id: str
    big_pk: int
    counting_pk: int
    voting_ends_at: datetime
    schedule_ms: float
    opened: dict[int, Step]
    entries: dict[int, int]
    """Register entry of each owner (user id → entry id), both meetings."""


async def prepare(server: Server, scene: Scene, manager: str, url: str) -> Ready:
    """Draft and schedule both meetings as the manager, let their notice pass, open
    voting."""
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=15)
    async with httpx.AsyncClient(base_url=server.base_url, timeout=120) as http:
        ids = []
        for building, days in ((scene.big, 7), (scene.counting, 10)):
            created = await _post(
                http, CREATE, {"input": _meeting_input(building, starts, days)}, manager
            )
            ids.append(created["meetingCreate"]["meeting"]["id"])
        since = time.perf_counter()
        await _post(http, SCHEDULE, {"input": {"meetingId": ids[0]}}, manager)
        schedule_ms = (time.perf_counter() - since) * 1000
        await _post(http, SCHEDULE, {"input": {"meetingId": ids[1]}}, manager)
    conn = await asyncpg.connect(url)
    try:
        pks = [
            await conn.fetchval(
                "SELECT id FROM meetings WHERE building_id = $1 AND state = 'SCHEDULED'",
                building.pk,
            )
            for building in (scene.big, scene.counting)
        ]
        # The 15 days until voting starts have passed: every date of the meeting moves
        # back by the same span, to one minute before now.
        await conn.execute(
            """
            WITH s AS (
                SELECT id, voting_starts_at - (now() - interval '1 minute') AS d
                FROM meetings WHERE id = ANY($1::bigint[]))
            UPDATE meetings m
            SET created_at = m.created_at - s.d, scheduled_at = m.scheduled_at - s.d,
                voting_starts_at = m.voting_starts_at - s.d,
                voting_ends_at = m.voting_ends_at - s.d
            FROM s WHERE m.id = s.id
            """,
            pks,
        )
        opened = await open_meetings(url, pks)
        ends_at = await conn.fetchval("SELECT voting_ends_at FROM meetings WHERE id = $1", pks[0])
        entries = {
            row["owner_id"]: row["id"]
            for row in await conn.fetch(
                "SELECT id, owner_id FROM meeting_register_entries WHERE meeting_id = ANY($1)",
                pks,
            )
        }
    finally:
        await conn.close()
    return Ready(ids[0], pks[0], pks[1], ends_at, schedule_ms, opened, entries)


def _ballot_body(entry: int, marks: Sequence[str]) -> bytes:
    decisions = [{"number": n, "decision": mark} for n, mark in enumerate(marks, start=1)]
    variables = {
        "input": {"entryId": encode_id("MeetingRegisterEntry", entry), "decisions": decisions}
    }
    return _graphql(VOTE, variables)


BALLOT_OK = (b'"userErrors":[]', b'"channel":"ONLINE"')
TALLY_OK = (b'"tally":{', b'"questions":[')


async def vote(
    server: Server,
    args: argparse.Namespace,
    tokens: dict[str, str],
    manager: str,
    scene: Scene,
    prepared: Ready,
    decisions: dict[int, list[str]],
    sql: dict[str, float | None],
    rng: random.Random,
) -> tuple[list[Phase], list[int], Row]:
    """Prime every token, then the ballots in phases (one per concurrency level) while the
    administrator reads the tally; the tally's ballots after each phase; the tally read
    on an idle server once everyone has voted."""
    port = server.port
    machine = Machine(server)
    everyone = [tokens[o.subject] for o in scene.big.owners + scene.counting.owners]
    primed = await send_all(
        port,
        [encode_post(port, t, PRIME.encode(), (b'"viewer":{',)) for t in [*everyone, manager]],
        16,
    )
    if primed.failed:
        raise RuntimeError(f"priming failed: {primed.failures}")
    tally = encode_post(port, manager, _graphql(TALLY, {"id": prepared.big_id}), TALLY_OK)
    order = list(scene.big.owners)
    rng.shuffle(order)
    levels = args.concurrency
    phases: list[Phase] = []
    after: list[int] = []
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        for index, concurrency in enumerate(levels):
            part = order[
                index * len(order) // len(levels) : (index + 1) * len(order) // len(levels)
            ]
            requests = [
                encode_post(
                    port,
                    tokens[owner.subject],
                    _ballot_body(prepared.entries[owner.pk], decisions[owner.pk]),
                    BALLOT_OK,
                )
                for owner in part
            ]
            _log(f"casting {len(requests):,} ballots at concurrency {concurrency}")
            phase = await voting_phase(
                server, machine, requests, tally, concurrency, args.tally_interval, sql
            )
            phase.accepted = [o.pk for o, ok in zip(part, phase.answered, strict=True) if ok]
            phases.append(phase)
            read = await _post(http, TALLY, {"id": prepared.big_id}, manager)
            after.append(read["node"]["tally"]["ballots"])
            _log(
                f"  {phase.ballots.per_second:.0f} ballots/s, p99 {phase.ballots.p(0.99):.0f} ms;"
                f" tally p99 {phase.tally.p(0.99):.0f} ms over {phase.tally.count} reads;"
                f" the tally counts {after[-1]:,}"
            )
    before = machine.now()
    idle = await send_all(port, [tally] * args.idle_tally_reads, 1)
    server_cpu, pg_cpu = machine.spent(before, machine.now())
    quiet = Row(
        f"tally read, all {len(order):,} voted, c=1",
        args.idle_tally_reads,
        idle.seconds,
        idle.ok,
        idle.failed,
        server_cpu,
        pg_cpu,
        sql.get("tally"),
        note="idle server, as the administrator",
    )
    return phases, after, quiet


def _fraction(share: dict[str, Any]) -> Fraction:
    return Fraction(int(share["numerator"]), int(share["denominator"]))


def _percent(value: Fraction) -> str:
    hundredths = math.floor(value * 10_000 + Fraction(1, 2))
    return f"{hundredths // 100}.{hundredths % 100:02d}"


@dataclass
class Checks:
    lines: list[tuple[str, bool]] = field(default_factory=list)

    def add(self, what: str, passed: bool) -> None:
        self.lines.append((what, passed))

    @property
    def passed(self) -> bool:
        return all(passed for _, passed in self.lines)


async def after_voting(
    server: Server,
    args: argparse.Namespace,
    tokens: dict[str, str],
    scene: Scene,
    prepared: Ready,
    decisions: dict[int, list[str]],
    accepted: set[int],
    expected: Expected,
    checks: Checks,
) -> tuple[list[Row], dict[str, Any]]:
    """Check the outcome against the data, then read the protocol as owners."""
    reader = tokens[scene.big.owners[0].subject]
    async with httpx.AsyncClient(base_url=server.base_url, timeout=60) as http:
        node = (await _post(http, PROTOCOL, {"id": prepared.big_id}, reader))["node"]
    result = node["protocol"]
    checks.add(f"the meeting is {node['state']} (expected COMPLETED)", node["state"] == "COMPLETED")
    total = len(scene.big.owners)
    checks.add(
        f"the final tally counts {node['tally']['ballots']:,} ballots (expected {total:,})",
        node["tally"]["ballots"] == total,
    )
    turnout = _fraction(result["turnout"])
    checks.add(
        f"turnout {result['turnout']['percentOfAll']} % = {turnout} exactly as computed here",
        turnout == expected.turnout and result["turnout"]["percentOfAll"] == _percent(turnout),
    )
    for question, threshold, wanted, adopted in zip(
        result["questions"], THRESHOLDS, expected.totals, expected.adopted, strict=True
    ):
        same = all(
            _fraction(question[key]) == wanted[mark]
            and question[key]["percentOfAll"] == _percent(wanted[mark])
            for key, mark in (("votesFor", "FOR"), ("against", "AGAINST"), ("abstain", "ABSTAIN"))
        )
        checks.add(
            f"question {question['number']} ({question['threshold']}): FOR "
            f"{question['votesFor']['percentOfAll']} %, AGAINST "
            f"{question['against']['percentOfAll']} %, ABSTAIN "
            f"{question['abstain']['percentOfAll']} %, "
            f"{'adopted' if question['adopted'] else 'not adopted'} — exactly as computed here",
            same and question["threshold"] == threshold and question["adopted"] is adopted,
        )
    conn = await asyncpg.connect(server.database_url)
    try:
        ballots = await conn.fetch(
            """
            SELECT e.owner_id, b.channel::text AS channel
            FROM meeting_ballots b JOIN meeting_register_entries e ON e.id = b.entry_id
            WHERE b.meeting_id = $1
            """,
            prepared.big_pk,
        )
        stored = await conn.fetch(
            """
            SELECT e.owner_id, q.position, d.decision::text AS decision
            FROM meeting_decisions d
            JOIN meeting_register_entries e ON e.id = d.entry_id
            JOIN meeting_questions q ON q.id = d.question_id
            WHERE d.meeting_id = $1
            """,
            prepared.big_pk,
        )
    finally:
        await conn.close()
    voters = [row["owner_id"] for row in ballots]
    lost = accepted - set(voters)
    unasked = set(voters) - accepted
    checks.add(
        f"{len(voters):,} ballots stored, {len(set(voters)):,} owners, all online; of the "
        f"{len(accepted):,} accepted none lost ({len(lost)}), none stored twice, no refused "
        f"one stored ({len(unasked)})",
        len(voters) == len(set(voters)) == len(accepted)
        and not lost
        and not unasked
        and all(row["channel"] == "ONLINE" for row in ballots),
    )
    sent = {
        (owner, n): mark
        for owner, marks in decisions.items()
        if owner in accepted
        for n, mark in enumerate(marks, 1)
    }
    got = {(row["owner_id"], row["position"]): row["decision"] for row in stored}
    checks.add(
        f"{len(stored):,} decisions stored, each the one sent (expected {len(sent):,})",
        len(stored) == len(sent) and got == sent,
    )

    port = server.port
    machine = Machine(server)
    readers = [tokens[o.subject] for o in scene.big.owners]
    rows: list[Row] = []
    body = _graphql(PROTOCOL, {"id": prepared.big_id})
    reads = [
        encode_post(port, readers[i % len(readers)], body, (b'"protocol":{"number"',))
        for i in range(args.protocol_reads)
    ]
    before = machine.now()
    sent_reads = await send_all(port, reads, 4)
    server_cpu, pg_cpu = machine.spent(before, machine.now())
    rows.append(
        Row(
            "Meeting.protocol read, c=4",
            len(reads),
            sent_reads.seconds,
            sent_reads.ok,
            sent_reads.failed,
            server_cpu,
            pg_cpu,
            note="as owners",
        )
    )
    files = {
        "protocol PDF download, c=1": result["document"]["url"],
        "register annex PDF download, c=1": node["register"]["annex"]["url"],
    }
    for name, path in files.items():
        gets = [encode_get(port, readers[i], path, b"%PDF-") for i in range(args.downloads)]
        before = machine.now()
        fetched = await send_all(port, gets, 1)
        server_cpu, pg_cpu = machine.spent(before, machine.now())
        rows.append(
            Row(name, len(gets), fetched.seconds, fetched.ok, fetched.failed, server_cpu, pg_cpu)
        )
    return rows, result


async def _headroom(url: str) -> tuple[int, int]:
    """PostgreSQL's ``max_connections`` and the connections open now (all databases)."""
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT current_setting('max_connections')::int AS most,"
            " (SELECT count(*) FROM pg_stat_activity) AS open"
        )
        return int(row["most"]), int(row["open"])
    finally:
        await conn.close()


SERVER_CONNECTIONS = 40
"""The server's two pools at their default sizes (SQLAlchemy 10 + 10 overflow, reads 20)."""


def _levels(text: str) -> list[int]:
    levels = [int(part) for part in text.split(",") if part.strip()]
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("give positive numbers, e.g. 16,64")
    return levels


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.meetings",
        description="An owners' meeting of a 500-premise building: 1,500 owners vote at "
        "once; ballots/s, the tally while voting, the protocol of 1,500 register entries.",
    )
    parser.add_argument("--premises", type=int, default=PREMISES)
    parser.add_argument(
        "--owners", type=int, default=OWNERS, help="ownership records, one owner each"
    )
    parser.add_argument(
        "--concurrency",
        type=_levels,
        default=[16, 64],
        help="connections of each ballot phase; the owners are split evenly (default 16,64)",
    )
    parser.add_argument(
        "--tally-interval",
        type=float,
        default=0.0,
        help="seconds from an answer to the administrator's next tally read (default 0: "
        "back to back)",
    )
    parser.add_argument(
        "--idle-tally-reads", type=int, default=100, help="after voting (default 100)"
    )
    parser.add_argument("--protocol-reads", type=int, default=300)
    parser.add_argument("--downloads", type=int, default=20, help="of each PDF")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--database-url", help="use this (existing) database")
    parser.add_argument("--check", action="store_true", help="exit 1 on a failed check or budget")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--show-statements",
        action="store_true",
        help="print the SQL statements of one ballot, tally read and protocol read",
    )
    args = parser.parse_args(argv)
    if not args.premises <= args.owners <= max(SPLITS) * args.premises:
        parser.error("--owners must lie between --premises and 7 × --premises")
    return args


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    rng = random.Random(args.seed)
    db = open_database(args.database_url)
    work = Path(tempfile.mkdtemp(prefix="edom-meetings-"))
    os.environ["EDOM_MEETING_SWEEP_INTERVAL_SECONDS"] = "0"
    try:
        migrate(db.url)
        most, open_now = asyncio.run(_headroom(db.url))
        if most - open_now < SERVER_CONNECTIONS + 5:
            _log(
                f"warning: PostgreSQL has {open_now} of {most} connections open; the server "
                f"may need {SERVER_CONNECTIONS}: a refused connection fails a ballot"
            )
        scene = asyncio.run(_load(db.url, args, rng))
        records = len(scene.big.owners)
        _log(
            f"database {db.name}: {args.premises} premises, {records:,} owners "
            f"({sum(1 for o in scene.big.owners if o.share == 1)} sole owners)"
        )
        decisions = _decisions(rng, scene.big.owners + scene.counting.owners)
        expected = _expected(scene.big, decisions)
        settings = Settings(
            environment="development",
            database_url=db.url,
            data_dir=work,
            log_level="WARNING",
            meeting_sweep_interval_seconds=0,
            media_sweep_interval_seconds=0,
            repair_auto_close_interval_seconds=0,
        )
        tokens = {
            o.subject: issue_dev_token(settings, subject=o.subject, name=o.name)
            for o in scene.big.owners + scene.counting.owners
        }
        manager = issue_dev_token(settings, subject=scene.manager_subject, name=scene.manager_name)
        checks = Checks()
        with Server(database_url=db.url, data_dir=work, log_path=work / "server.log") as server:
            _log(f"server pid {server.pid} on {server.base_url}")
            prepared = asyncio.run(prepare(server, scene, manager, db.url))
            _log(
                f"meeting scheduled in {prepared.schedule_ms:.0f} ms; voting opened in "
                f"{prepared.opened[prepared.big_pk].seconds * 1000:.0f} ms"
            )
            _log("counting SQL statements in-process")
            counted = count_statements(
                settings,
                db.url,
                {
                    "ballot": [
                        Request(
                            tokens[o.subject],
                            _ballot_body(prepared.entries[o.pk], decisions[o.pk]),
                            BALLOT_OK,
                        )
                        for o in scene.counting.owners
                    ],
                    "tally": [Request(manager, _graphql(TALLY, {"id": prepared.big_id}), TALLY_OK)],
                },
                repetitions=len(scene.counting.owners),
            )
            sql = {name: count.per_request for name, count in counted.items()}
            samples = {name: count.sample for name, count in counted.items()}
            for name, count in counted.items():
                checks.add(
                    f"in-process {name} requests answered ({count.errors} errors)",
                    count.errors == 0,
                )
            phases, after, quiet = asyncio.run(
                vote(server, args, tokens, manager, scene, prepared, decisions, sql, rng)
            )
            total = 0
            for phase, counted_after in zip(phases, after, strict=True):
                total += phase.ballots.count
                checks.add(
                    f"c={phase.concurrency}: {phase.ballots.count - phase.ballots.errors:,} of "
                    f"{phase.ballots.count:,} ballots accepted; the tally then counts "
                    f"{counted_after:,} (expected {total:,})",
                    phase.ballots.errors == 0 and counted_after == total,
                )
                seen = [n for n in phase.seen if n is not None]
                checks.add(
                    f"c={phase.concurrency}: the administrator's {len(phase.seen)} tally reads "
                    f"never went back nor past {total:,} ({phase.tally.errors} failed)",
                    phase.tally.errors == 0
                    and seen == sorted(seen)
                    and all(n <= total for n in seen),
                )
            _log("closing the meeting in-process")
            closed = asyncio.run(
                close_meeting(
                    db.url, settings.uploads_path, prepared.big_pk, prepared.voting_ends_at
                )
            )
            _log(f"  closed in {closed.seconds:.2f} s ({closed.statements:,} statements)")
            reads, result = asyncio.run(
                after_voting(
                    server,
                    args,
                    tokens,
                    scene,
                    prepared,
                    decisions,
                    {pk for phase in phases for pk in phase.accepted},
                    expected,
                    checks,
                )
            )
            protocol_sql = count_statements(
                settings,
                db.url,
                {
                    "protocol": [
                        Request(
                            tokens[o.subject],
                            _graphql(PROTOCOL, {"id": prepared.big_id}),
                            (b'"protocol":{"number"',),
                        )
                        for o in scene.big.owners[:20]
                    ]
                },
            )["protocol"]
            reads[0].sql = protocol_sql.per_request
            samples["protocol"] = protocol_sql.sample
            if args.show_statements:
                for name, sample in samples.items():
                    _log(f"statements of one {name} request:")
                    for number, statement in enumerate(sample, 1):
                        _log(f"  {number:>2}. {' '.join(statement.split())[:300]}")
            peak_rss = server.peak_rss_mb()
            if not checks.passed:
                _log("server log (tail):\n" + server.log_tail(200))
        machine_ms = machine_speed_ms()
        return report(
            args,
            scene,
            prepared,
            phases,
            quiet,
            closed,
            reads,
            result,
            checks,
            machine_ms,
            peak_rss,
            (load_before, os.getloadavg()[0]),
            time.perf_counter() - started,
        )
    finally:
        if db.created:
            asyncio.run(db.drop())
        shutil.rmtree(work, ignore_errors=True)


def report(
    args: argparse.Namespace,
    scene: Scene,
    prepared: Ready,
    phases: list[Phase],
    quiet: Row,
    closed: Step,
    reads: list[Row],
    result: dict[str, Any],
    checks: Checks,
    machine_ms: float,
    peak_rss: float | None,
    load: tuple[float, float],
    seconds: float,
) -> int:
    records = len(scene.big.owners)
    opened = prepared.opened[prepared.big_pk]
    print()
    print(
        f"owners' meeting: {args.premises} premises, {records:,} owners = {records:,} register "
        f"entries, {len(AGENDA)} questions; one server process, local PostgreSQL"
    )
    print(HEADER)
    for phase in phases:
        print(phase.ballots.line())
        print(phase.tally.line())
    print(quiet.line())
    for row in reads:
        print(row.line())
    print()
    print(
        "per s: ballots (or reads) ÷ the phase's wall time; srv CPU / pg CPU: ms of the server "
        "process / of PostgreSQL per request (for ballots: the phase's CPU, tally reads "
        "included, ÷ ballots); SQL: statements per request, counted in-process."
    )
    print()
    (protocol_bytes, protocol_pages), (register_bytes, register_pages) = closed.pdfs
    title = f"time-driven steps ({records:,} register entries)"
    print(f"{title:<56} {'ms':>8} {'SQL':>8}")
    steps = [
        (f"meetingSchedule over HTTP ({records:,} notices)", prepared.schedule_ms, None),
        (
            f"voting opens in-process: register, {records:,} notices",
            opened.seconds * 1000,
            opened.statements,
        ),
        (
            "voting ends in-process: count, protocol, notices",
            closed.seconds * 1000,
            closed.statements,
        ),
    ]
    for what, ms, statements in steps:
        print(
            f"  {what:<54} {ms:>8.0f} {'–' if statements is None else format(statements, ','):>8}"
        )
    labels = {
        "tally (data)": "tally (data)",
        "protocol data (meeting, questions)": "protocol data (meeting, questions)",
        "register lines (data)": f"register lines ({records:,} entries, data)",
        "protocol PDF": f"protocol PDF ({protocol_pages} p., {protocol_bytes // 1024} KB)",
        "register annex PDF": (
            f"register annex PDF ({register_pages} p., {register_bytes // 1024} KB)"
        ),
        "storage": "storage (2 files, fsync)",
        "notifications": f"notifications ({records:,} owners)",
        "the rest (locks, updates, commit)": "the rest (locks, updates, commit)",
    }
    for key, label in labels.items():
        print(f"    {label:<52} {closed.parts.get(key, 0.0) * 1000:>8.0f}")
    print()
    if peak_rss is not None:
        print(f"server peak RSS (VmHWM) over the run: {peak_rss:.0f} MB")
    print(
        f"this machine: {os.cpu_count()} cores; a {SPEED_LOOP:,}-step Python loop takes "
        f"{machine_ms:.0f} ms; 1-minute load average {load[0]:.1f} at the start, "
        f"{load[1]:.1f} at the end; the run took {seconds:.0f} s"
    )
    budgets = _budgets(phases, closed, reads)
    print()
    for what, passed in checks.lines + budgets:
        print(f"{'ok  ' if passed else 'FAIL'} {what}")
    passed = checks.passed and all(ok for _, ok in budgets)
    if args.json is not None:
        document = {
            "generated_at": datetime.now(UTC).isoformat(),
            "config": {
                key: (str(value) if isinstance(value, Path) else value)
                for key, value in vars(args).items()
            },
            "cpus": os.cpu_count(),
            "python_loop_ms": machine_ms,
            "load_average_1min": {"start": load[0], "end": load[1]},
            "register_entries": records,
            "phases": [
                {
                    "concurrency": p.concurrency,
                    "ballots": p.ballots.as_json(),
                    "tally": p.tally.as_json(),
                }
                for p in phases
            ],
            "reads": [row.as_json() for row in [quiet, *reads]],
            "schedule_ms": prepared.schedule_ms,
            "open_voting": {"seconds": opened.seconds, "statements": opened.statements},
            "close_voting": {
                "seconds": closed.seconds,
                "statements": closed.statements,
                "parts_seconds": closed.parts,
                "part_calls": closed.calls,
                "pdfs": [{"bytes": b, "pages": n} for b, n in closed.pdfs],
            },
            "protocol": result,
            "checks": [{"what": w, "passed": p} for w, p in checks.lines + budgets],
            "server_peak_rss_mb": peak_rss,
            "seconds": seconds,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    return 0 if passed or not args.check else 1


def _budgets(phases: list[Phase], closed: Step, reads: list[Row]) -> list[tuple[str, bool]]:
    """Each budget of :data:`BUDGETS`: what was measured against it, and whether it holds."""
    b = BUDGETS
    lines: list[tuple[str, bool]] = []

    def at_most(what: str, value: float, limit: float, unit: str) -> None:
        suffix = f" {unit}" if unit else ""
        lines.append((f"budget: {what} {value:,.1f}{suffix} ≤ {limit:,g}{suffix}", value <= limit))

    for phase in phases:
        c = phase.concurrency
        rate = phase.ballots.per_second
        floor = b["ballots_per_second_min"]
        lines.append((f"budget: c={c} ballots/s {rate:,.1f} ≥ {floor:g}", rate >= floor))
        limit = b["ballot_p99_ms_c16"] if c <= 16 else b["ballot_p99_ms_c64"]
        at_most(f"c={c} ballot p99", phase.ballots.p(0.99), limit, "ms")
        at_most(f"c={c} tally p99 while voting", phase.tally.p(0.99), b["tally_p99_ms"], "ms")
    sql = phases[0].ballots.sql if phases else None
    at_most("SQL statements per ballot", math.nan if sql is None else sql, b["sql_per_ballot"], "")
    at_most("closing the meeting", closed.seconds, b["closing_seconds"], "s")
    at_most("protocol read p99", reads[0].p(0.99), b["protocol_read_p99_ms"], "ms")
    return lines


def main(argv: list[str] | None = None) -> int:
    return run(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
