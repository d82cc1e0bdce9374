"""push to phones: users' push devices, per-category mutes and push deliveries

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM_NAMES = ("push_delivery_state", "push_platform", "notification_category")


def upgrade() -> None:
    op.create_table(
        "notification_mutes",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "VEHICLE_CONTACT",
                "INTERCOM_CALL",
                "DIRECT_MESSAGE",
                "MEETINGS",
                "REPAIRS",
                "BUILDING_NOTICES",
                name="notification_category",
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
            name=op.f("fk_notification_mutes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "category", name=op.f("pk_notification_mutes")),
    )
    op.create_table(
        "push_devices",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "platform", sa.Enum("WEB_PUSH", "FCM", "APNS", name="push_platform"), nullable=False
        ),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("p256dh", sa.String(length=100), nullable=True),
        sa.Column("auth", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_push_devices_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_devices")),
        sa.UniqueConstraint("platform", "endpoint", name="uq_push_devices_platform_endpoint"),
    )
    op.create_index(
        "ix_push_devices_user_id",
        "push_devices",
        ["user_id"],
        unique=False,
        postgresql_where=sa.text("removed_at IS NULL"),
    )
    op.create_table(
        "push_deliveries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("notification_id", sa.BigInteger(), nullable=False),
        sa.Column("device_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "state",
            sa.Enum("PENDING", "SENT", "FAILED", "GONE", name="push_delivery_state"),
            server_default="PENDING",
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["push_devices.id"],
            name=op.f("fk_push_deliveries_device_id_push_devices"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_push_deliveries_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_deliveries")),
        sa.UniqueConstraint("notification_id", "device_id", name="uq_push_deliveries_pair"),
    )
    op.create_index("ix_push_deliveries_device_id", "push_deliveries", ["device_id"], unique=False)
    op.create_index(
        "ix_push_deliveries_due",
        "push_deliveries",
        ["next_attempt_at"],
        unique=False,
        postgresql_where=sa.text("state = 'PENDING'"),
    )


def downgrade() -> None:
    op.drop_index(
        "ix_push_deliveries_due",
        table_name="push_deliveries",
        postgresql_where=sa.text("state = 'PENDING'"),
    )
    op.drop_index("ix_push_deliveries_device_id", table_name="push_deliveries")
    op.drop_table("push_deliveries")
    op.drop_index(
        "ix_push_devices_user_id",
        table_name="push_devices",
        postgresql_where=sa.text("removed_at IS NULL"),
    )
    op.drop_table("push_devices")
    op.drop_table("notification_mutes")
    for name in ENUM_NAMES:
        sa.Enum(name=name).drop(op.get_bind())
