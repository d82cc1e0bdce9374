"""meters: meters of premises, their readings, plausibility limits and window reminders

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM_NAMES = ("meter_reading_source", "meter_zone", "meter_window_kind", "meter_kind")
LIMITS = (
    ("COLD_WATER", "30.000"),
    ("HOT_WATER", "30.000"),
    ("ELECTRICITY", "3000.000"),
)
"""The initial plausibility limits (m³ and kWh per month and zone); operators change the
rows of ``meter_plausibility_limits``."""


def upgrade() -> None:
    limits = op.create_table(
        "meter_plausibility_limits",
        sa.Column(
            "kind",
            sa.Enum("COLD_WATER", "HOT_WATER", "ELECTRICITY", name="meter_kind"),
            nullable=False,
        ),
        sa.Column("max_per_month", sa.Numeric(precision=12, scale=3), nullable=False),
        sa.CheckConstraint(
            "max_per_month > 0", name=op.f("ck_meter_plausibility_limits_max_positive")
        ),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_meter_plausibility_limits")),
    )
    op.bulk_insert(
        limits, [{"kind": kind, "max_per_month": Decimal(value)} for kind, value in LIMITS]
    )
    op.create_table(
        "meter_window_reminders",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "window_kind", sa.Enum("WATER", "ELECTRICITY", name="meter_window_kind"), nullable=False
        ),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_meter_window_reminders_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"],
            ["premises.id"],
            name=op.f("fk_meter_window_reminders_premise_id_premises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_window_reminders")),
        sa.UniqueConstraint(
            "premise_id",
            "window_kind",
            "period",
            name=op.f("uq_meter_window_reminders_premise_id_window_kind_period"),
        ),
    )
    op.create_table(
        "meters",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("COLD_WATER", "HOT_WATER", "ELECTRICITY", name="meter_kind"),
            nullable=False,
        ),
        sa.Column("zones", sa.SmallInteger(), nullable=False),
        sa.Column("serial_number", sa.String(length=40), nullable=False),
        sa.Column("installed_on", sa.Date(), nullable=False),
        sa.Column("next_verification_on", sa.Date(), nullable=False),
        sa.Column("precision", sa.SmallInteger(), nullable=False),
        sa.Column("registered_by_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("retired_by_id", sa.BigInteger(), nullable=True),
        sa.Column("replaced_by_id", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "zones BETWEEN 1 AND 3 AND (kind = 'ELECTRICITY' OR zones = 1)",
            name=op.f("ck_meters_zones_range"),
        ),
        sa.CheckConstraint(
            "(retired_at IS NULL) = (retired_by_id IS NULL)", name=op.f("ck_meters_retired_by_whom")
        ),
        sa.CheckConstraint(
            "next_verification_on > installed_on", name=op.f("ck_meters_verification_after")
        ),
        sa.CheckConstraint("precision BETWEEN 0 AND 6", name=op.f("ck_meters_precision_range")),
        sa.CheckConstraint(
            "replaced_by_id IS NULL OR retired_at IS NOT NULL",
            name=op.f("ck_meters_replaced_when_retired"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_meters_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_meters_premise_id_premises")
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_id"], ["users.id"], name=op.f("fk_meters_registered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by_id"], ["meters.id"], name=op.f("fk_meters_replaced_by_id_meters")
        ),
        sa.ForeignKeyConstraint(
            ["retired_by_id"], ["users.id"], name=op.f("fk_meters_retired_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meters")),
        sa.UniqueConstraint("replaced_by_id", name=op.f("uq_meters_replaced_by_id")),
    )
    op.create_index("ix_meters_created_at", "meters", ["created_at"], unique=False)
    op.create_index("ix_meters_premise_id_id", "meters", ["premise_id", "id"], unique=False)
    op.create_index(
        "uq_meters_active_serial",
        "meters",
        ["building_id", "serial_number"],
        unique=True,
        postgresql_where=sa.text("retired_at IS NULL"),
    )
    op.create_table(
        "meter_readings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("meter_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("zone", sa.Enum("T1", "T2", "T3", name="meter_zone"), nullable=False),
        sa.Column("period", sa.Date(), nullable=True),
        sa.Column("value", sa.Numeric(precision=16, scale=6), nullable=False),
        sa.Column(
            "source",
            sa.Enum("SUBMITTED", "INSTALLATION", "REMOVAL", name="meter_reading_source"),
            nullable=False,
        ),
        sa.Column("submitted_by_id", sa.BigInteger(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("superseded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(source = 'INSTALLATION') = (period IS NULL)",
            name=op.f("ck_meter_readings_period_source"),
        ),
        sa.CheckConstraint(
            "period IS NULL OR EXTRACT(DAY FROM period) = 1",
            name=op.f("ck_meter_readings_period_month"),
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_meter_readings_value_not_negative")),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_meter_readings_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["meter_id"], ["meters.id"], name=op.f("fk_meter_readings_meter_id_meters")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"], ["users.id"], name=op.f("fk_meter_readings_submitted_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meter_readings")),
    )
    op.create_index(
        "ix_meter_readings_meter_id_id", "meter_readings", ["meter_id", "id"], unique=False
    )
    op.create_index(
        "uq_meter_readings_current",
        "meter_readings",
        ["meter_id", "zone", "period"],
        unique=True,
        postgresql_where=sa.text("superseded_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_meter_readings_current",
        table_name="meter_readings",
        postgresql_where=sa.text("superseded_at IS NULL"),
    )
    op.drop_index("ix_meter_readings_meter_id_id", table_name="meter_readings")
    op.drop_table("meter_readings")
    op.drop_index(
        "uq_meters_active_serial",
        table_name="meters",
        postgresql_where=sa.text("retired_at IS NULL"),
    )
    op.drop_index("ix_meters_premise_id_id", table_name="meters")
    op.drop_index("ix_meters_created_at", table_name="meters")
    op.drop_table("meters")
    op.drop_table("meter_window_reminders")
    op.drop_table("meter_plausibility_limits")
    bind = op.get_bind()
    for name in ENUM_NAMES:
        sa.Enum(name=name).drop(bind)
