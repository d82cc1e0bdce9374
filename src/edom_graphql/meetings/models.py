"""Owners' general meetings (Housing Code arts. 44–48, 47.1): the meeting and its agenda,
materials, the register of owners fixed when voting opens, ballots with their decisions,
powers of attorney, and the rules a building's owners chose for later meetings.

Vote weights are never stored as numbers with a fraction: a register entry keeps the
premise's area in hundredths of a square metre and the ownership share as two integers,
and the meeting keeps the total area of the building's premises the same way, so a weight
is the exact rational ``area × share ÷ total``.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.models import BigId, CreatedAt

MAX_TITLE_LENGTH = 300
MAX_QUESTION_TITLE_LENGTH = 500
MAX_PROPOSAL_LENGTH = 4000
MAX_PLACE_LENGTH = 500
MAX_DOCUMENT_NUMBER_LENGTH = 50


class MeetingState(enum.Enum):
    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    VOTING = "VOTING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class QuestionKind(enum.Enum):
    GENERAL = "GENERAL"
    ADMINISTRATOR = "ADMINISTRATOR"
    MANAGEMENT_METHOD = "MANAGEMENT_METHOD"
    CAPITAL_REPAIR = "CAPITAL_REPAIR"
    COMMON_PROPERTY_USE = "COMMON_PROPERTY_USE"
    COMMON_PROPERTY_ANNEX = "COMMON_PROPERTY_ANNEX"


class Threshold(enum.Enum):
    MAJORITY_OF_VOTES_CAST = "MAJORITY_OF_VOTES_CAST"
    MORE_THAN_HALF_OF_ALL = "MORE_THAN_HALF_OF_ALL"
    TWO_THIRDS_OF_ALL = "TWO_THIRDS_OF_ALL"
    UNANIMOUS = "UNANIMOUS"


class Decision(enum.Enum):
    FOR = "FOR"
    AGAINST = "AGAINST"
    ABSTAIN = "ABSTAIN"


class BallotChannel(enum.Enum):
    ONLINE = "ONLINE"
    PAPER = "PAPER"


meeting_state = Enum(MeetingState, name="meeting_state")
question_kind = Enum(QuestionKind, name="meeting_question_kind")
threshold = Enum(Threshold, name="meeting_threshold")
decision = Enum(Decision, name="meeting_decision")
ballot_channel = Enum(BallotChannel, name="meeting_ballot_channel")

_ONE_ADMINISTRATOR = "(administrator_user_id IS NULL) <> (administrator_organisation_id IS NULL)"


class Meeting(Base):
    __tablename__ = "meetings"
    __table_args__ = (
        UniqueConstraint("building_id", "number"),
        CheckConstraint(_ONE_ADMINISTRATOR, name="one_administrator"),
        CheckConstraint("voting_ends_at > voting_starts_at", name="voting_span_positive"),
        Index("ix_meetings_building_id_id", "building_id", "id"),
        Index("ix_meetings_state_starts", "state", "voting_starts_at"),
        Index("ix_meetings_state_ends", "state", "voting_ends_at"),
    )

    id: Mapped[BigId]
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    number: Mapped[int] = mapped_column(Integer)
    """The building's meetings numbered from 1: the number of its protocol."""
    title: Mapped[str] = mapped_column(String(MAX_TITLE_LENGTH))
    state: Mapped[MeetingState] = mapped_column(meeting_state)
    initiator_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    initiator_organisation_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("management_organisations.id")
    )
    """Set when a manager initiated on behalf of the organisation."""
    administrator_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    administrator_organisation_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("management_organisations.id")
    )
    first_meeting: Mapped[bool] = mapped_column(Boolean)
    """No administrator had been chosen when it was created: its agenda must choose one."""
    voting_starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    voting_ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decisions_place: Mapped[str] = mapped_column(String(MAX_PLACE_LENGTH))
    created_at: Mapped[CreatedAt]
    scheduled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    voting_opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(String(MAX_PLACE_LENGTH))
    total_area_centi: Mapped[int | None] = mapped_column(BigInteger)
    """Hundredths of m² of all the building's premises, fixed with the register."""
    quorum: Mapped[bool | None] = mapped_column(Boolean)
    protocol_key: Mapped[str | None] = mapped_column(String(100))
    register_key: Mapped[str | None] = mapped_column(String(100))


class MeetingQuestion(Base):
    __tablename__ = "meeting_questions"
    __table_args__ = (
        UniqueConstraint("meeting_id", "position"),
        CheckConstraint(
            "(kind = 'ADMINISTRATOR') = (candidate_user_id IS NOT NULL OR candidate_organisation)",
            name="administrator_candidate",
        ),
        CheckConstraint("rules_voting_days BETWEEN 7 AND 60", name="rules_voting_days_range"),
    )

    id: Mapped[BigId]
    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meetings.id", ondelete="CASCADE")
    )
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    position: Mapped[int] = mapped_column(SmallInteger)
    title: Mapped[str] = mapped_column(String(MAX_QUESTION_TITLE_LENGTH))
    proposal: Mapped[str] = mapped_column(String(MAX_PROPOSAL_LENGTH))
    kind: Mapped[QuestionKind] = mapped_column(question_kind)
    threshold: Mapped[Threshold] = mapped_column(threshold)
    candidate_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    candidate_organisation: Mapped[bool] = mapped_column(Boolean)
    rules_voting_days: Mapped[int | None] = mapped_column(SmallInteger)
    rules_decisions_place: Mapped[str | None] = mapped_column(String(MAX_PLACE_LENGTH))
    adopted: Mapped[bool | None] = mapped_column(Boolean)


class MeetingMaterial(Base):
    """A PDF of the meeting's materials, served by the media route to whoever sees it."""

    __tablename__ = "meeting_materials"
    __table_args__ = (UniqueConstraint("meeting_id", "position"),)

    id: Mapped[BigId]
    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meetings.id", ondelete="CASCADE")
    )
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    position: Mapped[int] = mapped_column(SmallInteger)
    storage_key: Mapped[str] = mapped_column(String(100), unique=True)
    content_type: Mapped[str] = mapped_column(String(50))
    size_bytes: Mapped[int] = mapped_column(Integer)


class BuildingMeetingRules(Base):
    """What the owners of a building chose for later meetings: who administers them, how
    long voting runs and where paper decisions are accepted (a passed ADMINISTRATOR
    question)."""

    __tablename__ = "building_meeting_rules"
    __table_args__ = (CheckConstraint(_ONE_ADMINISTRATOR, name="one_administrator"),)

    building_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("buildings.id"), primary_key=True
    )
    administrator_user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    administrator_organisation_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("management_organisations.id")
    )
    voting_days: Mapped[int | None] = mapped_column(SmallInteger)
    decisions_place: Mapped[str | None] = mapped_column(String(MAX_PLACE_LENGTH))
    meeting_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("meetings.id"))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MeetingRegisterEntry(Base):
    """One ownership record in the register fixed when voting opened."""

    __tablename__ = "meeting_register_entries"
    __table_args__ = (
        UniqueConstraint("meeting_id", "ownership_id"),
        Index("ix_meeting_register_entries_owner", "owner_id", "meeting_id"),
        CheckConstraint(
            "area_centi > 0 AND share_numerator > 0 AND share_denominator >= share_numerator",
            name="weight_positive",
        ),
    )

    id: Mapped[BigId]
    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meetings.id", ondelete="CASCADE")
    )
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    ownership_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("ownerships.id"))
    premise_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("premises.id"))
    owner_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    area_centi: Mapped[int] = mapped_column(BigInteger)
    share_numerator: Mapped[int] = mapped_column(Integer)
    share_denominator: Mapped[int] = mapped_column(Integer)


class PowerOfAttorney(Base):
    """A representative's authority to vote for an owner at a meeting, registered by its
    administrator after checking the document (its scan is kept)."""

    __tablename__ = "meeting_powers_of_attorney"
    __table_args__ = (
        CheckConstraint("valid_until > valid_from", name="validity_positive"),
        CheckConstraint("principal_id <> representative_id", name="not_self"),
        Index("ix_meeting_powers_of_attorney_meeting", "meeting_id", "representative_id"),
    )

    id: Mapped[BigId]
    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meetings.id", ondelete="CASCADE")
    )
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    principal_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    representative_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    document_number: Mapped[str] = mapped_column(String(MAX_DOCUMENT_NUMBER_LENGTH))
    valid_from: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    valid_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scan_key: Mapped[str] = mapped_column(String(100), unique=True)
    scan_content_type: Mapped[str] = mapped_column(String(50))
    scan_size_bytes: Mapped[int] = mapped_column(Integer)
    registered_by_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]


class MeetingBallot(Base):
    """The decisions of one register entry: online or on paper, never both (the entry
    is unique), final once written."""

    __tablename__ = "meeting_ballots"
    __table_args__ = (
        UniqueConstraint("entry_id"),
        Index("ix_meeting_ballots_meeting_id_id", "meeting_id", "id"),
        CheckConstraint(
            "(channel = 'PAPER') = (received_on IS NOT NULL AND scan_key IS NOT NULL)",
            name="paper_has_scan",
        ),
    )

    id: Mapped[BigId]
    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meetings.id", ondelete="CASCADE")
    )
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    entry_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meeting_register_entries.id", ondelete="CASCADE")
    )
    channel: Mapped[BallotChannel] = mapped_column(ballot_channel)
    cast_by_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    """The owner, their representative, or (on paper) the administrator who entered it."""
    attorney_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("meeting_powers_of_attorney.id")
    )
    received_on: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    scan_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    scan_content_type: Mapped[str | None] = mapped_column(String(50))
    scan_size_bytes: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[CreatedAt]


class MeetingDecision(Base):
    __tablename__ = "meeting_decisions"
    __table_args__ = (
        UniqueConstraint("entry_id", "question_id"),
        Index("ix_meeting_decisions_meeting", "meeting_id", "question_id"),
    )

    id: Mapped[BigId]
    ballot_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meeting_ballots.id", ondelete="CASCADE")
    )
    meeting_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meetings.id", ondelete="CASCADE")
    )
    entry_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meeting_register_entries.id", ondelete="CASCADE")
    )
    question_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("meeting_questions.id", ondelete="CASCADE")
    )
    decision: Mapped[Decision] = mapped_column(decision)
