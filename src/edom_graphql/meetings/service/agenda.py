"""The rules of a meeting's draft: its agenda (one decision per question, no "other
business"), the threshold each question needs, and the timeline of arts. 45–47.1.

Everything here is pure: the draft is checked whole before anything is written, and the
first broken rule is reported with the field it concerns.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from edom_graphql.core.errors import ServiceError
from edom_graphql.meetings.models import (
    MAX_PLACE_LENGTH,
    MAX_PROPOSAL_LENGTH,
    MAX_QUESTION_TITLE_LENGTH,
    MAX_TITLE_LENGTH,
    QuestionKind,
    Threshold,
)

MAX_QUESTIONS = 30
DAYS_TO_ADMINISTRATOR = 14
"""The meeting reaches its administrator at least this many days before voting starts."""
DAYS_OF_NOTICE = 10
"""Every owner is notified at least this many days before voting starts."""
MIN_VOTING_DAYS = 7
MAX_VOTING_DAYS = 60

KIND_THRESHOLDS: dict[QuestionKind, Threshold] = {
    QuestionKind.ADMINISTRATOR: Threshold.MAJORITY_OF_VOTES_CAST,
    QuestionKind.MANAGEMENT_METHOD: Threshold.MORE_THAN_HALF_OF_ALL,
    QuestionKind.CAPITAL_REPAIR: Threshold.TWO_THIRDS_OF_ALL,
    QuestionKind.COMMON_PROPERTY_USE: Threshold.TWO_THIRDS_OF_ALL,
    QuestionKind.COMMON_PROPERTY_ANNEX: Threshold.UNANIMOUS,
}
"""The threshold the Housing Code sets for a kind of question (art. 46 §1); a GENERAL
question takes the one chosen, by default a majority of the votes cast."""

_VAGUE_TITLES = frozenset(
    {
        "разное",
        "прочее",
        "другое",
        "иное",
        "итд",
        "итп",
        "разныевопросы",
        "прочиевопросы",
        "другиевопросы",
        "иныевопросы",
        "miscellaneous",
        "other",
        "etc",
        "otherbusiness",
        "anyotherbusiness",
        "otherquestions",
    }
)
_ENUMERATOR = re.compile(r"(?:^|[\s:;,(])(?:\d{1,2}|[а-яa-z])[).](?=\s)", re.IGNORECASE)
_JOINERS = re.compile(r"\b(?:а также|as well as)\b", re.IGNORECASE)


def _folded(title: str) -> str:
    """Letters and digits only, case-folded ("И т. д." → "итд")."""
    return "".join(
        ch for ch in unicodedata.normalize("NFKC", title).casefold() if ch.isalnum()
    ).replace("ё", "е")


def is_vague(title: str) -> bool:
    """A question that decides nothing in particular ("разное", "other business")."""
    return _folded(title) in _VAGUE_TITLES


def is_bundled(title: str) -> bool:
    """A title that puts several decisions to one vote: several questions, clauses
    separated by semicolons, an enumeration, or "as well as"."""
    return (
        title.count("?") > 1
        or ";" in title
        or len(_ENUMERATOR.findall(title)) >= 2
        or _JOINERS.search(title) is not None
    )


@dataclass(frozen=True, slots=True)
class NewQuestion:
    title: str
    proposal: str
    kind: QuestionKind
    threshold: Threshold | None
    candidate_user_id: int | None = None
    candidate_organisation: bool = False
    rules_voting_days: int | None = None
    rules_decisions_place: str | None = None


@dataclass(frozen=True, slots=True)
class CheckedQuestion:
    title: str
    proposal: str
    kind: QuestionKind
    threshold: Threshold
    candidate_user_id: int | None
    candidate_organisation: bool
    rules_voting_days: int | None
    rules_decisions_place: str | None


def _text(value: str, *, limit: int, field: list[str], what: str, blank_ok: bool = False) -> str:
    value = value.strip()
    if not value and not blank_ok:
        raise ServiceError("BLANK", f"{what} must not be empty.", field)
    if len(value) > limit:
        raise ServiceError("TOO_LONG", f"{what} has at most {limit} characters.", field)
    return value


def check_title(title: str) -> str:
    return _text(title, limit=MAX_TITLE_LENGTH, field=["title"], what="The title")


def check_place(place: str, field: str = "decisionsPlace") -> str:
    return _text(place, limit=MAX_PLACE_LENGTH, field=[field], what="The place")


def check_reason(reason: str) -> str:
    return _text(reason, limit=MAX_PLACE_LENGTH, field=["reason"], what="The reason")


def _threshold(question: NewQuestion, field: list[str]) -> Threshold:
    fixed = KIND_THRESHOLDS.get(question.kind)
    if fixed is None:
        return question.threshold or Threshold.MAJORITY_OF_VOTES_CAST
    if question.threshold is not None and question.threshold is not fixed:
        raise ServiceError(
            "THRESHOLD_OF_KIND",
            f"A {question.kind.value} question is decided by {fixed.value}.",
            [*field, "threshold"],
        )
    return fixed


def _administrator_parts(question: NewQuestion, field: list[str]) -> None:
    is_choice = question.kind is QuestionKind.ADMINISTRATOR
    names = (question.candidate_user_id is not None) + question.candidate_organisation
    if is_choice and names != 1:
        raise ServiceError(
            "ADMINISTRATOR_CANDIDATE",
            "The administrator question names one candidate: an owner or the organisation.",
            [*field, "administrator"],
        )
    if not is_choice and (
        names or question.rules_voting_days is not None or question.rules_decisions_place
    ):
        raise ServiceError(
            "ADMINISTRATOR_CANDIDATE",
            "Only the administrator question names a candidate and the rules of later meetings.",
            [*field, "administrator"],
        )
    days = question.rules_voting_days
    if days is not None and not MIN_VOTING_DAYS <= days <= MAX_VOTING_DAYS:
        raise ServiceError(
            "VOTING_TOO_SHORT" if days < MIN_VOTING_DAYS else "VOTING_TOO_LONG",
            f"Voting lasts {MIN_VOTING_DAYS}–{MAX_VOTING_DAYS} days.",
            [*field, "votingDays"],
        )


def check_agenda(questions: Sequence[NewQuestion]) -> list[CheckedQuestion]:
    """The agenda as it will be stored (texts trimmed, thresholds decided)."""
    if not questions:
        raise ServiceError("EMPTY_AGENDA", "The agenda needs at least one question.", ["agenda"])
    if len(questions) > MAX_QUESTIONS:
        raise ServiceError(
            "TOO_MANY_QUESTIONS", f"An agenda has at most {MAX_QUESTIONS} questions.", ["agenda"]
        )
    checked: list[CheckedQuestion] = []
    seen: set[str] = set()
    for index, question in enumerate(questions):
        field = ["agenda", str(index)]
        title = _text(
            question.title,
            limit=MAX_QUESTION_TITLE_LENGTH,
            field=[*field, "title"],
            what="A question",
        )
        if is_vague(title):
            raise ServiceError(
                "VAGUE_QUESTION",
                "Each question decides one thing: “other business” cannot be on the agenda.",
                [*field, "title"],
            )
        if is_bundled(title):
            raise ServiceError(
                "BUNDLED_QUESTION",
                "Each question takes one decision: put each decision to its own question.",
                [*field, "title"],
            )
        if _folded(title) in seen:
            raise ServiceError(
                "DUPLICATE_QUESTION", "The same question is asked twice.", [*field, "title"]
            )
        seen.add(_folded(title))
        proposal = _text(
            question.proposal,
            limit=MAX_PROPOSAL_LENGTH,
            field=[*field, "proposal"],
            what="The proposal",
            blank_ok=True,
        )
        _administrator_parts(question, field)
        place = question.rules_decisions_place
        checked.append(
            CheckedQuestion(
                title=title,
                proposal=proposal,
                kind=question.kind,
                threshold=_threshold(question, field),
                candidate_user_id=question.candidate_user_id,
                candidate_organisation=question.candidate_organisation,
                rules_voting_days=question.rules_voting_days,
                rules_decisions_place=(
                    check_place(place, "decisionsPlace") if place is not None else None
                ),
            )
        )
    if sum(q.kind is QuestionKind.ADMINISTRATOR for q in checked) > 1:
        raise ServiceError(
            "ADMINISTRATOR_CANDIDATE",
            "The agenda chooses the administrator once.",
            ["agenda"],
        )
    return checked


def check_voting_period(
    starts_at: datetime, ends_at: datetime, *, now: datetime, required_days: int | None
) -> None:
    """Voting starts at least :data:`DAYS_TO_ADMINISTRATOR` days after ``now`` and lasts
    7–60 days (exactly ``required_days`` where the owners decided so)."""
    if starts_at - now < timedelta(days=DAYS_TO_ADMINISTRATOR):
        raise ServiceError(
            "TOO_SOON",
            f"Voting starts at least {DAYS_TO_ADMINISTRATOR} days after the meeting reaches "
            "its administrator.",
            ["votingStartsAt"],
        )
    length = ends_at - starts_at
    if length < timedelta(days=MIN_VOTING_DAYS):
        raise ServiceError(
            "VOTING_TOO_SHORT",
            f"Voting lasts at least {MIN_VOTING_DAYS} days.",
            ["votingEndsAt"],
        )
    if length > timedelta(days=MAX_VOTING_DAYS):
        raise ServiceError(
            "VOTING_TOO_LONG", f"Voting lasts at most {MAX_VOTING_DAYS} days.", ["votingEndsAt"]
        )
    if required_days is not None and length != timedelta(days=required_days):
        raise ServiceError(
            "VOTING_PERIOD_AS_DECIDED",
            f"The owners decided that voting lasts {required_days} days.",
            ["votingEndsAt"],
        )


def check_notice(starts_at: datetime, *, now: datetime) -> None:
    """Owners are told at least :data:`DAYS_OF_NOTICE` days before voting starts."""
    if starts_at - now < timedelta(days=DAYS_OF_NOTICE):
        raise ServiceError(
            "TOO_LATE_TO_SCHEDULE",
            f"Owners must be notified at least {DAYS_OF_NOTICE} days before voting starts.",
            None,
        )
