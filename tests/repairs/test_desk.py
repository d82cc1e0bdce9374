"""The staff desk (`repairRequestDesk`: filters, keyset pages, constant statements per
page) and `Building.repairRequests` as residents and staff see it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from edom_graphql.buildings.models import StaffMembership
from edom_graphql.core.ids import encode_id
from tests.factories import Api, Clock, World, make_world
from tests.repairs.operations import create, drive, step

DESK = """
query ($org: ID!, $first: Int!, $after: String, $filter: RepairRequestDeskFilter) {
  repairRequestDesk(organisationId: $org, first: $first, after: $after, filter: $filter) {
    nodes { id description }
    pageInfo { hasNextPage endCursor }
  }
}
"""
DESK_NESTED = """
query ($org: ID!, $first: Int!) {
  repairRequestDesk(organisationId: $org, first: $first) {
    edges { cursor node {
      id number status scope category dueAt isOverdue followerCount version viewerFollows
      building { id address } premise { id number } author { id displayName }
      assignee { id displayName } photos { url }
    } }
  }
}
"""


def org_id(world: World) -> str:
    return encode_id("ManagementOrganisation", world.organisation_pk)


async def desk(api: Api, world: World, who: str = "dispatcher", **variables: Any) -> list[str]:
    variables = {"org": org_id(world), "first": 100, **variables}
    data = await api.gql(DESK, variables, as_=world[who])
    return [node["description"] for node in data["repairRequestDesk"]["nodes"]]


async def test_desk_filters(api: Api, clock: Clock) -> None:
    world = await make_world(api)
    leak = await create(api, world, category="LEAK", description="A: pipe burst on floor 3")
    yard = await create(
        api, world, scope="YARD", category="YARD_UPKEEP", description="B: snow in the yard"
    )
    flat = await create(
        api,
        world,
        as_="registered",
        scope="APARTMENT",
        premiseId=world.premise_id("2"),
        category="PLUMBING",
        description="C: the tap drips",
    )
    await drive(api, world, yard["id"], "IN_PROGRESS")
    await step(api, "Accept", world["dispatcher"], flat["id"])
    other = await create(
        api,
        world,
        as_="stranger",
        buildingId=world.other_building_id,
        description="Not in this organisation",
    )
    assert other["id"]
    assert await desk(api, world) == [
        "C: the tap drips",
        "B: snow in the yard",
        "A: pipe burst on floor 3",
    ]
    assert await desk(api, world, "engineer") == await desk(api, world)
    building = {"buildingIds": [world.building_id]}
    assert await desk(api, world, filter=building) == await desk(api, world)
    assert await desk(api, world, filter={"buildingIds": [world.other_building_id]}) == []
    assert await desk(api, world, filter={"statuses": ["NEW", "ACCEPTED"]}) == [
        "C: the tap drips",
        "A: pipe burst on floor 3",
    ]
    assert await desk(api, world, filter={"scopes": ["YARD", "APARTMENT"]}) == [
        "C: the tap drips",
        "B: snow in the yard",
    ]
    assert await desk(api, world, filter={"categories": ["LEAK"]}) == ["A: pipe burst on floor 3"]
    engineer = {"assigneeId": world["engineer"].id}
    assert await desk(api, world, filter=engineer) == ["B: snow in the yard"]
    assert await desk(api, world, filter={"overdue": True}) == []
    clock.advance(timedelta(minutes=31))
    assert await desk(api, world, filter={"overdue": True}) == ["A: pipe burst on floor 3"]
    assert await desk(api, world, filter={"overdue": False}) == [
        "C: the tap drips",
        "B: snow in the yard",
    ]
    both = {"overdue": True, "statuses": ["NEW"], "categories": ["LEAK", "LIFT"]}
    assert await desk(api, world, filter=both) == ["A: pipe burst on floor 3"]
    assert leak["dueAt"] is not None


async def test_desk_keyset_pages(api: Api) -> None:
    world = await make_world(api)
    for n in range(7):
        await create(api, world, description=f"Request number {n}")
    seen: list[str] = []
    after = None
    while True:
        variables = {"org": org_id(world), "first": 3, "after": after}
        data = (await api.gql(DESK, variables, as_=world["manager"]))["repairRequestDesk"]
        seen += [node["description"] for node in data["nodes"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
        # a request filed between pages does not shift the next page
        if len(seen) == 3:
            await create(api, world, description="Filed while paging")
    assert seen == [f"Request number {n}" for n in range(6, -1, -1)]


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 0}, "first"),
        ({"first": 101}, "first"),
        ({"after": "garbage"}, "after"),
        ({"filter": {"buildingIds": ["nonsense"]}}, "filter.buildingIds"),
        ({"filter": {"statuses": ["NEW"] * 101}}, "filter.statuses"),
    ],
)
async def test_desk_bad_arguments(api: Api, variables: dict[str, Any], field: str) -> None:
    world = await make_world(api)
    result = await api.post(
        DESK, {"org": org_id(world), "first": 10, **variables}, as_=world["dispatcher"]
    )
    assert [e["extensions"]["code"] for e in result.errors] == ["BAD_USER_INPUT"], result
    assert result.data == {"repairRequestDesk": None}


async def desk_statements(api: Api, world: World, first: int) -> int:
    variables = {"org": org_id(world), "first": first}
    await api.gql(DESK_NESTED, variables, as_=world["dispatcher"])  # warm
    with api.count_statements() as statements:
        data = await api.gql(DESK_NESTED, variables, as_=world["dispatcher"])
    edges = data["repairRequestDesk"]["edges"]
    assert len(edges) == first
    assert all(edge["node"]["assignee"] is not None for edge in edges)
    return len(statements)


async def test_desk_statement_count_does_not_grow_with_the_page(api: Api) -> None:
    counts = []
    for size in (3, 30):
        world = await make_world(api)
        for n in range(size):
            # filed by six neighbours in turn (each may file 10 an hour)
            author = ("owner", "co_owner", "registered", "resident", "guest_elevated")[n % 5]
            request = await create(api, world, as_=author, description=f"Request number {n}")
            await step(api, "Accept", world["dispatcher"], request["id"])
            await step(
                api, "Assign", world["dispatcher"], request["id"], assigneeId=world["engineer"].id
            )
        counts.append(await desk_statements(api, world, size))
    small, large = counts
    assert small == large, f"N+1: {small} statements for 3 requests, {large} for 30"
    # profile, desk page (with its buildings and premises), users, their visibility,
    # photos, follows
    assert large <= 6


DESK_PLACES = """
query ($org: ID!) {
  repairRequestDesk(organisationId: $org, first: 10) {
    nodes {
      description
      building { id address location { latitude longitude } totalArea intercomCapable }
      premise { id number kind area entrance floor }
    }
  }
}
"""
PLACES = """
query ($building: ID!, $premise: ID!) {
  building: node(id: $building) {
    ... on Building { id address location { latitude longitude } totalArea intercomCapable }
  }
  premise: node(id: $premise) { ... on Premise { id number kind area entrance floor } }
}
"""


async def test_desk_reads_buildings_and_premises_with_its_page(api: Api) -> None:
    """The page's statement carries each request's building and premise: the same
    values their own reads give, a null premise for a request of the common property,
    and no statement of their own."""
    world = await make_world(api)
    await create(api, world, scope="YARD", category="YARD_UPKEEP", description="snow in the yard")
    await create(
        api,
        world,
        as_="registered",
        scope="APARTMENT",
        premiseId=world.premise_id("2"),
        category="PLUMBING",
        description="the tap drips",
    )
    variables = {"org": org_id(world)}
    await api.gql(DESK_PLACES, variables, as_=world["dispatcher"])  # warm
    with api.count_statements() as statements:
        data = await api.gql(DESK_PLACES, variables, as_=world["dispatcher"])
    # the viewer's profile and the page, nothing for the buildings or premises
    assert len(statements) == 2, statements
    flat, yard = data["repairRequestDesk"]["nodes"]
    assert (flat["description"], yard["description"]) == ("the tap drips", "snow in the yard")
    assert yard["premise"] is None
    assert yard["building"] == flat["building"]
    places = await api.gql(
        PLACES,
        {"building": world.building_id, "premise": world.premise_id("2")},
        as_=world["dispatcher"],
    )
    assert flat["building"] == places["building"]
    assert flat["premise"] == places["premise"]


DESK_ASSIGNEES = """
query ($org: ID!) {
  repairRequestDesk(organisationId: $org, first: 10) {
    nodes { description assignee { id displayName } }
  }
}
"""


async def test_desk_reads_assignees_with_its_page_while_they_work_there(api: Api) -> None:
    """An assignee comes with the page, and is shown to the dispatcher without a read of
    their own while they work for the building's organisation; once they have left it,
    no longer (nothing else ties them to the dispatcher)."""
    world = await make_world(api)
    request = await create(api, world, description="the lift is stuck again")
    await step(api, "Accept", world["dispatcher"], request["id"])
    await step(api, "Assign", world["dispatcher"], request["id"], assigneeId=world["engineer"].id)
    variables = {"org": org_id(world)}
    await api.gql(DESK_ASSIGNEES, variables, as_=world["dispatcher"])  # warm
    with api.count_statements() as statements:
        data = await api.gql(DESK_ASSIGNEES, variables, as_=world["dispatcher"])
    assert len(statements) == 2, statements  # the viewer's profile and the page
    assert data["repairRequestDesk"]["nodes"] == [
        {
            "description": "the lift is stuck again",
            "assignee": {"id": world["engineer"].id, "displayName": "Engineer"},
        }
    ]

    async with api.db.transaction() as (session, _):
        await session.execute(
            update(StaffMembership)
            .where(StaffMembership.user_id == world["engineer"].pk)
            .values(ended_at=datetime.now(UTC))
        )
    data = await api.gql(DESK_ASSIGNEES, variables, as_=world["dispatcher"])
    assert data["repairRequestDesk"]["nodes"] == [
        {"description": "the lift is stuck again", "assignee": None}
    ]


# -- Building.repairRequests --------------------------------------------------------------

BUILDING_REQUESTS = """
query ($id: ID!) { building(id: $id) { repairRequests(first: 100) { nodes { description } } } }
"""


async def test_building_requests_by_viewer(api: Api) -> None:
    world = await make_world(api)
    await create(api, world, description="Owner: lift")
    await create(api, world, scope="YARD", description="Owner: yard")
    await create(
        api,
        world,
        as_="registered",
        scope="APARTMENT",
        premiseId=world.premise_id("2"),
        description="Registered: own flat",
    )
    await create(
        api,
        world,
        as_="owner",
        scope="APARTMENT",
        premiseId=world.premise_id("1"),
        description="Owner: own flat",
    )
    expected = {
        "owner": ["Owner: own flat", "Owner: yard", "Owner: lift"],
        "co_owner": ["Owner: yard", "Owner: lift"],
        "registered": ["Registered: own flat", "Owner: yard", "Owner: lift"],
        "guest_basic": ["Owner: yard", "Owner: lift"],
        "guest_initial": [],
        "admin": [],
        "dispatcher": ["Owner: own flat", "Registered: own flat", "Owner: yard", "Owner: lift"],
        "engineer": ["Owner: own flat", "Registered: own flat", "Owner: yard", "Owner: lift"],
    }
    for who, descriptions in expected.items():
        data = await api.gql(BUILDING_REQUESTS, {"id": world.building_id}, as_=world[who])
        nodes = data["building"]["repairRequests"]["nodes"]
        assert [node["description"] for node in nodes] == descriptions, who
    for who in ("stranger", "other_staff"):
        data = await api.gql(BUILDING_REQUESTS, {"id": world.building_id}, as_=world[who])
        assert data == {"building": None}
