"""repairs: repair requests, their photos, followers and history

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

SCOPE = postgresql.ENUM("APARTMENT", "BUILDING", "YARD", name="repair_request_scope")
CATEGORY = postgresql.ENUM(
    "LEAK",
    "BLOCKAGE",
    "EMERGENCY_DAMAGE",
    "PLUMBING",
    "HEATING",
    "ELECTRICITY",
    "LIFT",
    "ROOF",
    "ENTRANCE",
    "INTERCOM",
    "CLEANING",
    "YARD_UPKEEP",
    "OTHER",
    name="repair_category",
)
STATUS = postgresql.ENUM(
    "NEW",
    "ACCEPTED",
    "IN_PROGRESS",
    "DEFERRED",
    "DONE",
    "CLOSED",
    "REJECTED",
    "CANCELLED",
    "REOPENED",
    name="repair_request_status",
)
EVENT_KIND = postgresql.ENUM(
    "CREATED",
    "STATUS_CHANGED",
    "ASSIGNED",
    "COMMENTED",
    "JOINED",
    "RATED",
    name="repair_request_event_kind",
)
ENUMS = (SCOPE, CATEGORY, STATUS, EVENT_KIND)


def _existing(enum: postgresql.ENUM) -> postgresql.ENUM:
    """The type, created once up front, as a column type that does not create it again."""
    return postgresql.ENUM(*enum.enums, name=enum.name, create_type=False)


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    bind = op.get_bind()
    for enum in ENUMS:
        enum.create(bind)
    op.execute(sa.schema.CreateSequence(sa.Sequence("repair_request_numbers")))
    op.create_table(
        "repair_requests",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("scope", _existing(SCOPE), nullable=False),
        sa.Column("category", _existing(CATEGORY), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("status", _existing(STATUS), nullable=False),
        sa.Column("assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("follower_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint(
            "(scope = 'APARTMENT') = (premise_id IS NOT NULL)",
            name=op.f("ck_repair_requests_premise_iff_apartment"),
        ),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_repair_requests_rating_range")),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_repair_requests_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_repair_requests_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_repair_requests_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["management_organisations.id"],
            name=op.f("fk_repair_requests_organisation_id_management_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_repair_requests_premise_id_premises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_requests")),
        sa.UniqueConstraint("number", name=op.f("uq_repair_requests_number")),
    )
    op.create_index(
        "ix_repair_requests_assignee_id_id", "repair_requests", ["assignee_id", "id"], unique=False
    )
    op.create_index(
        "ix_repair_requests_author_id_id", "repair_requests", ["author_id", "id"], unique=False
    )
    op.create_index(
        "ix_repair_requests_building_id_id", "repair_requests", ["building_id", "id"], unique=False
    )
    op.create_index(
        "ix_repair_requests_done_at",
        "repair_requests",
        ["done_at"],
        unique=False,
        postgresql_where=sa.text("status = 'DONE'"),
    )
    op.create_index(
        "ix_repair_requests_due",
        "repair_requests",
        ["organisation_id", "id"],
        unique=False,
        postgresql_where=sa.text("due_at IS NOT NULL"),
    )
    op.create_index(
        "ix_repair_requests_organisation_id_id",
        "repair_requests",
        ["organisation_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_repair_requests_organisation_id_status_id",
        "repair_requests",
        ["organisation_id", "status", "id"],
        unique=False,
    )
    op.create_table(
        "repair_request_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("organisation_id", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", _existing(EVENT_KIND), nullable=False),
        sa.Column("from_status", _existing(STATUS), nullable=True),
        sa.Column("to_status", _existing(STATUS), nullable=True),
        sa.Column("assignee_id", sa.BigInteger(), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("comment", sa.String(length=2000), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_repair_request_events_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"], ["users.id"], name=op.f("fk_repair_request_events_assignee_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_repair_request_events_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["management_organisations.id"],
            name=op.f("fk_repair_request_events_organisation_id_management_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["repair_requests.id"],
            name=op.f("fk_repair_request_events_request_id_repair_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_request_events")),
    )
    op.create_index(
        "ix_repair_request_events_building_id_id",
        "repair_request_events",
        ["building_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_repair_request_events_organisation_id_id",
        "repair_request_events",
        ["organisation_id", "id"],
        unique=False,
    )
    op.create_index(
        "ix_repair_request_events_request_id_id",
        "repair_request_events",
        ["request_id", "id"],
        unique=False,
    )
    op.create_table(
        "repair_request_followers",
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_repair_request_followers_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["repair_requests.id"],
            name=op.f("fk_repair_request_followers_request_id_repair_requests"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_repair_request_followers_user_id_users")
        ),
        sa.PrimaryKeyConstraint("request_id", "user_id", name=op.f("pk_repair_request_followers")),
    )
    op.create_index(
        "ix_repair_request_followers_user_id",
        "repair_request_followers",
        ["user_id", "request_id"],
        unique=False,
    )
    op.create_table(
        "repair_request_photos",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("request_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_repair_request_photos_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["repair_requests.id"],
            name=op.f("fk_repair_request_photos_request_id_repair_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_request_photos")),
        sa.UniqueConstraint(
            "request_id", "position", name=op.f("uq_repair_request_photos_request_id_position")
        ),
        sa.UniqueConstraint("storage_key", name=op.f("uq_repair_request_photos_storage_key")),
    )


def downgrade() -> None:
    op.drop_table("repair_request_photos")
    op.drop_index("ix_repair_request_followers_user_id", table_name="repair_request_followers")
    op.drop_table("repair_request_followers")
    op.drop_index("ix_repair_request_events_request_id_id", table_name="repair_request_events")
    op.drop_index("ix_repair_request_events_organisation_id_id", table_name="repair_request_events")
    op.drop_index("ix_repair_request_events_building_id_id", table_name="repair_request_events")
    op.drop_table("repair_request_events")
    op.drop_index("ix_repair_requests_organisation_id_status_id", table_name="repair_requests")
    op.drop_index("ix_repair_requests_organisation_id_id", table_name="repair_requests")
    op.drop_index(
        "ix_repair_requests_due",
        table_name="repair_requests",
        postgresql_where=sa.text("due_at IS NOT NULL"),
    )
    op.drop_index(
        "ix_repair_requests_done_at",
        table_name="repair_requests",
        postgresql_where=sa.text("status = 'DONE'"),
    )
    op.drop_index("ix_repair_requests_building_id_id", table_name="repair_requests")
    op.drop_index("ix_repair_requests_author_id_id", table_name="repair_requests")
    op.drop_index("ix_repair_requests_assignee_id_id", table_name="repair_requests")
    op.drop_table("repair_requests")
    op.execute(sa.schema.DropSequence(sa.Sequence("repair_request_numbers")))
    bind = op.get_bind()
    for enum in reversed(ENUMS):
        enum.drop(bind)
