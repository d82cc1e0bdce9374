"""users' locale: the language of their notifications

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "users",
        sa.Column("locale", sa.Text(), server_default=sa.text("'ru'"), nullable=False),
    )
    op.create_check_constraint(op.f("ck_users_locale"), "users", "locale IN ('ru', 'en')")


def downgrade() -> None:
    op.drop_constraint(op.f("ck_users_locale"), "users", type_="check")
    op.drop_column("users", "locale")
