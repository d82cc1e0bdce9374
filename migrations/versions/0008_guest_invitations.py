"""guest invitations: guest access is given by a code the guest accepts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GUEST_LEVEL = postgresql.ENUM("ELEVATED", "BASIC", "INITIAL", name="guest_level", create_type=False)


def upgrade() -> None:
    op.create_table(
        "guest_invitations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("grantor_id", sa.BigInteger(), nullable=False),
        sa.Column("level", GUEST_LEVEL, nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accept_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("grant_id", sa.BigInteger(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "expires_at > COALESCE(starts_at, created_at)",
            name=op.f("ck_guest_invitations_span_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_guest_invitations_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["guest_grants.id"],
            name=op.f("fk_guest_invitations_grant_id_guest_grants"),
        ),
        sa.ForeignKeyConstraint(
            ["grantor_id"], ["users.id"], name=op.f("fk_guest_invitations_grantor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_guest_invitations_premise_id_premises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_guest_invitations")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_guest_invitations_code_hash")),
        sa.UniqueConstraint("grant_id", name=op.f("uq_guest_invitations_grant_id")),
    )
    op.create_index(op.f("ix_guest_invitations_building_id"), "guest_invitations", ["building_id"])
    op.create_index(op.f("ix_guest_invitations_grantor_id"), "guest_invitations", ["grantor_id"])
    op.create_index(
        "ix_guest_invitations_premise_pending",
        "guest_invitations",
        ["premise_id"],
        postgresql_where=sa.text("accepted_at IS NULL AND cancelled_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("guest_invitations")
