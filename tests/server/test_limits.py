"""Query limits (depth, aliases, tokens, cost), introspection and field suggestions: every
refusal is ``QUERY_TOO_COMPLEX`` (or a coded request error) and runs no resolver."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query

from edom_graphql.core.auth import dev_public_key_pem
from edom_graphql.server.app import create_app
from edom_graphql.settings import Settings
from tests.factories import Api, GraphQLResult, Person, make_user

# 100 buildings, 100 premises each, each premise's building's 100 neighbours:
# 100 + 100·100 + 100·100·100 = 1,010,100 nodes.
OVER_COST = """
query OverCost {
  viewer {
    buildings(first: 100) {
      edges { node { premises(first: 100) { edges { node {
        building { neighbours(first: 100) { edges { node { displayName } } } }
      } } } } }
    }
  }
}
"""
# 100 + 100·100 + 100·100 = 20,100 nodes: under the limit of 50,000.
UNDER_COST = """
{
  viewer {
    buildings(first: 100) { edges { node {
      premises(first: 100) { edges { node { owners { id } } } }
      neighbours(first: 100) { edges { node { displayName } } }
    } } }
  }
}
"""
# 13 levels: one more than the limit of 12.
TOO_DEEP = """
{ viewer { buildings(first: 1) { edges { node { premises(first: 1) { edges { node {
  building { premises(first: 1) { edges { node { building { id } } } } }
} } } } } } } }
"""


@pytest.fixture(scope="module")
async def person(api: Api) -> Person:
    return await make_user(api, "limits")


async def refused(api: Api, query: str, person: Person, **kwargs: Any) -> GraphQLResult:
    """Post ``query``; it must be refused as too complex without touching the database."""
    with api.count_statements() as statements:
        result = await api.post(query, as_=person, **kwargs)
    assert result.response.status_code == 200, result
    assert result.data is None, result
    assert result.codes == ["QUERY_TOO_COMPLEX"], result
    assert statements == [], "no resolver may run for a refused query"
    return result


@asynccontextmanager
async def served(settings: Settings, database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app with ``settings``, served in process without lifespan."""
    app = create_app(settings, database_url=database_url)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            yield client
    finally:
        await app.state.services.db.dispose()


# --- limits ------------------------------------------------------------------------------


async def test_depth_over_the_limit(api: Api, person: Person) -> None:
    result = await refused(api, TOO_DEEP, person)
    error = result.errors[0]
    assert error["message"] == "The query is 13 levels deep; the limit is 12."
    assert error["extensions"]["depth"] == 13
    assert error["extensions"]["limit"] == 12


async def test_depth_counts_through_fragments(api: Api, person: Person) -> None:
    query = """
    query { viewer { ...V } }
    fragment V on Viewer { buildings(first: 1) { edges { node { ...B } } } }
    fragment B on Building { premises(first: 1) { edges { node { ...P } } } }
    fragment P on Premise {
      building { ... on Building { premises(first: 1) { edges { node { building { id } } } } } }
    }
    """
    result = await refused(api, query, person)
    assert result.errors[0]["extensions"]["depth"] == 13


async def test_too_many_aliases(api: Api, person: Person) -> None:
    fields = " ".join(f"a{i}: unreadNotificationCount" for i in range(31))
    result = await refused(api, f"{{ viewer {{ {fields} }} }}", person)
    assert result.errors[0]["message"] == "The query uses 31 aliases; the limit is 30."
    # At the limit it runs.
    fields = " ".join(f"a{i}: unreadNotificationCount" for i in range(30))
    data = (await api.post(f"{{ viewer {{ {fields} }} }}", as_=person)).ok()
    assert len(data["viewer"]) == 30


async def test_too_many_tokens(api: Api, person: Person) -> None:
    query = "{ viewer { " + " ".join(["unreadNotificationCount"] * 5000) + " } }"
    result = await refused(api, query, person)
    assert "5000 tokens" in result.errors[0]["message"]


async def test_too_deeply_nested_document(api: Api, person: Person) -> None:
    query = "{" + " viewer {" * 300 + " id" + " }" * 300 + " }"
    result = await refused(api, query, person)
    assert "nested too deeply" in result.errors[0]["message"]


async def test_cost_over_the_limit(api: Api, person: Person) -> None:
    result = await refused(api, OVER_COST, person, operation_name="OverCost")
    error = result.errors[0]
    assert error["message"] == (
        "The query may return 1010100 nodes; the limit is 50000. Ask for smaller pages (`first`)."
    )
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "cost": 1010100, "limit": 50000}


async def test_cost_under_the_limit_runs(api: Api, person: Person) -> None:
    data = (await api.post(UNDER_COST, as_=person)).ok()
    assert data == {"viewer": {"buildings": {"edges": []}}}


async def test_cost_with_variables(api: Api, person: Person) -> None:
    query = """
    query Paged($n: Int!, $m: Int = 100) {
      viewer { buildings(first: $n) { edges { node {
        premises(first: $n) { edges { node {
          building { neighbours(first: $m) { edges { node { displayName } } } }
        } } }
      } } } }
    }
    """
    result = await refused(api, query, person, variables={"n": 100})
    assert result.errors[0]["extensions"]["cost"] == 100 + 100 * 100 + 100 * 100 * 100
    # The default of $m counts when $m is not given, the given value otherwise.
    result = await refused(api, query, person, variables={"n": 30})
    assert result.errors[0]["extensions"]["cost"] == 30 + 30 * 30 + 30 * 30 * 100
    data = (await api.post(query, {"n": 30, "m": 10}, as_=person)).ok()
    assert data == {"viewer": {"buildings": {"edges": []}}}


async def test_cost_through_fragments_and_inline_fragments(api: Api, person: Person) -> None:
    query = """
    query { viewer { ...Buildings } }
    fragment Buildings on Viewer {
      buildings(first: 100) { edges { node { ...Premises } } }
    }
    fragment Premises on Building {
      premises(first: 100) { edges { node {
        ... on Premise { building { ... {
          neighbours(first: 100) { edges { node { displayName } } }
        } } }
      } } }
    }
    """
    result = await refused(api, query, person)
    assert result.errors[0]["extensions"]["cost"] == 1010100


async def test_cost_of_repeated_fragment_spreads(api: Api, person: Person) -> None:
    # Each fragment spreads the next ten times: measured naively this walks 10^8 spreads.
    levels = 8
    fragments = [
        f"fragment F{i} on Viewer {{ {' '.join(f'...F{i + 1}' for _ in range(10))} }}"
        for i in range(levels)
    ]
    fragments.append(
        f"fragment F{levels} on Viewer {{ buildings(first: 10) {{ edges {{ cursor }} }} }}"
    )
    query = "query { viewer { ...F0 } } " + " ".join(fragments)
    started = time.perf_counter()
    result = await refused(api, query, person)
    assert time.perf_counter() - started < 5
    assert result.errors[0]["extensions"]["cost"] == 10 * 10**levels


async def test_nodes_count_their_ids(api: Api, person: Person) -> None:
    ids = json.dumps([f"id{i}" for i in range(100)])
    query = f"""{{ nodes(ids: {ids}) {{ ... on Building {{
      premises(first: 100) {{ edges {{ node {{
        building {{ neighbours(first: 100) {{ edges {{ node {{ displayName }} }} }} }}
      }} }} }}
    }} }} }}"""
    result = await refused(api, query, person)
    assert result.errors[0]["extensions"]["cost"] == 100 + 100 * 100 + 100 * 100 * 100


async def test_limits_with_graphql_response_media_type(api: Api, person: Person) -> None:
    response = await api.client.post(
        "/graphql",
        json={"query": OVER_COST},
        headers={**person.headers, "Accept": "application/graphql-response+json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert [e["extensions"]["code"] for e in body["errors"]] == ["QUERY_TOO_COMPLEX"]


async def test_stricter_limits(settings: Settings, database_url: str, api: Api) -> None:
    strict = settings.model_copy(update={"max_depth": 4, "max_aliases": 2, "max_cost": 10})
    person = await make_user(api, "strict")
    async with served(strict, database_url) as client:

        async def post(query: str) -> GraphQLResult:
            return GraphQLResult(
                await client.post("/graphql", json={"query": query}, headers=person.headers)
            )

        result = await post("{ viewer { buildings(first: 11) { edges { cursor } } } }")
        assert result.codes == ["QUERY_TOO_COMPLEX"]
        assert result.errors[0]["extensions"]["cost"] == 11
        ok = await post("{ viewer { buildings(first: 10) { edges { cursor } } } }")
        assert ok.ok() == {"viewer": {"buildings": {"edges": []}}}
        result = await post("{ viewer { buildings(first: 1) { edges { node { id } } } } }")
        assert result.errors[0]["extensions"] == {
            "code": "QUERY_TOO_COMPLEX",
            "depth": 5,
            "limit": 4,
        }
        result = await post("{ a: __typename b: __typename c: __typename }")
        assert result.errors[0]["extensions"] == {
            "code": "QUERY_TOO_COMPLEX",
            "aliases": 3,
            "limit": 2,
        }


# --- introspection and suggestions ---------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        {},
        {
            "descriptions": True,
            "specified_by_url": True,
            "directive_is_repeatable": True,
            "schema_description": True,
            "input_value_deprecation": True,
        },
    ],
)
async def test_introspection_works_in_development(api: Api, options: dict[str, bool]) -> None:
    # The query GraphiQL and code generators send: its type references nest deeply.
    result = await api.post(get_introspection_query(**options))
    data = result.ok()
    names = {t["name"] for t in data["__schema"]["types"]}
    assert {"Query", "Mutation", "Subscription", "Building", "Viewer"} <= names


@pytest.mark.parametrize(
    "query",
    [
        # Refused by graphql-core's validation (fields within fields within fields).
        "{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }",
        # Refused by the limits (lists of the introspection schema four deep).
        "{ __schema { types { fields { args { type { possibleTypes { name } } } } } } }",
    ],
)
async def test_abusive_introspection_is_refused(api: Api, query: str) -> None:
    result = await api.post(query)
    assert result.data is None
    assert result.codes == ["QUERY_TOO_COMPLEX"], result
    assert "introspection" in result.errors[0]["message"]


async def test_introspection_disabled(settings: Settings, database_url: str) -> None:
    closed = settings.model_copy(update={"introspection": False})
    async with served(closed, database_url) as client:
        for query in (
            "{ __schema { types { name } } }",
            '{ __type(name: "Query") { fields { name } } }',
            get_introspection_query(),
        ):
            response = await client.post("/graphql", json={"query": query})
            assert response.status_code == 200
            result = GraphQLResult(response)
            assert result.data is None
            assert result.codes, result
            assert set(result.codes) == {"BAD_USER_INPUT"}, result
            assert "introspection" in result.errors[0]["message"].lower()
        ok = await client.post("/graphql", json={"query": "{ __typename }"})
        assert ok.json() == {"data": {"__typename": "Query"}}


PREMISES_OF_KIND = """query($k: PremiseKind) {
  viewer { buildings(first: 1) { edges { node {
    premises(first: 1, kind: $k) { edges { cursor } }
  } } } }
}"""
SUGGESTED: list[tuple[str, dict[str, Any] | None, str]] = [
    ("{ viewr { user { id } } }", None, "Cannot query field 'viewr' on type 'Query'."),
    (
        '{ building(id: "x", idd: "y") { id } }',
        None,
        "Unknown argument 'idd' on field 'Query.building'.",
    ),
    (
        PREMISES_OF_KIND.replace("$k)", "APARTMENTT)").replace("($k: PremiseKind)", ""),
        None,
        "Value 'APARTMENTT' does not exist in 'PremiseKind' enum.",
    ),
    (
        PREMISES_OF_KIND,
        {"k": "APARTMENTT"},
        "Variable '$k' has invalid value: Value 'APARTMENTT' does not exist in 'PremiseKind' enum.",
    ),
]


async def test_suggestions_in_development(api: Api) -> None:
    for query, variables, message in SUGGESTED:
        result = await api.post(query, variables)
        assert result.codes == ["BAD_USER_INPUT"], result
        assert result.errors[0]["message"].startswith(message + " Did you mean")


@pytest.mark.parametrize(
    "overrides",
    [{"introspection": False}, {"environment": "production"}],
    ids=["introspection off", "production"],
)
async def test_no_suggestions_without_introspection(
    settings: Settings, database_url: str, overrides: dict[str, Any]
) -> None:
    if overrides.get("environment") == "production":
        overrides = {**overrides, "oidc_public_key": dev_public_key_pem(settings)}
    hidden = settings.model_copy(update=overrides)
    assert not hidden.introspection_enabled
    async with served(hidden, database_url) as client:
        for query, variables, message in SUGGESTED:
            response = await client.post("/graphql", json={"query": query, "variables": variables})
            result = GraphQLResult(response)
            assert result.codes == ["BAD_USER_INPUT"], result
            assert result.errors[0]["message"] == message
            assert "Did you mean" not in response.text


async def test_syntax_errors_are_results_over_http_and_streams(settings: Settings) -> None:
    # Strawberry's ParserCache lets a syntax error escape the operation hooks (over
    # WebSocket the client then gets no error at all); the schema uses SafeParserCache,
    # which leaves it to Strawberry's own parse step.
    import edom_graphql.schema as schema_module
    from edom_graphql.core.metrics import Metrics

    schema = schema_module.build_schema(settings, Metrics())
    for query, code in (
        ("{ viewer {", "BAD_USER_INPUT"),
        ("{ " + "__typename " * 6000 + "}", "QUERY_TOO_COMPLEX"),
    ):
        result = await schema.execute(query)
        assert result.errors is not None
        assert [e.extensions["code"] for e in result.errors if e.extensions] == [code]
        stream = await schema.stream(query)
        streamed = [item async for item in stream]
        assert len(streamed) == 1
        errors = streamed[0].errors or []
        assert [e.extensions["code"] for e in errors if e.extensions] == [code]
    assert (await schema.execute("{ __typename }")).data == {"__typename": "Query"}


async def test_the_same_document_is_measured_with_each_request_s_variables(api: Api) -> None:
    """A remembered measurement never outlives the page sizes it was made for."""
    user = await make_user(api)
    query = (
        "query Q($a: Int!, $b: Int!) { viewer { buildings(first: $a) { edges { node { "
        "premises(first: $b) { edges { node { building { premises(first: $b) { nodes { id } "
        "} } } } } } } } } }"
    )
    small = await api.post(query, {"a": 10, "b": 10}, as_=user)
    assert small.errors == [], small
    large = await api.post(query, {"a": 100, "b": 100}, as_=user)
    assert large.codes == ["QUERY_TOO_COMPLEX"]
    small_again = await api.post(query, {"a": 10, "b": 10}, as_=user)
    assert small_again.errors == []
