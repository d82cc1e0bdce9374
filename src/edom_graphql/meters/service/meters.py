"""Staff of the building's organisation register, replace and retire a premise's meters.

A new meter gets its installation readings (what it showed when installed: zero unless
given), which are the baseline of its first period. Replacing a meter retires it (with its
removal readings, if the engineer could take them) and registers its successor, which
it names (``replaced_by_id``): the old meter's history stays, linked. Retired meters take
no readings.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import Premise
from edom_graphql.core.errors import ServiceError
from edom_graphql.meters.models import (
    MAX_PRECISION,
    MAX_SERIAL_LENGTH,
    ZONES,
    Meter,
    MeterKind,
    MeterReadingSource,
)
from edom_graphql.meters.service.readings import (
    GivenReading,
    LockedMeter,
    check_against_previous,
    lock_meter,
    parse_readings,
    record,
)
from edom_graphql.meters.service.windows import last_opened_period, month_of, moscow_date

DEFAULT_PRECISION = {MeterKind.COLD_WATER: 3, MeterKind.HOT_WATER: 3, MeterKind.ELECTRICITY: 1}
"""Decimal places a meter shows unless told: water meters count litres, electricity
meters tenths of a kWh."""
MAX_VERIFICATION_YEARS = 20
_SERIAL = re.compile(r"[0-9A-Za-zА-Яа-яЁё][0-9A-Za-zА-Яа-яЁё ./-]*")


@dataclass(frozen=True, slots=True)
class NewMeter:
    """A meter as staff describe it."""

    serial_number: str
    next_verification_on: date
    zones: int | None = None
    """None: one for a new meter, as many as the old one's for a replacement."""
    installed_on: date | None = None
    """None: today (Moscow time)."""
    precision: int | None = None
    """None: :data:`DEFAULT_PRECISION` of the kind (the old one's for a replacement)."""
    initial: Sequence[GivenReading] | None = None
    """What it shows on installation; None: zero in every zone."""


def _serial(text: str) -> str:
    serial = " ".join(text.split())
    if not serial or len(serial) > MAX_SERIAL_LENGTH or not _SERIAL.fullmatch(serial):
        raise ServiceError(
            "INVALID_SERIAL_NUMBER",
            f"A serial number is 1–{MAX_SERIAL_LENGTH} letters and digits (with spaces, "
            "dots, slashes or dashes between them).",
            ["serialNumber"],
        )
    return serial


def _checked(kind: MeterKind, new: NewMeter, today: date) -> tuple[str, int, date, int]:
    """Serial number, zones, installation date and precision, checked."""
    serial = _serial(new.serial_number)
    zones = 1 if new.zones is None else new.zones
    if not 1 <= zones <= len(ZONES) or (kind is not MeterKind.ELECTRICITY and zones != 1):
        raise ServiceError(
            "INVALID_ZONES",
            "Water meters have one zone; electricity meters one, two or three.",
            ["zones"],
        )
    precision = DEFAULT_PRECISION[kind] if new.precision is None else new.precision
    if not 0 <= precision <= MAX_PRECISION:
        raise ServiceError(
            "INVALID_PRECISION",
            f"A meter shows 0–{MAX_PRECISION} decimal places.",
            ["precision"],
        )
    installed_on = today if new.installed_on is None else new.installed_on
    if installed_on > today:
        raise ServiceError(
            "INSTALLED_IN_FUTURE", "The installation date is in the future.", ["installedOn"]
        )
    verification = new.next_verification_on
    if verification <= installed_on or verification > installed_on + timedelta(
        days=366 * MAX_VERIFICATION_YEARS
    ):
        raise ServiceError(
            "INVALID_VERIFICATION_DATE",
            f"The next verification is after the installation, at most "
            f"{MAX_VERIFICATION_YEARS} years later.",
            ["nextVerificationOn"],
        )
    if verification < today:
        raise ServiceError(
            "VERIFICATION_EXPIRED",
            f"The verification date {verification.isoformat()} has passed: verify the meter "
            "before registering it.",
            ["nextVerificationOn"],
        )
    return serial, zones, installed_on, precision


async def _insert(
    session: AsyncSession,
    *,
    kind: MeterKind,
    premise_id: int,
    building_id: int,
    new: NewMeter,
    user_id: int,
    now: datetime,
) -> int:
    serial, zones, installed_on, precision = _checked(kind, new, moscow_date(now))
    zone_list = ZONES[:zones]
    given = new.initial if new.initial is not None else [GivenReading(z, "0") for z in zone_list]
    values = parse_readings(given, zone_list, precision, field="initialReadings")
    try:
        async with session.begin_nested():
            meter_id = (
                await session.execute(
                    insert(Meter)
                    .values(
                        premise_id=premise_id,
                        building_id=building_id,
                        kind=kind,
                        zones=zones,
                        serial_number=serial,
                        installed_on=installed_on,
                        next_verification_on=new.next_verification_on,
                        precision=precision,
                        registered_by_id=user_id,
                        created_at=now,
                    )
                    .returning(Meter.id)
                )
            ).scalar_one()
    except IntegrityError as error:
        if "uq_meters_active_serial" not in str(error.orig):
            raise
        raise ServiceError(
            "SERIAL_IN_USE",
            f"A meter with the serial number {serial} is in service in this building.",
            ["serialNumber"],
        ) from None
    meter = LockedMeter(
        int(meter_id),
        premise_id,
        building_id,
        kind,
        zones,
        installed_on,
        new.next_verification_on,
        precision,
        None,
        None,
    )
    await record(
        session,
        meter,
        values,
        period=None,
        source=MeterReadingSource.INSTALLATION,
        user_id=user_id,
        now=now,
    )
    return meter.id


async def register(
    session: AsyncSession,
    *,
    premise_id: int,
    kind: MeterKind,
    new: NewMeter,
    user_id: int,
    now: datetime,
) -> int:
    """A new meter of the premise: its id."""
    building_id = (
        await session.execute(select(Premise.building_id).where(Premise.id == premise_id))
    ).scalar_one()
    return await _insert(
        session,
        kind=kind,
        premise_id=premise_id,
        building_id=building_id,
        new=new,
        user_id=user_id,
        now=now,
    )


async def _take_out(
    session: AsyncSession,
    meter_id: int,
    final: Sequence[GivenReading] | None,
    *,
    user_id: int,
    now: datetime,
) -> LockedMeter:
    """Retire the meter, with its removal readings if given: the meter as it was."""
    meter = await lock_meter(session, meter_id)
    if meter is None or meter.retired_at is not None:
        raise ServiceError("METER_RETIRED", "This meter has been taken out of service.", None)
    if final is not None:
        values = parse_readings(final, meter.zone_list, meter.precision, field="finalReadings")
        period = max(last_opened_period(now), month_of(meter.installed_on))
        current = await check_against_previous(
            session, meter, values, period=period, field="finalReadings", including=True
        )
        await record(
            session,
            meter,
            values,
            period=period,
            source=MeterReadingSource.REMOVAL,
            user_id=user_id,
            now=now,
            superseding=current,
        )
    await session.execute(
        update(Meter).where(Meter.id == meter.id).values(retired_at=now, retired_by_id=user_id)
    )
    return meter


async def retire(
    session: AsyncSession,
    *,
    meter_id: int,
    final: Sequence[GivenReading] | None,
    user_id: int,
    now: datetime,
) -> None:
    """Take a meter out of service (its removal readings, if given, count for the
    latest period opened)."""
    await _take_out(session, meter_id, final, user_id=user_id, now=now)


async def replace(
    session: AsyncSession,
    *,
    meter_id: int,
    new: NewMeter,
    final: Sequence[GivenReading] | None,
    user_id: int,
    now: datetime,
) -> int:
    """Retire a meter and register its successor of the same kind at the premise: the
    new meter's id."""
    old = await _take_out(session, meter_id, final, user_id=user_id, now=now)
    successor = dataclasses.replace(
        new,
        zones=old.zones if new.zones is None else new.zones,
        precision=old.precision if new.precision is None else new.precision,
    )
    new_id = await _insert(
        session,
        kind=old.kind,
        premise_id=old.premise_id,
        building_id=old.building_id,
        new=successor,
        user_id=user_id,
        now=now,
    )
    await session.execute(update(Meter).where(Meter.id == old.id).values(replaced_by_id=new_id))
    return new_id


__all__ = ["DEFAULT_PRECISION", "NewMeter", "register", "replace", "retire"]
