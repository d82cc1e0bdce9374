"""`ManagementOrganisation.engineers`: whom the desk assigns requests to. Its staff see
the current engineers by display name; everyone else is refused or sees no organisation;
the list costs the same statements for one organisation as for many."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import insert, select

from edom_graphql.buildings.models import ManagementOrganisation, StaffMembership
from edom_graphql.core.capabilities import StaffRole
from edom_graphql.core.ids import encode_id
from edom_graphql.repairs.models import RepairRequest
from edom_graphql.residents.models import User
from tests.factories import Api, Person, World, make_world
from tests.repairs.operations import MUTATIONS, create, pk_of, step

ENGINEERS = """
query ($id: ID!, $first: Int!, $after: String) {
  node(id: $id) {
    ... on ManagementOrganisation {
      name
      engineers(first: $first, after: $after) {
        nodes { id displayName }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""
THROUGH_BUILDING = """
query ($id: ID!) {
  building(id: $id) { managementOrganisation { engineers(first: 10) { nodes { id } } } }
}
"""
THROUGH_MEMBERSHIPS = """
{ viewer { staffMemberships { organisation {
    id engineers(first: 10) { nodes { id displayName } }
} } } }
"""
STAFF = ("dispatcher", "engineer", "manager")
REFUSED = ("owner", "registered", "resident", "guest_elevated", "guest_basic", "admin")
UNSEEN = ("other_staff", "stranger", "newcomer", "guest_expired", "guest_revoked")


def org_id(world: World) -> str:
    return encode_id("ManagementOrganisation", world.organisation_pk)


async def add_user(api: Api, name: str) -> int:
    async with api.db.transaction() as (session, _):
        pk: int = (
            await session.execute(
                insert(User)
                .values(subject=f"test|{uuid.uuid4().hex[:10]}|{name}", display_name=name)
                .returning(User.id)
            )
        ).scalar_one()
    return pk


async def add_staff(
    api: Api, organisation_pk: int, user_pk: int, role: StaffRole, *, ended: bool = False
) -> None:
    async with api.db.transaction() as (session, _):
        await session.execute(
            insert(StaffMembership).values(
                organisation_id=organisation_pk,
                user_id=user_pk,
                role=role,
                ended_at=datetime.now(UTC) if ended else None,
            )
        )


async def engineers_world(api: Api) -> tuple[World, dict[str, int]]:
    """The world's organisation with two more engineers, one who left and a dispatcher
    who is not an engineer; another organisation's engineer."""
    world = await make_world(api, premises=3)
    extra = {name: await add_user(api, name) for name in ("Anna", "Zoe", "Left", "Elsewhere")}
    await add_staff(api, world.organisation_pk, extra["Anna"], StaffRole.ENGINEER)
    await add_staff(api, world.organisation_pk, extra["Zoe"], StaffRole.ENGINEER)
    await add_staff(api, world.organisation_pk, extra["Left"], StaffRole.ENGINEER, ended=True)
    await add_staff(api, world.other_organisation_pk, extra["Elsewhere"], StaffRole.ENGINEER)
    return world, extra


@pytest.mark.parametrize("viewer", STAFF)
async def test_staff_list_the_current_engineers_by_name(api: Api, viewer: str) -> None:
    world, extra = await engineers_world(api)
    data = await api.gql(ENGINEERS, {"id": org_id(world), "first": 10}, as_=world[viewer])
    engineers = data["node"]["engineers"]
    assert engineers["nodes"] == [
        {"id": encode_id("User", extra["Anna"]), "displayName": "Anna"},
        {"id": world["engineer"].id, "displayName": "Engineer"},
        {"id": encode_id("User", extra["Zoe"]), "displayName": "Zoe"},
    ]
    assert engineers["pageInfo"]["hasNextPage"] is False


async def test_engineers_come_in_keyset_pages(api: Api) -> None:
    world, _ = await engineers_world(api)
    names: list[str] = []
    after = None
    pages = 0
    while True:
        variables = {"id": org_id(world), "first": 2, "after": after}
        data = await api.gql(ENGINEERS, variables, as_=world["dispatcher"])
        engineers = data["node"]["engineers"]
        names += [node["displayName"] for node in engineers["nodes"]]
        pages += 1
        if not engineers["pageInfo"]["hasNextPage"]:
            break
        after = engineers["pageInfo"]["endCursor"]
    assert (names, pages) == (["Anna", "Engineer", "Zoe"], 2)


@pytest.mark.parametrize("viewer", REFUSED)
async def test_people_who_see_the_organisation_are_refused_its_engineers(
    api: Api, viewer: str
) -> None:
    world, _ = await engineers_world(api)
    result = await api.post(ENGINEERS, {"id": org_id(world), "first": 10}, as_=world[viewer])
    assert result.data["node"] == {"name": result.data["node"]["name"], "engineers": None}
    assert result.data["node"]["name"].startswith("УК ")
    assert [(e["extensions"]["code"], e["path"]) for e in result.errors] == [
        ("FORBIDDEN", ["node", "engineers"])
    ]


@pytest.mark.parametrize("viewer", ["owner", "resident"])
async def test_residents_are_refused_through_their_building(api: Api, viewer: str) -> None:
    world, _ = await engineers_world(api)
    result = await api.post(THROUGH_BUILDING, {"id": world.building_id}, as_=world[viewer])
    assert result.data["building"]["managementOrganisation"] == {"engineers": None}
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"]


@pytest.mark.parametrize("viewer", UNSEEN)
async def test_outsiders_do_not_see_the_organisation_at_all(api: Api, viewer: str) -> None:
    world, _ = await engineers_world(api)
    result = await api.post(ENGINEERS, {"id": org_id(world), "first": 10}, as_=world[viewer])
    assert result.data == {"node": None}
    assert result.errors == []


async def test_another_organisations_staff_see_only_their_own_engineers(api: Api) -> None:
    world, extra = await engineers_world(api)
    data = await api.gql(THROUGH_MEMBERSHIPS, as_=world["other_staff"])
    memberships = data["viewer"]["staffMemberships"]
    assert [m["organisation"]["engineers"]["nodes"] for m in memberships] == [
        [{"id": encode_id("User", extra["Elsewhere"]), "displayName": "Elsewhere"}]
    ]


async def test_anonymous_is_unauthenticated(api: Api) -> None:
    world, _ = await engineers_world(api)
    result = await api.post(ENGINEERS, {"id": org_id(world), "first": 10})
    assert [e["extensions"]["code"] for e in result.errors] == ["UNAUTHENTICATED"]


async def test_first_is_bounded(api: Api) -> None:
    world, _ = await engineers_world(api)
    result = await api.post(ENGINEERS, {"id": org_id(world), "first": 101}, as_=world["manager"])
    assert result.data["node"]["engineers"] is None
    assert [e["extensions"]["code"] for e in result.errors] == ["BAD_USER_INPUT"]


async def test_every_listed_engineer_is_assignable_and_nobody_else(api: Api) -> None:
    world, extra = await engineers_world(api)
    data = await api.gql(ENGINEERS, {"id": org_id(world), "first": 10}, as_=world["dispatcher"])
    listed = [node["id"] for node in data["node"]["engineers"]["nodes"]]
    request = await create(api, world)
    await step(api, "Accept", world["dispatcher"], request["id"])
    for engineer in listed:
        assigned = await step(
            api, "Assign", world["dispatcher"], request["id"], assigneeId=engineer
        )
        assert assigned["assignee"] == {"id": engineer}
    for outsider in (encode_id("User", extra["Left"]), world["dispatcher"].id):
        result = await api.gql(
            MUTATIONS["Assign"],
            {"input": {"requestId": request["id"], "assigneeId": outsider}},
            as_=world["dispatcher"],
        )
        errors = result["repairRequestAssign"]["userErrors"]
        assert [(e["code"], e["field"]) for e in errors] == [("NOT_AN_ENGINEER", ["assigneeId"])]
    async with api.db.transaction() as (session, _):
        assignee = (
            await session.execute(
                select(RepairRequest.assignee_id).where(RepairRequest.id == pk_of(request["id"]))
            )
        ).scalar_one()
    assert encode_id("User", assignee) == listed[-1]


async def test_statements_do_not_grow_with_the_organisations(api: Api) -> None:
    """One dispatcher of 1 and then of 4 organisations, two engineers each."""
    counts = []
    for size in (1, 4):
        dispatcher = await add_user(api, "Dispatcher")
        for n in range(size):
            async with api.db.transaction() as (session, _):
                organisation_pk = (
                    await session.execute(
                        insert(ManagementOrganisation)
                        .values(name=f"УК {n}", inn=uuid.uuid4().hex[:12])
                        .returning(ManagementOrganisation.id)
                    )
                ).scalar_one()
            await add_staff(api, organisation_pk, dispatcher, StaffRole.DISPATCHER)
            for name in ("Boris", "Vera"):
                await add_staff(api, organisation_pk, await add_user(api, name), StaffRole.ENGINEER)
        async with api.db.transaction() as (session, _):
            subject = (
                await session.execute(select(User.subject).where(User.id == dispatcher))
            ).scalar_one()
        person = Person("dispatcher", dispatcher, subject, api.token(subject, "Dispatcher"))
        await api.gql(THROUGH_MEMBERSHIPS, as_=person)  # warm
        with api.count_statements() as statements:
            data = await api.gql(THROUGH_MEMBERSHIPS, as_=person)
        memberships = data["viewer"]["staffMemberships"]
        assert [
            [node["displayName"] for node in m["organisation"]["engineers"]["nodes"]]
            for m in memberships
        ] == [["Boris", "Vera"]] * size
        counts.append(len(statements))
    small, large = counts
    assert small == large, f"N+1: {small} statements for 1 organisation, {large} for 4"
    # profile, memberships, organisations, engineers, their visibility
    assert large <= 5, statements


@pytest.mark.parametrize(
    "key",
    [("Anna\x00", 1), ("\ud800", 1), (1, 1), ("Anna", 2**70), ("Anna",), "not a list"],
    ids=["nul", "lone-surrogate", "number-for-name", "huge-id", "short", "not-a-list"],
)
async def test_hostile_cursors_are_refused(api: Api, key: object) -> None:
    world, _ = await engineers_world(api)
    after = base64.urlsafe_b64encode(json.dumps(key).encode()).decode()
    variables = {"id": org_id(world), "first": 2, "after": after}
    result = await api.post(ENGINEERS, variables, as_=world["dispatcher"])
    assert result.data["node"]["engineers"] is None
    assert [e["extensions"]["code"] for e in result.errors] == ["BAD_USER_INPUT"]
