"""Business rules of polls: creating one and voting once.

One vote per user and poll is the database's rule, not this module's: a ballot
row is unique per (poll, user) and the chosen options hang on it, so a repeated
or concurrent submission inserts no second ballot and therefore counts nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.points.models import AwardReason
from edom_graphql.points.service.ledger import award
from edom_graphql.polls.models import (
    MAX_OPTION_LENGTH,
    MAX_QUESTION_LENGTH,
    Poll,
    PollBallot,
    PollOption,
    PollResultsVisibility,
    PollVote,
)

MIN_OPTIONS = 2
MAX_OPTIONS = 10
MAX_OPEN_DAYS = 90


def channel(poll_id: int) -> str:
    """Where a vote in the poll is announced (the message carries the poll's id)."""
    return f"poll.{poll_id}.results"


@dataclass(frozen=True, slots=True)
class NewPoll:
    question: str
    options: list[str]


def validate_poll(
    *, question: str, options: Sequence[str], closes_at: datetime, now: datetime
) -> NewPoll:
    """The poll as it will be stored (texts trimmed), or the first rule it breaks."""
    question = question.strip()
    if not question:
        raise ServiceError("BLANK", "The question must not be empty.", ["question"])
    if len(question) > MAX_QUESTION_LENGTH:
        raise ServiceError(
            "TOO_LONG", f"The question has at most {MAX_QUESTION_LENGTH} characters.", ["question"]
        )
    if len(options) < MIN_OPTIONS:
        raise ServiceError(
            "TOO_FEW_OPTIONS", f"A poll has at least {MIN_OPTIONS} options.", ["options"]
        )
    if len(options) > MAX_OPTIONS:
        raise ServiceError(
            "TOO_MANY_OPTIONS", f"A poll has at most {MAX_OPTIONS} options.", ["options"]
        )
    texts: list[str] = []
    seen: set[str] = set()
    for index, option in enumerate(options):
        text = option.strip()
        field = ["options", str(index)]
        if not text:
            raise ServiceError("BLANK", "An option must not be empty.", field)
        if len(text) > MAX_OPTION_LENGTH:
            raise ServiceError(
                "TOO_LONG", f"An option has at most {MAX_OPTION_LENGTH} characters.", field
            )
        folded = " ".join(text.casefold().split())
        if folded in seen:
            raise ServiceError("DUPLICATE_OPTION", "The same option is given twice.", field)
        seen.add(folded)
        texts.append(text)
    if closes_at.tzinfo is None:
        raise ServiceError("INVALID_TIME", "The closing time needs a UTC offset.", ["closesAt"])
    if closes_at <= now:
        raise ServiceError("CLOSES_IN_PAST", "The poll must close in the future.", ["closesAt"])
    if closes_at > now + timedelta(days=MAX_OPEN_DAYS):
        raise ServiceError(
            "CLOSES_TOO_LATE",
            f"A poll stays open at most {MAX_OPEN_DAYS} days.",
            ["closesAt"],
        )
    return NewPoll(question=question, options=texts)


async def create_poll(
    session: AsyncSession,
    outbox: Outbox,
    *,
    building_id: int,
    author_id: int,
    question: str,
    options: Sequence[str],
    multiple_choice: bool,
    results_visibility: PollResultsVisibility,
    closes_at: datetime,
    now: datetime,
) -> int:
    """Create a poll in the building; its id. The author is awarded city points for it."""
    poll = validate_poll(question=question, options=options, closes_at=closes_at, now=now)
    poll_id: int = (
        await session.execute(
            insert(Poll)
            .values(
                building_id=building_id,
                author_id=author_id,
                question=poll.question,
                multiple_choice=multiple_choice,
                results_visibility=results_visibility,
                closes_at=closes_at,
                created_at=now,
            )
            .returning(Poll.id)
        )
    ).scalar_one()
    await session.execute(
        insert(PollOption),
        [
            {"poll_id": poll_id, "building_id": building_id, "position": position, "text": text}
            for position, text in enumerate(poll.options, start=1)
        ],
    )
    await award(
        session,
        outbox,
        user_id=author_id,
        reason=AwardReason.POLL_CREATED,
        source_key=f"poll:{poll_id}",
    )
    return poll_id


async def vote(
    session: AsyncSession,
    outbox: Outbox,
    *,
    poll_id: int,
    user_id: int,
    option_ids: Sequence[int | None],
    now: datetime,
) -> None:
    """Cast the user's one ballot in the poll; ``None`` stands for an id that is no option."""
    poll = (
        await session.execute(
            select(Poll.building_id, Poll.multiple_choice, Poll.closes_at).where(Poll.id == poll_id)
        )
    ).one()
    building_id, multiple_choice, closes_at = poll
    if closes_at <= now:
        raise ServiceError("POLL_CLOSED", "The poll is closed.", None)
    if not option_ids:
        raise ServiceError("NO_CHOICE", "Choose at least one option.", ["optionIds"])
    options = set(
        (await session.execute(select(PollOption.id).where(PollOption.poll_id == poll_id)))
        .scalars()
        .all()
    )
    chosen: list[int] = []
    for index, option_id in enumerate(option_ids):
        if option_id is None or option_id not in options:
            raise ServiceError(
                "NOT_AN_OPTION", "This is not an option of the poll.", ["optionIds", str(index)]
            )
        if option_id not in chosen:
            chosen.append(option_id)
    if len(chosen) > 1 and not multiple_choice:
        raise ServiceError("ONE_CHOICE_ONLY", "This poll takes a single choice.", ["optionIds"])
    ballot_id: int | None = (
        await session.execute(
            pg_insert(PollBallot)
            .values(poll_id=poll_id, building_id=building_id, user_id=user_id, created_at=now)
            .on_conflict_do_nothing(index_elements=["poll_id", "user_id"])
            .returning(PollBallot.id)
        )
    ).scalar_one_or_none()
    if ballot_id is None:
        raise ServiceError("ALREADY_VOTED", "You have already voted in this poll.", None)
    await session.execute(
        insert(PollVote),
        [
            {
                "ballot_id": ballot_id,
                "poll_id": poll_id,
                "building_id": building_id,
                "option_id": option_id,
                "user_id": user_id,
                "created_at": now,
            }
            for option_id in chosen
        ],
    )
    outbox.add(channel(poll_id), {"id": poll_id})
