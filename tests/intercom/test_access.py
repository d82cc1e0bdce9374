"""The capability cells of the intercom, for every person of ``make_world``:
``intercomApply`` (INTERCOM_APPLY at the premise), ``intercomApplicationReview`` and
``intercomApplicationConnect`` (INTERCOM_MANAGE), ``intercomDoorOpen`` (INTERCOM_OPEN at a
premise behind the entrance: every premise of the world is in entrance 1),
``intercomCodeCreate`` / ``intercomCodeRevoke`` (INTERCOM_CODE_CREATE at the premise),
``Premise.intercomCodes`` / ``intercomEntries`` (HOUSEHOLD_RECORDS_VIEW at the premise)
and ``Premise.intercomCalls`` (INTERCOM_OPEN at the premise). A refused call changes
nothing: every intercom table is compared before and after."""

from __future__ import annotations

from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from edom_graphql.core.ids import encode_id
from edom_graphql.intercom.models import (
    BuildingEntrance,
    IntercomApplication,
    IntercomApplicationStep,
    IntercomCall,
    IntercomCode,
    IntercomEntry,
    IntercomPanel,
)
from edom_graphql.notifications.models import Notification
from tests.access.test_access_matrix import (
    PEOPLE,
    PERSON_COLUMN,
    allowed,
    assert_denied,
    person,
    premise_column,
)
from tests.factories import Api, World, make_world
from tests.intercom.scene import (
    ANSWER,
    APPLY,
    CODE_CREATE,
    CODE_REVOKE,
    CONNECT,
    OPEN,
    REVIEW,
    Scene,
    SimulatorClient,
    connected_world,
)

TABLES = (
    IntercomCall,
    BuildingEntrance,
    IntercomApplication,
    IntercomApplicationStep,
    IntercomPanel,
    IntercomCode,
    IntercomEntry,
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scene(api: Api, simulator: SimulatorClient) -> Scene:
    return await connected_world(api, simulator)


async def snapshot(api: Api) -> list[Any]:
    found: list[Any] = []
    async with api.db.transaction() as (session, _):
        for table in TABLES:
            found.extend(sorted(map(tuple, (await session.execute(select(table.__table__))).all())))
        found.append((await session.execute(select(Notification.id))).all())
    return found


def denied_code(key: str) -> str:
    return "UNAUTHENTICATED" if key == "anonymous" else "FORBIDDEN"


async def assert_refused(
    api: Api, world: World, key: str, query: str, variables: Any, field: str
) -> None:
    before = await snapshot(api)
    result = await api.post(query, variables, as_=person(world, key))
    assert_denied(result, denied_code(key), [field])
    assert result.data == {field: None}
    assert await snapshot(api) == before


@pytest.mark.parametrize("key", PEOPLE)
async def test_door_open(api: Api, scene: Scene, key: str) -> None:
    variables = {"input": {"entranceId": scene.entrance_id}}
    if not allowed("INTERCOM_OPEN", PERSON_COLUMN[key]):
        await assert_refused(api, scene.world, key, OPEN, variables, "intercomDoorOpen")
        return
    result = (await api.gql(OPEN, variables, as_=person(scene.world, key)))["intercomDoorOpen"]
    assert result["outcome"] == "OPENED"
    assert result["entry"]["byViewer"] is True


@pytest.mark.parametrize("key", PEOPLE)
async def test_code_create(api: Api, scene: Scene, key: str) -> None:
    variables = {"input": {"premiseId": scene.world.premise_id("1"), "hours": 1}}
    if not allowed("INTERCOM_CODE_CREATE", premise_column(key, "1")):
        await assert_refused(api, scene.world, key, CODE_CREATE, variables, "intercomCodeCreate")
        return
    result = (await api.gql(CODE_CREATE, variables, as_=person(scene.world, key)))[
        "intercomCodeCreate"
    ]
    assert result["userErrors"] == []
    revoked = await api.gql(
        CODE_REVOKE, {"input": {"codeId": result["code"]["id"]}}, as_=person(scene.world, key)
    )
    assert revoked["intercomCodeRevoke"]["userErrors"] == []


@pytest.mark.parametrize("key", PEOPLE)
async def test_code_revoke(api: Api, scene: Scene, key: str) -> None:
    made = await api.gql(
        CODE_CREATE,
        {"input": {"premiseId": scene.world.premise_id("1"), "hours": 1}},
        as_=scene.world["owner"],
    )
    variables = {"input": {"codeId": made["intercomCodeCreate"]["code"]["id"]}}
    if not allowed("INTERCOM_CODE_CREATE", premise_column(key, "1")):
        await assert_refused(api, scene.world, key, CODE_REVOKE, variables, "intercomCodeRevoke")
        await api.gql(CODE_REVOKE, variables, as_=scene.world["owner"])
        return
    result = (await api.gql(CODE_REVOKE, variables, as_=person(scene.world, key)))[
        "intercomCodeRevoke"
    ]
    assert result["userErrors"] == []
    assert result["code"]["active"] is False


@pytest.mark.parametrize("key", PEOPLE)
async def test_apply(api: Api, scene: Scene, key: str) -> None:
    if not allowed("INTERCOM_APPLY", premise_column(key, "1")):
        variables = {"input": {"premiseId": scene.world.premise_id("1")}}
        await assert_refused(api, scene.world, key, APPLY, variables, "intercomApply")
        return
    world = await make_world(api)
    result = await api.gql(APPLY, {"input": {"premiseId": world.premise_id("1")}}, as_=world[key])
    assert result["intercomApply"]["application"]["status"] == "SUBMITTED"


@pytest.mark.parametrize("key", PEOPLE)
async def test_review_and_connect(api: Api, simulator: SimulatorClient, key: str) -> None:
    world = await make_world(api)
    applied = await api.gql(
        APPLY, {"input": {"premiseId": world.premise_id("1")}}, as_=world["owner"]
    )
    application_id = applied["intercomApply"]["application"]["id"]
    review = {"input": {"applicationId": application_id, "approve": True}}
    connect = {
        "input": {
            "applicationId": application_id,
            "panels": [{"name": "Door", "apiUrl": simulator.url, "secret": "s" * 20}],
        }
    }
    if not allowed("INTERCOM_MANAGE", PERSON_COLUMN[key]):
        await assert_refused(api, world, key, REVIEW, review, "intercomApplicationReview")
        await api.gql(REVIEW, review, as_=world["manager"])
        await assert_refused(api, world, key, CONNECT, connect, "intercomApplicationConnect")
        return
    reviewed = await api.gql(REVIEW, review, as_=world[key])
    assert reviewed["intercomApplicationReview"]["application"]["status"] == "APPROVED"
    connected = await api.gql(CONNECT, connect, as_=world[key])
    assert connected["intercomApplicationConnect"]["application"]["status"] == "CONNECTED"


PREMISE_RECORDS = """
query Records($id: ID!) {
  node(id: $id) {
    id
    ... on Premise {
      intercomCodes(first: 5) { nodes { id } }
      intercomEntries(first: 5) { nodes { id } }
      intercomCalls(first: 5) { nodes { id } }
    }
  }
}"""


@pytest.mark.parametrize("number", ["1", "2"])
@pytest.mark.parametrize("key", PEOPLE)
async def test_premise_records(api: Api, scene: Scene, key: str, number: str) -> None:
    result = await api.post(
        PREMISE_RECORDS, {"id": scene.world.premise_id(number)}, as_=person(scene.world, key)
    )
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["node"])
        return
    if not allowed("BUILDING_VIEW", PERSON_COLUMN[key]):
        assert result.ok() == {"node": None}
        return
    node = result.data["node"]
    denied = {tuple(e["path"]) for e in result.errors}
    column = premise_column(key, number)
    for field, capability in (
        ("intercomCodes", "HOUSEHOLD_RECORDS_VIEW"),
        ("intercomEntries", "HOUSEHOLD_RECORDS_VIEW"),
        ("intercomCalls", "INTERCOM_OPEN"),
    ):
        if allowed(capability, column):
            assert node[field] is not None, (field, result)
        else:
            assert node[field] is None
            assert ("node", field) in denied


@pytest.mark.parametrize("key", PEOPLE)
async def test_call_answer(api: Api, scene: Scene, simulator: SimulatorClient, key: str) -> None:
    rang = await simulator.ring(scene.device, "1")
    async with api.db.transaction() as (session, _):
        call_pk = (
            await session.execute(
                select(IntercomCall.id).where(IntercomCall.device_call_id == rang["call_id"])
            )
        ).scalar_one()
    variables = {"input": {"callId": encode_id("IntercomCall", call_pk), "openDoor": True}}
    if not allowed("INTERCOM_OPEN", premise_column(key, "1")):
        await assert_refused(api, scene.world, key, ANSWER, variables, "intercomCallAnswer")
        return
    result = (await api.gql(ANSWER, variables, as_=person(scene.world, key)))["intercomCallAnswer"]
    assert result["call"]["state"] == "ANSWERED"
    assert result["outcome"] == "OPENED"
