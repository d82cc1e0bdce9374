"""billing: bills of premises with their lines, payments and processed webhook events

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM_NAMES = ("payment_status", "bill_service", "bill_kind")


def upgrade() -> None:
    op.create_table(
        "bills",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Enum("EPD", "ELECTRICITY", name="bill_kind"), nullable=False),
        sa.Column("period", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("paid_amount", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
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
        sa.CheckConstraint("amount >= 0", name=op.f("ck_bills_amount_not_negative")),
        sa.CheckConstraint("paid_amount >= 0", name=op.f("ck_bills_paid_amount_not_negative")),
        sa.CheckConstraint(
            "period BETWEEN 190001 AND 299912 AND period % 100 BETWEEN 1 AND 12",
            name=op.f("ck_bills_period_is_a_month"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_bills_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_bills_premise_id_premises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bills")),
        sa.UniqueConstraint(
            "premise_id", "period", "kind", name=op.f("uq_bills_premise_id_period_kind")
        ),
    )
    op.create_table(
        "bill_lines",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("bill_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column(
            "service",
            sa.Enum(
                "MAINTENANCE",
                "HEATING",
                "COLD_WATER",
                "HOT_WATER",
                "SEWERAGE",
                "WASTE",
                "CAPITAL_REPAIR",
                "INTERCOM",
                "ANTENNA",
                "GAS",
                "ELECTRICITY",
                "ELECTRICITY_T1",
                "ELECTRICITY_T2",
                "ELECTRICITY_T3",
                "PENALTY",
                name="bill_service",
            ),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("amount >= 0", name=op.f("ck_bill_lines_amount_not_negative")),
        sa.ForeignKeyConstraint(
            ["bill_id"], ["bills.id"], name=op.f("fk_bill_lines_bill_id_bills")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bill_lines")),
        sa.UniqueConstraint("bill_id", "service", name=op.f("uq_bill_lines_bill_id_service")),
    )
    op.create_table(
        "payments",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("bill_id", sa.BigInteger(), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("PENDING", "SUCCEEDED", "FAILED", name="payment_status"),
            nullable=False,
        ),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("provider_payment_id", sa.String(length=100), nullable=True),
        sa.Column("confirmation_url", sa.String(length=2000), nullable=True),
        sa.Column("failure_reason", sa.String(length=500), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_payments_amount_positive")),
        sa.ForeignKeyConstraint(["bill_id"], ["bills.id"], name=op.f("fk_payments_bill_id_bills")),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_payments_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"], ["premises.id"], name=op.f("fk_payments_premise_id_premises")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_payments_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint(
            "provider", "provider_payment_id", name=op.f("uq_payments_provider_provider_payment_id")
        ),
        sa.UniqueConstraint(
            "user_id", "idempotency_key", name=op.f("uq_payments_user_id_idempotency_key")
        ),
    )
    op.create_index("ix_payments_bill_id_id", "payments", ["bill_id", "id"], unique=False)
    op.create_index("ix_payments_premise_id_id", "payments", ["premise_id", "id"], unique=False)
    op.create_table(
        "payment_webhook_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=200), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name=op.f("fk_payment_webhook_events_payment_id_payments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_webhook_events")),
        sa.UniqueConstraint(
            "provider", "event_id", name=op.f("uq_payment_webhook_events_provider_event_id")
        ),
    )


def downgrade() -> None:
    op.drop_table("payment_webhook_events")
    op.drop_index("ix_payments_premise_id_id", table_name="payments")
    op.drop_index("ix_payments_bill_id_id", table_name="payments")
    op.drop_table("payments")
    op.drop_table("bill_lines")
    op.drop_table("bills")
    bind = op.get_bind()
    for name in ENUM_NAMES:
        sa.Enum(name=name).drop(bind)
