"""`Building.polls` (newest first, paged, at a constant cost) and polls by `node`."""

from __future__ import annotations

from tests.factories import Api, make_world
from tests.polls.operations import LIST, create, node, vote


async def test_listing_newest_first_with_pagination(api: Api) -> None:
    world = await make_world(api)
    other = await make_world(api)
    await create(api, other, question="Чужой опрос")
    created = [await create(api, world, question=f"Опрос {i}") for i in range(5)]
    viewer = world["guest_initial"]
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        data = await api.gql(
            LIST, {"id": world.building_id, "first": 2, "after": after}, as_=viewer
        )
        polls = data["building"]["polls"]
        seen += [p["question"] for p in polls["nodes"]]
        assert polls["pageInfo"]["hasPreviousPage"] is (after is not None)
        pages += 1
        if not polls["pageInfo"]["hasNextPage"]:
            break
        after = polls["pageInfo"]["endCursor"]
    assert pages == 3
    assert seen == [p["question"] for p in reversed(created)]
    result = await api.post(
        LIST, {"id": world.building_id, "first": 2, "after": "nope"}, as_=viewer
    )
    assert result.codes == ["BAD_USER_INPUT"]


async def test_node_visibility(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world)
    assert (await node(api, poll, world["resident"]))["id"] == poll["id"]
    for key in ("stranger", "other_staff", "newcomer", "guest_revoked", "guest_expired"):
        assert await node(api, poll, world[key]) is None, key
    # an option id is not an object of its own
    assert await node(api, {"id": poll["options"][0]["id"]}, world["owner"]) is None


POLLS_WITH_RESULTS = """
query ($id: ID!, $first: Int!) {
  building(id: $id) {
    polls(first: $first) {
      nodes {
        id options { text } viewerHasVoted viewerCanVote
        results { ballots options { votes } }
      }
    }
  }
}
"""


async def test_listing_costs_the_same_whatever_its_length(api: Api) -> None:
    world = await make_world(api)
    for i in range(6):
        poll = await create(api, world, question=f"Опрос {i}", multipleChoice=True)
        await vote(api, world["registered"], poll, 0, i % 3)
    manager = world["manager"]  # sees every poll's results
    costs = []
    for first in (1, 6):
        variables = {"id": world.building_id, "first": first}
        await api.gql(POLLS_WITH_RESULTS, variables, as_=manager)  # warm
        with api.count_statements() as statements:
            data = await api.gql(POLLS_WITH_RESULTS, variables, as_=manager)
        nodes = data["building"]["polls"]["nodes"]
        assert len(nodes) == first
        assert all(node["results"]["ballots"] == 1 for node in nodes)
        costs.append(len(statements))
    assert costs[0] == costs[1], costs
