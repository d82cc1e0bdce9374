"""foundation: organisations, buildings, premises, residents, guests, staff, notifications

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "management_organisations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("inn", sa.String(length=12), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_management_organisations")),
        sa.UniqueConstraint("inn", name=op.f("uq_management_organisations_inn")),
    )
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("bucket", sa.String(length=40), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_limit_hits")),
    )
    op.create_index(
        "ix_rate_limit_hits_bucket_at", "rate_limit_hits", ["bucket", "key", "at"], unique=False
    )
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("full_name", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("is_admin", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("subject", name=op.f("uq_users_subject")),
    )
    op.create_table(
        "buildings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("latitude", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("longitude", sa.Numeric(precision=9, scale=6), nullable=False),
        sa.Column("total_area", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column(
            "intercom_capable", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name=op.f("ck_buildings_latitude_range")),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name=op.f("ck_buildings_longitude_range")
        ),
        sa.CheckConstraint("total_area > 0", name=op.f("ck_buildings_total_area_positive")),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["management_organisations.id"],
            name=op.f("fk_buildings_organisation_id_management_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_buildings")),
    )
    op.create_index(
        op.f("ix_buildings_organisation_id"), "buildings", ["organisation_id"], unique=False
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=True),
        sa.Column("subject_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "data",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        "ix_notifications_unread",
        "notifications",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.create_index("ix_notifications_user_id_id", "notifications", ["user_id", "id"], unique=False)
    op.create_table(
        "staff_memberships",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "role", sa.Enum("DISPATCHER", "ENGINEER", "MANAGER", name="staff_role"), nullable=False
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["management_organisations.id"],
            name=op.f("fk_staff_memberships_organisation_id_management_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_staff_memberships_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_memberships")),
        sa.UniqueConstraint(
            "organisation_id",
            "user_id",
            "role",
            name=op.f("uq_staff_memberships_organisation_id_user_id_role"),
        ),
    )
    op.create_index(
        op.f("ix_staff_memberships_user_id"), "staff_memberships", ["user_id"], unique=False
    )
    op.create_table(
        "premises",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("APARTMENT", "NON_RESIDENTIAL", "PARKING", name="premise_kind"),
            nullable=False,
        ),
        sa.Column("number", sa.String(length=16), nullable=False),
        sa.Column("number_sort", sa.Integer(), nullable=False),
        sa.Column("area", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("entrance", sa.SmallInteger(), nullable=True),
        sa.Column("floor", sa.SmallInteger(), nullable=True),
        sa.Column("payer_code", sa.String(length=20), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("area > 0", name=op.f("ck_premises_area_positive")),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_premises_building_id_buildings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_premises")),
        sa.UniqueConstraint(
            "building_id", "kind", "number", name=op.f("uq_premises_building_id_kind_number")
        ),
        sa.UniqueConstraint("payer_code", name=op.f("uq_premises_payer_code")),
    )
    op.create_index(
        "ix_premises_building_order",
        "premises",
        ["building_id", "number_sort", "number", "id"],
        unique=False,
    )
    op.create_table(
        "guest_grants",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("grantor_id", sa.BigInteger(), nullable=False),
        sa.Column("grantee_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "level", sa.Enum("ELEVATED", "BASIC", "INITIAL", name="guest_level"), nullable=False
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("expires_at > starts_at", name=op.f("ck_guest_grants_span_positive")),
        sa.CheckConstraint("grantor_id <> grantee_id", name=op.f("ck_guest_grants_not_self")),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_guest_grants_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["grantee_id"], ["users.id"], name=op.f("fk_guest_grants_grantee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["grantor_id"], ["users.id"], name=op.f("fk_guest_grants_grantor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_guest_grants_premise_id_premises")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_guest_grants_revoked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guest_grants")),
    )
    op.create_index(
        op.f("ix_guest_grants_building_id"), "guest_grants", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_guest_grants_grantee_id"), "guest_grants", ["grantee_id"], unique=False
    )
    op.create_index(
        op.f("ix_guest_grants_grantor_id"), "guest_grants", ["grantor_id"], unique=False
    )
    op.create_index(
        op.f("ix_guest_grants_premise_id"), "guest_grants", ["premise_id"], unique=False
    )
    op.create_table(
        "ownerships",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("share_numerator", sa.Integer(), nullable=False),
        sa.Column("share_denominator", sa.Integer(), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "share_numerator > 0 AND share_denominator > 0 AND share_numerator <= share_denominator",
            name=op.f("ck_ownerships_share_fraction"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_ownerships_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_ownerships_premise_id_premises")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_ownerships_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ownerships")),
    )
    op.create_index(op.f("ix_ownerships_building_id"), "ownerships", ["building_id"], unique=False)
    op.create_index(op.f("ix_ownerships_premise_id"), "ownerships", ["premise_id"], unique=False)
    op.create_index(op.f("ix_ownerships_user_id"), "ownerships", ["user_id"], unique=False)
    op.create_index(
        "uq_ownerships_current",
        "ownerships",
        ["premise_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "registrations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_registrations_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_registrations_premise_id_premises")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_registrations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registrations")),
    )
    op.create_index(
        op.f("ix_registrations_building_id"), "registrations", ["building_id"], unique=False
    )
    op.create_index(
        op.f("ix_registrations_premise_id"), "registrations", ["premise_id"], unique=False
    )
    op.create_index(op.f("ix_registrations_user_id"), "registrations", ["user_id"], unique=False)
    op.create_index(
        "uq_registrations_current",
        "registrations",
        ["premise_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.create_table(
        "residency_confirmations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_residency_confirmations_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"],
            ["premises.id"],
            name=op.f("fk_residency_confirmations_premise_id_premises"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_residency_confirmations_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_residency_confirmations")),
    )
    op.create_index(
        op.f("ix_residency_confirmations_building_id"),
        "residency_confirmations",
        ["building_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_residency_confirmations_premise_id"),
        "residency_confirmations",
        ["premise_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_residency_confirmations_user_id"),
        "residency_confirmations",
        ["user_id"],
        unique=False,
    )
    op.create_index(
        "uq_residency_confirmations_current",
        "residency_confirmations",
        ["premise_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("ended_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_residency_confirmations_current",
        table_name="residency_confirmations",
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.drop_index(op.f("ix_residency_confirmations_user_id"), table_name="residency_confirmations")
    op.drop_index(
        op.f("ix_residency_confirmations_premise_id"), table_name="residency_confirmations"
    )
    op.drop_index(
        op.f("ix_residency_confirmations_building_id"), table_name="residency_confirmations"
    )
    op.drop_table("residency_confirmations")
    op.drop_index(
        "uq_registrations_current",
        table_name="registrations",
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.drop_index(op.f("ix_registrations_user_id"), table_name="registrations")
    op.drop_index(op.f("ix_registrations_premise_id"), table_name="registrations")
    op.drop_index(op.f("ix_registrations_building_id"), table_name="registrations")
    op.drop_table("registrations")
    op.drop_index(
        "uq_ownerships_current",
        table_name="ownerships",
        postgresql_where=sa.text("ended_at IS NULL"),
    )
    op.drop_index(op.f("ix_ownerships_user_id"), table_name="ownerships")
    op.drop_index(op.f("ix_ownerships_premise_id"), table_name="ownerships")
    op.drop_index(op.f("ix_ownerships_building_id"), table_name="ownerships")
    op.drop_table("ownerships")
    op.drop_index(op.f("ix_guest_grants_premise_id"), table_name="guest_grants")
    op.drop_index(op.f("ix_guest_grants_grantor_id"), table_name="guest_grants")
    op.drop_index(op.f("ix_guest_grants_grantee_id"), table_name="guest_grants")
    op.drop_index(op.f("ix_guest_grants_building_id"), table_name="guest_grants")
    op.drop_table("guest_grants")
    op.drop_index("ix_premises_building_order", table_name="premises")
    op.drop_table("premises")
    op.drop_index(op.f("ix_staff_memberships_user_id"), table_name="staff_memberships")
    op.drop_table("staff_memberships")
    op.drop_index("ix_notifications_user_id_id", table_name="notifications")
    op.drop_index(
        "ix_notifications_unread",
        table_name="notifications",
        postgresql_where=sa.text("read_at IS NULL"),
    )
    op.drop_table("notifications")
    op.drop_index(op.f("ix_buildings_organisation_id"), table_name="buildings")
    op.drop_table("buildings")
    op.drop_table("users")
    op.drop_index("ix_rate_limit_hits_bucket_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
    op.drop_table("management_organisations")
    for enum_name in ("guest_level", "premise_kind", "staff_role"):
        sa.Enum(name=enum_name).drop(op.get_bind(), checkfirst=True)
