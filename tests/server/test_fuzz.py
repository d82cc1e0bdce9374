"""Property-based fuzzing of the whole schema: operations generated from the committed
SDL by hypothesis-graphql (valid ones, and ones with one schema violation), with the ids of
real objects among their arguments, sent by every persona over HTTP. The server answers
each with data or with coded errors: never a 5xx, never INTERNAL_SERVER_ERROR, never an
error without a code; and every object in an answer is one its viewer may see (checked by
``Api.post``).

A short run is part of the suite (``EDOM_FUZZ_EXAMPLES``, 150 by default);
``python -m bench.fuzz`` runs a long one and reports what the operations got.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from edom_graphql.core.ids import encode_id
from tests.chats.operations import building_chat_id, sent
from tests.factories import ALL_PEOPLE, Api, Person, World, let_in, make_user, make_world
from tests.repairs import operations as repairs

SDL = (Path(__file__).parents[2] / "schema" / "schema.graphql").read_text()
EXAMPLES = int(os.environ.get("EDOM_FUZZ_EXAMPLES", "150"))
REPORT = os.environ.get("EDOM_FUZZ_REPORT")
CODES = {
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "BAD_USER_INPUT",
    "NOT_FOUND",
    "RATE_LIMITED",
    "QUERY_TOO_COMPLEX",
}
OUTCOMES: Counter[str] = Counter()


def string_value(values: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
    return values.map(lambda text: graphql.StringValueNode(value=text))


def dates() -> st.SearchStrategy[str]:
    today = datetime.now(UTC).date()
    return st.one_of(
        st.integers(-800, 800).map(lambda days: (today + timedelta(days=days)).isoformat()),
        st.sampled_from(["0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "", "x"]),
        st.text(max_size=12),
    )


def decimals() -> st.SearchStrategy[str]:
    return st.one_of(
        st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
        st.sampled_from(["NaN", "Infinity", "-1", "1e400", "12,5", "0." + "9" * 60, ""]),
        st.text(max_size=20),
    )


def instants() -> st.SearchStrategy[str]:
    now = datetime.now(UTC)
    return st.one_of(
        st.integers(-400, 400).map(lambda days: (now + timedelta(days=days)).isoformat()),
        st.sampled_from(
            [
                "9999-12-31T23:59:59-23:59",
                "0001-01-01T00:00:00+23:59",
                "2026-02-30T00:00:00Z",
                "2026-01-01T00:00:00",
                "tomorrow",
                "",
            ]
        ),
    )


class Scene:
    """A building with people of every tier and one object of each kind, and the ids of
    them all (to be fuzzed with), gathered once per module."""

    def __init__(self, world: World, ids: list[str], people: list[Person]) -> None:
        self.world = world
        self.ids = ids
        self.people = people


@pytest.fixture(scope="module")
async def scene(api: Api) -> Scene:
    world = await make_world(api)
    chat = await building_chat_id(api, world)
    message = await sent(api, world["owner"], chat, "Всем привет")
    request = await repairs.create(api, world)
    guest = await make_user(api, "fuzz-guest")
    grant = await let_in(api, world["owner"], guest, world.premise_id("1"))
    ids = [
        world.building_id,
        world.other_building_id,
        world.premise_id("1"),
        world.premise_id("2"),
        encode_id("ManagementOrganisation", world.organisation_pk),
        chat,
        message["id"],
        request["id"],
        grant,
        *(world[key].id for key in ("owner", "registered", "guest_basic", "manager")),
        encode_id("GuestGrant", world.grants["guest_revoked"]),
    ]
    people = [world[key] for key in ALL_PEOPLE] + [guest]
    return Scene(world, ids, people)


def operations(scene: Scene) -> st.SearchStrategy[str]:
    real = st.sampled_from(scene.ids)
    forged = st.one_of(
        st.text(max_size=40),
        st.sampled_from(["", "VXNlcjo=", encode_id("User", 2**62), encode_id("Premise", 1)]),
    )
    custom = {
        "ID": string_value(st.one_of(real, real, real, forged)),
        "DateTime": string_value(instants()),
        "Date": string_value(dates()),
        "Decimal": string_value(decimals()),
        "Kopecks": st.integers(-(2**70), 2**70).map(lambda n: graphql.IntValueNode(value=str(n))),
        "Upload": st.just(graphql.NullValueNode()),
    }
    positive = from_schema(SDL, custom_scalars=custom, mode=Mode.POSITIVE)
    negative = from_schema(SDL, custom_scalars=custom, mode=Mode.NEGATIVE)
    return st.one_of(positive, positive, negative).map(str)


def check(response: Any) -> str:
    """The outcome of one answer (``data`` or the errors' codes), after checking it."""
    assert response.status_code < 500, response.text
    body = response.json()
    errors = body.get("errors") or []
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        assert code in CODES, error
    return ",".join(sorted({e["extensions"]["code"] for e in errors})) or "data"


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    """What the operations got, for ``python -m bench.fuzz``."""
    yield
    if REPORT:
        Path(REPORT).write_text(json.dumps(dict(OUTCOMES), indent=1))


@pytest.fixture(scope="module")
def strategy(scene: Scene) -> st.SearchStrategy[tuple[str, Person | None]]:
    return st.tuples(operations(scene), st.sampled_from([*scene.people, None]))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=REPORT is None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
async def test_every_answer_is_data_or_a_coded_refusal(
    api: Api, strategy: st.SearchStrategy[tuple[str, Person | None]], data: st.DataObject
) -> None:
    query, person = data.draw(strategy)
    note(f"as {person.key if person is not None else 'anonymous'}: {query}")
    headers = person.headers if person is not None else {}
    response = await api.client.post("/graphql", json={"query": query}, headers=headers)
    OUTCOMES[check(response)] += 1
    if person is not None and response.status_code == 200:
        await api.assert_visible(response.json().get("data"), headers.get("Authorization"))
