"""Hostile input gets a coded refusal before it reaches a service or SQL, never a 500, and
changes nothing: forged cursors (numbers past any column, NUL, lone surrogates) in every
connection and stream, NUL and lone surrogates in any text, instants a database cannot
hold, page sizes that are floats."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from edom_graphql.listings.models import Listing
from edom_graphql.polls.models import Poll
from edom_graphql.repairs.models import RepairRequest, RepairRequestEvent
from tests.chats.operations import building_chat_id
from tests.factories import Api, World, make_world
from tests.live import signed_in
from tests.repairs import operations as repairs


def forged(*values: Any) -> str:
    """A cursor as this API spells them, holding ``values``."""
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode()


def raw_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


FORGED_INT = {
    "past-int64": forged(2**63),
    "below-int64": forged(-(2**63) - 1),
    "huge": raw_cursor("[" + "9" * 400 + "]"),
    "float": forged(1.5),
    "nan": raw_cursor("[NaN]"),
    "nul-text": forged("\x00"),
    "surrogate": raw_cursor('["\\ud800"]'),
    "nested": raw_cursor("[" * 5000 + "]" * 5000),
}

# (name, query, variables, path of the field that takes `after`, cursor width)
CONNECTIONS: list[tuple[str, str, Callable[[World, dict[str, str]], dict[str, Any]]]] = [
    (
        "Building.premises",
        "query ($b: ID!, $a: String) { building(id: $b) { premises(first: 5, after: $a) "
        "{ nodes { id } } } }",
        lambda w, ids: {"b": w.building_id},
    ),
    (
        "Building.neighbours",
        "query ($b: ID!, $a: String) { building(id: $b) { neighbours(first: 5, after: $a) "
        "{ nodes { displayName } } } }",
        lambda w, ids: {"b": w.building_id},
    ),
    (
        "Building.eventsNearby",
        "query ($b: ID!, $a: String) { building(id: $b) { eventsNearby(radiusKm: 2, first: 5, "
        "after: $a) { nodes { id } } } }",
        lambda w, ids: {"b": w.building_id},
    ),
    (
        "Building.polls",
        "query ($b: ID!, $a: String) { building(id: $b) { polls(first: 5, after: $a) "
        "{ nodes { id } } } }",
        lambda w, ids: {"b": w.building_id},
    ),
    (
        "Building.listings",
        "query ($b: ID!, $a: String) { building(id: $b) { listings(first: 5, after: $a) "
        "{ nodes { id } } } }",
        lambda w, ids: {"b": w.building_id},
    ),
    (
        "Building.repairRequests",
        "query ($b: ID!, $a: String) { building(id: $b) { repairRequests(first: 5, after: $a) "
        "{ nodes { id } } } }",
        lambda w, ids: {"b": w.building_id},
    ),
    (
        "Chat.messages",
        "query ($c: ID!, $a: String) { node(id: $c) { ... on Chat { messages(first: 5, "
        "after: $a) { nodes { id } } } } }",
        lambda w, ids: {"c": ids["chat"]},
    ),
    (
        "RepairRequest.history",
        "query ($r: ID!, $a: String) { node(id: $r) { ... on RepairRequest { history(first: 5, "
        "after: $a) { nodes { id } } } } }",
        lambda w, ids: {"r": ids["request"]},
    ),
    (
        "RepairRequest.comments",
        "query ($r: ID!, $a: String) { node(id: $r) { ... on RepairRequest { comments(first: 5, "
        "after: $a) { nodes { id } } } } }",
        lambda w, ids: {"r": ids["request"]},
    ),
    (
        "Viewer.buildings",
        "query ($a: String) { viewer { buildings(first: 5, after: $a) { nodes { id } } } }",
        lambda w, ids: {},
    ),
    (
        "Viewer.chats",
        "query ($a: String) { viewer { chats(first: 5, after: $a) { nodes { id } } } }",
        lambda w, ids: {},
    ),
    (
        "Viewer.guestGrantsGiven",
        "query ($a: String) { viewer { guestGrantsGiven(first: 5, after: $a) { nodes { id } } } }",
        lambda w, ids: {},
    ),
    (
        "Viewer.guestGrantsReceived",
        "query ($a: String) { viewer { guestGrantsReceived("
        "first: 5, after: $a) { nodes { id } } } }",
        lambda w, ids: {},
    ),
    (
        "Viewer.guestInvitations",
        "query ($a: String) { viewer { guestInvitations(first: 5, after: $a) { nodes { id } } } }",
        lambda w, ids: {},
    ),
    (
        "Viewer.notifications",
        "query ($a: String) { viewer { notifications(first: 5, after: $a) { nodes { id } } } }",
        lambda w, ids: {},
    ),
]
COLUMNS = {
    "Building.premises": ("int32", "str", "int"),
    "Building.neighbours": ("int32", "str", "int", "int"),
    "Building.eventsNearby": ("int", "int"),
    "Viewer.chats": ("int", "int"),
}
"""What each position of a list's cursor holds (lists not named here: one BIGINT)."""
GOOD = {"int32": 1, "int": 1, "str": "1"}
BAD = {
    "int32": [2**31, -(2**31) - 1],
    "int": [2**63, -(2**63) - 1],
    "str": ["\x00", "\ud800", 7],
}


@pytest.fixture(scope="module")
async def scene(api: Api) -> tuple[World, dict[str, str]]:
    world = await make_world(api)
    request = await repairs.create(api, world)
    return world, {"chat": await building_chat_id(api, world), "request": request["id"]}


def cursor_cases() -> list[Any]:
    cases = []
    for name, query, variables in CONNECTIONS:
        columns = COLUMNS.get(name, ("int",))
        for label, cursor in FORGED_INT.items():
            cases.append(pytest.param(name, query, variables, cursor, id=f"{name}-{label}"))
        for position, column in enumerate(columns):
            for bad in BAD[column]:
                values = [GOOD[kind] for kind in columns]
                values[position] = bad
                cursor = base64.urlsafe_b64encode(json.dumps(values).encode()).decode()
                label = f"{name}-{position}-{column}-{bad!r}"
                cases.append(pytest.param(name, query, variables, cursor, id=label))
    return cases


@pytest.mark.parametrize(("name", "query", "variables", "cursor"), cursor_cases())
async def test_forged_cursors_are_refused_in_every_connection(
    api: Api,
    scene: tuple[World, dict[str, str]],
    name: str,
    query: str,
    variables: Callable[[World, dict[str, str]], dict[str, Any]],
    cursor: str,
) -> None:
    world, ids = scene
    result = await api.post(query, {**variables(world, ids), "a": cursor}, as_=world["owner"])
    assert result.response.status_code == 200, result
    assert result.codes == ["BAD_USER_INPUT"], result
    assert result.errors[0]["message"] == "`after` is not a valid cursor for this list."
    # the same list with a good cursor (none) answers
    assert (await api.post(query, variables(world, ids), as_=world["owner"])).ok()


STREAMS = {
    "notificationReceived": (
        "subscription ($a: String) { notificationReceived(after: $a) { id } }",
        lambda w, ids: {},
        "owner",
    ),
    "chatMessageEvents": (
        "subscription ($c: ID!, $a: String) { chatMessageEvents(chatId: $c, after: $a) "
        "{ cursor } }",
        lambda w, ids: {"c": ids["chat"]},
        "owner",
    ),
    "repairRequestEvents": (
        "subscription ($r: ID!, $a: String) { repairRequestEvents(requestId: $r, after: $a) "
        "{ id } }",
        lambda w, ids: {"r": ids["request"]},
        "owner",
    ),
    "repairRequestBoard": (
        "subscription ($b: ID!, $a: String) { repairRequestBoard(buildingId: $b, after: $a) "
        "{ id } }",
        lambda w, ids: {"b": w.building_id},
        "dispatcher",
    ),
}


@pytest.mark.parametrize("stream", sorted(STREAMS))
@pytest.mark.parametrize("label", sorted(FORGED_INT))
async def test_forged_cursors_are_refused_in_every_stream(
    api: Api, scene: tuple[World, dict[str, str]], stream: str, label: str
) -> None:
    world, ids = scene
    query, variables, who = STREAMS[stream]
    async with signed_in(api, world[who]) as client:
        await client.subscribe("s", query, {**variables(world, ids), "a": FORGED_INT[label]})
        message = await client.receive("s")
        errors = (
            message["payload"]["errors"]
            if isinstance(message["payload"], dict)
            else (message["payload"])
        )
        assert [e["extensions"]["code"] for e in errors] == ["BAD_USER_INPUT"], message


# -- text that no column can hold -----------------------------------------------------


async def counts(api: Api) -> tuple[int, ...]:
    result = []
    for table in (Poll, Listing, RepairRequest, RepairRequestEvent):
        row = await api.db.fetch_one(select(func.count()).select_from(table))
        assert row is not None
        result.append(int(row[0]))
    return tuple(result)


LISTING_CREATE = """
mutation ($input: ListingCreateInput!) { listingCreate(input: $input) { listing { id } } }
"""
JSON = {"content-type": "application/json"}
TEXT_MUTATIONS = {
    "poll-question": (
        "mutation ($input: PollCreateInput!) { pollCreate(input: $input) { poll { id } } }",
        lambda w, ids, bad: {
            "input": {
                "buildingId": w.building_id,
                "question": f"Красим {bad} подъезд?",
                "options": ["Да", "Нет"],
                "multipleChoice": False,
                "resultsVisibility": "AFTER_VOTE",
                "closesAt": "2030-01-01T00:00:00Z",
            }
        },
    ),
    "poll-option": (
        "mutation ($input: PollCreateInput!) { pollCreate(input: $input) { poll { id } } }",
        lambda w, ids, bad: {
            "input": {
                "buildingId": w.building_id,
                "question": "Красим подъезд?",
                "options": ["Да", f"Нет{bad}"],
                "multipleChoice": False,
                "resultsVisibility": "AFTER_VOTE",
                "closesAt": "2030-01-01T00:00:00Z",
            }
        },
    ),
    "listing-title": (
        LISTING_CREATE,
        lambda w, ids, bad: {
            "input": {
                "buildingId": w.building_id,
                "category": "SELL",
                "title": f"Шкаф{bad}",
                "body": "Почти новый",
            }
        },
    ),
    "listing-body": (
        LISTING_CREATE,
        lambda w, ids, bad: {
            "input": {
                "buildingId": w.building_id,
                "category": "SELL",
                "title": "Шкаф",
                "body": f"Почти{bad} новый",
            }
        },
    ),
    "repair-description": (
        repairs.CREATE,
        lambda w, ids, bad: {"input": repairs.create_input(w, description=f"Течёт {bad} кран")},
    ),
    "repair-comment": (
        repairs.MUTATIONS["Comment"],
        lambda w, ids, bad: {"input": {"requestId": ids["request"], "comment": f"Ну{bad}?"}},
    ),
    "repair-cancel-reason": (
        repairs.MUTATIONS["Cancel"],
        lambda w, ids, bad: {"input": {"requestId": ids["request"], "comment": f"Уже{bad}"}},
    ),
}


@pytest.mark.parametrize("bad", ["\x00", "\ud800"], ids=["nul", "lone-surrogate"])
@pytest.mark.parametrize("mutation", sorted(TEXT_MUTATIONS))
async def test_unstorable_text_is_refused_everywhere(
    api: Api, scene: tuple[World, dict[str, str]], mutation: str, bad: str
) -> None:
    world, ids = scene
    query, variables = TEXT_MUTATIONS[mutation]
    before = await counts(api)
    body = json.dumps({"query": query, "variables": variables(world, ids, bad)})
    response = await api.client.post(
        "/graphql",
        content=body,
        headers={**world["owner"].headers, "content-type": "application/json"},
    )
    assert response.status_code in (200, 400), response.text
    codes = [e["extensions"]["code"] for e in response.json()["errors"]]
    assert codes == ["BAD_USER_INPUT"], response.text
    assert await counts(api) == before


async def test_unstorable_text_in_a_document_literal(
    api: Api, scene: tuple[World, dict[str, str]]
) -> None:
    world, ids = scene
    before = await counts(api)
    for escape in ("\\u0000", "\\ud800"):
        query = (
            f'mutation {{ repairRequestComment(input: {{requestId: "{ids["request"]}", '
            f'comment: "x{escape}y"}}) {{ userErrors {{ code }} }} }}'
        )
        result = await api.post(query, as_=world["owner"])
        assert result.codes == ["BAD_USER_INPUT"], result
    assert await counts(api) == before


# -- instants ---------------------------------------------------------------------------

EVENTS = """
query ($b: ID!, $from: DateTime, $to: DateTime) {
  building(id: $b) { eventsNearby(radiusKm: 2, first: 5, from: $from, to: $to) { nodes { id } } }
}
"""


@pytest.mark.parametrize(
    "instant",
    [
        "9999-12-31T23:59:59-23:59",
        "9999-12-31T23:59:59+00:00",
        "0001-01-01T00:00:00+23:59",
        "2026-03-01T09:00:00",
        "2026-02-30T09:00:00Z",
        "yesterday",
    ],
)
@pytest.mark.parametrize("argument", ["from", "to"])
async def test_instants_a_database_cannot_hold_are_refused(
    api: Api, scene: tuple[World, dict[str, str]], instant: str, argument: str
) -> None:
    world, _ = scene
    result = await api.post(EVENTS, {"b": world.building_id, argument: instant}, as_=world["owner"])
    assert result.codes == ["BAD_USER_INPUT"], result
    literal = EVENTS.replace(f"${argument}", f'"{instant}"').replace(f", ${argument}: DateTime", "")
    result = await api.post(literal, {"b": world.building_id}, as_=world["owner"])
    assert result.codes == ["BAD_USER_INPUT"], result


# -- limits count what runs ---------------------------------------------------------------


def nested(aliases: int) -> str:
    """``aliases`` copies of chats × messages, each costing 100 + 100 × 100 at n = 100."""
    one = "viewer { chats(first: $n) { nodes { messages(first: $n) { nodes { id } } } } }"
    parts = " ".join(f"v{k}: {one}" for k in range(aliases))
    return f"query ($n: Int!) {{ {parts} }}"


@pytest.mark.parametrize("size", [100, 100.0], ids=["int", "float"])
async def test_float_page_sizes_count_like_ints(
    api: Api, scene: tuple[World, dict[str, str]], size: float
) -> None:
    """graphql-core runs `100.0` as the Int 100: the cost counts the coerced value."""
    world, _ = scene
    assert (await api.post(nested(4), {"n": size}, as_=world["owner"])).ok()
    refused = await api.post(nested(5), {"n": size}, as_=world["owner"])
    assert refused.codes == ["QUERY_TOO_COMPLEX"], refused
    assert refused.errors[0]["extensions"]["cost"] == 5 * (100 + 100 * 100)
