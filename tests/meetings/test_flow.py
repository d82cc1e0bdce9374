"""A building's first meeting from draft to protocol, and a later one it shaped."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from tests.factories import Api, Clock
from tests.meetings.operations import CREATE, MEETING, PROTOCOL, REGISTER, SCHEDULE, VOTE
from tests.meetings.scene import PDF, OwnersBuilding, multipart, owners_building, sweep


def first_meeting_input(scene: OwnersBuilding, clock: Clock, **extra: Any) -> dict[str, Any]:
    starts = clock() + timedelta(days=15)
    return {
        "buildingId": scene.building_id,
        "title": "Первое собрание в системе",
        "votingStartsAt": starts.isoformat(),
        "votingEndsAt": (starts + timedelta(days=10)).isoformat(),
        "decisionsPlace": "Кабинет УК, ул. Собраний, 1",
        "agenda": [
            {
                "title": "Выбор администратора общего собрания",
                "proposal": "Избрать управляющую организацию администратором.",
                "kind": "ADMINISTRATOR",
                "administratorIsOrganisation": True,
                "votingDays": 14,
                "decisionsPlace": "Кабинет УК",
            },
            {
                "title": "Ремонт крыши за счёт фонда капитального ремонта",
                "kind": "CAPITAL_REPAIR",
            },
        ],
        **extra,
    }


def decisions(*marks: str) -> list[dict[str, Any]]:
    return [{"number": n, "decision": mark} for n, mark in enumerate(marks, start=1)]


async def test_first_meeting_from_draft_to_protocol(api: Api, clock: Clock) -> None:
    scene = await owners_building(
        api,
        [
            (Decimal("50.00"), [(1, 1)]),
            (Decimal("30.50"), [(1, 2), (1, 2)]),
            (Decimal("19.50"), [(1, 1)]),
        ],
    )
    initiator = scene.owners[0].person
    created = await multipart(
        api, initiator, CREATE, first_meeting_input(scene, clock), {"materials.0": PDF}
    )
    meeting = created.ok()["meetingCreate"]["meeting"]
    assert created.ok()["meetingCreate"]["userErrors"] == []
    assert meeting["state"] == "DRAFT"
    assert meeting["isFirstMeeting"] is True
    assert meeting["viewerAdministers"] is True
    assert [q["threshold"] for q in meeting["agenda"]] == [
        "MAJORITY_OF_VOTES_CAST",
        "TWO_THIRDS_OF_ALL",
    ]
    (material,) = meeting["materials"]
    assert material["contentType"] == "application/pdf"
    fetched = await api.client.get(material["url"], headers=initiator.headers)
    assert fetched.status_code == 200
    assert fetched.content == PDF
    # a draft is the initiator's: neighbours do not see it
    other = scene.owners[1].person
    assert (await api.post(MEETING, {"id": meeting["id"]}, as_=other)).ok() == {"node": None}

    scheduled = await api.gql(SCHEDULE, {"input": {"meetingId": meeting["id"]}}, as_=initiator)
    assert scheduled["meetingSchedule"]["userErrors"] == []
    assert scheduled["meetingSchedule"]["meeting"]["state"] == "SCHEDULED"
    seen = (await api.gql(MEETING, {"id": meeting["id"]}, as_=other))["node"]
    assert seen["state"] == "SCHEDULED"
    assert seen["tally"] is None
    assert seen["viewerEntries"] == []

    clock.advance(timedelta(days=15, minutes=1))
    await sweep(api, clock)
    voting = (await api.gql(MEETING, {"id": meeting["id"]}, as_=initiator))["node"]
    assert voting["state"] == "VOTING"
    (entry,) = voting["viewerEntries"]
    assert Fraction(int(entry["weight"]["numerator"]), int(entry["weight"]["denominator"])) == (
        Fraction(50, 100)
    )
    assert voting["tally"]["ballots"] == 0
    assert voting["tally"]["quorumReached"] is False

    for owning, marks in zip(
        scene.owners,
        (("FOR", "FOR"), ("FOR", "AGAINST"), ("AGAINST", "FOR"), ("ABSTAIN", "FOR")),
        strict=True,
    ):
        data = await api.gql(MEETING, {"id": meeting["id"]}, as_=owning.person)
        (mine,) = data["node"]["viewerEntries"]
        cast = await api.gql(
            VOTE,
            {"input": {"entryId": mine["id"], "decisions": decisions(*marks)}},
            as_=owning.person,
        )
        assert cast["meetingVoteCast"]["userErrors"] == [], cast
        assert cast["meetingVoteCast"]["entry"]["ballot"]["channel"] == "ONLINE"

    tally = (await api.gql(MEETING, {"id": meeting["id"]}, as_=initiator))["node"]["tally"]
    assert tally["ballots"] == 4
    assert tally["quorumReached"] is True
    assert tally["turnout"]["percentOfAll"] == "100.00"
    # owners who do not run the meeting see no per-question totals while voting runs
    assert (await api.gql(MEETING, {"id": meeting["id"]}, as_=other))["node"]["tally"][
        "questions"
    ] is None

    clock.advance(timedelta(days=10))
    await sweep(api, clock)
    protocol = (await api.gql(PROTOCOL, {"id": meeting["id"]}, as_=other))["node"]
    assert protocol["state"] == "COMPLETED"
    assert protocol["quorum"] is True
    # the first meeting's initiator administered it: named by display name, as neighbours
    # see them (the protocol is public to the building)
    assert protocol["protocol"]["initiator"] == initiator.key
    assert protocol["protocol"]["administrator"] == initiator.key
    questions = protocol["protocol"]["questions"]
    # Q1: FOR 50 + 15.25 = 65.25% of all, cast 100%: adopted by a majority of votes cast
    assert questions[0]["votesFor"]["percentOfAll"] == "65.25"
    assert questions[0]["adopted"]
    # Q2 (two thirds of all): FOR 50 + 15.25 + 19.5 = 84.75% ≥ 66.67%: adopted
    assert questions[1]["votesFor"]["percentOfAll"] == "84.75"
    assert questions[1]["adopted"]
    document = protocol["protocol"]["document"]
    pdf = await api.client.get(document["url"], headers=other.headers)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")

    register = (await api.gql(REGISTER, {"id": meeting["id"]}, as_=other))["node"]["register"]
    assert len(register["entries"]["nodes"]) == 4
    annex = await api.client.get(register["annex"]["url"], headers=other.headers)
    assert annex.status_code == 200
    assert annex.content.startswith(b"%PDF-")

    # the organisation now administers later meetings, with 14-day voting
    later = first_meeting_input(scene, clock)
    later["agenda"] = [{"title": "Установка шлагбаума во дворе"}]
    starts = clock() + timedelta(days=20)
    later["votingStartsAt"] = starts.isoformat()
    later["votingEndsAt"] = (starts + timedelta(days=10)).isoformat()
    refused = await api.gql(CREATE, {"input": later}, as_=initiator)
    assert [e["code"] for e in refused["meetingCreate"]["userErrors"]] == [
        "VOTING_PERIOD_AS_DECIDED"
    ]
    later["votingEndsAt"] = (starts + timedelta(days=14)).isoformat()
    second = (await api.gql(CREATE, {"input": later}, as_=initiator))["meetingCreate"]["meeting"]
    assert second["isFirstMeeting"] is False
    assert second["viewerAdministers"] is False
    managed = (await api.gql(MEETING, {"id": second["id"]}, as_=scene.manager))["node"]
    assert managed["viewerAdministers"] is True
