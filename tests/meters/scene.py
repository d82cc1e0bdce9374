"""What the meters tests build on: the server's clock set to moments in Moscow time,
meters registered through the API, readings submitted through it, and rows read
straight from the database."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from edom_graphql.core.ids import decode_id
from edom_graphql.meters.models import Meter, MeterReading
from edom_graphql.notifications.models import Notification
from edom_graphql.points.models import PointEntry
from tests.factories import Api, Clock, Person, World
from tests.meters.operations import REGISTER, SUBMIT

MOSCOW = ZoneInfo("Europe/Moscow")
_SERIALS = itertools.count(1)


def moscow(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """An instant given in Moscow time."""
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


def set_clock(clock: Clock, instant: datetime) -> None:
    """Move the server's clock so that it reads ``instant`` now (and runs on from it)."""
    clock.offset = instant - datetime.now(UTC)


@contextmanager
def frozen_at(clock: Clock, instant: datetime) -> Iterator[None]:
    """The server's clock reads exactly ``instant`` for the block (to the microsecond)."""
    running = Clock.__call__
    Clock.__call__ = lambda self: instant.astimezone(UTC)  # type: ignore[method-assign]
    clock.offset = instant - datetime.now(UTC)
    try:
        yield
    finally:
        Clock.__call__ = running  # type: ignore[method-assign]


def months_ahead(months: int) -> tuple[int, int]:
    """(year, month) of the month ``months`` after this one (in Moscow)."""
    today = datetime.now(MOSCOW).date()
    index = today.year * 12 + today.month - 1 + months
    return index // 12, index % 12 + 1


def coming_december() -> int:
    """The year of the next December whose 14th is still ahead."""
    today = datetime.now(MOSCOW).date()
    return today.year if today < date(today.year, 12, 14) else today.year + 1


def pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


def serial() -> str:
    return f"SN-{uuid.uuid4().hex[:8].upper()}-{next(_SERIALS)}"


def far_verification() -> str:
    return (datetime.now(MOSCOW).date() + timedelta(days=6 * 365)).isoformat()


async def register(
    api: Api,
    world: World,
    *,
    kind: str = "COLD_WATER",
    premise: str = "1",
    as_: str = "engineer",
    **fields: Any,
) -> dict[str, Any]:
    """A new meter of the premise, registered by staff (which must work): the meter."""
    values = {
        "premiseId": world.premise_id(premise),
        "kind": kind,
        "serialNumber": serial(),
        "nextVerificationOn": far_verification(),
        **fields,
    }
    payload = (await api.gql(REGISTER, {"input": values}, as_=world[as_]))["meterRegister"]
    assert payload["userErrors"] == [], payload
    meter: dict[str, Any] = payload["meter"]
    return meter


async def submit(
    api: Api, person: Person, meter_id: str, *readings: tuple[str, str] | str
) -> dict[str, Any]:
    """The payload of ``meterReadingSubmit``; a reading is a value (zone T1) or
    ``(zone, value)``."""
    given = [
        {"zone": r[0], "value": r[1]} if isinstance(r, tuple) else {"value": r} for r in readings
    ]
    result = await api.post(SUBMIT, {"input": {"meterId": meter_id, "readings": given}}, as_=person)
    payload: dict[str, Any] = result.ok()["meterReadingSubmit"]
    return payload


async def rows(api: Api, statement: Any) -> list[Any]:
    async with api.db.transaction() as (session, _):
        return list((await session.execute(statement)).all())


async def readings_of(api: Api, meter_id: str) -> list[tuple[Any, ...]]:
    """Every reading row of the meter, in id order."""
    found = await rows(
        api,
        select(
            MeterReading.zone,
            MeterReading.period,
            MeterReading.value,
            MeterReading.source,
            MeterReading.submitted_by_id,
            MeterReading.superseded_at.is_(None),
        )
        .where(MeterReading.meter_id == pk(meter_id))
        .order_by(MeterReading.id),
    )
    return [tuple(row) for row in found]


async def meter_row(api: Api, meter_id: str) -> tuple[Any, ...]:
    (row,) = await rows(
        api,
        select(Meter.__table__).where(Meter.id == pk(meter_id)),
    )
    return tuple(row)


async def awards_of(api: Api, meter_id: str) -> list[tuple[Any, ...]]:
    """The ledger entries awarded for the meter's readings: (user, amount, source key)."""
    found = await rows(
        api,
        select(PointEntry.user_id, PointEntry.amount, PointEntry.source_key)
        .where(PointEntry.source_key.like(f"meter-reading:{pk(meter_id)}:%"))
        .order_by(PointEntry.id),
    )
    return [tuple(row) for row in found]


async def notifications_of(api: Api, user_id: int, kind: str) -> list[tuple[Any, ...]]:
    found = await rows(
        api,
        select(Notification.subject_type, Notification.subject_id, Notification.data)
        .where(Notification.user_id == user_id, Notification.kind == kind)
        .order_by(Notification.id),
    )
    return [tuple(row) for row in found]
