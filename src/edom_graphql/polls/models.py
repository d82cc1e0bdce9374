"""Non-binding polls of a building: options, ballots (one per voter) and votes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.models import BigId, CreatedAt

MAX_QUESTION_LENGTH = 500
MAX_OPTION_LENGTH = 200


class PollResultsVisibility(enum.Enum):
    AFTER_VOTE = "AFTER_VOTE"
    AFTER_CLOSE = "AFTER_CLOSE"


results_visibility = Enum(PollResultsVisibility, name="poll_results_visibility")


class Poll(Base):
    __tablename__ = "polls"
    __table_args__ = (Index("ix_polls_building_id_id", "building_id", "id"),)

    id: Mapped[BigId]
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    question: Mapped[str] = mapped_column(String(MAX_QUESTION_LENGTH))
    multiple_choice: Mapped[bool] = mapped_column(Boolean)
    results_visibility: Mapped[PollResultsVisibility] = mapped_column(results_visibility)
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[CreatedAt]


class PollOption(Base):
    __tablename__ = "poll_options"
    __table_args__ = (UniqueConstraint("poll_id", "position"),)

    id: Mapped[BigId]
    poll_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("polls.id", ondelete="CASCADE"))
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    position: Mapped[int] = mapped_column(SmallInteger)
    text: Mapped[str] = mapped_column(String(MAX_OPTION_LENGTH))


class PollBallot(Base):
    """One per voter and poll: the database refuses a second one, however it is raced."""

    __tablename__ = "poll_ballots"
    __table_args__ = (UniqueConstraint("poll_id", "user_id"),)

    id: Mapped[BigId]
    poll_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("polls.id", ondelete="CASCADE"))
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]


class PollVote(Base):
    """One chosen option of a ballot."""

    __tablename__ = "poll_votes"
    __table_args__ = (
        UniqueConstraint("ballot_id", "option_id"),
        Index("ix_poll_votes_poll_id_option_id", "poll_id", "option_id"),
    )

    id: Mapped[BigId]
    ballot_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("poll_ballots.id", ondelete="CASCADE")
    )
    poll_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("polls.id", ondelete="CASCADE"))
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    option_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("poll_options.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    created_at: Mapped[CreatedAt]
