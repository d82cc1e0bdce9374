"""intercom: building entrances, applications, panels, codes, entries and calls

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM_NAMES = (
    "intercom_application_status",
    "intercom_entry_method",
    "intercom_door_outcome",
    "intercom_call_state",
)


def upgrade() -> None:
    op.create_table(
        "building_entrances",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.SmallInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_building_entrances_building_id_buildings"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_building_entrances")),
        sa.UniqueConstraint(
            "building_id", "number", name=op.f("uq_building_entrances_building_id_number")
        ),
    )
    op.create_table(
        "intercom_applications",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("entrance_id", sa.BigInteger(), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("applicant_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "SUBMITTED", "APPROVED", "REJECTED", "CONNECTED", name="intercom_application_status"
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["applicant_id"], ["users.id"], name=op.f("fk_intercom_applications_applicant_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_intercom_applications_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["entrance_id"],
            ["building_entrances.id"],
            name=op.f("fk_intercom_applications_entrance_id_building_entrances"),
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"],
            ["premises.id"],
            name=op.f("fk_intercom_applications_premise_id_premises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercom_applications")),
    )
    op.create_index(
        op.f("ix_intercom_applications_building_id"),
        "intercom_applications",
        ["building_id"],
        unique=False,
    )
    op.create_index(
        "uq_intercom_applications_entrance_active",
        "intercom_applications",
        ["entrance_id"],
        unique=True,
        postgresql_where=sa.text("status <> 'REJECTED'"),
    )
    op.create_table(
        "intercom_codes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("entrance_id", sa.BigInteger(), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("creator_id", sa.BigInteger(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_intercom_codes_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["creator_id"], ["users.id"], name=op.f("fk_intercom_codes_creator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["entrance_id"],
            ["building_entrances.id"],
            name=op.f("fk_intercom_codes_entrance_id_building_entrances"),
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_intercom_codes_premise_id_premises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercom_codes")),
    )
    op.create_index(
        "ix_intercom_codes_premise_id_id", "intercom_codes", ["premise_id", "id"], unique=False
    )
    op.create_table(
        "intercom_panels",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("entrance_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("api_url", sa.String(length=500), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_intercom_panels_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["entrance_id"],
            ["building_entrances.id"],
            name=op.f("fk_intercom_panels_entrance_id_building_entrances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercom_panels")),
    )
    op.create_index(
        op.f("ix_intercom_panels_entrance_id"), "intercom_panels", ["entrance_id"], unique=False
    )
    op.create_table(
        "intercom_application_steps",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("application_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "SUBMITTED", "APPROVED", "REJECTED", "CONNECTED", name="intercom_application_status"
            ),
            nullable=False,
        ),
        sa.Column("actor_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=1000), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_intercom_application_steps_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["intercom_applications.id"],
            name=op.f("fk_intercom_application_steps_application_id_intercom_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercom_application_steps")),
    )
    op.create_index(
        op.f("ix_intercom_application_steps_application_id"),
        "intercom_application_steps",
        ["application_id"],
        unique=False,
    )
    op.create_table(
        "intercom_calls",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("panel_id", sa.BigInteger(), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("device_call_id", sa.String(length=100), nullable=False),
        sa.Column("media_url", sa.String(length=500), nullable=True),
        sa.Column(
            "state",
            sa.Enum("RINGING", "ANSWERED", "MISSED", "ENDED", name="intercom_call_state"),
            nullable=False,
        ),
        sa.Column("rang_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_by", sa.BigInteger(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_intercom_calls_answered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_intercom_calls_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["panel_id"],
            ["intercom_panels.id"],
            name=op.f("fk_intercom_calls_panel_id_intercom_panels"),
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_intercom_calls_premise_id_premises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercom_calls")),
        sa.UniqueConstraint(
            "panel_id", "device_call_id", name=op.f("uq_intercom_calls_panel_id_device_call_id")
        ),
    )
    op.create_index(
        op.f("ix_intercom_calls_premise_id"), "intercom_calls", ["premise_id"], unique=False
    )
    op.create_index(
        "ix_intercom_calls_state_rang_at", "intercom_calls", ["state", "rang_at"], unique=False
    )
    op.create_table(
        "intercom_device_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("panel_id", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["panel_id"],
            ["intercom_panels.id"],
            name=op.f("fk_intercom_device_events_panel_id_intercom_panels"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercom_device_events")),
        sa.UniqueConstraint(
            "panel_id", "event_id", name=op.f("uq_intercom_device_events_panel_id_event_id")
        ),
    )
    op.create_table(
        "intercom_call_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("call_id", sa.BigInteger(), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("RINGING", "ANSWERED", "MISSED", "ENDED", name="intercom_call_state"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["intercom_calls.id"],
            name=op.f("fk_intercom_call_events_call_id_intercom_calls"),
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"],
            ["premises.id"],
            name=op.f("fk_intercom_call_events_premise_id_premises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercom_call_events")),
    )
    op.create_index(
        "ix_intercom_call_events_premise_id_id",
        "intercom_call_events",
        ["premise_id", "id"],
        unique=False,
    )
    op.create_table(
        "intercom_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("panel_id", sa.BigInteger(), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "method",
            sa.Enum("APP", "CODE", "KEY_FOB", "CALL", name="intercom_entry_method"),
            nullable=False,
        ),
        sa.Column(
            "outcome",
            sa.Enum("OPENED", "DEVICE_OFFLINE", "TIMEOUT", name="intercom_door_outcome"),
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("code_id", sa.BigInteger(), nullable=True),
        sa.Column("call_id", sa.BigInteger(), nullable=True),
        sa.Column("fob", sa.String(length=100), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_intercom_entries_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["call_id"],
            ["intercom_calls.id"],
            name=op.f("fk_intercom_entries_call_id_intercom_calls"),
        ),
        sa.ForeignKeyConstraint(
            ["code_id"],
            ["intercom_codes.id"],
            name=op.f("fk_intercom_entries_code_id_intercom_codes"),
        ),
        sa.ForeignKeyConstraint(
            ["panel_id"],
            ["intercom_panels.id"],
            name=op.f("fk_intercom_entries_panel_id_intercom_panels"),
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_intercom_entries_premise_id_premises")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_intercom_entries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_intercom_entries")),
    )
    op.create_index(
        "ix_intercom_entries_premise_id_id", "intercom_entries", ["premise_id", "id"], unique=False
    )
    # The entrances the premises already name.
    op.execute(
        "INSERT INTO building_entrances (building_id, number) "
        "SELECT DISTINCT building_id, entrance FROM premises WHERE entrance IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_intercom_entries_premise_id_id", table_name="intercom_entries")
    op.drop_table("intercom_entries")
    op.drop_index("ix_intercom_call_events_premise_id_id", table_name="intercom_call_events")
    op.drop_table("intercom_call_events")
    op.drop_table("intercom_device_events")
    op.drop_index("ix_intercom_calls_state_rang_at", table_name="intercom_calls")
    op.drop_index(op.f("ix_intercom_calls_premise_id"), table_name="intercom_calls")
    op.drop_table("intercom_calls")
    op.drop_index(
        op.f("ix_intercom_application_steps_application_id"),
        table_name="intercom_application_steps",
    )
    op.drop_table("intercom_application_steps")
    op.drop_index(op.f("ix_intercom_panels_entrance_id"), table_name="intercom_panels")
    op.drop_table("intercom_panels")
    op.drop_index("ix_intercom_codes_premise_id_id", table_name="intercom_codes")
    op.drop_table("intercom_codes")
    op.drop_index(
        "uq_intercom_applications_entrance_active",
        table_name="intercom_applications",
        postgresql_where=sa.text("status <> 'REJECTED'"),
    )
    op.drop_index(op.f("ix_intercom_applications_building_id"), table_name="intercom_applications")
    op.drop_table("intercom_applications")
    op.drop_table("building_entrances")
    bind = op.get_bind()
    for name in ENUM_NAMES:
        sa.Enum(name=name).drop(bind)
