"""The query lane answers a query validated before exactly as the full path would.

Each request is sent twice: the first time the full path parses, validates and answers
it (and records the validated document), the second time the lane answers, unless the
request is one it leaves to the full path. Status, media type and body must be the same
both times, errors and their codes included.
"""

from __future__ import annotations

import asyncio
import gc
import json
import re
import uuid
import weakref
from typing import Any

import httpx
import pytest
from bench.operations import BUILDING_PREMISES_OWNERS_USERS
from sqlalchemy import func, select

from edom_graphql.core.context import Context
from edom_graphql.core.ids import encode_id
from edom_graphql.residents.models import User
from edom_graphql.server.http import GraphQLEndpoint
from tests.factories import Api, Person, make_user, make_world
from tests.server.surface import GRAPHQL_RESPONSE


def _lane(text: str, outcome: str) -> float:
    match = re.search(
        rf'^edom_graphql_query_lane_total\{{outcome="{outcome}"\}} (\S+)$', text, re.M
    )
    return float(match.group(1)) if match else 0.0


async def _lane_counts(api: Api) -> tuple[float, float]:
    text = (await api.client.get("/metrics")).text
    return _lane(text, "answered"), _lane(text, "declined")


async def _twice(
    api: Api, person: Person, body: dict[str, Any], *, accept: str | None = None, get: bool = False
) -> tuple[httpx.Response, httpx.Response, float, float]:
    """Both answers, and how many of the second the lane answered and declined."""
    headers = {**person.headers, **({"Accept": accept} if accept else {})}

    async def send() -> httpx.Response:
        if get:
            params = {k: v if isinstance(v, str) else json.dumps(v) for k, v in body.items()}
            return await api.client.get("/graphql", params=params, headers=headers)
        return await api.client.post("/graphql", json=body, headers=headers)

    first = await send()
    answered, declined = await _lane_counts(api)
    second = await send()
    answered_after, declined_after = await _lane_counts(api)
    return first, second, answered_after - answered, declined_after - declined


def _same(first: httpx.Response, second: httpx.Response) -> None:
    assert second.status_code == first.status_code
    assert second.headers["content-type"] == first.headers["content-type"]
    assert second.content == first.content


@pytest.fixture
async def person(api: Api) -> Person:
    return await make_user(api, "lane")


def _unique(query: str) -> str:
    """The query with a comment no other test sends: the first request is the full path's."""
    return f"# {uuid.uuid4().hex}\n{query}"


async def test_a_validated_query_is_answered_by_the_lane(api: Api, person: Person) -> None:
    body = {"query": _unique("query LaneViewer { viewer { user { id displayName } } }")}
    first, second, answered, declined = await _twice(api, person, body)
    _same(first, second)
    assert first.json()["data"]["viewer"]["user"]["displayName"] == "lane"
    assert (answered, declined) == (1, 0)


async def test_operation_counts_and_timings_are_kept(api: Api, person: Person) -> None:
    query = _unique("query LaneCounted { viewer { user { id } } }")
    before = _operations((await api.client.get("/metrics")).text, "LaneCounted")
    await _twice(api, person, {"query": query})
    assert _operations((await api.client.get("/metrics")).text, "LaneCounted") - before == 2


@pytest.mark.parametrize("accept", [None, GRAPHQL_RESPONSE])
async def test_field_errors_are_coded_alike(api: Api, person: Person, accept: str | None) -> None:
    # The desk of an organisation the viewer does not work for: FORBIDDEN, data null there.
    query = _unique(
        "query LaneDesk($org: ID!) { repairRequestDesk(organisationId: $org, first: 5) "
        "{ edges { node { id } } } viewer { user { id } } }"
    )
    body = {
        "query": query,
        "variables": {"org": encode_id("ManagementOrganisation", 9_000_000)},
    }
    first, second, answered, _ = await _twice(api, person, body, accept=accept)
    _same(first, second)
    payload = first.json()
    assert [e["extensions"]["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert payload["data"]["repairRequestDesk"] is None
    assert answered == 1


@pytest.mark.parametrize("accept", [None, GRAPHQL_RESPONSE])
async def test_variables_that_do_not_coerce(api: Api, person: Person, accept: str | None) -> None:
    query = _unique(
        "query LaneVars($n: Int!) { viewer { user { id } } __typename @skip(if: false) }"
    )
    body = {"query": query, "variables": {"n": "not a number"}}
    first, second, _, _ = await _twice(api, person, body, accept=accept)
    _same(first, second)
    assert first.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert first.status_code == (400 if accept else 200)


async def test_a_request_over_the_limits_is_left_to_the_full_path(api: Api, person: Person) -> None:
    # A page bigger than the cost limit allows, asked by a variable.
    query = _unique(
        "query LaneCost($n: Int!) { viewer { notifications(first: $n) { edges { node { id } } } } }"
    )
    small, again, answered, _ = await _twice(api, person, {"query": query, "variables": {"n": 2}})
    _same(small, again)
    assert answered == 1
    first, second, answered, declined = await _twice(
        api, person, {"query": query, "variables": {"n": 10_000_000}}
    )
    _same(first, second)
    assert first.json()["errors"][0]["extensions"]["code"] in (
        "QUERY_TOO_COMPLEX",
        "BAD_USER_INPUT",
    )
    assert (answered, declined) == (0, 1)


async def test_query_over_get(api: Api, person: Person) -> None:
    body = {"query": _unique("query LaneGet { viewer { user { id } } }")}
    first, second, answered, _ = await _twice(api, person, body, get=True)
    _same(first, second)
    assert first.status_code == 200
    assert answered == 1


async def test_an_unknown_operation_name_is_left_to_the_full_path(api: Api, person: Person) -> None:
    query = _unique("query LaneA { viewer { user { id } } } query LaneB { __typename }")
    await _twice(api, person, {"query": query, "operationName": "LaneA"})
    first, second, answered, declined = await _twice(
        api, person, {"query": query, "operationName": "LaneC"}
    )
    _same(first, second)
    assert first.status_code == 400
    assert (answered, declined) == (0, 1)


async def test_a_mutation_is_left_to_the_full_path_and_runs_once(api: Api, person: Person) -> None:
    name = f"lane-{uuid.uuid4().hex[:8]}"
    mutation = (
        "mutation LaneRename($input: ProfileUpdateInput!) "
        "{ profileUpdate(input: $input) { user { displayName } userErrors { code } } }"
    )
    body = {"query": mutation, "variables": {"input": {"displayName": name}}}
    before = _operations((await api.client.get("/metrics")).text, "LaneRename")
    first, second, answered, declined = await _twice(api, person, body)
    assert first.status_code == second.status_code == 200
    assert second.json()["data"]["profileUpdate"]["user"]["displayName"] == name
    assert (answered, declined) == (0, 1)
    after = _operations((await api.client.get("/metrics")).text, "LaneRename")
    assert after - before == 2  # executed once per request
    async with api.db.transaction() as (session, _):
        renamed = (
            await session.execute(select(func.count()).where(User.display_name == name))
        ).scalar_one()
    assert renamed == 1


def _operations(text: str, name: str) -> float:
    match = re.search(
        rf'^edom_graphql_operations_total\{{operation="{name}",outcome="ok",type="\w+"\}} (\S+)$',
        text,
        re.M,
    )
    return float(match.group(1)) if match else 0.0


async def test_an_operation_is_freed_without_the_cycle_collector(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once a request is answered, its context, with the loaders and every row and
    object they read, is gone at once: nothing in it is a reference cycle left for the
    cycle collector (whose passes cost tens of milliseconds under load)."""
    made: list[weakref.ref[Context]] = []
    original = GraphQLEndpoint.get_context

    async def recording(self: GraphQLEndpoint, request: Any, response: Any) -> Context:
        context = await original(self, request, response)
        made.append(weakref.ref(context))
        return context

    monkeypatch.setattr(GraphQLEndpoint, "get_context", recording)
    world = await make_world(api, premises=4)
    owner = world.people["owner"]
    building = (await api.gql("{ viewer { buildings(first: 1) { nodes { id } } } }", as_=owner))[
        "viewer"
    ]["buildings"]["nodes"][0]["id"]
    made.clear()
    gc.collect()
    gc.disable()
    try:
        for _ in range(2):  # the full path, then the lane
            data = await api.gql(BUILDING_PREMISES_OWNERS_USERS, {"id": building}, as_=owner)
            assert any(edge["node"]["owners"] for edge in data["building"]["premises"]["edges"])
        for _ in range(3):
            await asyncio.sleep(0)  # the server's finished request tasks let go
        alive = [ref for ref in made if ref() is not None]
    finally:
        gc.enable()
    assert len(made) >= 4  # two reads and the visibility check after each
    assert alive == []
