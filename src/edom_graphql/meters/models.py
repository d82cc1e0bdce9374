"""Meters of premises and their readings: a meter per water or electricity supply, its
readings per period (the month a reading window opened in) with the history of
resubmissions, the plausibility limits per kind of meter, and the reminders sent when a
window opens."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.models import BigId, CreatedAt

MAX_SERIAL_LENGTH = 40
VALUE_DIGITS, VALUE_SCALE = 16, 6
"""Readings are ``NUMERIC(16, 6)``: up to 10 whole digits and the meter's precision
(at most 6) after the point."""
MAX_PRECISION = VALUE_SCALE


class MeterKind(enum.Enum):
    COLD_WATER = "COLD_WATER"
    HOT_WATER = "HOT_WATER"
    ELECTRICITY = "ELECTRICITY"


class MeterZone(enum.Enum):
    """A tariff zone of a meter: water meters have T1 only; electricity meters one to three
    (T1 day/peak, T2 night, T3 half-peak)."""

    T1 = "T1"
    T2 = "T2"
    T3 = "T3"


ZONES = (MeterZone.T1, MeterZone.T2, MeterZone.T3)


class WindowKind(enum.Enum):
    """The reading windows: water meters (cold and hot) share one, electricity has its own."""

    WATER = "WATER"
    ELECTRICITY = "ELECTRICITY"


WINDOW_OF_KIND = {
    MeterKind.COLD_WATER: WindowKind.WATER,
    MeterKind.HOT_WATER: WindowKind.WATER,
    MeterKind.ELECTRICITY: WindowKind.ELECTRICITY,
}


UNITS = {MeterKind.COLD_WATER: "m³", MeterKind.HOT_WATER: "m³", MeterKind.ELECTRICITY: "kWh"}
"""What a meter of each kind counts."""


class MeterReadingSource(enum.Enum):
    SUBMITTED = "SUBMITTED"
    """Submitted by an occupant of the premise in a reading window."""
    INSTALLATION = "INSTALLATION"
    """What the meter showed when it was installed (entered by staff; no period)."""
    REMOVAL = "REMOVAL"
    """What the meter showed when staff took it out of service."""


meter_kind = Enum(MeterKind, name="meter_kind")
meter_zone = Enum(MeterZone, name="meter_zone")
window_kind_enum = Enum(WindowKind, name="meter_window_kind")
reading_source = Enum(MeterReadingSource, name="meter_reading_source")


class Meter(Base):
    """A meter of a premise. Retired meters stay, with their readings, as history; a
    replaced one names its successor (``replaced_by_id``)."""

    __tablename__ = "meters"
    __table_args__ = (
        CheckConstraint(
            "zones BETWEEN 1 AND 3 AND (kind = 'ELECTRICITY' OR zones = 1)", name="zones_range"
        ),
        CheckConstraint(f"precision BETWEEN 0 AND {MAX_PRECISION}", name="precision_range"),
        CheckConstraint("next_verification_on > installed_on", name="verification_after"),
        CheckConstraint("(retired_at IS NULL) = (retired_by_id IS NULL)", name="retired_by_whom"),
        CheckConstraint(
            "replaced_by_id IS NULL OR retired_at IS NOT NULL", name="replaced_when_retired"
        ),
        Index("ix_meters_premise_id_id", "premise_id", "id"),
        Index(
            "uq_meters_active_serial",
            "building_id",
            "serial_number",
            unique=True,
            postgresql_where=text("retired_at IS NULL"),
        ),
        Index("ix_meters_created_at", "created_at"),
    )

    id: Mapped[BigId]
    premise_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("premises.id"))
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    kind: Mapped[MeterKind] = mapped_column(meter_kind)
    zones: Mapped[int] = mapped_column(SmallInteger)
    serial_number: Mapped[str] = mapped_column(String(MAX_SERIAL_LENGTH))
    installed_on: Mapped[date] = mapped_column(Date)
    next_verification_on: Mapped[date] = mapped_column(Date)
    precision: Mapped[int] = mapped_column(SmallInteger)
    registered_by_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    retired_by_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    replaced_by_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("meters.id"), unique=True
    )


class MeterReading(Base):
    """One reading of one zone. The current reading of a period is the one not
    superseded; a resubmission supersedes it (the row stays as history), so a partial
    unique index keeps one current reading per meter, zone and period."""

    __tablename__ = "meter_readings"
    __table_args__ = (
        CheckConstraint("value >= 0", name="value_not_negative"),
        CheckConstraint("(source = 'INSTALLATION') = (period IS NULL)", name="period_source"),
        CheckConstraint("period IS NULL OR EXTRACT(DAY FROM period) = 1", name="period_month"),
        Index(
            "uq_meter_readings_current",
            "meter_id",
            "zone",
            "period",
            unique=True,
            postgresql_where=text("superseded_at IS NULL"),
        ),
        Index("ix_meter_readings_meter_id_id", "meter_id", "id"),
    )

    id: Mapped[BigId]
    meter_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("meters.id"))
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    zone: Mapped[MeterZone] = mapped_column(meter_zone)
    period: Mapped[date | None] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(VALUE_DIGITS, VALUE_SCALE))
    source: Mapped[MeterReadingSource] = mapped_column(reading_source)
    submitted_by_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MeterPlausibilityLimit(Base):
    """The most a meter of a kind plausibly counts in a month (per zone), configurable by
    operators: a reading that jumps further above the previous one is refused."""

    __tablename__ = "meter_plausibility_limits"
    __table_args__ = (CheckConstraint("max_per_month > 0", name="max_positive"),)

    kind: Mapped[MeterKind] = mapped_column(meter_kind, primary_key=True)
    max_per_month: Mapped[Decimal] = mapped_column(Numeric(12, 3))


class MeterWindowReminder(Base):
    """A reminder sent to a premise's occupants that a reading window has opened: the
    unique key makes it once per premise, window and period, however many processes
    sweep."""

    __tablename__ = "meter_window_reminders"
    __table_args__ = (UniqueConstraint("premise_id", "window_kind", "period"),)

    id: Mapped[BigId]
    premise_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("premises.id"))
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    window_kind: Mapped[WindowKind] = mapped_column(window_kind_enum)
    period: Mapped[date] = mapped_column(Date)
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
