"""vehicles: plates users registered for "contact a vehicle owner"

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vehicles",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("plate_normalized", sa.String(length=16), nullable=False),
        sa.Column("plate_display", sa.String(length=20), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_vehicles_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint(
            "user_id", "plate_normalized", name=op.f("uq_vehicles_user_id_plate_normalized")
        ),
    )
    op.create_index(
        op.f("ix_vehicles_plate_normalized"), "vehicles", ["plate_normalized"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_vehicles_plate_normalized"), table_name="vehicles")
    op.drop_table("vehicles")
