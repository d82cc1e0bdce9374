"""notices: a building's notices, their earlier versions and per-category opt-outs

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "HOT_WATER_OUTAGE",
                "COLD_WATER_OUTAGE",
                "ELECTRICITY_OUTAGE",
                "HEATING_OUTAGE",
                "LIFT_OUTAGE",
                "WORKS",
                "RESIDENTS_MEETING",
                "ANNOUNCEMENT",
                name="notice_category",
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column(
            "entrances",
            postgresql.ARRAY(sa.SmallInteger()),
            server_default=sa.text("'{}'::smallint[]"),
            nullable=False,
        ),
        sa.Column("visible_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visible_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outage_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outage_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("edit_count", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_by", sa.BigInteger(), nullable=True),
        sa.CheckConstraint(
            "(outage_start IS NULL) = (outage_end IS NULL) AND (outage_end IS NULL OR outage_end > outage_start)",
            name=op.f("ck_notices_outage_order"),
        ),
        sa.CheckConstraint("visible_until > visible_from", name=op.f("ck_notices_window_order")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_notices_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_notices_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["management_organisations.id"],
            name=op.f("fk_notices_organisation_id_management_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["withdrawn_by"], ["users.id"], name=op.f("fk_notices_withdrawn_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index("ix_notices_building_id_id", "notices", ["building_id", "id"], unique=False)
    op.create_table(
        "notice_versions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("notice_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "HOT_WATER_OUTAGE",
                "COLD_WATER_OUTAGE",
                "ELECTRICITY_OUTAGE",
                "HEATING_OUTAGE",
                "LIFT_OUTAGE",
                "WORKS",
                "RESIDENTS_MEETING",
                "ANNOUNCEMENT",
                name="notice_category",
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("entrances", postgresql.ARRAY(sa.SmallInteger()), nullable=False),
        sa.Column("visible_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("visible_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outage_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outage_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replaced_by", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["notices.id"],
            name=op.f("fk_notice_versions_notice_id_notices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["replaced_by"], ["users.id"], name=op.f("fk_notice_versions_replaced_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_versions")),
    )
    op.create_index(
        "ix_notice_versions_notice_id_id", "notice_versions", ["notice_id", "id"], unique=False
    )
    op.create_table(
        "notice_category_mutes",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "HOT_WATER_OUTAGE",
                "COLD_WATER_OUTAGE",
                "ELECTRICITY_OUTAGE",
                "HEATING_OUTAGE",
                "LIFT_OUTAGE",
                "WORKS",
                "RESIDENTS_MEETING",
                "ANNOUNCEMENT",
                name="notice_category",
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notice_category_mutes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "category", name=op.f("pk_notice_category_mutes")),
    )


def downgrade() -> None:
    op.drop_table("notice_category_mutes")
    op.drop_index("ix_notice_versions_notice_id_id", table_name="notice_versions")
    op.drop_table("notice_versions")
    op.drop_index("ix_notices_building_id_id", table_name="notices")
    op.drop_table("notices")
    sa.Enum(name="notice_category").drop(op.get_bind(), checkfirst=True)
