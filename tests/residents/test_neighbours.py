"""The neighbours directory: every current occupant of the building (owner, registered
or confirmed resident) once per premise, in premise order, paged without gaps or
repeats."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import insert, update

from edom_graphql.core.clock import utcnow
from edom_graphql.residents.models import Ownership, Registration, ResidencyConfirmation
from tests.factories import Api, World, make_world

PAGE = """
query ($id: ID!, $first: Int!, $after: String) {
  building(id: $id) {
    neighbours(first: $first, after: $after) {
      edges { cursor node { displayName premiseNumber } }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""


async def _crowd(api: Api, world: World) -> None:
    """More occupants: the co-owner also registered at premise 1 (listed there once), the
    registered resident also owning premise 4, a tenant of premise 5 whose registration
    ended (not listed) and a confirmed resident of premise 5."""

    def relation(key: str, premise: str) -> dict[str, Any]:
        return {
            "user_id": world[key].pk,
            "premise_id": world.premises[premise],
            "building_id": world.building_pk,
        }

    async with api.db.transaction() as (session, _):
        await session.execute(insert(Registration), [relation("co_owner", "1")])
        await session.execute(
            insert(Ownership),
            [{**relation("registered", "4"), "share_numerator": 1, "share_denominator": 1}],
        )
        ended = (
            await session.execute(
                insert(Registration).values(relation("guest_basic", "5")).returning(Registration.id)
            )
        ).scalar_one()
        await session.execute(
            update(Registration).where(Registration.id == ended).values(ended_at=utcnow())
        )
        await session.execute(insert(ResidencyConfirmation), [relation("stranger", "5")])


async def _all_pages(api: Api, world: World, first: int) -> list[tuple[str, str]]:
    seen: list[tuple[str, str]] = []
    after = None
    for _ in range(50):
        data = await api.gql(
            PAGE, {"id": world.building_id, "first": first, "after": after}, as_=world["owner"]
        )
        connection = data["building"]["neighbours"]
        edges = connection["edges"]
        seen += [(edge["node"]["premiseNumber"], edge["node"]["displayName"]) for edge in edges]
        assert len(edges) <= first
        if not connection["pageInfo"]["hasNextPage"]:
            return seen
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("first", [1, 2, 3, 50])
async def test_every_occupant_once_per_premise_in_order(api: Api, first: int) -> None:
    world = await make_world(api, premises=6)
    await _crowd(api, world)
    expected = sorted(
        [
            ("1", "Owner", world["owner"].pk),
            ("1", "Co Owner", world["co_owner"].pk),
            ("2", "Registered", world["registered"].pk),
            ("3", "Resident", world["resident"].pk),
            ("4", "Registered", world["registered"].pk),
            ("5", "Stranger", world["stranger"].pk),
        ],
        key=lambda row: (int(row[0]), row[2]),
    )
    assert await _all_pages(api, world, first) == [(number, name) for number, name, _ in expected]
