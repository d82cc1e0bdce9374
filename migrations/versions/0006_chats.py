"""chats: building, direct and management chats, their messages, event log and read state

Every building gets its building chat and every premise its management chat from a
trigger, so no code path that creates a building or a premise can forget them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_CHAT_TRIGGERS = (
    """
    CREATE FUNCTION create_building_chat() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO chats (kind, building_id) VALUES ('BUILDING', NEW.id);
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER building_chat AFTER INSERT ON buildings
        FOR EACH ROW EXECUTE FUNCTION create_building_chat()
    """,
    """
    CREATE FUNCTION create_premise_management_chat() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO chats (kind, building_id, premise_id)
            VALUES ('MANAGEMENT', NEW.building_id, NEW.id);
        RETURN NULL;
    END $$
    """,
    """
    CREATE TRIGGER premise_management_chat AFTER INSERT ON premises
        FOR EACH ROW EXECUTE FUNCTION create_premise_management_chat()
    """,
)


def upgrade() -> None:
    op.create_table(
        "chats",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "kind", sa.Enum("BUILDING", "DIRECT", "MANAGEMENT", name="chat_kind"), nullable=False
        ),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=True),
        sa.Column("user_low_id", sa.BigInteger(), nullable=True),
        sa.Column("user_high_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("last_message_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "last_activity_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(kind = 'BUILDING' AND premise_id IS NULL AND user_low_id IS NULL AND user_high_id IS NULL) OR (kind = 'MANAGEMENT' AND premise_id IS NOT NULL AND user_low_id IS NULL AND user_high_id IS NULL) OR (kind = 'DIRECT' AND premise_id IS NULL AND user_low_id < user_high_id)",
            name=op.f("ck_chats_kind_shape"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_chats_building_id_buildings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"],
            ["premises.id"],
            name=op.f("fk_chats_premise_id_premises"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_high_id"], ["users.id"], name=op.f("fk_chats_user_high_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_low_id"], ["users.id"], name=op.f("fk_chats_user_low_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chats")),
    )
    op.create_index(
        "ix_chats_building_activity",
        "chats",
        ["building_id", "last_activity_at"],
        unique=False,
        postgresql_where=sa.text("last_message_id IS NOT NULL"),
    )
    op.create_index(
        "ix_chats_user_high_id",
        "chats",
        ["user_high_id"],
        unique=False,
        postgresql_where=sa.text("kind = 'DIRECT'"),
    )
    op.create_index(
        "uq_chats_building",
        "chats",
        ["building_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'BUILDING'"),
    )
    op.create_index(
        "uq_chats_direct_pair",
        "chats",
        ["user_low_id", "user_high_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'DIRECT'"),
    )
    op.create_index(
        "uq_chats_premise",
        "chats",
        ["premise_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'MANAGEMENT'"),
    )
    op.create_table(
        "chat_messages",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("author_id", sa.BigInteger(), nullable=False),
        sa.Column("body", sa.String(length=4000), nullable=False),
        sa.Column("client_key", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.BigInteger(), nullable=True),
        sa.Column("removal_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_chat_messages_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_chat_messages_chat_id_chats")
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"], ["users.id"], name=op.f("fk_chat_messages_removed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint(
            "chat_id",
            "author_id",
            "client_key",
            name=op.f("uq_chat_messages_chat_id_author_id_client_key"),
        ),
    )
    op.create_index("ix_chat_messages_chat_id_id", "chat_messages", ["chat_id", "id"], unique=False)
    op.create_table(
        "chat_reads",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("last_read_message_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"],
            ["chats.id"],
            name=op.f("fk_chat_reads_chat_id_chats"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_chat_reads_user_id_users")
        ),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_chat_reads")),
    )
    op.create_table(
        "chat_events",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("ADDED", "EDITED", "DELETED", "REMOVED", name="chat_event_kind"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chat_id"], ["chats.id"], name=op.f("fk_chat_events_chat_id_chats")
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["chat_messages.id"],
            name=op.f("fk_chat_events_message_id_chat_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_events")),
    )
    op.create_index("ix_chat_events_chat_id_id", "chat_events", ["chat_id", "id"], unique=False)
    op.create_table(
        "chat_message_reports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("reporter_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["chat_messages.id"],
            name=op.f("fk_chat_message_reports_message_id_chat_messages"),
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["users.id"],
            name=op.f("fk_chat_message_reports_reporter_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_message_reports")),
        sa.UniqueConstraint(
            "message_id",
            "reporter_id",
            name=op.f("uq_chat_message_reports_message_id_reporter_id"),
        ),
    )
    for statement in _CHAT_TRIGGERS:
        op.execute(statement)
    op.execute("INSERT INTO chats (kind, building_id) SELECT 'BUILDING', id FROM buildings")
    op.execute(
        "INSERT INTO chats (kind, building_id, premise_id)"
        " SELECT 'MANAGEMENT', building_id, id FROM premises"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER premise_management_chat ON premises")
    op.execute("DROP TRIGGER building_chat ON buildings")
    op.execute("DROP FUNCTION create_premise_management_chat()")
    op.execute("DROP FUNCTION create_building_chat()")
    op.drop_table("chat_message_reports")
    op.drop_index("ix_chat_events_chat_id_id", table_name="chat_events")
    op.drop_table("chat_events")
    op.drop_table("chat_reads")
    op.drop_index("ix_chat_messages_chat_id_id", table_name="chat_messages")
    op.drop_table("chat_messages")
    op.drop_index(
        "uq_chats_premise", table_name="chats", postgresql_where=sa.text("kind = 'MANAGEMENT'")
    )
    op.drop_index(
        "uq_chats_direct_pair", table_name="chats", postgresql_where=sa.text("kind = 'DIRECT'")
    )
    op.drop_index(
        "uq_chats_building", table_name="chats", postgresql_where=sa.text("kind = 'BUILDING'")
    )
    op.drop_index(
        "ix_chats_user_high_id", table_name="chats", postgresql_where=sa.text("kind = 'DIRECT'")
    )
    op.drop_index(
        "ix_chats_building_activity",
        table_name="chats",
        postgresql_where=sa.text("last_message_id IS NOT NULL"),
    )
    op.drop_table("chats")
    op.execute("DROP TYPE chat_event_kind")
    op.execute("DROP TYPE chat_kind")
