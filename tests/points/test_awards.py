"""Awards for what users do on the platform, made by the other domains' actions through
the API in the same transaction: a poll created, the first listing, an owners' meeting
created, administered and voted in. A refused or denied action awards nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest_asyncio
from sqlalchemy import insert, select

from edom_graphql.buildings.models import Premise
from edom_graphql.points.models import PointEntry
from edom_graphql.residents.models import Ownership
from tests.factories import Api, Clock, Person, World, make_world
from tests.meetings.operations import CREATE, SCHEDULE, VIEWER_ENTRY_IDS, VOTE
from tests.meetings.scene import end_voting, meeting_input, owners_building, sweep
from tests.points.operations import assert_balanced, pk, rows
from tests.polls.operations import create_input

AWARDS = {
    "POLL_CREATED": 10,
    "FIRST_LISTING": 20,
    "MEETING_CREATED": 50,
    "MEETING_ADMINISTERED": 100,
    "MEETING_VOTED": 30,
}
"""The amounts migration 0010 seeds."""
POLL_CREATE = """
mutation ($input: PollCreateInput!) {
  pollCreate(input: $input) { poll { id } userErrors { code } }
}
"""
LISTING_CREATE = """
mutation ($input: ListingCreateInput!) {
  listingCreate(input: $input) { listing { id } userErrors { code } }
}
"""


async def awards_of(api: Api, person: Person) -> list[tuple[str, str, int]]:
    """(reason, source key, amount) of the person's entries, in order."""
    found = await rows(
        api,
        select(PointEntry.reason, PointEntry.source_key, PointEntry.amount)
        .where(PointEntry.user_id == person.pk)
        .order_by(PointEntry.id),
    )
    return [tuple(row) for row in found]  # type: ignore[misc]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api)


def listing_input(world: World, title: str = "Отдам велосипед") -> dict[str, Any]:
    return {
        "input": {
            "buildingId": world.building_id,
            "category": "GIVE_AWAY",
            "title": title,
            "body": "Детский, почти новый.",
        }
    }


async def test_a_poll_created_earns_points_once(api: Api, world: World) -> None:
    owner = world["owner"]
    before = await awards_of(api, owner)
    payload = (await api.gql(POLL_CREATE, create_input(world), as_=owner))["pollCreate"]
    poll_pk = pk(payload["poll"]["id"])
    second = (await api.gql(POLL_CREATE, create_input(world), as_=owner))["pollCreate"]
    assert await awards_of(api, owner) == [
        *before,
        ("POLL_CREATED", f"poll:{poll_pk}", AWARDS["POLL_CREATED"]),
        ("POLL_CREATED", f"poll:{pk(second['poll']['id'])}", AWARDS["POLL_CREATED"]),
    ]
    await assert_balanced(api, owner)


async def test_a_refused_or_denied_poll_earns_nothing(api: Api, world: World) -> None:
    for key, variables, expected in (
        ("owner", create_input(world, options=["Один"]), "userErrors"),
        ("registered", create_input(world, question="   "), "userErrors"),
        ("resident", create_input(world), "FORBIDDEN"),
        ("stranger", create_input(world), "FORBIDDEN"),
    ):
        person = world[key]
        before = await awards_of(api, person)
        result = await api.post(POLL_CREATE, variables, as_=person)
        if expected == "FORBIDDEN":
            assert result.codes == ["FORBIDDEN"]
        else:
            assert result.ok()["pollCreate"]["userErrors"] != []
        assert await awards_of(api, person) == before


async def test_only_the_first_listing_earns_points(api: Api, world: World) -> None:
    person = world["registered"]
    before = await awards_of(api, person)
    for title in ("Отдам велосипед", "Продам шкаф", "Отдам книги"):
        payload = (await api.gql(LISTING_CREATE, listing_input(world, title), as_=person))[
            "listingCreate"
        ]
        assert payload["userErrors"] == []
    first_listing = [("FIRST_LISTING", f"first-listing:{person.pk}", AWARDS["FIRST_LISTING"])]
    assert await awards_of(api, person) == before + first_listing
    await assert_balanced(api, person)


async def test_ten_first_listings_at_once_earn_points_once(api: Api, world: World) -> None:
    person = world["guest_elevated"]
    assert await awards_of(api, person) == []
    payloads = await asyncio.gather(
        *(
            api.gql(LISTING_CREATE, listing_input(world, f"Объявление {n}"), as_=person)
            for n in range(10)
        )
    )
    assert all(p["listingCreate"]["userErrors"] == [] for p in payloads)
    assert await awards_of(api, person) == [
        ("FIRST_LISTING", f"first-listing:{person.pk}", AWARDS["FIRST_LISTING"])
    ]
    assert await assert_balanced(api, person) == AWARDS["FIRST_LISTING"]


async def test_a_refused_or_denied_listing_earns_nothing(api: Api, world: World) -> None:
    for key, title, forbidden in (
        ("guest_basic", "   ", False),
        ("guest_initial", "Отдам кота", True),
        ("dispatcher", "Отдам кота", True),
    ):
        person = world[key]
        result = await api.post(LISTING_CREATE, listing_input(world, title), as_=person)
        if forbidden:
            assert result.codes == ["FORBIDDEN"]
        else:
            assert result.ok()["listingCreate"]["userErrors"] != []
        assert await awards_of(api, person) == []


async def create_meeting(api: Api, person: Person, input: dict[str, Any]) -> str:
    payload = (await api.gql(CREATE, {"input": input}, as_=person))["meetingCreate"]
    assert payload["userErrors"] == [], payload
    meeting_id: str = payload["meeting"]["id"]
    return meeting_id


async def vote_all(api: Api, person: Person, meeting_id: str, questions: int) -> None:
    entries = (await api.gql(VIEWER_ENTRY_IDS, {"id": meeting_id}, as_=person))["node"]
    for entry in entries["viewerEntries"]:
        decisions = [{"number": n, "decision": "FOR"} for n in range(1, questions + 1)]
        payload = await api.gql(
            VOTE, {"input": {"entryId": entry["id"], "decisions": decisions}}, as_=person
        )
        assert payload["meetingVoteCast"]["userErrors"] == [], payload


async def test_meetings_created_administered_and_voted_in(api: Api, clock: Clock) -> None:
    scene = await owners_building(
        api,
        [(Decimal("50.00"), [(1, 1)]), (Decimal("30.00"), [(1, 1)]), (Decimal("20.00"), [(1, 1)])],
        unowned=[Decimal("20.00")],
    )
    first, second, third = (owning.person for owning in scene.owners)
    async with api.db.transaction() as (session, _):  # the first owner's second record
        premise = (
            await session.execute(
                select(Premise.id).where(
                    Premise.building_id == scene.building_pk, Premise.number == "4"
                )
            )
        ).scalar_one()
        await session.execute(
            insert(Ownership).values(
                premise_id=premise,
                building_id=scene.building_pk,
                user_id=first.pk,
                share_numerator=1,
                share_denominator=1,
            )
        )

    # the building's first meeting: its initiator administers it; two of the owners
    # vote (the first with both records), 70 of 120 m²: it completes
    input = meeting_input(
        scene.building_id,
        "Ремонт подъезда",
        ["Ремонт подъезда"],
        starts=clock() + timedelta(days=15),
        choose_organisation=True,
    )
    meeting_id = await create_meeting(api, first, input)
    assert await awards_of(api, first) == [
        ("MEETING_CREATED", f"meeting-created:{pk(meeting_id)}", AWARDS["MEETING_CREATED"])
    ]
    scheduled = await api.gql(SCHEDULE, {"input": {"meetingId": meeting_id}}, as_=first)
    assert scheduled["meetingSchedule"]["userErrors"] == []
    clock.advance(timedelta(days=15, minutes=1))
    await sweep(api, clock)
    await vote_all(api, first, meeting_id, 2)
    await vote_all(api, third, meeting_id, 2)
    voted = ("MEETING_VOTED", f"meeting-voted:{pk(meeting_id)}:", AWARDS["MEETING_VOTED"])
    assert [a for a in await awards_of(api, first) if a[0] == "MEETING_VOTED"] == [
        (voted[0], f"{voted[1]}{first.pk}", voted[2])
    ]
    assert await awards_of(api, third) == [(voted[0], f"{voted[1]}{third.pk}", voted[2])]
    assert await awards_of(api, second) == []
    await end_voting(api, clock, input)
    administered = (
        "MEETING_ADMINISTERED",
        f"meeting-administered:{pk(meeting_id)}",
        AWARDS["MEETING_ADMINISTERED"],
    )
    assert (await awards_of(api, first))[-1] == administered
    assert await assert_balanced(api, first) == sum(
        AWARDS[r] for r in ("MEETING_CREATED", "MEETING_VOTED", "MEETING_ADMINISTERED")
    )

    # the second: administered by the organisation (as the first decided), and failed
    # (only 20 of 120 m² voted): created earns points, administering by no one
    manager = scene.manager
    later = meeting_input(
        scene.building_id,
        "Озеленение",
        ["Озеленение"],
        starts=clock() + timedelta(days=15),
    )
    later["votingEndsAt"] = (clock() + timedelta(days=29)).isoformat()
    second_meeting = await create_meeting(api, second, later)
    scheduled = await api.gql(SCHEDULE, {"input": {"meetingId": second_meeting}}, as_=manager)
    assert scheduled["meetingSchedule"]["userErrors"] == []
    clock.advance(timedelta(days=15, minutes=1))
    await sweep(api, clock)
    await vote_all(api, third, second_meeting, 1)
    await end_voting(api, clock, later)
    assert await awards_of(api, second) == [
        ("MEETING_CREATED", f"meeting-created:{pk(second_meeting)}", AWARDS["MEETING_CREATED"])
    ]
    administered_any = await rows(
        api,
        select(PointEntry.user_id).where(
            PointEntry.source_key == f"meeting-administered:{pk(second_meeting)}"
        ),
    )
    assert administered_any == []
    assert await awards_of(api, manager) == []
    assert [a[0] for a in await awards_of(api, third)] == ["MEETING_VOTED", "MEETING_VOTED"]
    for person in (first, second, third):
        await assert_balanced(api, person)


async def test_a_refused_or_denied_meeting_earns_nothing(api: Api, clock: Clock) -> None:
    world = await make_world(api)
    starts = clock() + timedelta(days=15)
    bundled = meeting_input(world.building_id, "Разное", ["Разное"], starts=starts)
    result = await api.post(CREATE, {"input": bundled}, as_=world["owner"])
    assert result.ok()["meetingCreate"]["userErrors"] != []
    plain = meeting_input(
        world.building_id, "Ремонт", [f"Ремонт {uuid.uuid4().hex[:4]}"], starts=starts
    )
    for key in ("registered", "resident", "dispatcher", "stranger"):
        result = await api.post(CREATE, {"input": plain}, as_=world[key])
        assert result.codes == ["FORBIDDEN"], (key, result)
    for key in ("owner", "registered", "resident", "dispatcher", "stranger"):
        assert await awards_of(api, world[key]) == []
