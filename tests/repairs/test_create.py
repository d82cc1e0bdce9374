"""`repairRequestCreate`: scopes and premises, descriptions, photos (GraphQL multipart),
legal due times and `isOverdue` on the controllable clock, and the similar open requests
suggested instead of a duplicate. A refused request stores nothing."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import func, select

from edom_graphql.core.context import Context
from edom_graphql.core.ids import encode_id
from edom_graphql.core.photos import MAX_PHOTO_BYTES
from edom_graphql.repairs.models import RepairRequest, RepairRequestPhoto
from edom_graphql.server.media import PHOTOS, visible_photo_type
from tests.factories import Api, Clock, GraphQLResult, Person, World, make_world
from tests.repairs.operations import CREATE, FIELDS, create, create_input, step

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg body" * 10
PNG = b"\x89PNG\r\n\x1a\n" + b"png body" * 10
CREATE_WITH_PHOTOS = (
    "mutation ($input: RepairRequestCreateInput!) { repairRequestCreate(input: $input) { "
    "repairRequest { id photos { url contentType sizeBytes } } userErrors { code field } } }"
)
NODE = "query ($id: ID!) { node(id: $id) { ... on RepairRequest { " + FIELDS + " } } }"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def world(api: Api) -> World:
    return await make_world(api)


async def counts(api: Api) -> tuple[int, int]:
    async with api.db.transaction() as (session, _):
        requests = (
            await session.execute(select(func.count()).select_from(RepairRequest))
        ).scalar_one()
        photos = (
            await session.execute(select(func.count()).select_from(RepairRequestPhoto))
        ).scalar_one()
    return int(requests), int(photos)


def stored_files(api: Api) -> set[str]:
    root = api.settings.uploads_path
    return {path.name for path in root.iterdir()} if root.exists() else set()


async def upload(
    api: Api, person: Person, input: dict[str, Any], photos: list[tuple[str, bytes, str]]
) -> GraphQLResult:
    input = {**input, "photos": [None] * len(photos)}
    operations = {"query": CREATE_WITH_PHOTOS, "variables": {"input": input}}
    mapping = {str(i): [f"variables.input.photos.{i}"] for i in range(len(photos))}
    response = await api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files={str(i): photo for i, photo in enumerate(photos)},
        headers=person.headers,
    )
    return GraphQLResult(response)


async def test_building_request(api: Api, world: World) -> None:
    request = await create(api, world)
    assert request == {
        "id": request["id"],
        "number": request["number"],
        "scope": "BUILDING",
        "category": "LIFT",
        "description": "The lift in entrance 1 is stuck between floors.",
        "status": "NEW",
        "version": 1,
        "followerCount": 0,
        "rating": None,
        "dueAt": None,
        "isOverdue": False,
        "building": {"id": world.building_id},
        "premise": None,
        "assignee": None,
        "author": {"id": world["owner"].id},
    }
    second = await create(api, world, description="The lift in entrance 2 is stuck as well.")
    assert second["number"] == request["number"] + 1


async def test_apartment_request_for_own_premise(api: Api, world: World) -> None:
    request = await create(
        api,
        world,
        as_="resident",
        scope="APARTMENT",
        category="PLUMBING",
        premiseId=world.premise_id("3"),
        description="The kitchen tap drips all night.",
    )
    assert request["premise"] == {"id": world.premise_id("3")}
    assert request["scope"] == "APARTMENT"


BAD_INPUT = {
    "blank": ({"description": "   "}, "BLANK", ["description"]),
    "too short": ({"description": "Broken"}, "TOO_SHORT", ["description"]),
    "too long": ({"description": "x" * 2001}, "TOO_LONG", ["description"]),
    "apartment without premise": ({"scope": "APARTMENT"}, "PREMISE_REQUIRED", ["premiseId"]),
    "someone else's apartment": (
        {"scope": "APARTMENT", "premiseId": "premise:4"},
        "NOT_YOUR_PREMISE",
        ["premiseId"],
    ),
    "another building's premise": (
        {"scope": "APARTMENT", "premiseId": "other_premise:1"},
        "NOT_YOUR_PREMISE",
        ["premiseId"],
    ),
    "yard with premise": (
        {"scope": "YARD", "premiseId": "premise:1"},
        "PREMISE_NOT_ALLOWED",
        ["premiseId"],
    ),
}


def resolve(world: World, overrides: dict[str, Any]) -> dict[str, Any]:
    premise = overrides.get("premiseId")
    if premise is not None:
        kind, number = premise.split(":")
        pks = world.premises if kind == "premise" else world.other_premises
        overrides = {**overrides, "premiseId": encode_id("Premise", pks[number])}
    return overrides


@pytest.mark.parametrize("case", BAD_INPUT)
async def test_bad_input_is_refused_and_stores_nothing(api: Api, world: World, case: str) -> None:
    overrides, code, field = BAD_INPUT[case]
    before = await counts(api)
    data = await api.gql(
        CREATE, {"input": create_input(world, **resolve(world, overrides))}, as_=world["owner"]
    )
    payload = data["repairRequestCreate"]
    assert payload["repairRequest"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert await counts(api) == before


async def test_malformed_ids_are_bad_user_input(api: Api, world: World) -> None:
    before = await counts(api)
    result = await api.post(
        CREATE, {"input": create_input(world, premiseId="nonsense")}, as_=world["owner"]
    )
    assert [e["extensions"]["code"] for e in result.errors] == ["BAD_USER_INPUT"]
    assert await counts(api) == before


async def test_photos_are_stored_and_listed(api: Api, world: World) -> None:
    result = await upload(
        api,
        world["owner"],
        create_input(world),
        [("a.jpg", JPEG, "image/jpeg"), ("b.png", PNG, "application/octet-stream")],
    )
    payload = result.ok()["repairRequestCreate"]
    assert payload["userErrors"] == []
    photos = payload["repairRequest"]["photos"]
    assert [(p["contentType"], p["sizeBytes"]) for p in photos] == [
        ("image/jpeg", len(JPEG)),
        ("image/png", len(PNG)),
    ]
    files = stored_files(api)
    assert {p["url"].removeprefix("/media/") for p in photos} <= files


@pytest.mark.parametrize(
    ("photos", "code", "field"),
    [
        ([("a.jpg", JPEG, "image/jpeg")] * 6, "TOO_MANY_PHOTOS", ["photos"]),
        (
            [("a.jpg", JPEG, "image/jpeg"), ("a.txt", b"hello", "image/jpeg")],
            "UNSUPPORTED_PHOTO",
            ["photos", "1"],
        ),
        (
            [("big.jpg", JPEG + b"0" * MAX_PHOTO_BYTES, "image/jpeg")],
            "PHOTO_TOO_LARGE",
            ["photos", "0"],
        ),
    ],
    ids=["too many", "not an image", "too large"],
)
async def test_bad_photos_store_nothing(
    api: Api, world: World, photos: list[tuple[str, bytes, str]], code: str, field: list[str]
) -> None:
    before, files = await counts(api), stored_files(api)
    result = await upload(api, world["owner"], create_input(world), photos)
    payload = result.ok()["repairRequestCreate"]
    assert payload == {"repairRequest": None, "userErrors": [{"code": code, "field": field}]}
    assert await counts(api) == before
    assert stored_files(api) == files


# -- legal deadlines and isOverdue on the controllable clock ---------------------------------

DEADLINES = {
    "LEAK": timedelta(minutes=30),
    "BLOCKAGE": timedelta(hours=2),
    "EMERGENCY_DAMAGE": timedelta(days=3),
}


@pytest.mark.parametrize("category", [*DEADLINES, "PLUMBING"])
async def test_due_time_and_overdue(api: Api, world: World, clock: Clock, category: str) -> None:
    request = await create(api, world, category=category, description=f"Emergency: {category}!")
    created_at = (
        await api.gql(
            "query ($id: ID!) { node(id: $id) { ... on RepairRequest { createdAt } } }",
            {"id": request["id"]},
            as_=world["owner"],
        )
    )["node"]["createdAt"]
    deadline = DEADLINES.get(category)
    if deadline is None:
        assert request["dueAt"] is None
        clock.advance(timedelta(days=30))
        node = (await api.gql(NODE, {"id": request["id"]}, as_=world["dispatcher"]))["node"]
        assert node["isOverdue"] is False
        return
    due = datetime.fromisoformat(request["dueAt"])
    assert due - datetime.fromisoformat(created_at) == deadline
    assert request["isOverdue"] is False
    clock.advance(deadline - timedelta(seconds=5))
    node = (await api.gql(NODE, {"id": request["id"]}, as_=world["dispatcher"]))["node"]
    assert node["isOverdue"] is False
    clock.advance(timedelta(seconds=10))
    node = (await api.gql(NODE, {"id": request["id"]}, as_=world["dispatcher"]))["node"]
    assert node["isOverdue"] is True
    # finished work is not overdue, however late it was
    await step(api, "Accept", world["dispatcher"], request["id"])
    await step(api, "Assign", world["dispatcher"], request["id"], assigneeId=world["engineer"].id)
    await step(api, "Start", world["engineer"], request["id"])
    done = await step(api, "Complete", world["engineer"], request["id"], comment="Fixed.")
    assert done["isOverdue"] is False


# -- similar open requests -------------------------------------------------------------------

SIMILAR = """
query ($id: ID!, $scope: RepairRequestScope!, $category: RepairCategory!) {
  building(id: $id) { similarRepairRequests(scope: $scope, category: $category) { id } }
}
"""


async def test_similar_open_requests_are_suggested(api: Api) -> None:
    world = await make_world(api)
    first = await create(
        api,
        world,
        scope="YARD",
        category="YARD_UPKEEP",
        description="Snow is not cleared in the yard.",
    )
    closed = await create(
        api, world, scope="YARD", category="YARD_UPKEEP", description="Snow again, not cleared."
    )
    await step(api, "Cancel", world["owner"], closed["id"])
    await create(
        api,
        world,
        scope="BUILDING",
        category="YARD_UPKEEP",
        description="Not the yard: other scope.",
    )
    await create(
        api, world, scope="YARD", category="CLEANING", description="Other category: rubbish."
    )
    data = await api.gql(
        CREATE,
        {
            "input": create_input(
                world, scope="YARD", category="YARD_UPKEEP", description="The yard is full of snow."
            )
        },
        as_=world["registered"],
    )
    payload = data["repairRequestCreate"]
    assert payload["userErrors"] == []
    assert payload["similarOpenRequests"] == [{"id": first["id"]}]
    found = await api.gql(
        SIMILAR,
        {"id": world.building_id, "scope": "YARD", "category": "YARD_UPKEEP"},
        as_=world["resident"],
    )
    assert found["building"]["similarRepairRequests"] == [
        {"id": payload["repairRequest"]["id"]},
        {"id": first["id"]},
    ]
    apartment = await api.gql(
        SIMILAR,
        {"id": world.building_id, "scope": "APARTMENT", "category": "YARD_UPKEEP"},
        as_=world["resident"],
    )
    assert apartment["building"]["similarRepairRequests"] == []


async def test_photos_are_visible_with_their_request(api: Api, world: World) -> None:
    """`visible_photo_type` decides what `/media/{key}` serves: the request's viewers."""
    result = await upload(
        api,
        world["registered"],
        create_input(
            world,
            scope="APARTMENT",
            premiseId=world.premise_id("2"),
            description="Mould on the bathroom wall.",
        ),
        [("a.png", PNG, "image/png")],
    )
    (photo,) = result.ok()["repairRequestCreate"]["repairRequest"]["photos"]
    key = photo["url"].removeprefix("/media/")
    services = api.app.state.services
    for who, expected in (
        ("registered", "image/png"),
        ("dispatcher", "image/png"),
        ("owner", None),
        ("other_staff", None),
    ):
        context = Context(services, viewer_id=world[who].pk, claims=None, request_id="test")
        assert await visible_photo_type(context, PHOTOS, key) == expected, who
    context = Context(services, viewer_id=world["owner"].pk, claims=None, request_id="test")
    assert await visible_photo_type(context, PHOTOS, "0" * 32 + ".png") is None
