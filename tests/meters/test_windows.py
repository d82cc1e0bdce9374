"""Reading windows in Moscow time, at every edge: water from the 15th, 00:00 to the 3rd of
the next month, 23:59:59; electricity from the 15th to the 26th, 23:59:59. The server's
clock is UTC and Moscow is UTC+3, so 00:00 on the 15th in Moscow is 21:00 on the 14th in
UTC. First the rule itself, then the same edges through ``meterReadingSubmit`` with the
server's clock frozen at the instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import pytest_asyncio

from edom_graphql.meters.models import MeterReadingSource, MeterZone, WindowKind
from edom_graphql.meters.service.windows import (
    current_window,
    last_opened_period,
    window_of,
)
from tests.factories import Api, Clock, World, make_world
from tests.meters.operations import METER
from tests.meters.scene import (
    MOSCOW,
    coming_december,
    frozen_at,
    months_ahead,
    readings_of,
    register,
    submit,
)

WATER, ELECTRICITY = WindowKind.WATER, WindowKind.ELECTRICITY
MONTH_NAMES = {
    1: "January",
    2: "February",
    3: "March",
    4: "April",
    5: "May",
    6: "June",
    7: "July",
    8: "August",
    9: "September",
    10: "October",
    11: "November",
    12: "December",
}
JUST_BEFORE = timedelta(microseconds=1)


def msk(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=MOSCOW)


def next_month(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


# -- the rule ---------------------------------------------------------------------------


def test_a_water_window_runs_from_the_15th_to_the_3rd_of_the_next_month() -> None:
    window = window_of(WATER, date(2026, 11, 1))
    assert window.opens_at == datetime(2026, 11, 14, 21, 0, tzinfo=UTC)
    assert window.closes_at == datetime(2026, 12, 3, 20, 59, 59, tzinfo=UTC)
    assert window.ends_at == datetime(2026, 12, 3, 21, 0, tzinfo=UTC)
    assert window.describe() == (
        "from 15 November 2026, 00:00 to 3 December 2026, 23:59:59 (Moscow time)"
    )


def test_an_electricity_window_runs_from_the_15th_to_the_26th() -> None:
    window = window_of(ELECTRICITY, date(2026, 11, 1))
    assert window.opens_at == datetime(2026, 11, 14, 21, 0, tzinfo=UTC)
    assert window.closes_at == datetime(2026, 11, 26, 20, 59, 59, tzinfo=UTC)
    assert window.describe() == (
        "from 15 November 2026, 00:00 to 26 November 2026, 23:59:59 (Moscow time)"
    )


def test_the_december_water_window_closes_in_january() -> None:
    window = window_of(WATER, date(2026, 12, 1))
    assert window.closes_at == datetime(2027, 1, 3, 20, 59, 59, tzinfo=UTC)
    assert window.describe() == (
        "from 15 December 2026, 00:00 to 3 January 2027, 23:59:59 (Moscow time)"
    )


# (kind, instant in Moscow time, the window's period, open)
EDGES = [
    (WATER, msk(2026, 11, 14, 23, 59, 59) + timedelta(microseconds=999_999), "2026-11", False),
    (WATER, msk(2026, 11, 15), "2026-11", True),
    (WATER, msk(2026, 11, 30, 23, 59), "2026-11", True),
    (WATER, msk(2026, 12, 1), "2026-11", True),
    (WATER, msk(2026, 12, 4) - JUST_BEFORE, "2026-11", True),
    (WATER, msk(2026, 12, 4), "2026-12", False),
    (WATER, msk(2026, 12, 14, 23, 59, 59), "2026-12", False),
    (ELECTRICITY, msk(2026, 11, 15) - JUST_BEFORE, "2026-11", False),
    (ELECTRICITY, msk(2026, 11, 15), "2026-11", True),
    (ELECTRICITY, msk(2026, 11, 27) - JUST_BEFORE, "2026-11", True),
    (ELECTRICITY, msk(2026, 11, 27), "2026-12", False),
    (ELECTRICITY, msk(2026, 12, 3, 23, 59), "2026-12", False),
    # the year's end: December's water window runs into January
    (WATER, msk(2026, 12, 31, 23, 59, 59), "2026-12", True),
    (WATER, msk(2027, 1, 1), "2026-12", True),
    (WATER, msk(2027, 1, 4) - JUST_BEFORE, "2026-12", True),
    (WATER, msk(2027, 1, 4), "2027-01", False),
    (ELECTRICITY, msk(2026, 12, 27) - JUST_BEFORE, "2026-12", True),
    (ELECTRICITY, msk(2026, 12, 27), "2027-01", False),
    (ELECTRICITY, msk(2026, 12, 31, 23, 59, 59), "2027-01", False),
    (ELECTRICITY, msk(2027, 1, 15), "2027-01", True),
    # Moscow is UTC+3: 21:00 UTC on the 14th is midnight of the 15th there
    (WATER, datetime(2027, 1, 14, 20, 59, 59, tzinfo=UTC), "2027-01", False),
    (WATER, datetime(2027, 1, 14, 21, 0, 0, tzinfo=UTC), "2027-01", True),
    (ELECTRICITY, datetime(2027, 1, 26, 20, 59, 59, tzinfo=UTC), "2027-01", True),
    (ELECTRICITY, datetime(2027, 1, 26, 21, 0, 0, tzinfo=UTC), "2027-02", False),
]


@pytest.mark.parametrize(
    ("kind", "instant", "period", "is_open"),
    EDGES,
    ids=[f"{kind.value}-{instant.isoformat()}" for kind, instant, _, _ in EDGES],
)
def test_the_window_at_an_edge(
    kind: WindowKind, instant: datetime, period: str, is_open: bool
) -> None:
    window = current_window(kind, instant)
    assert f"{window.period:%Y-%m}" == period
    assert window.is_open(instant) is is_open
    assert window == window_of(kind, window.period)


@pytest.mark.parametrize(
    ("instant", "period"),
    [
        (msk(2026, 12, 15) - JUST_BEFORE, date(2026, 11, 1)),
        (msk(2026, 12, 15), date(2026, 12, 1)),
        (msk(2027, 1, 3, 12), date(2026, 12, 1)),
        (msk(2027, 1, 31, 23, 59), date(2027, 1, 1)),
    ],
)
def test_the_period_last_opened(instant: datetime, period: date) -> None:
    assert last_opened_period(instant) == period


# -- through the API ----------------------------------------------------------------------


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api)


@dataclass(frozen=True)
class Edge:
    name: str
    kind: str
    instant: datetime
    period: str | None
    """The period a reading counts for; None: the window is closed."""
    next_window: tuple[date, date] | None = None
    """Closed: the first and last days of the next window."""


def api_edges() -> list[Edge]:
    """The edges of the coming months (after today, so meters registered today are
    already installed), and of the coming year's end."""
    y, m = months_ahead(1)
    y1, m1 = next_month(y, m)
    y2, m2 = next_month(y1, m1)
    dec = coming_december()
    return [
        Edge(
            "water-14th-23:59:59",
            "COLD_WATER",
            msk(y, m, 14, 23, 59, 59),
            None,
            (date(y, m, 15), date(y1, m1, 3)),
        ),
        Edge("water-15th-00:00", "COLD_WATER", msk(y, m, 15), f"{y}-{m:02d}"),
        Edge("hot-water-15th-00:00", "HOT_WATER", msk(y, m, 15), f"{y}-{m:02d}"),
        Edge("water-3rd-23:59:59", "COLD_WATER", msk(y1, m1, 3, 23, 59, 59), f"{y}-{m:02d}"),
        Edge(
            "water-4th-00:00",
            "HOT_WATER",
            msk(y1, m1, 4),
            None,
            (date(y1, m1, 15), date(y2, m2, 3)),
        ),
        Edge(
            "electricity-14th-23:59:59",
            "ELECTRICITY",
            msk(y, m, 14, 23, 59, 59),
            None,
            (date(y, m, 15), date(y, m, 26)),
        ),
        Edge("electricity-15th-00:00", "ELECTRICITY", msk(y, m, 15), f"{y}-{m:02d}"),
        Edge("electricity-26th-23:59:59", "ELECTRICITY", msk(y, m, 26, 23, 59, 59), f"{y}-{m:02d}"),
        Edge(
            "electricity-27th-00:00",
            "ELECTRICITY",
            msk(y, m, 27),
            None,
            (date(y1, m1, 15), date(y1, m1, 26)),
        ),
        Edge(
            "water-december-31st-23:59:59", "COLD_WATER", msk(dec, 12, 31, 23, 59, 59), f"{dec}-12"
        ),
        Edge("water-january-1st-00:00", "COLD_WATER", msk(dec + 1, 1, 1), f"{dec}-12"),
        Edge(
            "water-january-3rd-23:59:59", "COLD_WATER", msk(dec + 1, 1, 3, 23, 59, 59), f"{dec}-12"
        ),
        Edge(
            "water-january-4th-00:00",
            "COLD_WATER",
            msk(dec + 1, 1, 4),
            None,
            (date(dec + 1, 1, 15), date(dec + 1, 2, 3)),
        ),
        Edge(
            "electricity-december-27th-00:00",
            "ELECTRICITY",
            msk(dec, 12, 27),
            None,
            (date(dec + 1, 1, 15), date(dec + 1, 1, 26)),
        ),
        Edge("electricity-january-15th-00:00", "ELECTRICITY", msk(dec + 1, 1, 15), f"{dec + 1}-01"),
    ]


def spelt(day: date) -> str:
    return f"{day.day} {MONTH_NAMES[day.month]} {day.year}"


KIND_NAMES = {"COLD_WATER": "cold water", "HOT_WATER": "hot water", "ELECTRICITY": "electricity"}


@pytest.mark.parametrize("edge", api_edges(), ids=lambda edge: edge.name)
async def test_a_submission_at_an_edge(api: Api, world: World, clock: Clock, edge: Edge) -> None:
    owner = world["owner"]
    meter = await register(api, world, kind=edge.kind)
    before = await readings_of(api, meter["id"])
    with frozen_at(clock, edge.instant):
        payload = await submit(api, owner, meter["id"], "7.5")
        window = (await api.gql(METER, {"id": meter["id"]}, as_=owner))["node"]["currentWindow"]
    after = await readings_of(api, meter["id"])
    if edge.period is None:
        assert edge.next_window is not None
        opens, closes = edge.next_window
        assert payload == {
            "meter": {"id": meter["id"]},
            "readings": [],
            "pointsAwarded": 0,
            "userErrors": [
                {
                    "code": "WINDOW_CLOSED",
                    "field": None,
                    "message": f"Readings of {KIND_NAMES[edge.kind]} meters are not accepted "
                    f"now; the next window is from {spelt(opens)}, 00:00 to {spelt(closes)}, "
                    "23:59:59 (Moscow time).",
                }
            ],
        }
        assert after == before
        assert window["isOpen"] is False
        assert (
            window["opensAt"] == msk(opens.year, opens.month, opens.day).astimezone(UTC).isoformat()
        )
        assert (
            window["closesAt"]
            == msk(closes.year, closes.month, closes.day, 23, 59, 59).astimezone(UTC).isoformat()
        )
        return
    assert payload["userErrors"] == []
    assert [(r["zone"], r["period"], r["value"]) for r in payload["readings"]] == [
        ("T1", edge.period, "7.500" if edge.kind != "ELECTRICITY" else "7.5")
    ]
    year, month = map(int, edge.period.split("-"))
    assert after == [
        *before,
        (
            MeterZone.T1,
            date(year, month, 1),
            Decimal("7.5"),
            MeterReadingSource.SUBMITTED,
            owner.pk,
            True,
        ),
    ]
    assert window["isOpen"] is True
    assert window["period"] == edge.period
