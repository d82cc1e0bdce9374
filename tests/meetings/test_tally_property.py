"""The count of a meeting as a property: for random buildings (1–500 premises of 10–200 m²
with two decimals, shares like 1/3, 2/7 and 1/1 among up to three owners, some premises
whose owners are not on the platform) and random ballots on questions of different
thresholds, the tally the administrator reads while voting runs and the protocol formed
after it equal an independent exact recount with ``fractions.Fraction``."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

import httpx
from hypothesis import HealthCheck, event, example, given, note, settings
from hypothesis import strategies as st

from tests.factories import Api, Clock
from tests.meetings.operations import MEETING_TALLY, PROTOCOL_EXACT, REGISTER_PAGE, VOTE_QUIET
from tests.meetings.scene import OwnersBuilding, end_voting, owners_building, put_to_vote

THRESHOLDS = ("MAJORITY_OF_VOTES_CAST", "MORE_THAN_HALF_OF_ALL", "TWO_THIRDS_OF_ALL", "UNANIMOUS")
DECISIONS = ("FOR", "AGAINST", "ABSTAIN")
DENOMINATORS = (1, 2, 3, 4, 5, 7, 9, 10, 100)
FIELDS = (("votesFor", "FOR"), ("against", "AGAINST"), ("abstain", "ABSTAIN"))
CHUNK = 8
"""Ballots cast at once (a small batch: the test PostgreSQL server is shared)."""

Share = tuple[int, int]
Premise = tuple[int, tuple[Share, ...]]
"""Area in hundredths of m², and the shares of its owners (none: not on the platform)."""
Ballot = tuple[str, ...] | None
"""A decision per question, or None for an owner who does not vote."""


@dataclass(frozen=True)
class Case:
    premises: tuple[Premise, ...]
    thresholds: tuple[str, ...]
    """Of the questions after the first (the administrator's, a majority of votes cast)."""
    ballots: tuple[Ballot, ...]
    """One per ownership record, in the order of the premises and their shares."""

    @property
    def owners(self) -> int:
        return sum(len(shares) for _, shares in self.premises)


def _shares(draw: Callable[[Sequence[int]], int], owners: int, *, whole: bool) -> tuple[Share, ...]:
    """Up to ``owners`` shares summing to at most 1 (to exactly 1 if ``whole``: the last
    owner holds what is left, like 8/21 after 1/3 and 2/7)."""
    left = Fraction(1)
    shares: list[Share] = []
    for index in range(owners):
        if whole and index == owners - 1:
            shares.append((left.numerator, left.denominator))
            break
        denominator = draw(DENOMINATORS)
        most = min(denominator, math.floor(left * denominator) - (1 if whole else 0))
        if most < 1:
            if whole:
                shares.append((left.numerator, left.denominator))
            break
        numerator = draw(range(1, most + 1))
        shares.append((numerator, denominator))
        left -= Fraction(numerator, denominator)
    return tuple(shares)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    size = draw(st.one_of(st.integers(1, 6), st.integers(7, 24)))
    fully_owned = draw(st.booleans())

    def pick(options: Sequence[int]) -> int:
        return draw(st.sampled_from(options))

    premises = tuple(
        (
            draw(st.integers(1000, 20000)),
            _shares(
                pick,
                draw(st.sampled_from((1, 2, 3) if fully_owned else (1, 2, 1, 3, 0))),
                whole=fully_owned or draw(st.booleans()),
            ),
        )
        for _ in range(size)
    )
    thresholds = tuple(
        draw(st.lists(st.sampled_from(THRESHOLDS), min_size=1, max_size=2, unique=True))
    )
    owners = sum(len(shares) for _, shares in premises)
    questions = len(thresholds) + 1
    mode = draw(st.sampled_from(("some vote", "all vote", "all for")))
    decision = st.sampled_from(DECISIONS)
    if mode == "all for":
        ballot = st.just(("FOR",) * questions)
    else:
        ballot = st.tuples(*[decision] * questions)
    if mode == "some vote":
        ballot = st.none() | ballot
    ballots = tuple(draw(st.lists(ballot, min_size=owners, max_size=owners)))
    return Case(premises, thresholds, ballots)


def seeded_case(seed: int, size: int) -> Case:
    """A big case, made by a seeded generator (the same one each run): most owners vote,
    mostly FOR."""
    rng = random.Random(seed)
    premises = tuple(
        (
            rng.randint(1000, 20000),
            _shares(
                lambda options: rng.choice(list(options)),
                rng.choice((0, 1, 1, 1, 1, 2, 2, 3)),
                whole=rng.random() < 0.8,
            ),
        )
        for _ in range(size)
    )
    thresholds = ("TWO_THIRDS_OF_ALL", "MORE_THAN_HALF_OF_ALL")
    owners = sum(len(shares) for _, shares in premises)
    ballots = tuple(
        None
        if rng.random() < 0.1
        else tuple(rng.choice(("FOR",) * 5 + ("AGAINST", "ABSTAIN")) for _ in range(3))
        for _ in range(owners)
    )
    return Case(premises, thresholds, ballots)


# -- the recount -------------------------------------------------------------------------


def percent(part: Fraction, whole: Fraction) -> str:
    """``part`` of ``whole`` in percent, rounded half up to two places."""
    if whole == 0:
        return "0.00"
    hundredths = math.floor(part / whole * 10_000 + Fraction(1, 2))
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def passes(threshold: str, votes_for: Fraction, turnout: Fraction) -> bool:
    if threshold == "MAJORITY_OF_VOTES_CAST":
        return votes_for * 2 > turnout
    if threshold == "MORE_THAN_HALF_OF_ALL":
        return votes_for * 2 > 1
    if threshold == "TWO_THIRDS_OF_ALL":
        return votes_for * 3 >= 2
    assert threshold == "UNANIMOUS"
    return votes_for == 1


@dataclass(frozen=True)
class Recount:
    weights: list[Fraction]
    turnout: Fraction
    totals: list[dict[str, Fraction]]
    thresholds: list[str]

    @property
    def quorum(self) -> bool:
        return self.turnout * 2 > 1

    def adopted(self, index: int) -> bool:
        return self.quorum and passes(
            self.thresholds[index], self.totals[index]["FOR"], self.turnout
        )


def recount(case: Case) -> Recount:
    total = sum((Fraction(area, 100) for area, _ in case.premises), Fraction(0))
    weights = [
        Fraction(area, 100) * Fraction(numerator, denominator) / total
        for area, shares in case.premises
        for numerator, denominator in shares
    ]
    thresholds = ["MAJORITY_OF_VOTES_CAST", *case.thresholds]
    totals = [dict.fromkeys(DECISIONS, Fraction(0)) for _ in thresholds]
    turnout = Fraction(0)
    for weight, ballot in zip(weights, case.ballots, strict=True):
        if ballot is None:
            continue
        turnout += weight
        for by_decision, decision in zip(totals, ballot, strict=True):
            by_decision[decision] += weight
    return Recount(weights, turnout, totals, thresholds)


def exact(value: Fraction) -> tuple[str, str]:
    return str(value.numerator), str(value.denominator)


def shown(share: dict[str, Any]) -> tuple[str, str]:
    return share["numerator"], share["denominator"]


# -- through the API ---------------------------------------------------------------------


async def building_of(api: Api, case: Case) -> OwnersBuilding:
    """The case's building: its owners in the order of the case's ownership records."""
    owned = [(Decimal(area) / 100, shares) for area, shares in case.premises if shares]
    unowned = [Decimal(area) / 100 for area, shares in case.premises if not shares]
    return await owners_building(api, owned, unowned=unowned)


async def register_entries(api: Api, scene: OwnersBuilding, meeting_id: str) -> dict[str, Any]:
    """The register's entries by owner id, read page by page as the administrator."""
    entries: dict[str, Any] = {}
    after = None
    while True:
        node = (
            await api.gql(REGISTER_PAGE, {"id": meeting_id, "after": after}, as_=scene.manager)
        )["node"]
        page = node["register"]["entries"]
        for entry in page["nodes"]:
            entries[entry["owner"]["id"]] = entry
        if not page["pageInfo"]["hasNextPage"]:
            return entries
        after = page["pageInfo"]["endCursor"]


async def cast_all(api: Api, scene: OwnersBuilding, entries: dict[str, Any], case: Case) -> None:
    """Each owner casts their ballot of the case online, a batch of them at a time.

    The batch goes over connections of its own, closed after it: none of them lies idle
    in the shared client's pool while the long sweeps block the loop, to be reused just
    as the server drops it for keep-alive."""
    casts = [
        (owning.person, entries[owning.person.id]["id"], ballot)
        for owning, ballot in zip(scene.owners, case.ballots, strict=True)
        if ballot is not None
    ]
    async with httpx.AsyncClient(base_url=api.client.base_url, timeout=30) as client:
        voting = Api(client, api.settings, api.app)
        for start in range(0, len(casts), CHUNK):
            results = await asyncio.gather(
                *(
                    voting.gql(
                        VOTE_QUIET,
                        {
                            "input": {
                                "entryId": entry_id,
                                "decisions": [
                                    {"number": n, "decision": d} for n, d in enumerate(ballot, 1)
                                ],
                            }
                        },
                        as_=person,
                    )
                    for person, entry_id, ballot in casts[start : start + CHUNK]
                )
            )
            for result in results:
                assert result["meetingVoteCast"]["userErrors"] == [], result


def check_tally(tally: dict[str, Any], expected: Recount, ballots: int) -> None:
    assert tally["state"] == "VOTING"
    assert tally["ballots"] == ballots
    assert shown(tally["turnout"]) == exact(expected.turnout)
    assert tally["turnout"]["percentOfAll"] == percent(expected.turnout, Fraction(1))
    assert tally["quorumReached"] is expected.quorum
    assert [q["number"] for q in tally["questions"]] == list(range(1, len(expected.totals) + 1))
    for question, totals in zip(tally["questions"], expected.totals, strict=True):
        assert question["adopted"] is None
        for field, decision in FIELDS:
            value = totals[decision]
            assert shown(question[field]) == exact(value), (question["number"], field)
            assert question[field]["percentOfAll"] == percent(value, Fraction(1))
            assert question[field]["percentOfCast"] == percent(value, expected.turnout)


def check_protocol(node: dict[str, Any], expected: Recount, case: Case) -> None:
    assert node["state"] == ("COMPLETED" if expected.quorum else "FAILED")
    assert node["quorum"] is expected.quorum
    protocol = node["protocol"]
    assert protocol["quorum"] is expected.quorum
    total = sum(area for area, _ in case.premises)
    assert Decimal(protocol["totalArea"]) == Decimal(total) / 100
    assert shown(protocol["turnout"]) == exact(expected.turnout)
    adopted = [expected.adopted(i) for i in range(len(expected.totals))]
    assert [q["adopted"] for q in node["agenda"]] == adopted
    for index, question in enumerate(protocol["questions"]):
        assert question["number"] == index + 1
        assert question["threshold"] == expected.thresholds[index]
        assert question["adopted"] is adopted[index]
        totals = expected.totals[index]
        for field, decision in FIELDS:
            assert shown(question[field]) == exact(totals[decision]), (index + 1, field)
            assert question[field]["percentOfAll"] == percent(totals[decision], Fraction(1))
            assert question[field]["percentOfCast"] == percent(totals[decision], expected.turnout)
    assert protocol["document"]["contentType"] == "application/pdf"


BIG = seeded_case(seed=500, size=500)
F, A, X = DECISIONS
EDGES = [
    # three equal premises, two FOR: exactly two thirds of all
    Case(((3333, ((1, 1),)),) * 3, ("TWO_THIRDS_OF_ALL",), ((F, F), (F, F), (A, A))),
    # half of all votes takes part: no quorum
    Case(
        ((5000, ((1, 1),)), (2500, ((1, 3), (2, 3))), (2500, ())),
        ("MORE_THAN_HALF_OF_ALL",),
        ((F, F), None, None),
    ),
    # 7/12 take part; FOR is exactly half of all, and more than half of those who voted
    Case(
        ((5000, ((1, 1),)), (2500, ((1, 3), (2, 3))), (2500, ())),
        ("MORE_THAN_HALF_OF_ALL", "UNANIMOUS"),
        ((F, F, F), (X, A, F), None),
    ),
]


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@example(case=BIG)
@example(case=EDGES[0])
@example(case=EDGES[1])
@example(case=EDGES[2])
@given(case=cases())
async def test_tally_equals_an_exact_recount(api: Api, clock: Clock, case: Case) -> None:
    """The register's weights, the administrator's running tally and the protocol are
    the recount's, to the last digit of every numerator and denominator."""
    note(f"{len(case.premises)} premises, {case.owners} owners, thresholds {case.thresholds}")
    expected = recount(case)
    event("quorum" if expected.quorum else "no quorum")
    for index, threshold in enumerate(expected.thresholds):
        event(f"{threshold} {'adopted' if expected.adopted(index) else 'rejected'}")
    scene = await building_of(api, case)
    starts = clock() + timedelta(days=15)
    input = {
        "buildingId": scene.building_id,
        "title": "Собрание собственников",
        "votingStartsAt": starts.isoformat(),
        "votingEndsAt": (starts + timedelta(days=10)).isoformat(),
        "decisionsPlace": "Кабинет УК",
        "onBehalfOfOrganisation": True,
        "agenda": [
            {
                "title": "Выбор администратора общего собрания",
                "kind": "ADMINISTRATOR",
                "administratorIsOrganisation": True,
            },
            *(
                {"title": f"Вопрос {n}: {threshold}", "threshold": threshold}
                for n, threshold in enumerate(case.thresholds, start=2)
            ),
        ],
    }
    meeting_id = await put_to_vote(api, clock, scene.manager, input)

    entries = await register_entries(api, scene, meeting_id)
    assert len(entries) == case.owners
    records = [(area, share) for area, shares in case.premises for share in shares]
    for owning, (area, (numerator, denominator)), weight in zip(
        scene.owners, records, expected.weights, strict=True
    ):
        entry = entries[owning.person.id]
        assert Decimal(entry["area"]) * 100 == area
        assert entry["share"] == f"{numerator}/{denominator}"
        assert shown(entry["weight"]) == exact(weight)
    await cast_all(api, scene, entries, case)

    voters = sum(ballot is not None for ballot in case.ballots)
    tally = (await api.gql(MEETING_TALLY, {"id": meeting_id}, as_=scene.manager))["node"]["tally"]
    check_tally(tally, expected, voters)

    await end_voting(api, clock, input)
    node = (await api.gql(PROTOCOL_EXACT, {"id": meeting_id}, as_=scene.manager))["node"]
    check_protocol(node, expected, case)
