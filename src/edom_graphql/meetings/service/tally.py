"""Counting a meeting exactly: vote weights, turnout, quorum and thresholds.

A register entry weighs ``area × share ÷ total area`` of all the building's premises,
so all the building's votes together weigh exactly 1 (premises whose owners are not on
the platform keep their part of that 1: they are owners who did not take part). Sums
arrive from the database as integers, grouped by the denominator of the ownership share
(the one part of a weight that differs between entries), and become one
:class:`~fractions.Fraction` here; nothing is ever a float.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from edom_graphql.meetings.models import Decision, Threshold

ALL = Fraction(1)
HALF = Fraction(1, 2)
TWO_THIRDS = Fraction(2, 3)


def weight(*, area_centi: int, numerator: int, denominator: int, total_centi: int) -> Fraction:
    """One ownership record's share of all the building's votes."""
    return Fraction(area_centi * numerator, denominator * total_centi)


def summed(groups: Iterable[tuple[int, int]], total_centi: int) -> Fraction:
    """Weight of ``(share denominator, Σ area_centi × share numerator)`` groups."""
    total = Fraction(0)
    for denominator, area_shares in groups:
        total += Fraction(int(area_shares), int(denominator) * total_centi)
    return total


@dataclass(frozen=True, slots=True)
class QuestionTotals:
    votes_for: Fraction
    against: Fraction
    abstain: Fraction

    @property
    def cast(self) -> Fraction:
        return self.votes_for + self.against + self.abstain


EMPTY = QuestionTotals(Fraction(0), Fraction(0), Fraction(0))


@dataclass(frozen=True, slots=True)
class Tally:
    ballots: int
    """Register entries that took part."""
    turnout: Fraction
    """Their weight, of all the building's votes."""
    questions: Mapping[int, QuestionTotals]
    """By question id."""

    @property
    def quorum(self) -> bool:
        return has_quorum(self.turnout)

    def of(self, question_id: int) -> QuestionTotals:
        return self.questions.get(question_id, EMPTY)


def has_quorum(turnout: Fraction) -> bool:
    """Owners holding more than half of all votes took part (art. 45 §3)."""
    return turnout > HALF


def adopted(threshold: Threshold, totals: QuestionTotals, turnout: Fraction) -> bool:
    """Whether the votes FOR carry the question (art. 46 §1), compared exactly.

    ``turnout`` is the base of MAJORITY_OF_VOTES_CAST: all who took part, abstentions
    included."""
    if threshold is Threshold.MAJORITY_OF_VOTES_CAST:
        return totals.votes_for > turnout / 2
    if threshold is Threshold.MORE_THAN_HALF_OF_ALL:
        return totals.votes_for > HALF
    if threshold is Threshold.TWO_THIRDS_OF_ALL:
        return totals.votes_for >= TWO_THIRDS
    return totals.votes_for == ALL


def tally_of(
    *,
    total_centi: int,
    ballots: int,
    turnout_groups: Iterable[tuple[int, int]],
    decision_groups: Iterable[tuple[int, Decision, int, int]],
) -> Tally:
    """The tally of grouped sums: ``turnout_groups`` as for :func:`summed`, and
    ``(question id, decision, share denominator, Σ area_centi × numerator)``."""
    parts: dict[int, dict[Decision, Fraction]] = {}
    for question_id, decision, denominator, area_shares in decision_groups:
        by_decision = parts.setdefault(question_id, {})
        by_decision[decision] = by_decision.get(decision, Fraction(0)) + Fraction(
            int(area_shares), int(denominator) * total_centi
        )
    return Tally(
        ballots=ballots,
        turnout=summed(turnout_groups, total_centi),
        questions={
            question_id: QuestionTotals(
                votes_for=found.get(Decision.FOR, Fraction(0)),
                against=found.get(Decision.AGAINST, Fraction(0)),
                abstain=found.get(Decision.ABSTAIN, Fraction(0)),
            )
            for question_id, found in parts.items()
        },
    )
