"""Connecting an entrance: only a capable building accepts an application (else a coded
refusal with the reason); submitted → approved | rejected (reason) → connected, each step
recorded and notified; bad input is coded and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from edom_graphql.buildings.models import Building
from edom_graphql.intercom.models import IntercomApplication
from edom_graphql.notifications.models import Notification
from tests.factories import Api, World, make_world
from tests.intercom.scene import APPLY, CONNECT, REVIEW

ENTRANCES = """
query Entrances($id: ID!) {
  node(id: $id) {
    id
    ... on Building {
      intercomCapable
      entrances { id number connected panels { id name } applications { id status } }
    }
  }
}"""


async def rows(api: Api, statement: Any) -> list[Any]:
    async with api.db.transaction() as (session, _):
        return list((await session.execute(statement)).all())


async def apply(api: Api, world: World, who: str = "owner", number: str = "1") -> Any:
    variables = {"input": {"premiseId": world.premise_id(number)}}
    return (await api.gql(APPLY, variables, as_=world[who]))["intercomApply"]


async def review(api: Api, world: World, application_id: str, **decision: Any) -> Any:
    variables = {"input": {"applicationId": application_id, **decision}}
    return (await api.gql(REVIEW, variables, as_=world["manager"]))["intercomApplicationReview"]


async def kinds_for(api: Api, user_pk: int) -> list[str]:
    found = await rows(
        api,
        select(Notification.kind)
        .where(Notification.user_id == user_pk, Notification.kind.like("INTERCOM_APPLICATION_%"))
        .order_by(Notification.id),
    )
    return [row[0] for row in found]


async def test_a_building_without_the_requirements_refuses(api: Api) -> None:
    world = await make_world(api)
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(Building).where(Building.id == world.building_pk).values(intercom_capable=False)
        )
    before = await rows(api, select(IntercomApplication.id))
    result = await apply(api, world)
    (error,) = result["userErrors"]
    assert error["code"] == "NOT_CAPABLE"
    assert "technical requirements" in error["message"]
    assert result["application"] is None
    assert await rows(api, select(IntercomApplication.id)) == before
    building = await api.gql(ENTRANCES, {"id": world.building_id}, as_=world["owner"])
    assert building["node"]["intercomCapable"] is False


async def test_the_whole_way_with_steps_and_notifications(api: Api) -> None:
    world = await make_world(api)
    submitted = await apply(api, world)
    assert submitted["application"]["entrance"] == {
        "id": submitted["application"]["entrance"]["id"],
        "number": 1,
        "connected": False,
    }
    again = await apply(api, world, "co_owner")
    assert [e["code"] for e in again["userErrors"]] == ["ALREADY_APPLIED"]
    application_id = submitted["application"]["id"]
    assert [
        e["code"] for e in (await review(api, world, application_id, approve=False))["userErrors"]
    ] == ["REASON_REQUIRED"]
    long = await review(api, world, application_id, approve=False, reason="x" * 1001)
    assert [e["code"] for e in long["userErrors"]] == ["REASON_TOO_LONG"]
    rejected = await review(
        api, world, application_id, approve=False, reason="The entrance has no power line."
    )
    assert rejected["application"]["status"] == "REJECTED"
    assert rejected["application"]["reason"] == "The entrance has no power line."
    assert [s["status"] for s in rejected["application"]["steps"]] == ["SUBMITTED", "REJECTED"]
    twice = await review(api, world, application_id, approve=True)
    assert [e["code"] for e in twice["userErrors"]] == ["WRONG_STATUS"]
    # A rejected application does not block a new one.
    second = await apply(api, world, "co_owner")
    second_id = second["application"]["id"]
    early = (
        await api.gql(
            CONNECT,
            {"input": {"applicationId": second_id, "panels": [panel()]}},
            as_=world["engineer"],
        )
    )["intercomApplicationConnect"]
    assert [e["code"] for e in early["userErrors"]] == ["WRONG_STATUS"]
    assert (await review(api, world, second_id, approve=True))["application"]["status"] == (
        "APPROVED"
    )
    for bad, path in (
        ({"panels": []}, ["panels"]),
        ({"panels": [panel(name="")]}, ["panels", "0", "name"]),
        ({"panels": [panel(apiUrl="ftp://x")]}, ["panels", "0", "apiUrl"]),
        ({"panels": [panel(secret="short")]}, ["panels", "0", "secret"]),
    ):
        refused = (
            await api.gql(
                CONNECT, {"input": {"applicationId": second_id, **bad}}, as_=world["engineer"]
            )
        )["intercomApplicationConnect"]
        assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [("INVALID_PANEL", path)]
    connected = (
        await api.gql(
            CONNECT,
            {"input": {"applicationId": second_id, "panels": [panel(), panel(name="Yard")]}},
            as_=world["engineer"],
        )
    )["intercomApplicationConnect"]
    entrance = connected["application"]["entrance"]
    assert entrance["connected"] is True
    assert [p["name"] for p in entrance["panels"]] == ["Main door", "Yard"]
    assert await kinds_for(api, world["owner"].pk) == ["INTERCOM_APPLICATION_REJECTED"]
    assert await kinds_for(api, world["co_owner"].pk) == [
        "INTERCOM_APPLICATION_APPROVED",
        "INTERCOM_APPLICATION_CONNECTED",
    ]
    assert await kinds_for(api, world["manager"].pk) == ["INTERCOM_APPLICATION_SUBMITTED"] * 2
    assert await kinds_for(api, world["dispatcher"].pk) == []
    building = await api.gql(ENTRANCES, {"id": world.building_id}, as_=world["guest_initial"])
    (listed,) = building["node"]["entrances"]
    assert listed["connected"] is True
    assert [a["status"] for a in listed["applications"]] == ["CONNECTED", "REJECTED"]


def panel(**fields: str) -> dict[str, str]:
    return {"name": "Main door", "apiUrl": "http://127.0.0.1:9", "secret": "s" * 32, **fields}


@pytest.mark.parametrize("bad", ["nope", "UHJlbWlzZTo="])
async def test_bad_ids_are_coded(api: Api, bad: str) -> None:
    world = await make_world(api)
    result = await api.post(APPLY, {"input": {"premiseId": bad}}, as_=world["owner"])
    assert result.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
