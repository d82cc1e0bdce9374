"""owners' general meetings: agenda, materials, register, ballots, powers of attorney

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENUM_NAMES = (
    "meeting_decision",
    "meeting_ballot_channel",
    "meeting_threshold",
    "meeting_question_kind",
    "meeting_state",
)


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "DRAFT",
                "SCHEDULED",
                "VOTING",
                "COMPLETED",
                "FAILED",
                "CANCELLED",
                name="meeting_state",
            ),
            nullable=False,
        ),
        sa.Column("initiator_id", sa.BigInteger(), nullable=False),
        sa.Column("initiator_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("administrator_user_id", sa.BigInteger(), nullable=True),
        sa.Column("administrator_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("first_meeting", sa.Boolean(), nullable=False),
        sa.Column("voting_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("voting_ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decisions_place", sa.String(length=500), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("voting_opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("total_area_centi", sa.BigInteger(), nullable=True),
        sa.Column("quorum", sa.Boolean(), nullable=True),
        sa.Column("protocol_key", sa.String(length=100), nullable=True),
        sa.Column("register_key", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "(administrator_user_id IS NULL) <> (administrator_organisation_id IS NULL)",
            name=op.f("ck_meetings_one_administrator"),
        ),
        sa.CheckConstraint(
            "voting_ends_at > voting_starts_at", name=op.f("ck_meetings_voting_span_positive")
        ),
        sa.ForeignKeyConstraint(
            ["administrator_organisation_id"],
            ["management_organisations.id"],
            name=op.f("fk_meetings_administrator_organisation_id_management_organisations"),
        ),
        sa.ForeignKeyConstraint(
            ["administrator_user_id"],
            ["users.id"],
            name=op.f("fk_meetings_administrator_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_meetings_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["initiator_id"], ["users.id"], name=op.f("fk_meetings_initiator_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["initiator_organisation_id"],
            ["management_organisations.id"],
            name=op.f("fk_meetings_initiator_organisation_id_management_organisations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("building_id", "number", name=op.f("uq_meetings_building_id_number")),
    )
    op.create_index("ix_meetings_building_id_id", "meetings", ["building_id", "id"], unique=False)
    op.create_index("ix_meetings_state_ends", "meetings", ["state", "voting_ends_at"], unique=False)
    op.create_index(
        "ix_meetings_state_starts", "meetings", ["state", "voting_starts_at"], unique=False
    )
    op.create_table(
        "building_meeting_rules",
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("administrator_user_id", sa.BigInteger(), nullable=True),
        sa.Column("administrator_organisation_id", sa.BigInteger(), nullable=True),
        sa.Column("voting_days", sa.SmallInteger(), nullable=True),
        sa.Column("decisions_place", sa.String(length=500), nullable=True),
        sa.Column("meeting_id", sa.BigInteger(), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(administrator_user_id IS NULL) <> (administrator_organisation_id IS NULL)",
            name=op.f("ck_building_meeting_rules_one_administrator"),
        ),
        sa.ForeignKeyConstraint(
            ["administrator_organisation_id"],
            ["management_organisations.id"],
            name=op.f(
                "fk_building_meeting_rules_administrator_organisation_id_management_organisations"
            ),
        ),
        sa.ForeignKeyConstraint(
            ["administrator_user_id"],
            ["users.id"],
            name=op.f("fk_building_meeting_rules_administrator_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_building_meeting_rules_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_building_meeting_rules_meeting_id_meetings"),
        ),
        sa.PrimaryKeyConstraint("building_id", name=op.f("pk_building_meeting_rules")),
    )
    op.create_table(
        "meeting_materials",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("meeting_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=100), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_meeting_materials_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_materials_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_materials")),
        sa.UniqueConstraint(
            "meeting_id", "position", name=op.f("uq_meeting_materials_meeting_id_position")
        ),
        sa.UniqueConstraint("storage_key", name=op.f("uq_meeting_materials_storage_key")),
    )
    op.create_table(
        "meeting_powers_of_attorney",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("meeting_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("principal_id", sa.BigInteger(), nullable=False),
        sa.Column("representative_id", sa.BigInteger(), nullable=False),
        sa.Column("document_number", sa.String(length=50), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scan_key", sa.String(length=100), nullable=False),
        sa.Column("scan_content_type", sa.String(length=50), nullable=False),
        sa.Column("scan_size_bytes", sa.Integer(), nullable=False),
        sa.Column("registered_by_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "principal_id <> representative_id", name=op.f("ck_meeting_powers_of_attorney_not_self")
        ),
        sa.CheckConstraint(
            "valid_until > valid_from", name=op.f("ck_meeting_powers_of_attorney_validity_positive")
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_meeting_powers_of_attorney_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_powers_of_attorney_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["principal_id"],
            ["users.id"],
            name=op.f("fk_meeting_powers_of_attorney_principal_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["registered_by_id"],
            ["users.id"],
            name=op.f("fk_meeting_powers_of_attorney_registered_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["users.id"],
            name=op.f("fk_meeting_powers_of_attorney_representative_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_powers_of_attorney")),
        sa.UniqueConstraint("scan_key", name=op.f("uq_meeting_powers_of_attorney_scan_key")),
    )
    op.create_index(
        "ix_meeting_powers_of_attorney_meeting",
        "meeting_powers_of_attorney",
        ["meeting_id", "representative_id"],
        unique=False,
    )
    op.create_table(
        "meeting_questions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("meeting_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("proposal", sa.String(length=4000), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "GENERAL",
                "ADMINISTRATOR",
                "MANAGEMENT_METHOD",
                "CAPITAL_REPAIR",
                "COMMON_PROPERTY_USE",
                "COMMON_PROPERTY_ANNEX",
                name="meeting_question_kind",
            ),
            nullable=False,
        ),
        sa.Column(
            "threshold",
            sa.Enum(
                "MAJORITY_OF_VOTES_CAST",
                "MORE_THAN_HALF_OF_ALL",
                "TWO_THIRDS_OF_ALL",
                "UNANIMOUS",
                name="meeting_threshold",
            ),
            nullable=False,
        ),
        sa.Column("candidate_user_id", sa.BigInteger(), nullable=True),
        sa.Column("candidate_organisation", sa.Boolean(), nullable=False),
        sa.Column("rules_voting_days", sa.SmallInteger(), nullable=True),
        sa.Column("rules_decisions_place", sa.String(length=500), nullable=True),
        sa.Column("adopted", sa.Boolean(), nullable=True),
        sa.CheckConstraint(
            "(kind = 'ADMINISTRATOR') = (candidate_user_id IS NOT NULL OR candidate_organisation)",
            name=op.f("ck_meeting_questions_administrator_candidate"),
        ),
        sa.CheckConstraint(
            "rules_voting_days BETWEEN 7 AND 60",
            name=op.f("ck_meeting_questions_rules_voting_days_range"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_meeting_questions_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["candidate_user_id"],
            ["users.id"],
            name=op.f("fk_meeting_questions_candidate_user_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_questions_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_questions")),
        sa.UniqueConstraint(
            "meeting_id", "position", name=op.f("uq_meeting_questions_meeting_id_position")
        ),
    )
    op.create_table(
        "meeting_register_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("meeting_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("ownership_id", sa.BigInteger(), nullable=False),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("area_centi", sa.BigInteger(), nullable=False),
        sa.Column("share_numerator", sa.Integer(), nullable=False),
        sa.Column("share_denominator", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "area_centi > 0 AND share_numerator > 0 AND share_denominator >= share_numerator",
            name=op.f("ck_meeting_register_entries_weight_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name=op.f("fk_meeting_register_entries_building_id_buildings"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_register_entries_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_meeting_register_entries_owner_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["ownership_id"],
            ["ownerships.id"],
            name=op.f("fk_meeting_register_entries_ownership_id_ownerships"),
        ),
        sa.ForeignKeyConstraint(
            ["premise_id"],
            ["premises.id"],
            name=op.f("fk_meeting_register_entries_premise_id_premises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_register_entries")),
        sa.UniqueConstraint(
            "meeting_id",
            "ownership_id",
            name=op.f("uq_meeting_register_entries_meeting_id_ownership_id"),
        ),
    )
    op.create_index(
        "ix_meeting_register_entries_owner",
        "meeting_register_entries",
        ["owner_id", "meeting_id"],
        unique=False,
    )
    op.create_table(
        "meeting_ballots",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("meeting_id", sa.BigInteger(), nullable=False),
        sa.Column("building_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "channel", sa.Enum("ONLINE", "PAPER", name="meeting_ballot_channel"), nullable=False
        ),
        sa.Column("cast_by_id", sa.BigInteger(), nullable=False),
        sa.Column("attorney_id", sa.BigInteger(), nullable=True),
        sa.Column("received_on", sa.DateTime(timezone=True), nullable=True),
        sa.Column("scan_key", sa.String(length=100), nullable=True),
        sa.Column("scan_content_type", sa.String(length=50), nullable=True),
        sa.Column("scan_size_bytes", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "(channel = 'PAPER') = (received_on IS NOT NULL AND scan_key IS NOT NULL)",
            name=op.f("ck_meeting_ballots_paper_has_scan"),
        ),
        sa.ForeignKeyConstraint(
            ["attorney_id"],
            ["meeting_powers_of_attorney.id"],
            name=op.f("fk_meeting_ballots_attorney_id_meeting_powers_of_attorney"),
        ),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_meeting_ballots_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(
            ["cast_by_id"], ["users.id"], name=op.f("fk_meeting_ballots_cast_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["meeting_register_entries.id"],
            name=op.f("fk_meeting_ballots_entry_id_meeting_register_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_ballots_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_ballots")),
        sa.UniqueConstraint("entry_id", name=op.f("uq_meeting_ballots_entry_id")),
        sa.UniqueConstraint("scan_key", name=op.f("uq_meeting_ballots_scan_key")),
    )
    op.create_index(
        "ix_meeting_ballots_meeting_id_id", "meeting_ballots", ["meeting_id", "id"], unique=False
    )
    op.create_table(
        "meeting_decisions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("ballot_id", sa.BigInteger(), nullable=False),
        sa.Column("meeting_id", sa.BigInteger(), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("question_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "decision",
            sa.Enum("FOR", "AGAINST", "ABSTAIN", name="meeting_decision"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["ballot_id"],
            ["meeting_ballots.id"],
            name=op.f("fk_meeting_decisions_ballot_id_meeting_ballots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["meeting_register_entries.id"],
            name=op.f("fk_meeting_decisions_entry_id_meeting_register_entries"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_decisions_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["meeting_questions.id"],
            name=op.f("fk_meeting_decisions_question_id_meeting_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_decisions")),
        sa.UniqueConstraint(
            "entry_id", "question_id", name=op.f("uq_meeting_decisions_entry_id_question_id")
        ),
    )
    op.create_index(
        "ix_meeting_decisions_meeting",
        "meeting_decisions",
        ["meeting_id", "question_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_meeting_decisions_meeting", table_name="meeting_decisions")
    op.drop_table("meeting_decisions")
    op.drop_index("ix_meeting_ballots_meeting_id_id", table_name="meeting_ballots")
    op.drop_table("meeting_ballots")
    op.drop_index("ix_meeting_register_entries_owner", table_name="meeting_register_entries")
    op.drop_table("meeting_register_entries")
    op.drop_table("meeting_questions")
    op.drop_index("ix_meeting_powers_of_attorney_meeting", table_name="meeting_powers_of_attorney")
    op.drop_table("meeting_powers_of_attorney")
    op.drop_table("meeting_materials")
    op.drop_table("building_meeting_rules")
    op.drop_index("ix_meetings_state_starts", table_name="meetings")
    op.drop_index("ix_meetings_state_ends", table_name="meetings")
    op.drop_index("ix_meetings_building_id_id", table_name="meetings")
    op.drop_table("meetings")
    bind = op.get_bind()
    for name in ENUM_NAMES:
        sa.Enum(name=name).drop(bind)
