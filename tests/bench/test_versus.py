"""The PostGraphile side of ``python -m bench.versus``: its queries ask for the same rows
as this project's, checked on a tiny data set with both servers running (skipped when
PostGraphile is not installed under ``bench/postgraphile``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench import dataset, operations, postgraphile, runner, server, versus
from edom_graphql.server.migrations import upgrade
from edom_graphql.settings import Settings

requires_postgraphile = pytest.mark.skipif(
    not postgraphile.installed(),
    reason=f"PostGraphile is not installed: run `{postgraphile.INSTALL_COMMAND}`",
)


@dataclass
class Sides:
    data: dataset.Dataset
    ours: server.Server
    theirs: postgraphile.PostGraphileServer
    build: operations.Build
    context: postgraphile.Context


@pytest.fixture(scope="module")
def sides(fresh_database: Callable[[str], str], tmp_path_factory: Any) -> Iterator[Sides]:
    if not postgraphile.installed():
        pytest.skip(f"PostGraphile is not installed: run `{postgraphile.INSTALL_COMMAND}`")
    url = fresh_database("edom_versus")
    upgrade(url)
    data = dataset.run_load(
        url,
        buildings=4,
        premises_per_building=24,
        bench_users=4,
        notifications_per_user=1,
        events=10,
        repair_requests=600,
        grantees=0,
    )
    work: Path = tmp_path_factory.mktemp("versus")
    settings = Settings(
        environment="development",
        database_url=url,
        data_dir=work / "data",
        log_level="WARNING",
    )
    tokens = runner.Tokens(settings)
    build = operations.Build(data, tokens)
    # Tokens are signed with the key under the data dir, created before the server reads it.
    tokens(data.bench_owners[0].person)
    with (
        server.Server(
            database_url=url, data_dir=settings.data_dir, log_path=work / "ours.log"
        ) as ours,
        postgraphile.PostGraphileServer(database_url=url, log_path=work / "theirs.log") as theirs,
    ):
        digest = postgraphile.desk_cursor_digest(theirs.base_url, min(data.dispatchers))
        yield Sides(data, ours, theirs, build, postgraphile.Context(data, tokens, digest))


@requires_postgraphile
@pytest.mark.parametrize("name", list(postgraphile.PAIRS))
def test_postgraphile_answers_hold_the_same_rows(sides: Sides, name: str) -> None:
    pair = postgraphile.PAIRS[name]
    ours = pair.ours(sides.build)
    theirs = pair.theirs(sides.context)
    assert len(ours) == len(theirs) > 0
    assert versus.differences(pair, sides.ours.base_url, ours, sides.theirs.base_url, theirs) == []
    # Not equal by being empty: the rows are there.
    first = pair.reduce_ours(versus.answer(sides.ours.base_url, ours[0]))
    if name == "building_premises_owners_users":
        _, _, _, premises = first
        assert len(premises) == 20
        assert all(owners for _, _, _, owners in premises)
    elif name == "repair_request_desk":
        rows, has_next = first
        assert len(rows) == 20
        assert has_next
        assert [row[0] for row in rows] == sorted((row[0] for row in rows), reverse=True)


@requires_postgraphile
def test_desk_pages_after_a_cursor_match(sides: Sides) -> None:
    """Pages deeper in the list (after a synthesised cursor) are the same pages."""
    pair = postgraphile.PAIRS["repair_request_desk"]
    pages = postgraphile.desk_pages(sides.data)
    deep = [index for index, (_, _, after) in enumerate(pages) if after is not None]
    assert deep
    ours = pair.ours(sides.build)
    theirs = pair.theirs(sides.context)
    for index in deep[:3]:
        rows, _ = pair.reduce_ours(versus.answer(sides.ours.base_url, ours[index]))
        after = pages[index][2]
        assert after is not None
        assert rows
        assert all(row[0] < after for row in rows)
        assert rows == pair.reduce_theirs(versus.answer(sides.theirs.base_url, theirs[index]))[0]


@requires_postgraphile
def test_a_different_answer_is_reported(sides: Sides) -> None:
    pair = postgraphile.PAIRS["building_premises_owners_users"]
    ours = pair.ours(sides.build)
    theirs = pair.theirs(sides.context)
    shifted = theirs[1:] + theirs[:1]
    found = versus.differences(pair, sides.ours.base_url, ours, sides.theirs.base_url, shifted)
    assert len(found) == len(ours)


def _window(server: str, round_: int, rps: float, cpu: float) -> versus.Window:
    return versus.Window(
        server=server,
        operation="node_building",
        concurrency=16,
        round=round_,
        requests=int(rps),
        errors=0,
        requests_per_second=rps,
        p50_ms=1.0,
        p99_ms=2.0,
        cpu_ms=cpu,
        pg_cpu_ms=None,
        first_error=None,
    )


def test_the_ratio_is_the_median_of_per_round_ratios() -> None:
    windows = [
        _window(versus.OURS, 0, 100, 3.0),
        _window(versus.THEIRS, 0, 400, 1.0),
        _window(versus.OURS, 1, 300, 2.0),
        _window(versus.THEIRS, 1, 300, 1.0),
        _window(versus.OURS, 2, 100, 4.0),
        _window(versus.THEIRS, 2, 200, 1.0),
    ]
    (row,) = versus.summarise(windows)
    assert row.ratio == 0.5  # of 0.25, 1.0 and 0.5
    assert row.ours["requests_per_second"] == 100
    assert row.ours["cpu_ms"] == 3.0
    assert row.theirs["pg_cpu_ms"] is None
    assert "| `node_building` | 16 | edom-graphql | 0.50 |" in versus.table([row])


def test_each_execution_of_ours_gets_its_own_ratio() -> None:
    slow = versus.ours_named("graphql-core")
    windows = [
        _window(versus.OURS, 0, 200, 3.0),
        _window(slow, 0, 100, 6.0),
        _window(versus.THEIRS, 0, 400, 1.0),
    ]
    rows = {row.server: row for row in versus.summarise(windows)}
    assert set(rows) == {versus.OURS, slow}
    assert rows[versus.OURS].ratio == 0.5
    assert rows[slow].ratio == 0.25
    assert rows[slow].theirs["requests_per_second"] == 400
