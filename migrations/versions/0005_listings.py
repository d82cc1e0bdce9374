"""listings: the listings board of a building

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "SELL",
                "GIVE_AWAY",
                "SERVICE",
                "LOST_PET",
                "FOUND_PET",
                "LEND",
                "OTHER",
                name="listing_category",
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.String(length=4000), nullable=False),
        sa.Column("price_kopecks", sa.BigInteger(), nullable=True),
        sa.Column(
            "status",
            sa.Enum("ACTIVE", "CLOSED", "REMOVED", name="listing_status"),
            nullable=False,
        ),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.BigInteger(), nullable=True),
        sa.Column("removal_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_listings_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_listings_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"], ["users.id"], name=op.f("fk_listings_removed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listings")),
    )
    op.create_index(
        "ix_listings_building_id_status_id",
        "listings",
        ["building_id", "status", "id"],
        unique=False,
    )

    op.create_table(
        "listing_photos",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("listing_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=64), nullable=False),
        sa.Column("content_type", sa.String(length=32), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_listing_photos_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"],
            ["listings.id"],
            name=op.f("fk_listing_photos_listing_id_listings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing_photos")),
        sa.UniqueConstraint(
            "listing_id", "position", name=op.f("uq_listing_photos_listing_id_position")
        ),
        sa.UniqueConstraint("storage_key", name=op.f("uq_listing_photos_storage_key")),
    )


def downgrade() -> None:
    op.drop_table("listing_photos")
    op.drop_index("ix_listings_building_id_status_id", table_name="listings")
    op.drop_table("listings")
    sa.Enum(name="listing_status").drop(op.get_bind(), checkfirst=True)
    sa.Enum(name="listing_category").drop(op.get_bind(), checkfirst=True)
