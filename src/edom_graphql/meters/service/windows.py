"""Reading windows, in Moscow time: water meters from the 15th, 00:00 to the 3rd of the
next month, 23:59:59; electricity meters from the 15th, 00:00 to the 26th, 23:59:59.

A window belongs to the period (the month) it opened in: the water window that opens on
15 December and closes on 3 January is December's. Periods are the first day of their
month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from edom_graphql.meters.models import WindowKind
from edom_graphql.notifications.service.messages import MONTHS_EN

MOSCOW = ZoneInfo("Europe/Moscow")
OPENS_ON_DAY = 15
WATER_CLOSES_ON_DAY = 3
"""Of the month after the period."""
ELECTRICITY_CLOSES_ON_DAY = 26
LAST_SECOND = timedelta(seconds=1)


def month_of(day: date) -> date:
    """The period a date is in: the first day of its month."""
    return day.replace(day=1)


def add_months(period: date, months: int) -> date:
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def moscow_date(instant: datetime) -> date:
    return instant.astimezone(MOSCOW).date()


def period_label(period: date) -> str:
    """``2026-11``: how a period is written in the API."""
    return f"{period.year:04d}-{period.month:02d}"


@dataclass(frozen=True, slots=True)
class Window:
    kind: WindowKind
    period: date
    opens_at: datetime
    """The first instant readings are accepted (UTC)."""
    ends_at: datetime
    """The first instant they are no longer accepted (UTC)."""

    @property
    def closes_at(self) -> datetime:
        """The last second of the window (23:59:59 Moscow time)."""
        return self.ends_at - LAST_SECOND

    def is_open(self, now: datetime) -> bool:
        return self.opens_at <= now < self.ends_at

    def describe(self) -> str:
        """``from 15 December 2026, 00:00 to 3 January 2027, 23:59:59 (Moscow time)``."""
        opens = self.opens_at.astimezone(MOSCOW)
        closes = self.closes_at.astimezone(MOSCOW)
        return (
            f"from {opens.day} {MONTHS_EN[opens.month - 1]} {opens.year}, 00:00 to "
            f"{closes.day} {MONTHS_EN[closes.month - 1]} {closes.year}, 23:59:59 (Moscow time)"
        )


def _moscow_midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=MOSCOW).astimezone(UTC)


def window_of(kind: WindowKind, period: date) -> Window:
    """The window of ``kind`` for ``period``."""
    opens = period.replace(day=OPENS_ON_DAY)
    if kind is WindowKind.WATER:
        ends = add_months(period, 1).replace(day=WATER_CLOSES_ON_DAY + 1)
    else:
        ends = period.replace(day=ELECTRICITY_CLOSES_ON_DAY + 1)
    return Window(kind, period, _moscow_midnight(opens), _moscow_midnight(ends))


def current_window(kind: WindowKind, now: datetime) -> Window:
    """The window of ``kind`` open at ``now``, or else the next one to open."""
    this_month = month_of(moscow_date(now))
    for period in (add_months(this_month, -1), this_month):
        window = window_of(kind, period)
        if now < window.ends_at:
            return window
    return window_of(kind, add_months(this_month, 1))


def last_opened_period(now: datetime) -> date:
    """The period of the latest window opened at or before ``now`` (both kinds open on
    the 15th): a reading taken by staff at ``now`` counts for it."""
    today = moscow_date(now)
    this_month = month_of(today)
    return this_month if today.day >= OPENS_ON_DAY else add_months(this_month, -1)


__all__ = [
    "MOSCOW",
    "Window",
    "add_months",
    "current_window",
    "last_opened_period",
    "month_of",
    "months_between",
    "moscow_date",
    "period_label",
    "window_of",
]
