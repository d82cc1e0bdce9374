"""city points: the ledger, balances, the table of awards and the catalogue of rewards

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AWARDS = (
    ("POLL_CREATED", 10),
    ("FIRST_LISTING", 20),
    ("MEETING_CREATED", 50),
    ("MEETING_ADMINISTERED", 100),
    ("MEETING_VOTED", 30),
    ("METER_READING", 5),
    ("EPD_CASHBACK", 5),  # percent of the paid amount, in whole points (one a rouble)
)
"""The initial amounts; operators change the rows of ``point_awards``."""


def upgrade() -> None:
    awards = op.create_table(
        "point_awards",
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.CheckConstraint("points >= 0", name=op.f("ck_point_awards_points_not_negative")),
        sa.PrimaryKeyConstraint("reason", name=op.f("pk_point_awards")),
    )
    op.bulk_insert(awards, [{"reason": reason, "points": points} for reason, points in AWARDS])
    op.create_table(
        "rewards",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("GOODS", "SERVICE", "PROMO_CODE", "CHARITY", name="reward_kind"),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.String(length=2000), nullable=False),
        sa.Column("partner", sa.String(length=200), nullable=False),
        sa.Column("price", sa.BigInteger(), nullable=False),
        sa.Column("stock", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("price > 0 OR kind = 'CHARITY'", name=op.f("ck_rewards_price_positive")),
        sa.CheckConstraint(
            "stock IS NULL OR stock >= 0", name=op.f("ck_rewards_stock_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rewards")),
    )
    op.create_table(
        "point_balances",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("balance", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("balance >= 0", name=op.f("ck_point_balances_balance_not_negative")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_point_balances_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_point_balances")),
    )
    op.create_table(
        "point_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("source_key", sa.String(length=200), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint("amount <> 0", name=op.f("ck_point_entries_amount_not_zero")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_point_entries_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_entries")),
        sa.UniqueConstraint("source_key", name=op.f("uq_point_entries_source_key")),
    )
    op.create_index("ix_point_entries_user_id_id", "point_entries", ["user_id", "id"], unique=False)
    op.create_table(
        "reward_redemptions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("reward_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["point_entries.id"],
            name=op.f("fk_reward_redemptions_entry_id_point_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_reward_redemptions_reward_id_rewards")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_reward_redemptions_user_id_users")
        ),
        sa.CheckConstraint("points > 0", name=op.f("ck_reward_redemptions_points_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_redemptions")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_reward_redemptions_entry_id")),
    )
    op.create_index(
        "ix_reward_redemptions_user_id_id", "reward_redemptions", ["user_id", "id"], unique=False
    )
    op.create_table(
        "reward_codes",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("reward_id", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("redemption_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["redemption_id"],
            ["reward_redemptions.id"],
            name=op.f("fk_reward_codes_redemption_id_reward_redemptions"),
        ),
        sa.ForeignKeyConstraint(
            ["reward_id"], ["rewards.id"], name=op.f("fk_reward_codes_reward_id_rewards")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reward_codes")),
        sa.UniqueConstraint("redemption_id", name=op.f("uq_reward_codes_redemption_id")),
        sa.UniqueConstraint("reward_id", "code", name=op.f("uq_reward_codes_reward_id_code")),
    )
    op.create_index(
        "ix_reward_codes_free",
        "reward_codes",
        ["reward_id", "id"],
        unique=False,
        postgresql_where="redemption_id IS NULL",
    )


def downgrade() -> None:
    op.drop_index(
        "ix_reward_codes_free", table_name="reward_codes", postgresql_where="redemption_id IS NULL"
    )
    op.drop_table("reward_codes")
    op.drop_index("ix_reward_redemptions_user_id_id", table_name="reward_redemptions")
    op.drop_table("reward_redemptions")
    op.drop_index("ix_point_entries_user_id_id", table_name="point_entries")
    op.drop_table("point_entries")
    op.drop_table("point_balances")
    op.drop_table("rewards")
    op.drop_table("point_awards")
    sa.Enum(name="reward_kind").drop(op.get_bind())
