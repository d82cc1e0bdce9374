"""Nested reads cost the same number of SQL statements whatever the list length."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import insert, update

from edom_graphql.buildings.models import Building
from edom_graphql.residents.models import Ownership, User
from tests.factories import Api, World, make_world

NESTED = """
query Nested($id: ID!, $first: Int!) {
  building(id: $id) {
    id address totalArea
    premises(first: $first) {
      edges { node { id number area kind owners { share { numerator denominator } since
        user { id displayName } } } }
    }
  }
}
"""
DEPTH = 4  # building → premises → owners → user


async def _world_with_owners(api: Api, premises: int) -> World:
    world = await make_world(api, premises=premises)
    async with api.db.transaction() as (session, _):
        tag = uuid.uuid4().hex[:8]
        rows = []
        for number, premise_pk in world.premises.items():
            if number == "1":
                continue
            for share in (1, 2):
                user_pk = (
                    await session.execute(
                        insert(User)
                        .values(subject=f"test|{tag}|{number}|{share}", display_name=f"O{number}")
                        .returning(User.id)
                    )
                ).scalar_one()
                rows.append(
                    {
                        "premise_id": premise_pk,
                        "building_id": world.building_pk,
                        "user_id": user_pk,
                        "share_numerator": 1,
                        "share_denominator": 2,
                    }
                )
        await session.execute(insert(Ownership), rows)
    return world


async def _statements(api: Api, world: World, first: int, viewer: str) -> tuple[int, int]:
    variables = {"id": world.building_id, "first": first}
    await api.gql(NESTED, variables, as_=world[viewer])  # warm: provisioning, caches
    with api.count_statements() as statements:
        data = await api.gql(NESTED, variables, as_=world[viewer])
    edges = data["building"]["premises"]["edges"]
    owners = sum(len(edge["node"]["owners"]) for edge in edges)
    assert len(edges) == first
    assert owners == 2 * first
    return len(statements), owners


@pytest.mark.parametrize("viewer", ["owner", "dispatcher"])
async def test_statement_count_does_not_grow_with_the_list(api: Api, viewer: str) -> None:
    small_world = await _world_with_owners(api, 10)
    large_world = await _world_with_owners(api, 100)
    small, _ = await _statements(api, small_world, 10, viewer)
    large, _ = await _statements(api, large_world, 100, viewer)
    assert small == large, f"N+1: {small} statements for 10 premises, {large} for 100"
    assert large <= DEPTH + 1


async def test_nested_lists_under_many_parents_batch(api: Api) -> None:
    """premises under each of the viewer's buildings: one statement for all buildings."""
    world = await make_world(api, premises=5)
    query = """{ viewer { buildings(first: 10) { edges { node { id
        premises(first: 5) { edges { node { number owners { user { displayName } } } } }
    } } } } }"""
    await api.gql(query, as_=world["dispatcher"])
    with api.count_statements() as statements:
        data = await api.gql(query, as_=world["dispatcher"])
    assert len(data["viewer"]["buildings"]["edges"]) == 1
    # profile, buildings page, premises page, owners, users
    assert len(statements) <= 5, statements


async def test_a_page_of_one_parent_is_the_page_among_many(api: Api) -> None:
    """One parent's page is read by its own statement, several parents' by one lateral
    join (``core.loaders.PagedChildren``): the same pages either way, every page."""
    world = await make_world(api, premises=7)
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(Building)
            .where(Building.id == world.other_building_pk)
            .values(organisation_id=world.organisation_pk)
        )
    many = """query ($after: String) { viewer { buildings(first: 10) { edges { node { id
        premises(first: 3, after: $after) { edges { cursor node { id number } }
          pageInfo { hasNextPage endCursor } } } } } } }"""
    one = """query ($id: ID!, $after: String) { building(id: $id) {
        premises(first: 3, after: $after) { edges { cursor node { id number } }
          pageInfo { hasNextPage endCursor } } } }"""
    dispatcher = world["dispatcher"]
    after: str | None = None
    while True:
        data = await api.gql(many, {"after": after}, as_=dispatcher)
        pages = {
            e["node"]["id"]: e["node"]["premises"] for e in data["viewer"]["buildings"]["edges"]
        }
        assert set(pages) == {world.building_id, world.other_building_id}
        for building_id, page in pages.items():
            alone = await api.gql(one, {"id": building_id, "after": after}, as_=dispatcher)
            assert alone["building"]["premises"] == page
        page = pages[world.building_id]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert after is not None  # seven premises: three pages
