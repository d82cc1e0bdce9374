"""Ballots and the live tally: the rules a ballot obeys, one ballot per ownership record
however raced, powers of attorney, paper decisions, and `meetingTally` over WebSocket."""

from __future__ import annotations

import asyncio
import base64
import re
import shutil
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from edom_graphql.buildings.models import Premise
from edom_graphql.core.ids import decode_id, encode_id
from edom_graphql.meetings.models import MeetingBallot, MeetingDecision, PowerOfAttorney
from edom_graphql.residents.models import Ownership
from tests.factories import Api, Clock, GraphQLResult, Person, let_in, make_user
from tests.live import GraphQLWebSocket, signed_in
from tests.meetings.operations import (
    ATTORNEY,
    CREATE,
    ENTRY_FIELDS,
    MEETING,
    PAPER,
    REGISTER,
    SCHEDULE,
    TALLY_SUBSCRIPTION,
    VOTE,
    VOTE_BY_ATTORNEY,
)
from tests.meetings.scene import PDF, OwnersBuilding, multipart, owners_building, sweep

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg body" * 10
PNG = b"\x89PNG\r\n\x1a\n" + b"png body" * 10
ENTRY = f"""
query Entry($id: ID!) {{ node(id: $id) {{ ... on MeetingRegisterEntry {{ {ENTRY_FIELDS} }} }} }}
"""
REVOKE = """
mutation Revoke($input: GuestAccessRevokeInput!) {
  guestAccessRevoke(input: $input) { grant { id } userErrors { code } }
}
"""


# -- the meeting ----------------------------------------------------------------------------


def agenda(questions: int) -> list[dict[str, Any]]:
    """The administrator question and ``questions - 1`` general ones."""
    return [
        {
            "title": "Выбор администратора общего собрания",
            "kind": "ADMINISTRATOR",
            "administratorIsOrganisation": True,
            "votingDays": 14,
            "decisionsPlace": "Кабинет УК",
        },
        *({"title": f"Ремонт подъезда № {n}"} for n in range(1, questions)),
    ]


async def voting_meeting(
    api: Api, clock: Clock, scene: OwnersBuilding, *, questions: int = 2
) -> str:
    """A first meeting of the building, initiated (and so administered) by its first
    owner, scheduled, and open for voting for ten days from now on."""
    initiator = scene.owners[0].person
    starts = clock() + timedelta(days=15)
    created = await api.gql(
        CREATE,
        {
            "input": {
                "buildingId": scene.building_id,
                "title": "Собрание собственников",
                "votingStartsAt": starts.isoformat(),
                "votingEndsAt": (starts + timedelta(days=10)).isoformat(),
                "decisionsPlace": "Кабинет УК, ул. Собраний, 1",
                "agenda": agenda(questions),
            }
        },
        as_=initiator,
    )
    assert created["meetingCreate"]["userErrors"] == [], created
    meeting_id: str = created["meetingCreate"]["meeting"]["id"]
    scheduled = await api.gql(SCHEDULE, {"input": {"meetingId": meeting_id}}, as_=initiator)
    assert scheduled["meetingSchedule"]["userErrors"] == [], scheduled
    clock.advance(timedelta(days=15, minutes=1))
    await sweep(api, clock)
    return meeting_id


async def meeting_of(api: Api, person: Person, meeting_id: str) -> dict[str, Any]:
    node: dict[str, Any] = (await api.gql(MEETING, {"id": meeting_id}, as_=person))["node"]
    return node


async def entries_of(api: Api, person: Person, meeting_id: str) -> list[dict[str, Any]]:
    """The viewer's `viewerEntries`."""
    entries: list[dict[str, Any]] = (await meeting_of(api, person, meeting_id))["viewerEntries"]
    return entries


async def entry_of(api: Api, person: Person, meeting_id: str) -> dict[str, Any]:
    """The viewer's one entry."""
    (entry,) = await entries_of(api, person, meeting_id)
    return entry


async def register_of(api: Api, person: Person, meeting_id: str) -> dict[str, Any]:
    register: dict[str, Any] = (await api.gql(REGISTER, {"id": meeting_id}, as_=person))["node"][
        "register"
    ]
    return register


async def starts_of(api: Api, person: Person, meeting_id: str) -> datetime:
    return datetime.fromisoformat((await meeting_of(api, person, meeting_id))["votingStartsAt"])


def decisions(*marks: str) -> list[dict[str, Any]]:
    return [{"number": n, "decision": mark} for n, mark in enumerate(marks, start=1)]


def fraction(share: dict[str, Any]) -> Fraction:
    return Fraction(int(share["numerator"]), int(share["denominator"]))


def pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None
    return decoded[1]


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


async def vote(
    api: Api, person: Person, entry_id: str, marks: list[dict[str, Any]]
) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await api.gql(VOTE, {"input": {"entryId": entry_id, "decisions": marks}}, as_=person)
    )["meetingVoteCast"]
    return payload


async def vote_by_attorney(
    api: Api, person: Person, entry_id: str, attorney_id: str, marks: list[dict[str, Any]]
) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await api.gql(
            VOTE_BY_ATTORNEY,
            {
                "input": {
                    "entryId": entry_id,
                    "powerOfAttorneyId": attorney_id,
                    "decisions": marks,
                }
            },
            as_=person,
        )
    )["meetingVoteCastByAttorney"]
    return payload


async def paper(
    api: Api,
    administrator: Person,
    entry_id: str,
    marks: list[dict[str, Any]],
    received_on: datetime,
    *,
    scan: bytes = PDF,
    attorney_id: str | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "entryId": entry_id,
        "decisions": marks,
        "receivedOn": received_on.isoformat(),
    }
    if attorney_id is not None:
        values["powerOfAttorneyId"] = attorney_id
    result = await multipart(api, administrator, PAPER, values, {"scan": scan})
    payload: dict[str, Any] = result.ok()["meetingPaperBallotEnter"]
    return payload


def attorney_input(
    meeting_id: str,
    principal: Person,
    representative: Person,
    *,
    valid_from: datetime,
    valid_until: datetime,
    number: str = "77 АБ 1234567",
) -> dict[str, Any]:
    return {
        "meetingId": meeting_id,
        "principalId": principal.id,
        "representativeId": representative.id,
        "documentNumber": number,
        "validFrom": valid_from.isoformat(),
        "validUntil": valid_until.isoformat(),
    }


async def register_attorney(
    api: Api, administrator: Person, values: dict[str, Any], scan: bytes = PDF
) -> GraphQLResult:
    return await multipart(api, administrator, ATTORNEY, values, {"scan": scan})


async def attorney(
    api: Api,
    clock: Clock,
    administrator: Person,
    meeting_id: str,
    principal: Person,
    representative: Person,
    *,
    days: float = 5,
    number: str = "77 АБ 1234567",
) -> str:
    """A power of attorney valid from an hour ago for ``days``: its id."""
    result = await register_attorney(
        api,
        administrator,
        attorney_input(
            meeting_id,
            principal,
            representative,
            valid_from=clock() - timedelta(hours=1),
            valid_until=clock() + timedelta(days=days),
            number=number,
        ),
    )
    payload = result.ok()["powerOfAttorneyRegister"]
    assert payload["userErrors"] == [], payload
    attorney_id: str = payload["powerOfAttorney"]["id"]
    return attorney_id


# -- the database ---------------------------------------------------------------------------


async def rows(api: Api, meeting_id: str) -> tuple[int, int, int]:
    """The meeting's ballots, decisions and powers of attorney, counted in the database."""
    meeting_pk = pk(meeting_id)
    async with api.db.transaction() as (session, _):
        counts = []
        for model in (MeetingBallot, MeetingDecision, PowerOfAttorney):
            counts.append(
                (
                    await session.execute(
                        select(func.count())
                        .select_from(model)
                        .where(model.meeting_id == meeting_pk)
                    )
                ).scalar_one()
            )
    return counts[0], counts[1], counts[2]


async def entry_rows(api: Api, entry_id: str) -> tuple[int, int]:
    """An entry's ballot rows and decision rows."""
    entry_pk = pk(entry_id)
    async with api.db.transaction() as (session, _):
        ballots = (
            await session.execute(
                select(func.count())
                .select_from(MeetingBallot)
                .where(MeetingBallot.entry_id == entry_pk)
            )
        ).scalar_one()
        decided = (
            await session.execute(
                select(func.count())
                .select_from(MeetingDecision)
                .where(MeetingDecision.entry_id == entry_pk)
            )
        ).scalar_one()
    return ballots, decided


def stored_files(api: Api) -> set[str]:
    root = api.settings.uploads_path
    return {path.name for path in root.iterdir()} if root.exists() else set()


async def own_also(api: Api, scene: OwnersBuilding, person: Person, number: str) -> None:
    """Make ``person`` the sole owner of premise ``number`` of the building as well."""
    async with api.db.transaction() as (session, _):
        premise_pk = (
            await session.execute(
                select(Premise.id).where(
                    Premise.building_id == scene.building_pk, Premise.number == number
                )
            )
        ).scalar_one()
        session.add(
            Ownership(
                premise_id=premise_pk,
                building_id=scene.building_pk,
                user_id=person.pk,
                share_numerator=1,
                share_denominator=1,
            )
        )


def forged_entry_id() -> str:
    return encode_id("MeetingRegisterEntry", 9_000_000_000)


# -- ballot rules ---------------------------------------------------------------------------


async def test_a_ballot_decides_every_question_once(api: Api, clock: Clock) -> None:
    """Every question decided once, or the ballot is refused; a ballot is final."""
    scene = await owners_building(api, [(Decimal("60.00"), [(1, 1)]), (Decimal("40.00"), [(1, 1)])])
    meeting_id = await voting_meeting(api, clock, scene, questions=3)
    owner = scene.owners[1].person
    entry = await entry_of(api, owner, meeting_id)
    assert entry["viewerMayVote"] is True
    refusals = [
        (decisions("FOR", "FOR"), ("MISSING_DECISION", ["decisions"])),
        ([], ("MISSING_DECISION", ["decisions"])),
        (
            [*decisions("FOR", "AGAINST", "ABSTAIN"), {"number": 4, "decision": "FOR"}],
            ("NOT_A_QUESTION", ["decisions", "3", "number"]),
        ),
        (
            [{"number": 0, "decision": "FOR"}, *decisions("FOR", "FOR", "FOR")],
            ("NOT_A_QUESTION", ["decisions", "0", "number"]),
        ),
        (
            [*decisions("FOR", "AGAINST"), {"number": 2, "decision": "FOR"}],
            ("DUPLICATE_DECISION", ["decisions", "2", "number"]),
        ),
    ]
    for marks, refusal in refusals:
        payload = await vote(api, owner, entry["id"], marks)
        assert errors(payload) == [refusal], marks
        assert payload["entry"]["ballot"] is None
        assert payload["entry"]["viewerMayVote"] is True
    assert await rows(api, meeting_id) == (0, 0, 0)

    cast = await vote(api, owner, entry["id"], decisions("AGAINST", "FOR", "ABSTAIN"))
    assert cast["userErrors"] == []
    ballot = cast["entry"]["ballot"]
    assert ballot["channel"] == "ONLINE"
    assert ballot["castBy"] == {"id": owner.id}
    assert ballot["powerOfAttorney"] is None
    assert ballot["receivedOn"] is None
    assert ballot["scan"] is None
    assert ballot["decisions"] == decisions("AGAINST", "FOR", "ABSTAIN")
    assert cast["entry"]["viewerMayVote"] is False
    assert await rows(api, meeting_id) == (1, 3, 0)

    # a ballot is final: a second one is refused and changes nothing
    again = await vote(api, owner, entry["id"], decisions("FOR", "FOR", "FOR"))
    assert errors(again) == [("ALREADY_VOTED", None)]
    assert again["entry"]["ballot"] == ballot
    assert await rows(api, meeting_id) == (1, 3, 0)
    tally = (await meeting_of(api, scene.owners[0].person, meeting_id))["tally"]
    assert tally["ballots"] == 1
    assert fraction(tally["turnout"]) == Fraction(40, 100)
    assert [fraction(q["votesFor"]) for q in tally["questions"]] == [0, Fraction(2, 5), 0]


async def test_an_owner_votes_only_their_own_entries(api: Api, clock: Clock) -> None:
    """Another owner's entry, or anyone who is no owner, is refused."""
    scene = await owners_building(api, [(Decimal("60.00"), [(1, 1)]), (Decimal("40.00"), [(1, 1)])])
    meeting_id = await voting_meeting(api, clock, scene)
    first, second = (owning.person for owning in scene.owners)
    theirs = await entry_of(api, second, meeting_id)
    refused = await vote(api, first, theirs["id"], decisions("FOR", "FOR"))
    assert errors(refused) == [("NOT_YOUR_OWNERSHIP", ["entryId"])]
    # the register shows the entry to a neighbour, unvoted, and not theirs to vote
    assert refused["entry"]["id"] == theirs["id"]
    assert refused["entry"]["ballot"] is None
    assert refused["entry"]["viewerMayVote"] is False
    assert await rows(api, meeting_id) == (0, 0, 0)
    # the building's staff neither vote (not owners) nor change anything
    denied = await api.post(
        VOTE,
        {"input": {"entryId": theirs["id"], "decisions": decisions("FOR", "FOR")}},
        as_=scene.manager,
    )
    assert denied.codes == ["FORBIDDEN"]
    assert denied.data == {"meetingVoteCast": None}
    assert await rows(api, meeting_id) == (0, 0, 0)


async def test_ids_that_name_no_entry_are_clean_errors(api: Api, clock: Clock) -> None:
    """Ids of no entry or power of attorney, or of another type, are coded errors."""
    scene = await owners_building(api, [(Decimal("60.00"), [(1, 1)]), (Decimal("40.00"), [(1, 1)])])
    owner = scene.owners[1].person
    meeting_id = await voting_meeting(api, clock, scene)
    for entry_id, code in (
        (forged_entry_id(), "FORBIDDEN"),
        (meeting_id, "BAD_USER_INPUT"),
        ("not an id", "BAD_USER_INPUT"),
    ):
        result = await api.post(
            VOTE, {"input": {"entryId": entry_id, "decisions": decisions("FOR", "FOR")}}, as_=owner
        )
        assert result.response.status_code == 200, result
        assert result.codes == [code], result
        assert result.data == {"meetingVoteCast": None}
    administrator = scene.owners[0].person
    starts = await starts_of(api, administrator, meeting_id)
    files = stored_files(api)
    entered = await multipart(
        api,
        administrator,
        PAPER,
        {
            "entryId": forged_entry_id(),
            "decisions": decisions("FOR", "FOR"),
            "receivedOn": starts.isoformat(),
        },
        {"scan": PDF},
    )
    assert entered.codes == ["FORBIDDEN"]
    assert stored_files(api) == files

    representative = await make_user(api, "representative")
    attorney_id = await attorney(api, clock, administrator, meeting_id, owner, representative)
    entry_id = (await entry_of(api, owner, meeting_id))["id"]
    for entry, document, code in (  # an entry, a power of attorney that exist or not
        (forged_entry_id(), attorney_id, "FORBIDDEN"),
        (entry_id, encode_id("PowerOfAttorney", 9_000_000_000), "FORBIDDEN"),
        (entry_id, meeting_id, "BAD_USER_INPUT"),
    ):
        result = await api.post(
            VOTE_BY_ATTORNEY,
            {
                "input": {
                    "entryId": entry,
                    "powerOfAttorneyId": document,
                    "decisions": decisions("FOR", "FOR"),
                }
            },
            as_=representative,
        )
        assert result.response.status_code == 200, result
        assert result.codes == [code], result
        assert result.data == {"meetingVoteCastByAttorney": None}
    assert await rows(api, meeting_id) == (0, 0, 1)


async def test_no_entries_before_voting_opens(api: Api, clock: Clock) -> None:
    """Before voting opens there is no register: nothing to vote with, and an id that
    names no entry is refused cleanly."""
    scene = await owners_building(api, [(Decimal("60.00"), [(1, 1)]), (Decimal("40.00"), [(1, 1)])])
    initiator, owner = (owning.person for owning in scene.owners)
    starts = clock() + timedelta(days=15)
    created = await api.gql(
        CREATE,
        {
            "input": {
                "buildingId": scene.building_id,
                "title": "Собрание до голосования",
                "votingStartsAt": starts.isoformat(),
                "votingEndsAt": (starts + timedelta(days=10)).isoformat(),
                "decisionsPlace": "Кабинет УК",
                "agenda": agenda(2),
            }
        },
        as_=initiator,
    )
    meeting_id = created["meetingCreate"]["meeting"]["id"]
    await api.gql(SCHEDULE, {"input": {"meetingId": meeting_id}}, as_=initiator)
    seen = await meeting_of(api, owner, meeting_id)
    assert (seen["state"], seen["viewerEntries"], seen["tally"]) == ("SCHEDULED", [], None)
    result = await api.post(
        VOTE,
        {"input": {"entryId": forged_entry_id(), "decisions": decisions("FOR", "FOR")}},
        as_=owner,
    )
    assert result.codes == ["FORBIDDEN"]
    assert await rows(api, meeting_id) == (0, 0, 0)


async def test_after_the_end_time_and_after_the_sweep(api: Api, clock: Clock) -> None:
    """Past the end time VOTING_ENDED, once the sweep closed the meeting NOT_VOTING."""
    scene = await owners_building(
        api,
        [(Decimal("60.00"), [(1, 1)]), (Decimal("30.00"), [(1, 1)]), (Decimal("10.00"), [(1, 1)])],
    )
    meeting_id = await voting_meeting(api, clock, scene)
    administrator, voter, late = (owning.person for owning in scene.owners)
    starts = await starts_of(api, administrator, meeting_id)
    assert (
        await vote(
            api, voter, (await entry_of(api, voter, meeting_id))["id"], decisions("FOR", "FOR")
        )
    )["userErrors"] == []
    late_entry = (await entry_of(api, late, meeting_id))["id"]
    assert await rows(api, meeting_id) == (1, 2, 0)

    # the end time has passed, the sweep has not run yet: the meeting is still VOTING
    clock.advance(timedelta(days=10))
    assert (await meeting_of(api, late, meeting_id))["state"] == "VOTING"
    assert (await entry_of(api, late, meeting_id))["viewerMayVote"] is False
    assert errors(await vote(api, late, late_entry, decisions("FOR", "FOR"))) == [
        ("VOTING_ENDED", None)
    ]
    files = stored_files(api)
    refused = await paper(
        api, administrator, late_entry, decisions("FOR", "FOR"), starts + timedelta(days=1)
    )
    assert errors(refused) == [("VOTING_ENDED", None)]
    representative = await make_user(api, "representative")
    too_late = attorney_input(
        meeting_id,
        late,
        representative,
        valid_from=clock() - timedelta(days=1),
        valid_until=clock() + timedelta(days=1),
    )
    registered = (await register_attorney(api, administrator, too_late)).ok()
    assert errors(registered["powerOfAttorneyRegister"]) == [("NOT_OPEN", None)]
    assert stored_files(api) == files
    assert await rows(api, meeting_id) == (1, 2, 0)

    await sweep(api, clock)
    assert (await meeting_of(api, late, meeting_id))["state"] == "FAILED"
    files = stored_files(api)  # the sweep stored the protocol and its annex
    assert errors(await vote(api, late, late_entry, decisions("FOR", "FOR"))) == [
        ("NOT_VOTING", None)
    ]
    refused = await paper(
        api, administrator, late_entry, decisions("FOR", "FOR"), starts + timedelta(days=1)
    )
    assert errors(refused) == [("NOT_VOTING", None)]
    registered = (await register_attorney(api, administrator, too_late)).ok()
    assert errors(registered["powerOfAttorneyRegister"]) == [("NOT_OPEN", None)]
    assert stored_files(api) == files
    assert await rows(api, meeting_id) == (1, 2, 0)


async def test_an_owner_of_two_premises_votes_each(api: Api, clock: Clock) -> None:
    """Each ownership record of one owner is a ballot of its own."""
    scene = await owners_building(
        api,
        [(Decimal("50.00"), [(1, 1)]), (Decimal("20.00"), [(1, 1)])],
        unowned=[Decimal("30.00")],
    )
    owner = scene.owners[1].person
    await own_also(api, scene, owner, "3")
    meeting_id = await voting_meeting(api, clock, scene)
    flat, other = await entries_of(api, owner, meeting_id)
    assert (flat["premise"]["number"], flat["share"], fraction(flat["weight"])) == (
        "2",
        "1/1",
        Fraction(20, 100),
    )
    assert (other["premise"]["number"], fraction(other["weight"])) == ("3", Fraction(30, 100))
    assert {flat["owner"]["id"], other["owner"]["id"]} == {owner.id}

    assert (await vote(api, owner, flat["id"], decisions("FOR", "AGAINST")))["userErrors"] == []
    flat_now, other_now = await entries_of(api, owner, meeting_id)
    assert (flat_now["viewerMayVote"], other_now["viewerMayVote"]) == (False, True)
    assert other_now["ballot"] is None
    voted = await vote(api, owner, other["id"], decisions("AGAINST", "ABSTAIN"))
    assert voted["userErrors"] == []
    assert voted["entry"]["ballot"]["decisions"] == decisions("AGAINST", "ABSTAIN")

    tally = (await meeting_of(api, scene.owners[0].person, meeting_id))["tally"]
    assert tally["ballots"] == 2
    assert fraction(tally["turnout"]) == Fraction(1, 2)
    assert tally["quorumReached"] is False  # exactly a half is no quorum
    first, second = tally["questions"]
    assert (fraction(first["votesFor"]), fraction(first["against"])) == (
        Fraction(1, 5),
        Fraction(3, 10),
    )
    assert (fraction(second["against"]), fraction(second["abstain"])) == (
        Fraction(1, 5),
        Fraction(3, 10),
    )


async def test_co_owners_vote_their_own_shares(api: Api, clock: Clock) -> None:
    """Co-owners of a premise each vote their share, and only theirs."""
    scene = await owners_building(
        api, [(Decimal("40.00"), [(1, 1)]), (Decimal("60.00"), [(1, 3), (2, 3)])]
    )
    meeting_id = await voting_meeting(api, clock, scene)
    _, third, two_thirds = scene.owners
    small = await entry_of(api, third.person, meeting_id)
    large = await entry_of(api, two_thirds.person, meeting_id)
    assert small["premise"] == large["premise"]
    assert (small["share"], fraction(small["weight"])) == ("1/3", Fraction(1, 5))
    assert (large["share"], fraction(large["weight"])) == ("2/3", Fraction(2, 5))
    assert fraction(large["weight"]) == scene.weight(two_thirds)

    refused = await vote(api, third.person, large["id"], decisions("FOR", "FOR"))
    assert errors(refused) == [("NOT_YOUR_OWNERSHIP", ["entryId"])]
    assert (await vote(api, third.person, small["id"], decisions("FOR", "FOR")))["userErrors"] == []
    assert (await vote(api, two_thirds.person, large["id"], decisions("AGAINST", "FOR")))[
        "userErrors"
    ] == []
    tally = (await meeting_of(api, scene.owners[0].person, meeting_id))["tally"]
    assert (tally["ballots"], fraction(tally["turnout"])) == (2, Fraction(3, 5))
    assert tally["quorumReached"] is True
    assert [fraction(q["votesFor"]) for q in tally["questions"]] == [
        Fraction(1, 5),
        Fraction(3, 5),
    ]


# -- races ----------------------------------------------------------------------------------


async def test_two_ballots_for_one_entry_at_once_count_once(api: Api, clock: Clock) -> None:
    """Two online ballots for one entry at once: exactly one is written."""
    scene = await owners_building(api, [(Decimal(10 + n), [(1, 1)]) for n in range(10)])
    meeting_id = await voting_meeting(api, clock, scene, questions=3)
    weights = Fraction(0)
    for owning in scene.owners:
        entry = await entry_of(api, owning.person, meeting_id)
        attempts = (decisions("FOR", "FOR", "FOR"), decisions("AGAINST", "ABSTAIN", "AGAINST"))
        results = await asyncio.gather(
            *(
                api.post(
                    VOTE, {"input": {"entryId": entry["id"], "decisions": marks}}, as_=owning.person
                )
                for marks in attempts
            )
        )
        payloads = [result.ok()["meetingVoteCast"] for result in results]
        outcomes = sorted(tuple(e["code"] for e in p["userErrors"]) for p in payloads)
        assert outcomes == [(), ("ALREADY_VOTED",)], payloads
        (winner,) = (
            marks for marks, p in zip(attempts, payloads, strict=True) if not p["userErrors"]
        )
        assert all(p["entry"]["ballot"]["decisions"] == winner for p in payloads)
        assert await entry_rows(api, entry["id"]) == (1, 3)
        weights += scene.weight(owning)
    assert await rows(api, meeting_id) == (10, 30, 0)
    tally = (await meeting_of(api, scene.owners[0].person, meeting_id))["tally"]
    assert (tally["ballots"], fraction(tally["turnout"])) == (10, weights)
    assert weights == 1


async def test_online_and_paper_at_once_count_once(api: Api, clock: Clock) -> None:
    """An online ballot and a paper decision at once: exactly one counts."""
    scene = await owners_building(api, [(Decimal("20.00"), [(1, 1)]) for _ in range(6)])
    meeting_id = await voting_meeting(api, clock, scene)
    administrator = scene.owners[0].person
    received = await starts_of(api, administrator, meeting_id) + timedelta(seconds=30)
    for owning in scene.owners[1:]:
        entry = await entry_of(api, owning.person, meeting_id)
        files = stored_files(api)
        online, on_paper = await asyncio.gather(
            vote(api, owning.person, entry["id"], decisions("FOR", "FOR")),
            paper(api, administrator, entry["id"], decisions("AGAINST", "AGAINST"), received),
        )
        outcomes = [errors(online), errors(on_paper)]
        assert sorted(outcomes) == [[], [("ALREADY_VOTED", None)]], outcomes
        won = "ONLINE" if not online["userErrors"] else "PAPER"
        assert await entry_rows(api, entry["id"]) == (1, 2)
        ballot = (await api.gql(ENTRY, {"id": entry["id"]}, as_=administrator))["node"]["ballot"]
        assert ballot["channel"] == won
        assert ballot["decisions"] == (
            decisions("FOR", "FOR") if won == "ONLINE" else decisions("AGAINST", "AGAINST")
        )
        # the refused paper decision leaves no scan behind
        assert len(stored_files(api) - files) == (1 if won == "PAPER" else 0)
    assert await rows(api, meeting_id) == (5, 10, 0)
    tally = (await meeting_of(api, administrator, meeting_id))["tally"]
    assert (tally["ballots"], fraction(tally["turnout"])) == (5, Fraction(5, 6))


async def test_two_representatives_at_once_count_once(api: Api, clock: Clock) -> None:
    """Two representatives of one owner voting at once: exactly one counts."""
    scene = await owners_building(api, [(Decimal("25.00"), [(1, 1)]) for _ in range(4)])
    meeting_id = await voting_meeting(api, clock, scene)
    administrator = scene.owners[0].person
    total = Fraction(0)
    for index, owning in enumerate(scene.owners[1:]):
        principal = owning.person
        representatives = [await make_user(api, f"rep{index}_{n}") for n in range(2)]
        attorneys = [
            await attorney(
                api, clock, administrator, meeting_id, principal, rep, number=f"77АБ{index}{n}"
            )
            for n, rep in enumerate(representatives)
        ]
        entry = await entry_of(api, representatives[0], meeting_id)
        assert entry == await entry_of(api, representatives[1], meeting_id)
        payloads = await asyncio.gather(
            *(
                vote_by_attorney(api, rep, entry["id"], attorney_id, decisions("FOR", "AGAINST"))
                for rep, attorney_id in zip(representatives, attorneys, strict=True)
            )
        )
        outcomes = sorted(errors(p) for p in payloads)
        assert outcomes == [[], [("ALREADY_VOTED", None)]], payloads
        (winner,) = (n for n, p in enumerate(payloads) if not p["userErrors"])
        ballot = payloads[winner]["entry"]["ballot"]
        assert ballot["castBy"] == {"id": representatives[winner].id}
        assert ballot["powerOfAttorney"] == {"id": attorneys[winner]}
        assert await entry_rows(api, entry["id"]) == (1, 2)
        total += scene.weight(owning)
        tally = (await meeting_of(api, administrator, meeting_id))["tally"]
        assert (tally["ballots"], fraction(tally["turnout"])) == (index + 1, total)
    assert await rows(api, meeting_id) == (3, 6, 6)


# -- powers of attorney ---------------------------------------------------------------------


async def test_a_representative_votes_for_the_owner(api: Api, clock: Clock) -> None:
    """A registered representative, no resident, finds the entry and votes it."""
    scene = await owners_building(
        api,
        [(Decimal("50.00"), [(1, 1)]), (Decimal("30.00"), [(1, 1)]), (Decimal("20.00"), [(1, 1)])],
    )
    meeting_id = await voting_meeting(api, clock, scene)
    administrator, principal, other = (owning.person for owning in scene.owners)
    representative = await make_user(api, "representative")
    assert (await api.gql(MEETING, {"id": meeting_id}, as_=representative))["node"] is None

    files = stored_files(api)
    registered = await register_attorney(
        api,
        administrator,
        attorney_input(
            meeting_id,
            principal,
            representative,
            valid_from=clock() - timedelta(hours=1),
            valid_until=clock() + timedelta(days=2),
            number="77 АБ 7654321",
        ),
        scan=PNG,
    )
    payload = registered.ok()["powerOfAttorneyRegister"]
    assert payload["userErrors"] == []
    document = payload["powerOfAttorney"]
    assert document["documentNumber"] == "77 АБ 7654321"
    assert document["principal"] == {"id": principal.id}
    assert document["scan"]["contentType"] == "image/png"
    (added,) = stored_files(api) - files
    assert document["scan"]["url"] == f"/media/{added}"
    scan = await api.client.get(document["scan"]["url"], headers=administrator.headers)
    assert (scan.status_code, scan.content) == (200, PNG)
    assert await rows(api, meeting_id) == (0, 0, 1)

    # the representative, no owner in the building, now sees the meeting and the entry
    seen = await meeting_of(api, representative, meeting_id)
    assert seen["state"] == "VOTING"
    assert seen["tally"]["questions"] is None
    (entry,) = seen["viewerEntries"]
    principals_entry = await entry_of(api, principal, meeting_id)
    assert entry["id"] == principals_entry["id"]
    assert fraction(entry["weight"]) == Fraction(3, 10)
    assert entry["viewerMayVote"] is True

    # their own power of attorney does not cover another owner
    others_entry = await entry_of(api, other, meeting_id)
    refused = await vote_by_attorney(
        api, representative, others_entry["id"], document["id"], decisions("FOR", "FOR")
    )
    assert errors(refused) == [("ATTORNEY_NOT_VALID", ["powerOfAttorneyId"])]
    assert refused["entry"] is None  # not theirs to see
    # nor may anyone else use it
    stolen = await api.post(
        VOTE_BY_ATTORNEY,
        {
            "input": {
                "entryId": entry["id"],
                "powerOfAttorneyId": document["id"],
                "decisions": decisions("FOR", "FOR"),
            }
        },
        as_=other,
    )
    assert stolen.codes == ["FORBIDDEN"]
    # nor do they vote as if they were the owner
    as_owner = await api.post(
        VOTE,
        {"input": {"entryId": entry["id"], "decisions": decisions("FOR", "FOR")}},
        as_=representative,
    )
    assert as_owner.codes == ["FORBIDDEN"]
    assert await rows(api, meeting_id) == (0, 0, 1)

    cast = await vote_by_attorney(
        api, representative, entry["id"], document["id"], decisions("AGAINST", "FOR")
    )
    assert cast["userErrors"] == []
    ballot = cast["entry"]["ballot"]
    assert ballot["channel"] == "ONLINE"
    assert ballot["castBy"] == {"id": representative.id}
    assert ballot["powerOfAttorney"] == {"id": document["id"]}
    assert ballot["decisions"] == decisions("AGAINST", "FOR")
    # the owner sees the power of attorney their ballot was cast under, and votes no more
    mine = await entry_of(api, principal, meeting_id)
    assert mine["ballot"]["powerOfAttorney"] == {"id": document["id"]}
    assert errors(await vote(api, principal, mine["id"], decisions("FOR", "FOR"))) == [
        ("ALREADY_VOTED", None)
    ]
    assert await rows(api, meeting_id) == (1, 2, 1)


async def test_a_power_of_attorney_counts_only_while_valid(api: Api, clock: Clock) -> None:
    """Before validFrom and from validUntil on, a power of attorney votes nothing."""
    scene = await owners_building(
        api,
        [(Decimal("50.00"), [(1, 1)]), (Decimal("30.00"), [(1, 1)]), (Decimal("20.00"), [(1, 1)])],
    )
    meeting_id = await voting_meeting(api, clock, scene)
    administrator, expiring, pending = (owning.person for owning in scene.owners)
    representative = await make_user(api, "representative")
    short = await attorney(api, clock, administrator, meeting_id, expiring, representative, days=2)
    later = await register_attorney(
        api,
        administrator,
        attorney_input(
            meeting_id,
            pending,
            representative,
            valid_from=clock() + timedelta(days=3),
            valid_until=clock() + timedelta(days=6),
            number="77 АБ 0000002",
        ),
    )
    starting_later = later.ok()["powerOfAttorneyRegister"]["powerOfAttorney"]["id"]
    expiring_entry = (await entry_of(api, expiring, meeting_id))["id"]
    pending_entry = (await entry_of(api, pending, meeting_id))["id"]
    assert [e["id"] for e in await entries_of(api, representative, meeting_id)] == [expiring_entry]
    refused = await vote_by_attorney(
        api, representative, pending_entry, starting_later, decisions("FOR", "FOR")
    )
    assert errors(refused) == [("ATTORNEY_NOT_VALID", ["powerOfAttorneyId"])]

    clock.advance(timedelta(days=4))  # past the first one's validUntil, into the second's
    assert [e["id"] for e in await entries_of(api, representative, meeting_id)] == [pending_entry]
    # the representative still sees the entry they were registered for, but votes it no more
    seen = (await api.gql(ENTRY, {"id": expiring_entry}, as_=representative))["node"]
    assert (seen["id"], seen["viewerMayVote"]) == (expiring_entry, False)
    refused = await vote_by_attorney(
        api, representative, expiring_entry, short, decisions("FOR", "FOR")
    )
    assert errors(refused) == [("ATTORNEY_NOT_VALID", ["powerOfAttorneyId"])]
    assert await rows(api, meeting_id) == (0, 0, 2)
    cast = await vote_by_attorney(
        api, representative, pending_entry, starting_later, decisions("FOR", "ABSTAIN")
    )
    assert cast["userErrors"] == []
    assert await rows(api, meeting_id) == (1, 2, 2)
    # the owner whose power of attorney ended still votes in person
    assert (await vote(api, expiring, expiring_entry, decisions("FOR", "FOR")))["userErrors"] == []
    assert await rows(api, meeting_id) == (2, 4, 2)


async def test_refused_powers_of_attorney_store_nothing(api: Api, clock: Clock) -> None:
    """Each refusal of powerOfAttorneyRegister leaves no row and no file."""
    scene = await owners_building(
        api,
        [(Decimal("50.00"), [(1, 1)]), (Decimal("30.00"), [(1, 1)]), (Decimal("20.00"), [(1, 1)])],
    )
    meeting_id = await voting_meeting(api, clock, scene)
    administrator, principal, neighbour = (owning.person for owning in scene.owners)
    representative = await make_user(api, "representative")
    outsider = await make_user(api, "outsider")
    now = clock()
    valid = {"valid_from": now - timedelta(hours=1), "valid_until": now + timedelta(days=3)}
    cases: list[tuple[Person, dict[str, Any], bytes, tuple[str, list[str] | None]]] = [
        (
            administrator,
            attorney_input(
                meeting_id,
                principal,
                representative,
                valid_from=now + timedelta(days=2),
                valid_until=now + timedelta(days=1),
            ),
            PDF,
            ("INVALID_PERIOD", ["validUntil"]),
        ),
        (
            administrator,
            attorney_input(
                meeting_id,
                principal,
                representative,
                valid_from=now - timedelta(days=2),
                valid_until=now - timedelta(days=1),
            ),
            PDF,
            ("INVALID_PERIOD", ["validUntil"]),
        ),
        (
            administrator,
            attorney_input(meeting_id, principal, principal, **valid),
            PDF,
            ("SELF_REPRESENTATION", ["representativeId"]),
        ),
        (
            administrator,
            attorney_input(meeting_id, outsider, representative, **valid),
            PDF,
            ("NOT_AN_OWNER", ["principalId"]),
        ),
        (
            administrator,
            {
                **attorney_input(meeting_id, principal, representative, **valid),
                "principalId": encode_id("User", 9_000_000_000),
            },
            PDF,
            ("UNKNOWN_USER", ["principalId"]),
        ),
        (
            administrator,
            {
                **attorney_input(meeting_id, principal, representative, **valid),
                "representativeId": meeting_id,
            },
            PDF,
            ("UNKNOWN_USER", ["representativeId"]),
        ),
        (
            administrator,
            attorney_input(meeting_id, principal, representative, **valid, number="  "),
            PDF,
            ("BLANK", ["documentNumber"]),
        ),
        (
            administrator,
            attorney_input(meeting_id, principal, representative, **valid, number="7" * 51),
            PDF,
            ("TOO_LONG", ["documentNumber"]),
        ),
        (
            administrator,
            attorney_input(meeting_id, principal, representative, **valid),
            b"plain text, not a scan",
            ("UNSUPPORTED_FILE", ["scan"]),
        ),
        (
            neighbour,
            attorney_input(meeting_id, principal, representative, **valid),
            PDF,
            ("NOT_ADMINISTRATOR", None),
        ),
    ]
    files = stored_files(api)
    for person, values, scan, refusal in cases:
        payload = (await register_attorney(api, person, values, scan)).ok()[
            "powerOfAttorneyRegister"
        ]
        assert payload["powerOfAttorney"] is None
        assert errors(payload) == [refusal], values
        assert await rows(api, meeting_id) == (0, 0, 0)
        assert stored_files(api) == files
    # who may not initiate meetings in the building is refused before anything is read
    denied = await register_attorney(
        api, outsider, attorney_input(meeting_id, principal, representative, **valid)
    )
    assert denied.codes == ["FORBIDDEN"]
    assert await rows(api, meeting_id) == (0, 0, 0)
    assert stored_files(api) == files
    assert (await api.gql(MEETING, {"id": meeting_id}, as_=representative))["node"] is None


# -- paper ballots --------------------------------------------------------------------------


async def test_paper_ballots(api: Api, clock: Clock, tmp_path: Path) -> None:
    """Paper decisions: their refusals, their scan, the register and the annex."""
    scene = await owners_building(
        api,
        [
            (Decimal("40.00"), [(1, 1)]),
            (Decimal("30.00"), [(1, 1)]),
            (Decimal("20.00"), [(1, 1)]),
            (Decimal("10.00"), [(1, 1)]),
        ],
    )
    meeting_id = await voting_meeting(api, clock, scene)
    administrator, on_paper, by_proxy, neighbour = (owning.person for owning in scene.owners)
    starts = await starts_of(api, administrator, meeting_id)
    entry = (await entry_of(api, on_paper, meeting_id))["id"]
    files = stored_files(api)
    for received_on in (clock() + timedelta(hours=1), starts - timedelta(minutes=1)):
        refused = await paper(api, administrator, entry, decisions("FOR", "FOR"), received_on)
        assert errors(refused) == [("RECEIVED_OUTSIDE_VOTING", ["receivedOn"])]
        assert refused["entry"]["ballot"] is None
    refused = await paper(
        api, administrator, entry, decisions("FOR", "FOR"), starts, scan=b"GIF89a not accepted"
    )
    assert errors(refused) == [("UNSUPPORTED_FILE", ["scan"])]
    refused = await paper(api, neighbour, entry, decisions("FOR", "FOR"), starts)
    assert errors(refused) == [("NOT_ADMINISTRATOR", None)]
    refused = await paper(api, administrator, entry, decisions("FOR"), starts)
    assert errors(refused) == [("MISSING_DECISION", ["decisions"])]
    assert await rows(api, meeting_id) == (0, 0, 0)
    assert stored_files(api) == files

    received = starts + timedelta(seconds=20)
    entered = await paper(
        api, administrator, entry, decisions("FOR", "AGAINST"), received, scan=JPEG
    )
    assert entered["userErrors"] == []
    ballot = entered["entry"]["ballot"]
    assert ballot["channel"] == "PAPER"
    assert datetime.fromisoformat(ballot["receivedOn"]) == received
    assert ballot["castBy"] == {"id": administrator.id}
    assert ballot["powerOfAttorney"] is None
    assert ballot["decisions"] == decisions("FOR", "AGAINST")
    assert ballot["scan"]["contentType"] == "image/jpeg"
    scan = await api.client.get(ballot["scan"]["url"], headers=administrator.headers)
    assert (scan.status_code, scan.content) == (200, JPEG)
    assert len(stored_files(api) - files) == 1

    # the owner then voting online is refused: the paper decision counts
    mine = await entry_of(api, on_paper, meeting_id)
    assert mine["viewerMayVote"] is False
    assert mine["ballot"]["channel"] == "PAPER"
    refused = await vote(api, on_paper, entry, decisions("AGAINST", "AGAINST"))
    assert errors(refused) == [("ALREADY_VOTED", None)]
    assert refused["entry"]["ballot"]["decisions"] == decisions("FOR", "AGAINST")
    # a second paper decision too, and it leaves no scan
    files = stored_files(api)
    refused = await paper(api, administrator, entry, decisions("ABSTAIN", "ABSTAIN"), received)
    assert errors(refused) == [("ALREADY_VOTED", None)]
    assert stored_files(api) == files
    assert await rows(api, meeting_id) == (1, 2, 0)

    # a paper decision signed by a representative names the power of attorney
    representative = await make_user(api, "representative")
    clock.advance(timedelta(hours=2))
    proxy = await attorney(  # valid from an hour ago, an hour after voting started
        api, clock, administrator, meeting_id, by_proxy, representative, number="77 АБ 5550001"
    )
    proxy_entry = (await entry_of(api, by_proxy, meeting_id))["id"]
    refused = await paper(
        api, administrator, proxy_entry, decisions("FOR", "FOR"), received, attorney_id=proxy
    )
    assert errors(refused) == [("ATTORNEY_NOT_VALID", ["powerOfAttorneyId"])]
    signed = await paper(
        api, administrator, proxy_entry, decisions("AGAINST", "FOR"), clock(), attorney_id=proxy
    )
    assert signed["userErrors"] == []
    assert signed["entry"]["ballot"]["powerOfAttorney"] == {"id": proxy}
    assert signed["entry"]["ballot"]["castBy"] == {"id": administrator.id}
    assert (
        await vote(
            api,
            administrator,
            (await entry_of(api, administrator, meeting_id))["id"],
            decisions("FOR", "FOR"),
        )
    )["userErrors"] == []

    register = await register_of(api, neighbour, meeting_id)
    channels = {
        e["premise"]["number"]: e["ballot"] and e["ballot"]["channel"]
        for e in register["entries"]["nodes"]
    }
    assert channels == {"1": "ONLINE", "2": "PAPER", "3": "PAPER", "4": None}
    assert register["annex"] is None
    tally = (await meeting_of(api, administrator, meeting_id))["tally"]
    assert (tally["ballots"], fraction(tally["turnout"])) == (3, Fraction(9, 10))
    assert [fraction(q["votesFor"]) for q in tally["questions"]] == [
        Fraction(7, 10),
        Fraction(3, 5),
    ]

    clock.advance(timedelta(days=10))
    await sweep(api, clock)
    register = await register_of(api, neighbour, meeting_id)
    annex = await api.client.get(register["annex"]["url"], headers=neighbour.headers)
    assert annex.status_code == 200
    assert annex.content.startswith(b"%PDF-")
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext (Debian's poppler-utils) is not installed")
    source = tmp_path / "annex.pdf"
    source.write_bytes(annex.content)
    process = await asyncio.create_subprocess_exec(
        pdftotext, "-enc", "UTF-8", str(source), "-", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    assert process.returncode == 0
    text = re.sub(r"\s+", " ", out.decode())
    assert "бумажное решение" in text
    assert "онлайн" in text
    assert "не голосовал" in text
    assert "по доверенности № 77 АБ 5550001" in text


# -- the live tally -------------------------------------------------------------------------


def long_lived(api: Api, person: Person) -> Person:
    """The same user with a token that outlives the days the tests move the server's clock
    by (a live stream checks its token's expiry by that clock)."""
    token = api.token(person.subject, person.key, ttl_seconds=90 * 86400)
    return Person(person.key, person.pk, person.subject, token)


async def tally_event(client: GraphQLWebSocket, op_id: str) -> dict[str, Any]:
    event: dict[str, Any] = (await client.next(op_id))["meetingTally"]
    return event


async def error_codes(client: GraphQLWebSocket, op_id: str) -> list[str]:
    """The codes of the error that ends the operation, which then completes."""
    message = await client.receive(op_id)
    assert message["type"] == "next", message
    assert message["payload"].get("data") is None, message
    codes = [error["extensions"]["code"] for error in message["payload"]["errors"]]
    assert (await client.receive(op_id))["type"] == "complete"
    return codes


def totals(event: dict[str, Any]) -> list[tuple[Fraction, Fraction, Fraction]]:
    return [
        (fraction(q["votesFor"]), fraction(q["against"]), fraction(q["abstain"]))
        for q in event["questions"]
    ]


async def test_the_live_tally_as_ballots_arrive(api: Api, clock: Clock) -> None:
    """One event per ballot; totals only for the administrator until the end."""
    scene = await owners_building(
        api,
        [
            (Decimal("40.00"), [(1, 1)]),
            (Decimal("25.00"), [(1, 1)]),
            (Decimal("20.00"), [(1, 1)]),
            (Decimal("15.00"), [(1, 1)]),
        ],
    )
    administrator, watcher = scene.owners[0].person, scene.owners[1].person
    starts = clock() + timedelta(days=15)
    created = await api.gql(
        CREATE,
        {
            "input": {
                "buildingId": scene.building_id,
                "title": "Собрание в прямом эфире",
                "votingStartsAt": starts.isoformat(),
                "votingEndsAt": (starts + timedelta(days=10)).isoformat(),
                "decisionsPlace": "Кабинет УК",
                "agenda": agenda(2),
            }
        },
        as_=administrator,
    )
    meeting_id = created["meetingCreate"]["meeting"]["id"]
    await api.gql(SCHEDULE, {"input": {"meetingId": meeting_id}}, as_=administrator)
    async with (
        signed_in(api, long_lived(api, watcher)) as owner_ws,
        signed_in(api, long_lived(api, administrator)) as admin_ws,
    ):
        await owner_ws.subscribe("t", TALLY_SUBSCRIPTION, {"id": meeting_id})
        await admin_ws.subscribe("t", TALLY_SUBSCRIPTION, {"id": meeting_id})
        await owner_ws.assert_quiet()  # no tally before voting opens
        await admin_ws.assert_quiet()

        clock.advance(timedelta(days=15, minutes=1))
        await sweep(api, clock)
        opened = await tally_event(owner_ws, "t")
        assert opened["meetingId"] == meeting_id
        assert (opened["state"], opened["ballots"], opened["questions"]) == ("VOTING", 0, None)
        assert fraction(opened["turnout"]) == 0
        admin_opened = await tally_event(admin_ws, "t")
        assert totals(admin_opened) == [(0, 0, 0), (0, 0, 0)]
        assert admin_opened["cursor"] == opened["cursor"]

        cursors = [opened["cursor"]]
        turnout = Fraction(0)
        expected = [[Fraction(0)] * 3, [Fraction(0)] * 3]
        column = {"FOR": 0, "AGAINST": 1, "ABSTAIN": 2}
        ballots = [
            (scene.owners[1], ("FOR", "AGAINST")),
            (scene.owners[2], ("FOR", "FOR")),
            (scene.owners[3], ("ABSTAIN", "AGAINST")),
        ]
        for count, (owning, marks) in enumerate(ballots, start=1):
            entry = await entry_of(api, owning.person, meeting_id)
            assert (await vote(api, owning.person, entry["id"], decisions(*marks)))[
                "userErrors"
            ] == []
            turnout += scene.weight(owning)
            for question, mark in enumerate(marks):
                expected[question][column[mark]] += scene.weight(owning)
            seen = await tally_event(owner_ws, "t")
            assert (seen["state"], seen["ballots"], seen["questions"]) == ("VOTING", count, None)
            assert fraction(seen["turnout"]) == turnout
            assert seen["quorumReached"] is (turnout > Fraction(1, 2))
            assert seen["cursor"] not in cursors
            cursors.append(seen["cursor"])
            administered = await tally_event(admin_ws, "t")
            assert administered["ballots"] == count
            assert administered["cursor"] == seen["cursor"]
            assert totals(administered) == [tuple(row) for row in expected]
            assert all(q["adopted"] is None for q in administered["questions"])
        assert turnout == Fraction(3, 5)
        assert seen["turnout"]["percentOfAll"] == "60.00"
        # a refused ballot sends nothing
        entry = await entry_of(api, watcher, meeting_id)
        assert errors(await vote(api, watcher, entry["id"], decisions("FOR", "FOR"))) == [
            ("ALREADY_VOTED", None)
        ]
        await owner_ws.assert_quiet()
        await admin_ws.assert_quiet()

        clock.advance(timedelta(days=10))
        await sweep(api, clock)
        for client in (owner_ws, admin_ws):
            final = await tally_event(client, "t")
            assert (final["state"], final["ballots"]) == ("COMPLETED", 3)
            assert final["quorumReached"] is True
            assert final["cursor"] not in cursors
            assert totals(final) == [tuple(row) for row in expected]
            # Q1: FOR 45% of 60% cast (a majority); Q2: FOR 20% of 60% (not)
            assert [q["adopted"] for q in final["questions"]] == [True, False]
            assert final["questions"][0]["votesFor"]["percentOfCast"] == "75.00"
        await owner_ws.assert_quiet()
        await admin_ws.assert_quiet()


async def test_the_live_tally_resumes_after_a_cursor(api: Api, clock: Clock) -> None:
    """Resumed with `after`: what changed meanwhile, once; nothing if nothing did."""
    scene = await owners_building(api, [(Decimal("20.00"), [(1, 1)]) for _ in range(5)])
    meeting_id = await voting_meeting(api, clock, scene)
    watcher = scene.owners[1].person

    async def cast(owning_index: int) -> None:
        person = scene.owners[owning_index].person
        entry = await entry_of(api, person, meeting_id)
        assert (await vote(api, person, entry["id"], decisions("FOR", "FOR")))["userErrors"] == []

    async with signed_in(api, long_lived(api, watcher)) as client:
        await client.subscribe("t", TALLY_SUBSCRIPTION, {"id": meeting_id})
        assert (await tally_event(client, "t"))["ballots"] == 0
        await cast(0)
        last = await tally_event(client, "t")
        assert last["ballots"] == 1
    await cast(1)
    await cast(2)
    async with signed_in(api, long_lived(api, watcher)) as client:
        await client.subscribe("t", TALLY_SUBSCRIPTION, {"id": meeting_id, "after": last["cursor"]})
        resumed = await tally_event(client, "t")
        assert resumed["ballots"] == 3
        assert fraction(resumed["turnout"]) == Fraction(3, 5)
        assert resumed["quorumReached"] is True
        await client.assert_quiet()  # nothing replayed twice
    async with signed_in(api, long_lived(api, watcher)) as client:
        # resumed at the latest cursor when nothing has changed: silence until a ballot
        await client.subscribe(
            "t", TALLY_SUBSCRIPTION, {"id": meeting_id, "after": resumed["cursor"]}
        )
        await client.assert_quiet()
        await cast(3)
        moved = await tally_event(client, "t")
        assert moved["ballots"] == 4
        await client.assert_quiet()
    clock.advance(timedelta(days=10))
    await sweep(api, clock)
    async with signed_in(api, long_lived(api, watcher)) as client:
        await client.subscribe(
            "t", TALLY_SUBSCRIPTION, {"id": meeting_id, "after": moved["cursor"]}
        )
        final = await tally_event(client, "t")
        assert (final["state"], final["ballots"]) == ("COMPLETED", 4)
        await client.subscribe(
            "again", TALLY_SUBSCRIPTION, {"id": meeting_id, "after": final["cursor"]}
        )
        await client.assert_quiet()


async def test_a_forged_cursor_is_bad_input(api: Api, clock: Clock) -> None:
    """A cursor the server did not make is BAD_USER_INPUT."""
    scene = await owners_building(api, [(Decimal("60.00"), [(1, 1)]), (Decimal("40.00"), [(1, 1)])])
    meeting_id = await voting_meeting(api, clock, scene)
    watcher = scene.owners[1].person
    forged = (
        "not a cursor",
        base64.urlsafe_b64encode(b"[1]").decode(),
        base64.urlsafe_b64encode(b'["x", 1]').decode(),
        "A" * 5000,
    )
    async with signed_in(api, long_lived(api, watcher)) as client:
        for n, after in enumerate(forged):
            await client.subscribe(f"f{n}", TALLY_SUBSCRIPTION, {"id": meeting_id, "after": after})
            assert await error_codes(client, f"f{n}") == ["BAD_USER_INPUT"], after
        await client.assert_quiet()


async def test_the_live_tally_ends_when_access_is_lost(api: Api, clock: Clock) -> None:
    """A revoked guest and a former owner get FORBIDDEN at the next count."""
    scene = await owners_building(
        api,
        [(Decimal("40.00"), [(1, 1)]), (Decimal("30.00"), [(1, 1)]), (Decimal("30.00"), [(1, 1)])],
    )
    meeting_id = await voting_meeting(api, clock, scene)
    administrator, host, leaving = (owning.person for owning in scene.owners)
    premise_id = (await entry_of(api, host, meeting_id))["premise"]["id"]
    guest = await make_user(api, "guest")
    grant_id = await let_in(api, host, guest, premise_id, expires_at=clock() + timedelta(days=30))
    stranger = await make_user(api, "stranger")
    async with (
        signed_in(api, long_lived(api, guest)) as guest_ws,
        signed_in(api, long_lived(api, leaving)) as owner_ws,
        signed_in(api, long_lived(api, stranger)) as stranger_ws,
    ):
        await stranger_ws.subscribe("t", TALLY_SUBSCRIPTION, {"id": meeting_id})
        assert await error_codes(stranger_ws, "t") == ["FORBIDDEN"]
        await guest_ws.subscribe("t", TALLY_SUBSCRIPTION, {"id": meeting_id})
        await owner_ws.subscribe("t", TALLY_SUBSCRIPTION, {"id": meeting_id})
        for client in (guest_ws, owner_ws):
            first = await tally_event(client, "t")
            assert (first["ballots"], first["questions"]) == (0, None)

        revoked = await api.gql(REVOKE, {"input": {"grantId": grant_id}}, as_=host)
        assert revoked["guestAccessRevoke"]["userErrors"] == []
        async with api.db.transaction() as (session, _):
            await session.execute(
                update(Ownership)
                .where(Ownership.user_id == leaving.pk)
                .values(ended_at=clock() - timedelta(seconds=1))
            )
        entry = await entry_of(api, administrator, meeting_id)
        assert (await vote(api, administrator, entry["id"], decisions("FOR", "FOR")))[
            "userErrors"
        ] == []
        assert await error_codes(guest_ws, "t") == ["FORBIDDEN"]
        assert await error_codes(owner_ws, "t") == ["FORBIDDEN"]
        await guest_ws.assert_quiet()
        await owner_ws.assert_quiet()
        await stranger_ws.assert_quiet()
