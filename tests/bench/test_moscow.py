"""The Moscow-scale generator (``bench/moscow.py``) on a small scale: the rows it copies
in keep every foreign key, the chats the triggers would have written exist, and the data
set has the shape the bench reads (sort keys, shares summing to 1, bench owners)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from fractions import Fraction

import asyncpg
import pytest
from bench.dataset import Dataset

from bench import moscow
from edom_graphql.buildings.models import PremiseKind
from edom_graphql.buildings.service import premise_sort_key
from edom_graphql.server.migrations import upgrade

SMALL = moscow.Scale(
    organisations=3, buildings=7, premises=930, users=310, repair_requests=1_200, events=20
)

FOREIGN_KEYS = """
SELECT c.conrelid::regclass::text AS child, a.attname AS child_column,
       c.confrelid::regclass::text AS parent, p.attname AS parent_column
FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
JOIN pg_attribute p ON p.attrelid = c.confrelid AND p.attnum = c.confkey[1]
WHERE c.contype = 'f' AND cardinality(c.conkey) = 1
  AND c.conrelid::regclass::text = ANY($1::text[])
"""


@pytest.fixture(scope="module")
def loaded(fresh_database: Callable[[str], str]) -> tuple[str, Dataset]:
    url = fresh_database("edom_moscow")
    upgrade(url)
    data = moscow.run_load(url, SMALL, bench_users=4, notifications_per_user=5, batch_buildings=3)
    return url, data


async def _fetch(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


def fetch(url: str, sql: str, *args: object) -> list[asyncpg.Record]:
    return asyncio.run(_fetch(url, sql, *args))


def test_sizes_are_the_scale(loaded: tuple[str, Dataset]) -> None:
    _, data = loaded
    assert data.counts["buildings"] == SMALL.buildings
    assert data.counts["premises"] == SMALL.premises
    assert data.counts["repair_requests"] == SMALL.repair_requests
    assert data.counts["repair_request_events"] == SMALL.repair_requests
    # the pools of the buildings plus three staff per organisation
    assert data.counts["users"] == SMALL.users + 3 * SMALL.organisations
    first, last = data.repair_request_ids
    assert last - first + 1 == SMALL.repair_requests


def test_every_foreign_key_holds(loaded: tuple[str, Dataset]) -> None:
    url, _ = loaded
    keys = fetch(url, FOREIGN_KEYS, list(moscow.COPIED))
    assert len(keys) > 15
    for key in keys:
        orphans = fetch(
            url,
            f"SELECT count(*) AS n FROM {key['child']} c WHERE c.{key['child_column']} "
            f"IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {key['parent']} p "
            f"WHERE p.{key['parent_column']} = c.{key['child_column']})",
        )
        assert orphans[0]["n"] == 0, dict(key)


def test_each_building_and_premise_has_its_chat(loaded: tuple[str, Dataset]) -> None:
    url, _ = loaded
    (row,) = fetch(
        url,
        """
        SELECT (SELECT count(*) FROM buildings b WHERE NOT EXISTS (SELECT 1 FROM chats c
                    WHERE c.kind = 'BUILDING' AND c.building_id = b.id)) AS buildings,
               (SELECT count(*) FROM premises p WHERE NOT EXISTS (SELECT 1 FROM chats c
                    WHERE c.kind = 'MANAGEMENT' AND c.premise_id = p.id)) AS premises,
               (SELECT count(*) FROM chats) AS chats
        """,
    )
    assert (row["buildings"], row["premises"]) == (0, 0)
    assert row["chats"] == SMALL.buildings + SMALL.premises


def test_premises_owners_and_bench_users(loaded: tuple[str, Dataset]) -> None:
    url, data = loaded
    for premise in fetch(url, "SELECT kind::text, number, number_sort FROM premises"):
        assert premise["number_sort"] == premise_sort_key(
            PremiseKind(premise["kind"]), premise["number"]
        )
    shares: dict[int, Fraction] = {}
    for row in fetch(url, "SELECT premise_id, share_numerator, share_denominator FROM ownerships"):
        shares[row["premise_id"]] = shares.get(row["premise_id"], Fraction(0)) + Fraction(
            row["share_numerator"], row["share_denominator"]
        )
    assert len(shares) == SMALL.premises
    assert set(shares.values()) == {Fraction(1)}
    assert len(data.bench_owners) == 4
    for owner in data.bench_owners:
        (row,) = fetch(
            url,
            "SELECT count(*) AS n FROM ownerships WHERE user_id = $1 AND premise_id = $2 "
            "AND building_id = $3 AND ended_at IS NULL",
            owner.person.pk,
            owner.premise_pk,
            owner.building_pk,
        )
        assert row["n"] == 1
    assert sorted(data.dispatchers) == sorted(data.managers)
    assert len(data.dispatchers) == SMALL.organisations
