"""The owners register under a page of premises: decided once, the same answers as
through `node`, for every kind of viewer."""

from __future__ import annotations

import pytest

from tests.factories import Api, make_world

PAGE = """
query ($id: ID!) {
  building(id: $id) {
    premises(first: 3) {
      edges { node { number owners { share { numerator denominator } user { displayName } } } }
    }
  }
}
"""
ALLOWED = {"owner", "co_owner", "dispatcher", "engineer", "manager"}


@pytest.mark.parametrize(
    "viewer",
    ["owner", "co_owner", "registered", "resident", "guest_basic", "dispatcher", "manager"],
)
async def test_owners_under_a_page_of_premises(api: Api, viewer: str) -> None:
    world = await make_world(api, premises=3)
    result = await api.post(PAGE, {"id": world.building_id}, as_=world[viewer])
    assert result.response.status_code == 200
    edges = result.data["building"]["premises"]["edges"]
    assert [edge["node"]["number"] for edge in edges] == ["1", "2", "3"]
    if viewer not in ALLOWED:
        assert [edge["node"]["owners"] for edge in edges] == [None, None, None]
        assert [(e["extensions"]["code"], e["path"]) for e in result.errors] == [
            ("FORBIDDEN", ["building", "premises", "edges", i, "node", "owners"]) for i in range(3)
        ]
        return
    assert result.errors == []
    owners = edges[0]["node"]["owners"]
    names = sorted(owner["user"]["displayName"] for owner in owners)
    assert names == ["Co Owner", "Owner"]
    assert {(o["share"]["numerator"], o["share"]["denominator"]) for o in owners} == {(1, 2)}
    assert [edge["node"]["owners"] for edge in edges[1:]] == [[], []]


@pytest.mark.parametrize("viewer", ["owner", "manager"])
async def test_owners_phones_are_personal_data(api: Api, viewer: str) -> None:
    """Staff see every owner's phone; an owner sees their own and is refused the others'."""
    world = await make_world(api, premises=3)
    query = PAGE.replace("user { displayName }", "user { displayName phone }")
    result = await api.post(query, {"id": world.building_id}, as_=world[viewer])
    edge = result.data["building"]["premises"]["edges"][0]
    phones = {o["user"]["displayName"]: o["user"]["phone"] for o in edge["node"]["owners"]}
    if viewer == "manager":
        assert result.errors == []
        assert phones == {"Owner": "+79990000000", "Co Owner": "+79990000000"}
    else:
        assert phones == {"Owner": "+79990000000", "Co Owner": None}
        assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"]


@pytest.mark.parametrize(
    "selection",
    [
        "edges { node { ...P } } } } } fragment P on Premise { number owners { user { id } } }",
        "edges { node { ... on Premise { number owners { user { id } } } } } } } } ",
        "nodes { number owners { user { id } } } } } } ",
    ],
    ids=["fragment", "inline-fragment", "nodes"],
)
async def test_owners_through_fragments_are_loaded_for_the_whole_page(
    api: Api, selection: str
) -> None:
    world = await make_world(api, premises=3)
    query = "query ($id: ID!) { building(id: $id) { premises(first: 3) { " + selection
    await api.gql(query, {"id": world.building_id}, as_=world["owner"])
    with api.count_statements() as statements:
        data = await api.gql(query, {"id": world.building_id}, as_=world["owner"])
    premises = data["building"]["premises"]
    nodes = premises.get("nodes") or [edge["node"] for edge in premises["edges"]]
    assert [len(node["owners"]) for node in nodes] == [2, 0, 0]
    # profile, building, and the premises page with each premise's owners and their
    # users (joined onto the page's statement)
    assert len(statements) == 3, statements
    assert "json_agg" in statements[-1], statements


@pytest.mark.parametrize("viewer", ["registered", "guest_basic"])
async def test_owners_are_not_read_for_a_viewer_refused_the_register(api: Api, viewer: str) -> None:
    """Refused the register, a viewer's page of premises reads no owners at all."""
    world = await make_world(api, premises=3)
    with api.count_statements() as statements:
        result = await api.post(PAGE, {"id": world.building_id}, as_=world[viewer])
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"] * 3
    assert not [s for s in statements if "ownerships.share_numerator" in s], statements
