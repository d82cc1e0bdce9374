"""Statements PostgreSQL can plan once: a page's row limit written into the statement's
text (``core.db.Prepared``; checked in ``pg_prepared_statements`` on a real server), and
one key read by ``= $key`` rather than ``= ANY($keys)`` (``core.loaders.KeyedQuery``)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest
from sqlalchemy import BigInteger, Column, MetaData, Table, bindparam, insert, select

from edom_graphql.core.db import Prepared, plain_url
from edom_graphql.core.loaders import KeyedQuery
from edom_graphql.core.pagination import keyset_desc
from edom_graphql.repairs.reads.desk import _desk
from edom_graphql.residents.models import User
from tests.factories import Api

PAGES = Table(
    "prepared_pages",
    MetaData(),
    Column("id", BigInteger, primary_key=True),
    Column("organisation_id", BigInteger, nullable=False),
    prefixes=["TEMPORARY"],
)


def _page(*, literal: bool) -> Prepared:
    """A page of ``prepared_pages`` newest first, as every connection's page is read."""
    statement = select(PAGES.c.id).where(PAGES.c.organisation_id == bindparam("organisation_id"))
    statement = keyset_desc(statement, (PAGES.c.id,), has_after=True)
    if not literal:  # as pages were: the limit a parameter like the others
        statement = statement.limit(bindparam("limit"))
    return Prepared(statement)


def test_the_limit_is_written_into_the_text_one_text_per_value() -> None:
    page = _page(literal=True)
    sql, args = page.bind({"organisation_id": 7, "after_0": 100, "limit": 21})
    assert sql.rstrip().endswith("LIMIT 21")
    assert args == [7, 100]
    again, _ = page.bind({"organisation_id": 8, "after_0": 5, "limit": 21})
    assert again is sql  # the same text object: asyncpg's statement cache finds it
    other, _ = page.bind({"organisation_id": 8, "after_0": 5, "limit": 51})
    assert other.rstrip().endswith("LIMIT 51")


@pytest.mark.parametrize("value", ["21; DROP TABLE users", 2.5, True, None])
def test_only_an_integer_is_written_into_a_statement(value: object) -> None:
    with pytest.raises(TypeError, match="no int"):
        _page(literal=True).bind({"organisation_id": 7, "after_0": 100, "limit": value})


@pytest.fixture
async def connection(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection with 50,000 rows of ten organisations in ``prepared_pages``, analysed,
    planning as the server's reads do (the test databases force generic plans)."""
    connection = await asyncpg.connect(
        plain_url(database_url), server_settings={"plan_cache_mode": "auto"}
    )
    await connection.execute(
        "CREATE TEMPORARY TABLE prepared_pages (id bigint PRIMARY KEY, organisation_id bigint)"
    )
    await connection.execute(
        "INSERT INTO prepared_pages SELECT n, n % 10 FROM generate_series(1, 50000) AS n"
    )
    await connection.execute("ANALYZE prepared_pages")
    yield connection
    await connection.close()


async def _plans(connection: asyncpg.Connection, page: Prepared) -> tuple[int, int]:
    params = {"organisation_id": 3, "after_0": 40_000, "limit": 21}
    sql, args = page.bind(params)
    for _ in range(12):
        await connection.fetch(sql, *args)
    row = await connection.fetchrow(
        "SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1",
        sql,
    )
    assert row is not None
    return row["generic_plans"], row["custom_plans"]


async def test_postgresql_plans_a_page_once(connection: asyncpg.Connection) -> None:
    generic, custom = await _plans(connection, _page(literal=True))
    assert generic >= 6  # after its first five custom plans, PostgreSQL's own choice
    assert custom <= 5
    generic, custom = await _plans(connection, _page(literal=False))
    assert generic == 0  # with LIMIT $n its generic plan looks dear: planned every time
    assert custom == 12


def test_the_desks_page_has_its_limit_in_its_text() -> None:
    # a later page, no filter, with premises and assignees (the dispatcher's screen)
    desk = _desk((True, False, False, False, False, None, False, True, True))
    sql, args = desk.bind({"organisation_id": 3, "after_0": 500, "limit": 21})
    assert sql.rstrip().endswith("LIMIT 21")
    assert args == [3, 500]


async def test_one_key_and_many_read_the_same_rows(api: Api) -> None:
    query = KeyedQuery(select(User.id, User.display_name), User.id)
    tag = uuid.uuid4().hex[:8]
    people = [{"subject": f"test|{tag}|{n}", "display_name": f"K{n}"} for n in range(3)]
    async with api.db.transaction() as (session, _):
        ids = list(
            (await session.execute(insert(User).values(people).returning(User.id))).scalars()
        )
    one = await query.rows(api.db, [ids[0]])
    many = await query.rows(api.db, ids)
    assert [tuple(row) for row in one] == [(ids[0], "K0", ids[0])]
    assert sorted(tuple(row) for row in many) == [(i, f"K{n}", i) for n, i in enumerate(ids)]
    assert list(await query.rows(api.db, [-1])) == []
    sql, args = query.one.bind({"key": ids[0]})
    assert "ANY" not in sql
    assert args == [ids[0]]
