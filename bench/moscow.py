"""The data set at Moscow scale: 34,000 buildings, 4.5M premises, 1.5M users, 1M repair
requests (``python -m bench.moscow``; ``python -m bench --scale moscow`` measures on it).

``dataset.py`` writes every table with one ``INSERT … SELECT`` in one transaction, which
at this size holds locks, WAL and temporary tables for the whole load and says nothing
until it ends. Here rows are made in Python and written with binary ``COPY``
(``copy_records_to_table``), a batch of buildings per transaction (their premises, users,
ownerships and registrations), then the repair requests with their CREATED events in
batches of their own, with a progress line per batch (rows/s and the time left). Ids are
assigned here (after the tables' current maxima) and the sequences moved past them.

The shape is ``dataset.py``'s: premises are apartments (every 25th numbered like ``25А``),
5 % non-residential, 10 % parking places; 1–3 owners per premise with shares summing to 1
in the same mix (1.55 on average). With 1.5M users for 4.5M premises each building has a
pool of users (a fifth of them family members registered at an apartment, the rest
owners), and an owner holds shares in about six premises of the building; a page of 20
premises still has 31 ownerships. Requests are spread over the buildings, one every
5 minutes up to now, in every status and category, filed by an owner of the building and
assigned to the organisation's engineer once accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from bench import dataset
from bench.database import migrate, open_database
from bench.dataset import REPAIR_CATEGORIES, REPAIR_STATUSES, BenchOwner, Dataset, Person
from edom_graphql.buildings.models import PremiseKind
from edom_graphql.buildings.service import premise_sort_key


@dataclass(frozen=True)
class Scale:
    organisations: int
    buildings: int
    premises: int
    users: int
    repair_requests: int
    events: int

    def fraction(self, part: float) -> Scale:
        def cut(value: int) -> int:
            return max(1, round(value * part))

        return replace(
            self,
            organisations=max(10, cut(self.organisations)),
            buildings=cut(self.buildings),
            premises=cut(self.premises),
            users=cut(self.users),
            repair_requests=cut(self.repair_requests),
            events=cut(self.events),
        )


MOSCOW = Scale(
    organisations=340,
    buildings=34_000,
    premises=4_500_000,
    users=1_500_000,
    repair_requests=1_000_000,
    events=100_000,
)
BATCH_BUILDINGS = 500
BATCH_REQUESTS = 50_000
FAMILY_SHARE = 5
"""One user in FAMILY_SHARE of a building's pool is a family member, not an owner."""
SHARE_PATTERNS = (
    ((1, 1),),
    ((1, 2), (1, 2)),
    ((2, 3), (1, 3)),
    ((1, 3), (1, 3), (1, 3)),
    ((1, 2), (1, 4), (1, 4)),
)
PATTERN_MIX = tuple(
    0 if b < 11 else 1 if b < 16 else 2 if b < 18 else 3 if b < 19 else 4 for b in range(20)
)
"""Of 20 premises 11 have one owner, 7 two, 2 three (as in ``dataset.py``)."""
DUE = {
    "LEAK": timedelta(minutes=30),
    "BLOCKAGE": timedelta(hours=2),
    "EMERGENCY_DAMAGE": timedelta(days=3),
}


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Unit:
    kind: str
    number: str
    number_sort: int
    entrance: int | None
    floor: int


_LAYOUTS: dict[int, list[Unit]] = {}


def layout(count: int) -> list[Unit]:
    """The premises of a building of ``count`` premises, as ``dataset.py`` numbers them."""
    units = _LAYOUTS.get(count)
    if units is None:
        parking, non_residential = count // 10, count // 20
        apartments = count - parking - non_residential
        units = []
        for g in range(1, count + 1):
            if g <= apartments:
                kind, number = PremiseKind.APARTMENT, f"{g}{'А' if g % 25 == 0 else ''}"
                entrance: int | None = 1 + (g - 1) // 36
                floor = 1 + ((g - 1) % 36) // 4
            elif g <= apartments + non_residential:
                kind, number = PremiseKind.NON_RESIDENTIAL, f"Н{g - apartments}"
                entrance, floor = None, 1
            else:
                kind, number = PremiseKind.PARKING, f"М{g - apartments - non_residential}"
                entrance, floor = None, -1
            units.append(Unit(kind.value, number, premise_sort_key(kind, number), entrance, floor))
        _LAYOUTS[count] = units
    return units


def street(index: int) -> str:
    return dataset.STREETS[index % len(dataset.STREETS)]


def _spread(total: int, parts: int, index: int) -> int:
    return total // parts + (1 if index < total % parts else 0)


@dataclass
class Ids:
    """The next free id of each table written here."""

    building: int
    premise: int
    user: int
    ownership: int
    registration: int
    request: int
    event: int
    number: int


async def _next_ids(conn: asyncpg.Connection) -> Ids:
    async def after(table: str, column: str = "id") -> int:
        value = await conn.fetchval(f"SELECT coalesce(max({column}), 0) FROM {table}")
        return int(value) + 1

    return Ids(
        building=await after("buildings"),
        premise=await after("premises"),
        user=await after("users"),
        ownership=await after("ownerships"),
        registration=await after("registrations"),
        request=await after("repair_requests"),
        event=await after("repair_request_events"),
        number=await after("repair_requests", "number"),
    )


async def _copy(
    conn: asyncpg.Connection, table: str, columns: Sequence[str], records: Iterable[tuple[Any, ...]]
) -> None:
    await conn.copy_records_to_table(table, records=records, columns=list(columns))


COPIED = (
    "buildings",
    "premises",
    "users",
    "ownerships",
    "registrations",
    "staff_memberships",
    "repair_requests",
    "repair_request_events",
)
CHAT_TRIGGERS = {"building_chat", "premise_management_chat"}
"""The triggers on the tables written here (migration 0006): each building gets its
building chat, each premise its management chat."""


async def _skip_triggers(conn: asyncpg.Connection) -> bool:
    """Turn the session's triggers off (``session_replication_role = replica``) when this
    role may and the only triggers besides foreign-key checks are :data:`CHAT_TRIGGERS`,
    whose rows :func:`_chats` writes instead. The rows written here reference only rows
    written before them, and the per-row checks take about three quarters of the time."""
    if not await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user"):
        return False
    triggers = {
        row["tgname"]
        for row in await conn.fetch(
            """
            SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
            WHERE NOT t.tgisinternal AND c.relname = ANY($1::text[])
            """,
            list(COPIED),
        )
    }
    if triggers != CHAT_TRIGGERS:
        _log(f"  triggers {sorted(triggers)}: foreign keys and triggers stay on (slower)")
        return False
    await conn.execute("SET session_replication_role = replica")
    return True


async def _chats(conn: asyncpg.Connection, first_building: int, last_building: int) -> None:
    """What :data:`CHAT_TRIGGERS` write for the buildings (and their premises) in a range."""
    await conn.execute(
        """
        INSERT INTO chats (kind, building_id)
        SELECT 'BUILDING', id FROM buildings WHERE id BETWEEN $1 AND $2 ORDER BY id
        """,
        first_building,
        last_building,
    )
    await conn.execute(
        """
        INSERT INTO chats (kind, building_id, premise_id)
        SELECT 'MANAGEMENT', building_id, id FROM premises
        WHERE building_id BETWEEN $1 AND $2 ORDER BY id
        """,
        first_building,
        last_building,
    )


@dataclass(frozen=True)
class Author:
    """Who files a building's requests: its first owner, at the first apartment."""

    building: int
    organisation: int
    user: int
    premise: int


class Progress:
    def __init__(self, label: str, total: int) -> None:
        self.label, self.total, self.done = label, total, 0
        self.started = time.perf_counter()

    def step(self, done: int, rows: int) -> None:
        self.done += done
        elapsed = time.perf_counter() - self.started
        left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
        _log(
            f"  {self.label} {self.done:>9,}/{self.total:,}  {rows:>9,} rows  "
            f"{elapsed:7.1f} s  ({rows / max(elapsed, 1e-9):,.0f} rows/s, ~{left:.0f} s left)"
        )


async def _buildings(
    conn: asyncpg.Connection,
    *,
    scale: Scale,
    tag: str,
    ids: Ids,
    organisations: list[int],
    batch_buildings: int,
    now: datetime,
    replica: bool,
) -> tuple[list[Author], int]:
    """Buildings with their premises, users, ownerships and registrations, a batch of
    buildings per transaction; the author of each building's requests and the rows."""
    first_names, surnames = dataset.FIRST_NAMES, dataset.SURNAMES
    authors: list[Author] = []
    progress = Progress("buildings", scale.buildings)
    rows = 0
    for start in range(0, scale.buildings, batch_buildings):
        stop = min(scale.buildings, start + batch_buildings)
        buildings, premises, users, ownerships, registrations = [], [], [], [], []
        for index in range(start, stop):
            building = ids.building
            ids.building += 1
            organisation = organisations[index % len(organisations)]
            units = layout(_spread(scale.premises, scale.buildings, index))
            pool = max(3, _spread(scale.users, scale.buildings, index))
            family = pool // FAMILY_SHARE
            owners = pool - family
            first_user = ids.user
            for n in range(pool):
                user = first_user + n
                role = "owner" if n < owners else "family"
                first = first_names[(user * 7) % len(first_names)]
                last = surnames[(user * 13) % len(surnames)]
                users.append(
                    (
                        user,
                        f"bench|{tag}|{role}|{user}",
                        f"{first} {last[0]}.",
                        f"{last} {first}",
                        f"+7916{user % 10_000_000:07d}",
                        f"{role}{user}.{tag}@example.org",
                    )
                )
            ids.user += pool
            total_area = Decimal(0)
            first_premise = ids.premise
            for g, unit in enumerate(units, 1):
                premise = ids.premise
                ids.premise += 1
                if unit.kind == "APARTMENT":
                    area = Decimal(28 + (building * 31 + g * 17) % 90) + Decimal(g * 7 % 100) / 100
                elif unit.kind == "NON_RESIDENTIAL":
                    area = Decimal(60 + (building + g * 13) % 140)
                else:
                    area = Decimal("13.25")
                total_area += area
                premises.append(
                    (
                        premise,
                        building,
                        unit.kind,
                        unit.number,
                        unit.number_sort,
                        area,
                        unit.entrance,
                        unit.floor,
                        f"{building:06d}{g:04d}",
                    )
                )
                pattern = SHARE_PATTERNS[PATTERN_MIX[(premise * 7 + building) % 20]]
                for slot, (numerator, denominator) in enumerate(pattern):
                    owner = first_user + (g - 1 + slot * (owners // 3 or 1)) % owners
                    ownerships.append(
                        (
                            ids.ownership,
                            premise,
                            building,
                            owner,
                            numerator,
                            denominator,
                            now - timedelta(days=(ids.ownership * 37) % 5000),
                        )
                    )
                    ids.ownership += 1
            apartments = [
                p for p, u in zip(itertools.count(first_premise), units) if u.kind == "APARTMENT"
            ]
            for n in range(family):
                registrations.append(
                    (
                        ids.registration,
                        apartments[n % len(apartments)],
                        building,
                        first_user + owners + n,
                    )
                )
                ids.registration += 1
            buildings.append(
                (
                    building,
                    organisation,
                    f"Москва, {street(index)}, д. {index + 1} ({tag})",
                    Decimal("55.550000") + Decimal(index % 97) * Decimal("0.004"),
                    Decimal("37.350000") + Decimal(index % 89) * Decimal("0.006"),
                    total_area,
                    index % 3 != 0,
                )
            )
            authors.append(Author(building, organisation, first_user, first_premise))
        async with conn.transaction():
            await _copy(
                conn,
                "buildings",
                (
                    "id",
                    "organisation_id",
                    "address",
                    "latitude",
                    "longitude",
                    "total_area",
                    "intercom_capable",
                ),
                buildings,
            )
            await _copy(
                conn,
                "premises",
                (
                    "id",
                    "building_id",
                    "kind",
                    "number",
                    "number_sort",
                    "area",
                    "entrance",
                    "floor",
                    "payer_code",
                ),
                premises,
            )
            await _copy(
                conn,
                "users",
                ("id", "subject", "display_name", "full_name", "phone", "email"),
                users,
            )
            await _copy(
                conn,
                "ownerships",
                (
                    "id",
                    "premise_id",
                    "building_id",
                    "user_id",
                    "share_numerator",
                    "share_denominator",
                    "started_at",
                ),
                ownerships,
            )
            await _copy(
                conn, "registrations", ("id", "premise_id", "building_id", "user_id"), registrations
            )
            if replica:
                await _chats(conn, buildings[0][0], buildings[-1][0])
        batch_rows = (
            len(buildings) + len(premises) + len(users) + len(ownerships) + len(registrations)
        )
        rows += batch_rows
        progress.step(stop - start, rows)
    return authors, rows


async def _requests(
    conn: asyncpg.Connection,
    *,
    scale: Scale,
    tag: str,
    ids: Ids,
    authors: list[Author],
    engineers: dict[int, int],
    now: datetime,
) -> tuple[int, int]:
    """The repair requests with their CREATED events; the first and last id."""
    first_id = ids.request
    count = scale.repair_requests
    rng = random.Random(tag)
    progress = Progress("repair requests", count)
    rows = 0
    for start in range(0, count, BATCH_REQUESTS):
        stop = min(count, start + BATCH_REQUESTS)
        requests, events = [], []
        for g in range(start + 1, stop + 1):
            author = authors[rng.randrange(len(authors))]
            status = REPAIR_STATUSES[rng.randrange(len(REPAIR_STATUSES))]
            category = REPAIR_CATEGORIES[rng.randrange(len(REPAIR_CATEGORIES))]
            scope = ("APARTMENT", "BUILDING", "YARD")[g % 3]
            at = now - timedelta(minutes=5 * (count - g))
            done_at = None
            updated = at
            if status == "DONE":
                done_at = updated = max(at, now - timedelta(hours=g % 48))
            elif status == "CLOSED":
                done_at = at + timedelta(days=1)
            due = DUE.get(category)
            request = ids.request
            ids.request += 1
            requests.append(
                (
                    request,
                    ids.number,
                    author.building,
                    author.organisation,
                    author.premise if scope == "APARTMENT" else None,
                    author.user,
                    scope,
                    category,
                    f"Заявка {g} ({tag}): {category}",
                    status,
                    engineers.get(author.organisation) if status != "NEW" else None,
                    at,
                    updated,
                    None if due is None else at + due,
                    done_at,
                    1 + g % 5 if status == "CLOSED" and g % 2 == 0 else None,
                    0 if g % 3 == 0 else g % 4,
                    1,
                )
            )
            ids.number += 1
            events.append(
                (
                    ids.event,
                    request,
                    author.building,
                    author.organisation,
                    author.user,
                    "CREATED",
                    "NEW",
                    at,
                )
            )
            ids.event += 1
        async with conn.transaction():
            await _copy(
                conn,
                "repair_requests",
                (
                    "id",
                    "number",
                    "building_id",
                    "organisation_id",
                    "premise_id",
                    "author_id",
                    "scope",
                    "category",
                    "description",
                    "status",
                    "assignee_id",
                    "created_at",
                    "updated_at",
                    "due_at",
                    "done_at",
                    "rating",
                    "follower_count",
                    "version",
                ),
                requests,
            )
            await _copy(
                conn,
                "repair_request_events",
                (
                    "id",
                    "request_id",
                    "building_id",
                    "organisation_id",
                    "actor_id",
                    "kind",
                    "to_status",
                    "at",
                ),
                events,
            )
        rows += len(requests) + len(events)
        progress.step(stop - start, rows)
    return first_id, ids.request - 1


async def _staff(
    conn: asyncpg.Connection, *, tag: str, organisations: list[int]
) -> tuple[dict[int, Person], dict[int, Person], dict[int, int]]:
    """A dispatcher, an engineer and a manager per organisation: the managers, the
    dispatchers and the engineers' user ids, by organisation."""
    base = int(await conn.fetchval("SELECT coalesce(max(id), 0) FROM users"))
    people = [
        (organisation, role) for organisation in organisations for role in dataset.STAFF_ROLES
    ]
    records = [
        (
            base + n,
            f"bench|{tag}|staff|{organisation}|{role.lower()}",
            f"{dataset.FIRST_NAMES[n % len(dataset.FIRST_NAMES)]} {role[0]}.",
            f"{dataset.SURNAMES[n % len(dataset.SURNAMES)]} {role.title()}",
            f"+7495{n % 10_000_000:07d}",
            f"{role.lower()}{organisation}.{tag}@example.org",
        )
        for n, (organisation, role) in enumerate(people, 1)
    ]
    await _copy(
        conn, "users", ("id", "subject", "display_name", "full_name", "phone", "email"), records
    )
    await _copy(
        conn,
        "staff_memberships",
        ("organisation_id", "user_id", "role"),
        [(organisation, base + n, role) for n, (organisation, role) in enumerate(people, 1)],
    )
    managers: dict[int, Person] = {}
    dispatchers: dict[int, Person] = {}
    engineers: dict[int, int] = {}
    for record, (organisation, role) in zip(records, people, strict=True):
        person = Person(record[1], record[2], record[0])
        if role == "MANAGER":
            managers[organisation] = person
        elif role == "DISPATCHER":
            dispatchers[organisation] = person
        else:
            engineers[organisation] = person.pk
    return managers, dispatchers, engineers


async def _bench_owners(
    conn: asyncpg.Connection, authors: list[Author], count: int, notifications: int
) -> list[BenchOwner]:
    """The first owners of the first apartments of the first buildings, registered there,
    an elevated guest in the next of these buildings, with notifications."""
    chosen = authors[: max(1, min(count, len(authors)))]
    rows = {
        row["id"]: row
        for row in await conn.fetch(
            "SELECT id, subject, display_name FROM users WHERE id = ANY($1::bigint[])",
            [a.user for a in chosen],
        )
    }
    owners = [
        BenchOwner(
            Person(rows[a.user]["subject"], rows[a.user]["display_name"], a.user),
            a.building,
            a.organisation,
            a.premise,
        )
        for a in chosen
    ]
    await conn.executemany(
        "INSERT INTO registrations (premise_id, building_id, user_id) VALUES ($1, $2, $3)",
        [(o.premise_pk, o.building_pk, o.person.pk) for o in owners],
    )
    if len(owners) > 1:
        await conn.executemany(
            """
            INSERT INTO guest_grants (premise_id, building_id, grantor_id, grantee_id, level,
                                      starts_at, expires_at)
            VALUES ($1, $2, $3, $4, 'ELEVATED', now() - interval '1 day',
                    now() + interval '90 days')
            """,
            [
                (host.premise_pk, host.building_pk, host.person.pk, guest.person.pk)
                for guest, host in zip(owners, owners[1:] + owners[:1], strict=True)
            ],
        )
    await conn.execute(
        """
        INSERT INTO notifications (user_id, kind, message, subject_type, subject_id, created_at,
                                   read_at)
        SELECT u.id, 'NOTICE', 'Плановое отключение горячей воды ' || (1 + g % 28) || ' числа.',
               NULL, NULL, now() - make_interval(mins => ($2 - g) * 17),
               CASE WHEN g <= $2 * 7 / 10 THEN now() - make_interval(mins => ($2 - g) * 11) END
        FROM unnest($1::bigint[]) AS u(id), generate_series(1, $2::int) AS g
        ORDER BY u.id, g
        """,
        [o.person.pk for o in owners],
        notifications,
    )
    return owners


SEQUENCED = COPIED
COUNTED = (
    "buildings",
    "premises",
    "users",
    "ownerships",
    "registrations",
    "repair_requests",
    "repair_request_events",
    "events",
)


async def load_moscow(
    url: str,
    scale: Scale = MOSCOW,
    *,
    bench_users: int = 16,
    notifications_per_user: int = 200,
    batch_buildings: int = BATCH_BUILDINGS,
    seed: int | None = None,
) -> Dataset:
    """Write the data set of ``scale`` into the (migrated) database at ``url``."""
    tag = f"{random.Random(seed).getrandbits(32):08x}"
    started = time.perf_counter()
    _log(
        f"loading Moscow-scale data set {tag}: {scale.buildings:,} buildings, "
        f"{scale.premises:,} premises, {scale.users:,} users, "
        f"{scale.repair_requests:,} repair requests (COPY, {batch_buildings} buildings a batch)"
    )
    now = datetime.now(UTC)
    conn: asyncpg.Connection = await asyncpg.connect(url, timeout=10, command_timeout=3600)
    try:
        replica = await _skip_triggers(conn)
        async with conn.transaction():
            organisations = [
                row["id"]
                for row in await conn.fetch(
                    """
                    INSERT INTO management_organisations (name, inn, phone)
                    SELECT 'УК «Жилсервис-' || g || '» ' || $1,
                           $2 || lpad(g::text, 7, '0'), '+7495' || lpad((g * 1117)::text, 7, '0')
                    FROM generate_series(1, $3) AS g ORDER BY g RETURNING id
                    """,
                    tag,
                    f"{int(tag, 16) % 10**5:05d}",
                    scale.organisations,
                )
            ]
            managers, dispatchers, engineers = await _staff(
                conn, tag=tag, organisations=organisations
            )
        ids = await _next_ids(conn)
        authors, _ = await _buildings(
            conn,
            scale=scale,
            tag=tag,
            ids=ids,
            organisations=organisations,
            batch_buildings=batch_buildings,
            now=now,
            replica=replica,
        )
        first, last = await _requests(
            conn, scale=scale, tag=tag, ids=ids, authors=authors, engineers=engineers, now=now
        )
        async with conn.transaction():
            for table in SEQUENCED:
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            await conn.execute(
                "SELECT setval('repair_request_numbers', (SELECT max(number) FROM repair_requests))"
            )
            await dataset._events(conn, tag=tag, events=scale.events)
            owners = await _bench_owners(conn, authors, bench_users, notifications_per_user)
        # VACUUM as well as ANALYZE (as dataset.py does): without a visibility map no
        # read is an index-only scan (events nearby visits a heap page per event of its
        # box), and the first reads would set the hint bits while autovacuum works
        # through the new rows: not the steady state of a city that has run for a while.
        analysed = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE)")
        _log(f"  VACUUM (ANALYZE) {time.perf_counter() - analysed:.1f} s")
        data = Dataset(
            tag=tag,
            building_pks=[a.building for a in authors],
            bench_owners=owners,
            managers=managers,
            dispatchers=dispatchers,
            grantors=[],
            grantees=[],
            count_pass_grantees=[],
            repair_request_ids=(first, last),
        )
        for table in COUNTED:
            data.counts[table] = int(await conn.fetchval(f"SELECT count(*) FROM {table}"))
    finally:
        await conn.close()
    _log(f"Moscow-scale data set loaded in {time.perf_counter() - started:.1f} s")
    return data


def run_load(url: str, scale: Scale = MOSCOW, **kwargs: Any) -> Dataset:
    return asyncio.run(load_moscow(url, scale, **kwargs))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.moscow",
        description="Generate the Moscow-scale data set (or a fraction of it) and time it.",
    )
    parser.add_argument("--database-url", help="use this (existing, migrated or not) database")
    parser.add_argument("--keep", action="store_true", help="keep the fresh database")
    parser.add_argument(
        "--fraction",
        type=float,
        default=1.0,
        help="generate this part of every size (0.05: 1/20); the time for the whole is "
        "extrapolated from it",
    )
    parser.add_argument("--batch-buildings", type=int, default=BATCH_BUILDINGS)
    args = parser.parse_args(argv)
    if not 0 < args.fraction <= 1:
        parser.error("--fraction must be in (0, 1]")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    scale = MOSCOW if args.fraction == 1 else MOSCOW.fraction(args.fraction)
    db = open_database(args.database_url)
    _log(f"database {db.name}" + (" (fresh)" if db.created else " (given)"))
    try:
        migrate(db.url)
        started = time.perf_counter()
        data = run_load(db.url, scale, batch_buildings=args.batch_buildings)
        seconds = time.perf_counter() - started
        size = asyncio.run(_database_size(db.url))
        for table, count in data.counts.items():
            print(f"{table:<24} {count:>12,}")
        print(f"loaded in {seconds:.1f} s; database size {size / 2**30:.2f} GiB")
        if args.fraction < 1:
            print(
                f"at full Moscow scale (÷ {args.fraction:g}): ~{seconds / args.fraction / 60:.0f} "
                f"min, ~{size / args.fraction / 2**30:.0f} GiB (linear extrapolation)"
            )
        return 0
    finally:
        if db.created and not args.keep:
            asyncio.run(db.drop())
            _log(f"dropped database {db.name}")
        elif db.created:
            _log(f"kept database {db.name}: {db.url}")


async def _database_size(url: str) -> int:
    conn = await asyncpg.connect(url, timeout=10)
    try:
        return int(await conn.fetchval("SELECT pg_database_size(current_database())"))
    finally:
        await conn.close()


if __name__ == "__main__":
    sys.exit(main())
