"""The generated data set: organisations, buildings, premises, owners with fractional shares,
registered and resident users, guest grants, staff, notifications and repair requests.

Rows are written with set-based ``INSERT … SELECT`` over ``generate_series`` on one asyncpg
connection, so hundreds of buildings load in a few seconds. Everything created carries a
run tag (in subjects, addresses, e-mails), so a data set can also be added to a database
that already holds data.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from edom_graphql.buildings.models import PremiseKind
from edom_graphql.buildings.service import premise_sort_key
from edom_graphql.residents.service import CODE_ALPHABET, invitation_code_hash

ORGANISATIONS = 10
STAFF_ROLES = ("DISPATCHER", "ENGINEER", "MANAGER")
MAX_GRANTS_PER_GRANTOR_PREMISE = 10
"""Grants the mutation benchmark gives at one premise (the API allows 20 active ones)."""
COUNT_PASS_GRANTEES = 200
"""Fresh grantees reserved for the in-process statement-counting pass."""
EVENTS = 100_000
"""City events (events nearby), spread over Moscow and the coming year."""
REPAIR_REQUESTS = 100_000
"""Repair requests over all buildings (the dispatchers' desk), in every status."""
REPAIR_STATUSES = (
    *("NEW",) * 4,
    *("ACCEPTED",) * 3,
    *("IN_PROGRESS",) * 2,
    "DEFERRED",
    *("DONE",) * 2,
    *("CLOSED",) * 5,
    "REJECTED",
    "CANCELLED",
    "REOPENED",
)
"""One in twenty of each: 20 % NEW, 25 % CLOSED, …"""
REPAIR_CATEGORIES = (
    "LEAK",
    "BLOCKAGE",
    "EMERGENCY_DAMAGE",
    "PLUMBING",
    "HEATING",
    "ELECTRICITY",
    "LIFT",
    "ROOF",
    "ENTRANCE",
    "INTERCOM",
    "CLEANING",
    "YARD_UPKEEP",
    "OTHER",
)

FIRST_NAMES = [
    "Анна",
    "Иван",
    "Мария",
    "Пётр",
    "Ольга",
    "Сергей",
    "Елена",
    "Андрей",
    "Наталья",
    "Дмитрий",
    "Татьяна",
    "Алексей",
    "Ирина",
    "Михаил",
    "Светлана",
    "Николай",
]
SURNAMES = [
    "Иванов",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Васильев",
    "Петров",
    "Соколов",
    "Михайлов",
    "Новиков",
    "Фёдоров",
    "Морозов",
    "Волков",
    "Алексеев",
    "Лебедев",
]
STREETS = [
    "Бенчмарковая ул.",
    "Нагрузочный пр-т",
    "Профилировочный пер.",
    "ул. Латентности",
    "Кэширующий бульвар",
    "ул. Пропускной способности",
]


@dataclass(frozen=True)
class Person:
    """A user the benchmark signs in as."""

    subject: str
    name: str
    pk: int


@dataclass(frozen=True)
class BenchOwner:
    """A bench user: an owner of an apartment in ``building_pk``."""

    person: Person
    building_pk: int
    organisation_pk: int
    premise_pk: int


@dataclass(frozen=True)
class Grantor:
    """An owner who gives guest access at ``premise_pk`` in the mutation benchmark."""

    person: Person
    premise_pk: int


@dataclass
class Dataset:
    tag: str
    building_pks: list[int]
    bench_owners: list[BenchOwner]
    managers: dict[int, Person]
    """The MANAGER of each organisation, by organisation pk."""
    dispatchers: dict[int, Person]
    """The DISPATCHER of each organisation, by organisation pk."""
    grantors: list[Grantor]
    grantees: list[Person]
    count_pass_grantees: list[Person]
    invitation_codes: dict[int, str] = field(default_factory=dict)
    """The code of an open invitation for each grantee (by user pk), at the premise of
    grantor ``index % len(grantors)``."""
    counts: dict[str, int] = field(default_factory=dict)
    repair_request_ids: tuple[int, int] = (0, 0)
    """The smallest and largest id of the data set's repair requests."""


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


async def _step(
    conn: asyncpg.Connection, label: str, sql: str, *args: Any, table: str | None = None
) -> str:
    started = time.perf_counter()
    status: str = await conn.execute(sql, *args)
    rows = status.rsplit(" ", 1)[-1]
    label_rows = f"{int(rows):>9,} rows" if rows.isdigit() else status
    _progress(f"  {label:<40} {label_rows}  {time.perf_counter() - started:6.2f} s")
    return status


def _name_exprs(n: str) -> dict[str, str]:
    """SQL expressions of a display name, full name, phone and e-mail for user number ``n``."""
    first = "ARRAY[" + ",".join(f"'{x}'" for x in FIRST_NAMES) + "]::text[]"
    last = "ARRAY[" + ",".join(f"'{x}'" for x in SURNAMES) + "]::text[]"
    first_of = f"({first})[1 + (({n}) * 7) % {len(FIRST_NAMES)}]"
    last_of = f"({last})[1 + (({n}) * 13) % {len(SURNAMES)}]"
    return {
        "display_name": f"{first_of} || ' ' || left({last_of}, 1) || '.'",
        "full_name": f"{last_of} || ' ' || {first_of}",
        "phone": f"'+7916' || lpad((({n}) % 10000000)::text, 7, '0')",
    }


async def load_dataset(
    url: str,
    *,
    buildings: int,
    premises_per_building: int,
    bench_users: int,
    notifications_per_user: int,
    grantees: int,
    events: int = EVENTS,
    repair_requests: int = REPAIR_REQUESTS,
    seed: int | None = None,
) -> Dataset:
    """Insert the data set into the (migrated) database at ``url``."""
    rng = random.Random(seed)
    tag = f"{rng.getrandbits(32):08x}"
    started = time.perf_counter()
    _progress(
        f"loading data set {tag}: {buildings} buildings × {premises_per_building} premises, "
        f"{bench_users} bench users, {grantees:,} fresh grantees"
    )
    conn: asyncpg.Connection = await asyncpg.connect(url, timeout=10, command_timeout=900)
    try:
        async with conn.transaction():
            dataset = await _load(
                conn,
                tag=tag,
                inn_prefix=f"{rng.randrange(10**5):05d}",
                buildings=buildings,
                premises_per_building=premises_per_building,
                bench_users=bench_users,
                notifications_per_user=notifications_per_user,
                grantees=grantees,
            )
            await _events(conn, tag=tag, events=events)
            dataset.repair_request_ids = await _repair_requests(
                conn, tag=tag, buildings=dataset.building_pks, count=repair_requests
            )
        # VACUUM as well: the tables just written have no visibility map and unset hint
        # bits, which the first reads would set (writing pages) while autovacuum works
        # through the new rows: not a steady state for the measured windows.
        await _step(conn, "VACUUM (ANALYZE)", "VACUUM (ANALYZE)")
        for table in (
            "users",
            "premises",
            "ownerships",
            "registrations",
            "residency_confirmations",
            "guest_grants",
            "notifications",
            "events",
            "repair_requests",
            "repair_request_events",
        ):
            dataset.counts[table] = await conn.fetchval(f"SELECT count(*) FROM {table}")
    finally:
        await conn.close()
    _progress(f"data set loaded in {time.perf_counter() - started:.1f} s")
    return dataset


async def _load(
    conn: asyncpg.Connection,
    *,
    tag: str,
    inn_prefix: str,
    buildings: int,
    premises_per_building: int,
    bench_users: int,
    notifications_per_user: int,
    grantees: int,
) -> Dataset:
    per_building = premises_per_building
    parking = per_building // 10
    non_residential = per_building // 20
    apartments = per_building - parking - non_residential

    # -- organisations and buildings -------------------------------------------------------
    organisations = [
        row["id"]
        for row in await conn.fetch(
            """
            INSERT INTO management_organisations (name, inn, phone)
            SELECT 'УК «Жилсервис-' || g || '» ' || $1, $2 || lpad(g::text, 7, '0'),
                   '+7495' || lpad((g * 1117)::text, 7, '0')
            FROM generate_series(1, $3) AS g
            RETURNING id
            """,
            tag,
            inn_prefix,
            ORGANISATIONS,
        )
    ]
    _progress(f"  {'management_organisations':<40} {len(organisations):>9,} rows")
    streets = "ARRAY[" + ",".join(f"'{s}'" for s in STREETS) + "]::text[]"
    building_rows = await conn.fetch(
        f"""
        INSERT INTO buildings (organisation_id, address, latitude, longitude, total_area,
                               intercom_capable)
        SELECT ($1::bigint[])[1 + (g - 1) % cardinality($1::bigint[])],
               'Москва, ' || ({streets})[1 + g % {len(STREETS)}] || ', д. ' || g
                   || ' (' || $2 || ')',
               55.550000 + (g % 97) * 0.004, 37.350000 + (g % 89) * 0.006, 1, g % 3 <> 0
        FROM generate_series(1, $3) AS g
        ORDER BY g
        RETURNING id, organisation_id
        """,
        organisations,
        tag,
        buildings,
    )
    building_rows = sorted(building_rows, key=lambda row: row["id"])
    building_pks = [row["id"] for row in building_rows]
    organisation_of = {row["id"]: row["organisation_id"] for row in building_rows}
    _progress(f"  {'buildings':<40} {len(building_pks):>9,} rows")

    # -- premises: apartments (every 25th has a letter), non-residential units, parking ------
    await _step(
        conn,
        "premises",
        """
        INSERT INTO premises (building_id, kind, number, number_sort, area, entrance, floor,
                              payer_code)
        SELECT b.id, s.kind::premise_kind, s.number, s.number_sort,
               CASE s.kind
                   WHEN 'APARTMENT' THEN 28 + (b.id * 31 + s.g * 17) % 90 + (s.g * 7 % 100) / 100.0
                   WHEN 'NON_RESIDENTIAL' THEN 60 + (b.id + s.g * 13) % 140
                   ELSE 13.25 END,
               CASE WHEN s.kind = 'APARTMENT' THEN 1 + (s.g - 1) / 36 END,
               CASE s.kind WHEN 'APARTMENT' THEN 1 + ((s.g - 1) % 36) / 4
                           WHEN 'NON_RESIDENTIAL' THEN 1 ELSE -1 END,
               lpad(b.id::text, 6, '0') || lpad(s.g::text, 4, '0')
        FROM unnest($1::bigint[]) AS b(id)
        CROSS JOIN (
            SELECT g, kind, k,
                   CASE kind
                       WHEN 'APARTMENT' THEN k::text || CASE WHEN k % 25 = 0 THEN 'А' ELSE '' END
                       WHEN 'NON_RESIDENTIAL' THEN 'Н' || k
                       ELSE 'М' || k END AS number,
                   CASE kind WHEN 'APARTMENT' THEN 0 WHEN 'NON_RESIDENTIAL' THEN $4::int
                             ELSE $5::int END + k AS number_sort
            FROM (
                SELECT g,
                       CASE WHEN g <= $2 THEN 'APARTMENT'
                            WHEN g <= $2 + $3 THEN 'NON_RESIDENTIAL'
                            ELSE 'PARKING' END AS kind,
                       CASE WHEN g <= $2 THEN g
                            WHEN g <= $2 + $3 THEN g - $2
                            ELSE g - $2 - $3 END AS k
                FROM generate_series(1, $6::int) AS g
            ) AS numbered
        ) AS s
        ORDER BY b.id, s.g
        """,
        building_pks,
        apartments,
        non_residential,
        _offset(PremiseKind.NON_RESIDENTIAL),
        _offset(PremiseKind.PARKING),
        per_building,
    )
    await _check_sort_keys(conn, building_pks[0])
    await _step(
        conn,
        "buildings.total_area",
        """
        UPDATE buildings SET total_area = s.total
        FROM (SELECT building_id, sum(area) AS total FROM premises
              WHERE building_id = ANY($1::bigint[]) GROUP BY building_id) AS s
        WHERE buildings.id = s.building_id
        """,
        building_pks,
    )

    # -- owners: 1–3 per premise, shares summing to 1; sole owners are the most common --------
    # (of 20 premises: 11 have one owner, 7 two, 2 three; 1.55 owners per premise)
    await conn.execute(
        """
        CREATE TEMP TABLE bench_share_patterns (pattern int, slot int, num int, den int)
            ON COMMIT DROP;
        INSERT INTO bench_share_patterns VALUES
            (0, 1, 1, 1),
            (1, 1, 1, 2), (1, 2, 1, 2),
            (2, 1, 2, 3), (2, 2, 1, 3),
            (3, 1, 1, 3), (3, 2, 1, 3), (3, 3, 1, 3),
            (4, 1, 1, 2), (4, 2, 1, 4), (4, 3, 1, 4);
        CREATE TEMP TABLE bench_pattern_mix (bucket int, pattern int) ON COMMIT DROP;
        INSERT INTO bench_pattern_mix
        SELECT b, CASE WHEN b < 11 THEN 0 WHEN b < 16 THEN 1 WHEN b < 18 THEN 2
                       WHEN b < 19 THEN 3 ELSE 4 END
        FROM generate_series(0, 19) AS b;
        """
    )
    user_base = await conn.fetchval("SELECT coalesce(max(id), 0) FROM users")
    await conn.execute(
        """
        CREATE TEMP TABLE bench_people ON COMMIT DROP AS
        SELECT row_number() OVER (ORDER BY p.id, s.slot) AS n, 'owner'::text AS role,
               p.id AS premise_id, p.building_id, p.kind::text AS kind, s.slot, s.num, s.den
        FROM premises p
        JOIN bench_pattern_mix m ON m.bucket = (p.id * 7 + p.building_id) % 20
        JOIN bench_share_patterns s ON s.pattern = m.pattern
        WHERE p.building_id = ANY($1::bigint[])
        """,
        building_pks,
    )
    owners = await conn.fetchval("SELECT count(*) FROM bench_people")
    # Family members registered at an apartment, tenants confirmed by payer code, guests.
    await conn.execute(
        """
        INSERT INTO bench_people (n, role, premise_id, building_id, kind, slot)
        SELECT $2 + row_number() OVER (ORDER BY p.id, r.role), r.role, p.id, p.building_id,
               p.kind::text, 0
        FROM premises p
        JOIN (VALUES ('registered', 2, 0), ('resident', 7, 3), ('guest', 10, 1))
            AS r(role, modulus, remainder) ON p.id % r.modulus = r.remainder
        WHERE p.building_id = ANY($1::bigint[]) AND p.kind = 'APARTMENT'
        """,
        building_pks,
        owners,
    )
    await conn.execute(
        "CREATE INDEX ON bench_people (premise_id, role, slot); ANALYZE bench_people"
    )
    names = _name_exprs("p.n")
    await _step(
        conn,
        "users (owners, family, tenants, guests)",
        f"""
        INSERT INTO users (id, subject, display_name, full_name, phone, email)
        SELECT $1 + p.n, 'bench|' || $2 || '|' || p.role || '|' || p.n,
               {names["display_name"]}, {names["full_name"]}, {names["phone"]},
               p.role || p.n || '.' || $2 || '@example.org'
        FROM bench_people p
        """,
        user_base,
        tag,
    )
    await _step(
        conn,
        "ownerships",
        """
        INSERT INTO ownerships (premise_id, building_id, user_id, share_numerator,
                                share_denominator, started_at)
        SELECT premise_id, building_id, $1 + n, num, den,
               now() - make_interval(days => (n * 37 % 5000)::int)
        FROM bench_people WHERE role = 'owner'
        """,
        user_base,
    )
    await _step(
        conn,
        "registrations",
        """
        INSERT INTO registrations (premise_id, building_id, user_id)
        SELECT premise_id, building_id, $1 + n FROM bench_people
        WHERE role = 'registered'
           OR (role = 'owner' AND slot = 1 AND kind = 'APARTMENT' AND premise_id % 3 = 0)
        """,
        user_base,
    )
    await _step(
        conn,
        "residency_confirmations",
        """
        INSERT INTO residency_confirmations (premise_id, building_id, user_id)
        SELECT premise_id, building_id, $1 + n FROM bench_people WHERE role = 'resident'
        """,
        user_base,
    )
    await _step(
        conn,
        "guest_grants",
        """
        INSERT INTO guest_grants (premise_id, building_id, grantor_id, grantee_id, level,
                                  starts_at, expires_at, revoked_at, revoked_by_id)
        SELECT g.premise_id, g.building_id, $1 + o.n, $1 + g.n,
               (ARRAY['ELEVATED', 'BASIC', 'INITIAL'])[1 + g.n % 3]::guest_level,
               CASE WHEN g.n % 5 = 0 THEN now() - interval '40 days'
                    ELSE now() - interval '2 days' END,
               CASE WHEN g.n % 5 = 0 THEN now() - interval '10 days'
                    ELSE now() + interval '30 days' END,
               CASE WHEN g.n % 4 = 0 THEN now() - interval '1 hour' END,
               CASE WHEN g.n % 4 = 0 THEN $1 + o.n END
        FROM bench_people g
        JOIN bench_people o ON o.premise_id = g.premise_id AND o.role = 'owner' AND o.slot = 1
        WHERE g.role = 'guest'
        """,
        user_base,
    )
    next_user = user_base + await conn.fetchval("SELECT max(n) FROM bench_people")

    # -- staff: a dispatcher, an engineer and a manager per organisation -------------------------
    staff_names = _name_exprs("x.g")
    staff_rows = await conn.fetch(
        f"""
        INSERT INTO users (id, subject, display_name, full_name, phone, email)
        SELECT $1 + x.g, 'bench|' || $2 || '|staff|' || x.organisation || '|' || lower(x.role),
               {staff_names["display_name"]}, {staff_names["full_name"]},
               {staff_names["phone"]},
               lower(x.role) || x.organisation || '.' || $2 || '@example.org'
        FROM (SELECT o.id AS organisation, r.role,
                     row_number() OVER (ORDER BY o.id, r.role) AS g
              FROM unnest($3::bigint[]) AS o(id) CROSS JOIN unnest($4::text[]) AS r(role)) AS x
        RETURNING id, subject, display_name
        """,
        next_user,
        tag,
        organisations,
        list(STAFF_ROLES),
    )
    next_user += len(staff_rows)
    managers: dict[int, Person] = {}
    dispatchers: dict[int, Person] = {}
    for row in staff_rows:
        _, _, _, organisation, role = row["subject"].split("|")
        staff_person = Person(row["subject"], row["display_name"], row["id"])
        if role == "manager":
            managers[int(organisation)] = staff_person
        elif role == "dispatcher":
            dispatchers[int(organisation)] = staff_person
    await _step(
        conn,
        "staff_memberships",
        """
        INSERT INTO staff_memberships (organisation_id, user_id, role)
        SELECT split_part(u.subject, '|', 4)::bigint, u.id,
               upper(split_part(u.subject, '|', 5))::staff_role
        FROM users u WHERE u.id = ANY($1::bigint[])
        """,
        [row["id"] for row in staff_rows],
    )

    # -- bench users: the first owner of the first apartment of each target building --------------
    targets = building_pks[: max(1, min(bench_users, len(building_pks)))]
    owner_rows = await conn.fetch(
        """
        SELECT DISTINCT ON (p.building_id) p.building_id, p.premise_id, u.id, u.subject,
               u.display_name
        FROM bench_people p
        JOIN premises pr ON pr.id = p.premise_id
        JOIN users u ON u.id = $2 + p.n
        WHERE p.role = 'owner' AND p.slot = 1 AND p.kind = 'APARTMENT'
          AND p.building_id = ANY($1::bigint[])
        ORDER BY p.building_id, pr.number_sort, pr.number, pr.id
        """,
        targets,
        user_base,
    )
    bench_owners = [
        BenchOwner(
            person=Person(row["subject"], row["display_name"], row["id"]),
            building_pk=row["building_id"],
            organisation_pk=organisation_of[row["building_id"]],
            premise_pk=row["premise_id"],
        )
        for row in owner_rows
    ]
    # Each bench user also is registered at their apartment and an elevated guest in the
    # next target building, so the viewer has several premises and tiers.
    await conn.executemany(
        """
        INSERT INTO registrations (premise_id, building_id, user_id)
        SELECT $1, $2, $3 WHERE NOT EXISTS (
            SELECT 1 FROM registrations WHERE premise_id = $1 AND user_id = $3
                                          AND ended_at IS NULL)
        """,
        [(o.premise_pk, o.building_pk, o.person.pk) for o in bench_owners],
    )
    if len(bench_owners) > 1:
        await conn.executemany(
            """
            INSERT INTO guest_grants (premise_id, building_id, grantor_id, grantee_id, level,
                                      starts_at, expires_at)
            VALUES ($1, $2, $3, $4, 'ELEVATED', now() - interval '1 day',
                    now() + interval '90 days')
            """,
            [
                (host.premise_pk, host.building_pk, host.person.pk, guest.person.pk)
                for guest, host in zip(
                    bench_owners, bench_owners[1:] + bench_owners[:1], strict=True
                )
            ],
        )
    await _step(
        conn,
        "notifications (bench users)",
        """
        INSERT INTO notifications (user_id, kind, message, subject_type, subject_id, created_at,
                                   read_at)
        SELECT u.id,
               (ARRAY['GUEST_ACCESS_GRANTED', 'GUEST_ACCESS_REVOKED', 'NOTICE'])[1 + g % 3],
               (ARRAY['Вам выдан гостевой доступ к помещению ' || g || '.',
                      'Ваш гостевой доступ отозван.',
                      'Плановое отключение горячей воды ' || (1 + g % 28) || ' числа.'])[1 + g % 3],
               CASE WHEN g % 3 < 2 THEN 'GuestGrant' END,
               CASE WHEN g % 3 < 2 THEN g END,
               now() - make_interval(mins => ($2 - g) * 17),
               CASE WHEN g <= $2 * 7 / 10 THEN now() - make_interval(mins => ($2 - g) * 11) END
        FROM unnest($1::bigint[]) AS u(id), generate_series(1, $2::int) AS g
        ORDER BY u.id, g
        """,
        [o.person.pk for o in bench_owners],
        notifications_per_user,
    )

    # -- the guest-access mutation: grantors (first owners of apartments) and fresh grantees -------
    bench_premises = [o.premise_pk for o in bench_owners]
    grantor_count = max(1, -(-grantees // MAX_GRANTS_PER_GRANTOR_PREMISE))
    grantor_rows = await conn.fetch(
        """
        SELECT p.premise_id, u.id, u.subject, u.display_name
        FROM bench_people p JOIN users u ON u.id = $1 + p.n
        WHERE p.role = 'owner' AND p.slot = 1 AND p.kind = 'APARTMENT'
          AND p.premise_id <> ALL($2::bigint[])
        ORDER BY p.building_id, p.premise_id
        LIMIT $3
        """,
        user_base,
        bench_premises,
        grantor_count,
    )
    grantors = [
        Grantor(Person(row["subject"], row["display_name"], row["id"]), row["premise_id"])
        for row in grantor_rows
    ]
    grantee_rows = await conn.fetch(
        f"""
        INSERT INTO users (id, subject, display_name, full_name, phone, email)
        SELECT $1 + g, 'bench|' || $2 || '|grantee|' || g, {_name_exprs("g")["display_name"]},
               NULL, NULL, NULL
        FROM generate_series(1, $3::int) AS g
        RETURNING id, subject, display_name
        """,
        next_user,
        tag,
        grantees + COUNT_PASS_GRANTEES,
    )
    _progress(f"  {'users (fresh grantees)':<40} {len(grantee_rows):>9,} rows")
    guests = sorted(
        (Person(row["subject"], row["display_name"], row["id"]) for row in grantee_rows),
        key=lambda person: person.pk,
    )
    grantee_pks = [person.pk for person in guests]
    await conn.execute(
        "SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))"
    )
    codes = await _invitations(conn, tag=tag, grantors=grantors, grantee_pks=grantee_pks)
    return Dataset(
        tag=tag,
        building_pks=building_pks,
        bench_owners=bench_owners,
        managers=managers,
        dispatchers=dispatchers,
        grantors=grantors,
        grantees=guests[:grantees],
        count_pass_grantees=guests[grantees:],
        invitation_codes=codes,
    )


def invitation_code(tag: str, n: int) -> str:
    """A valid invitation code, the same for the same data set and number."""
    digest = hashlib.sha256(f"{tag}:{n}".encode()).digest()
    letters = "".join(CODE_ALPHABET[byte % len(CODE_ALPHABET)] for byte in digest[:24])
    return "-".join(letters[i : i + 4] for i in range(0, len(letters), 4))


async def _invitations(
    conn: asyncpg.Connection, *, tag: str, grantors: list[Grantor], grantee_pks: list[int]
) -> dict[int, str]:
    """One open invitation per grantee (the guestInvitationAccept operation's)."""
    codes = {pk: invitation_code(tag, n) for n, pk in enumerate(grantee_pks)}
    premises = [grantors[n % len(grantors)].premise_pk for n in range(len(grantee_pks))]
    owners = [grantors[n % len(grantors)].person.pk for n in range(len(grantee_pks))]
    hashes = []
    for pk in grantee_pks:
        code_hash = invitation_code_hash(codes[pk])
        assert code_hash is not None
        hashes.append(code_hash)
    await _step(
        conn,
        "guest invitations",
        """
        INSERT INTO guest_invitations
            (premise_id, building_id, grantor_id, level, expires_at, accept_by, code_hash)
        SELECT i.premise_id, p.building_id, i.grantor_id,
               (ARRAY['BASIC', 'INITIAL', 'ELEVATED'])[1 + i.n % 3]::guest_level,
               now() + interval '30 days', now() + interval '14 days', i.code_hash
        FROM unnest($1::bigint[], $2::bigint[], $3::text[]) WITH ORDINALITY
             AS i(premise_id, grantor_id, code_hash, n)
        JOIN premises p ON p.id = i.premise_id
        """,
        premises,
        owners,
        hashes,
        table="guest_invitations",
    )
    return codes


async def _events(conn: asyncpg.Connection, *, tag: str, events: int) -> None:
    """City events over Moscow (55.55–55.95° N, 37.30–37.90° E, the buildings' area), from a
    month ago to a year ahead, lasting 1–8 hours; a quarter have already ended."""
    await _step(
        conn,
        "events",
        """
        INSERT INTO events (title, description, place, latitude, longitude, starts_at, ends_at)
        SELECT (ARRAY['Субботник', 'Ярмарка', 'Концерт во дворе', 'Лекция', 'Выставка',
                      'Забег'])[1 + g % 6] || ' №' || g,
               'Событие ' || g || ' (' || $1 || ').',
               'Москва, площадка ' || g,
               round((55.55 + (g::bigint * 7919 % 100003) * 0.000004)::numeric, 6),
               round((37.30 + (g::bigint * 104729 % 100019) * 0.000006)::numeric, 6),
               now() - interval '30 days' + (g % 395) * interval '1 day'
                   + (g % 24) * interval '1 hour',
               now() - interval '30 days' + (g % 395) * interval '1 day'
                   + (g % 24) * interval '1 hour' + (1 + g % 8) * interval '1 hour'
        FROM generate_series(1, $2::int) AS g
        """,
        tag,
        events,
    )


async def _repair_requests(
    conn: asyncpg.Connection, *, tag: str, buildings: list[int], count: int
) -> tuple[int, int]:
    """``count`` repair requests spread over the buildings, one every 5 minutes up to now,
    in every status (:data:`REPAIR_STATUSES`; DONE ones within the 72 hours before
    auto-close) and category; filed by an owner of the
    building (APARTMENT ones for the owner's premise), assigned to the organisation's
    engineer once accepted, each with its CREATED event. Their ids, smallest and largest."""
    statuses = "ARRAY[" + ",".join(f"'{x}'" for x in REPAIR_STATUSES) + "]::text[]"
    categories = "ARRAY[" + ",".join(f"'{x}'" for x in REPAIR_CATEGORIES) + "]::text[]"
    await conn.execute(
        """
        CREATE TEMPORARY TABLE bench_repair_authors ON COMMIT DROP AS
        SELECT d.*, row_number() OVER (ORDER BY d.building_id) AS n
        FROM (
            SELECT DISTINCT ON (o.building_id) o.building_id, o.user_id, o.premise_id,
                   b.organisation_id,
                   (SELECT s.user_id FROM staff_memberships s
                    WHERE s.organisation_id = b.organisation_id AND s.role = 'ENGINEER'
                    ORDER BY s.id LIMIT 1) AS engineer_id
            FROM ownerships o JOIN buildings b ON b.id = o.building_id
            WHERE o.building_id = ANY($1::bigint[])
            ORDER BY o.building_id, o.id
        ) AS d
        """,
        buildings,
    )
    authors = await conn.fetchval("SELECT count(*) FROM bench_repair_authors")
    status = await _step(
        conn,
        "repair_requests",
        f"""
        INSERT INTO repair_requests (number, building_id, organisation_id, premise_id,
            author_id, scope, category, description, status, assignee_id, created_at,
            updated_at, due_at, done_at, rating, follower_count, version)
        SELECT nextval('repair_request_numbers'), a.building_id, a.organisation_id,
               CASE WHEN g % 3 = 0 THEN a.premise_id END, a.user_id,
               (CASE g % 3 WHEN 0 THEN 'APARTMENT' WHEN 1 THEN 'BUILDING' ELSE 'YARD' END)
                   ::repair_request_scope,
               c.category::repair_category,
               'Заявка ' || g || ' (' || $1 || '): ' || c.category,
               s.status::repair_request_status,
               CASE WHEN s.status <> 'NEW' THEN a.engineer_id END,
               t.at,
               CASE WHEN s.status = 'DONE'
                    THEN greatest(t.at, now() - (g % 48) * interval '1 hour') ELSE t.at END,
               t.at + CASE c.category WHEN 'LEAK' THEN interval '30 minutes'
                                      WHEN 'BLOCKAGE' THEN interval '2 hours'
                                      WHEN 'EMERGENCY_DAMAGE' THEN interval '3 days' END,
               -- DONE within the last 72 hours (older ones the auto-close sweep has closed)
               CASE s.status WHEN 'DONE' THEN greatest(t.at, now() - (g % 48) * interval '1 hour')
                             WHEN 'CLOSED' THEN t.at + interval '1 day' END,
               CASE WHEN s.status = 'CLOSED' AND g % 2 = 0 THEN 1 + g % 5 END,
               CASE WHEN g % 3 = 0 THEN 0 ELSE g % 4 END,
               1
        FROM generate_series(1, $2::int) AS g
        JOIN bench_repair_authors a ON a.n = 1 + abs(hashint4(g)) % $3
        CROSS JOIN LATERAL (
            SELECT ({statuses})[1 + abs(hashint4(-g)) % {len(REPAIR_STATUSES)}] AS status) s
        CROSS JOIN LATERAL (
            SELECT ({categories})[1 + abs(hashint4(g + $2)) % {len(REPAIR_CATEGORIES)}]
                   AS category) c
        CROSS JOIN LATERAL (SELECT now() - ($2 - g) * interval '5 minutes' AS at) t
        ORDER BY g
        """,
        tag,
        count,
        authors,
    )
    assert status.endswith(f" {count}"), status
    first, last = await conn.fetchrow(
        "SELECT min(id), max(id) FROM repair_requests WHERE description LIKE $1",
        f"Заявка % ({tag}): %",
    )
    await _step(
        conn,
        "repair_request_events",
        """
        INSERT INTO repair_request_events (request_id, building_id, organisation_id, actor_id,
                                           kind, to_status, at)
        SELECT id, building_id, organisation_id, author_id, 'CREATED', 'NEW', created_at
        FROM repair_requests WHERE id BETWEEN $1 AND $2 ORDER BY id
        """,
        first,
        last,
    )
    return int(first), int(last)


def _offset(kind: PremiseKind) -> int:
    return premise_sort_key(kind, "0")


async def _check_sort_keys(conn: asyncpg.Connection, building_pk: int) -> None:
    """The generated ``number_sort`` must be what the application computes."""
    rows = await conn.fetch(
        "SELECT kind::text, number, number_sort FROM premises WHERE building_id = $1",
        building_pk,
    )
    for row in rows:
        expected = premise_sort_key(PremiseKind(row["kind"]), row["number"])
        if expected != row["number_sort"]:
            raise RuntimeError(
                f"premise {row['number']!r}: number_sort {row['number_sort']} != {expected}"
            )


def run_load(url: str, **kwargs: Any) -> Dataset:
    return asyncio.run(load_dataset(url, **kwargs))
