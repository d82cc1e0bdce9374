"""The intercom end to end, through the API and the device simulator process: opening
the door (the device's outcome, offline and slow devices, concurrent openings), entrance
codes (shown once, stored hashed, refused by the device once expired or revoked, at most
10 active), the entry log, and the signed device callback."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from edom_graphql.core.ids import encode_id
from edom_graphql.intercom.models import IntercomCode, IntercomEntry
from edom_graphql.intercom.service.devices import signed_headers
from tests.factories import Api, Clock
from tests.intercom.scene import (
    CODE_CREATE,
    CODE_REVOKE,
    CODES,
    ENTRIES,
    OPEN,
    Scene,
    SimulatorClient,
    connected_world,
)


@pytest_asyncio.fixture(loop_scope="session")
async def scene(api: Api, simulator: SimulatorClient) -> Scene:
    return await connected_world(api, simulator)


async def rows(api: Api, statement: Any) -> list[Any]:
    async with api.db.transaction() as (session, _):
        return list((await session.execute(statement)).all())


async def open_door(api: Api, scene: Scene, who: str = "owner", **target: str) -> Any:
    variables = {"input": target or {"entranceId": scene.entrance_id}}
    return (await api.gql(OPEN, variables, as_=scene.world[who]))["intercomDoorOpen"]


async def test_door_opens_through_the_device_and_is_logged(
    api: Api, scene: Scene, simulator: SimulatorClient
) -> None:
    opened = await open_door(api, scene)
    assert opened["userErrors"] == []
    assert opened["outcome"] == "OPENED"
    assert opened["entry"]["method"] == "APP"
    assert opened["entry"]["byViewer"] is True
    assert (await simulator.state(scene.device))["opens"] == 1
    by_panel = await open_door(api, scene, "guest_initial", panelId=scene.panel_id)
    assert by_panel["outcome"] == "OPENED"
    log = await api.gql(ENTRIES, {"id": scene.world.premise_id("1")}, as_=scene.world["owner"])
    entries = log["node"]["intercomEntries"]["nodes"]
    assert [(e["method"], e["outcome"], e["byViewer"]) for e in entries] == [
        ("APP", "OPENED", False),
        ("APP", "OPENED", True),
    ]


@pytest.mark.parametrize(("mode", "outcome"), [("offline", "DEVICE_OFFLINE"), ("slow", "TIMEOUT")])
async def test_the_outcome_is_the_devices(
    api: Api, scene: Scene, simulator: SimulatorClient, mode: str, outcome: str
) -> None:
    await simulator.configure(scene.device, mode=mode, delay=4.0)
    result = await open_door(api, scene)
    assert result["outcome"] == outcome
    assert result["entry"]["outcome"] == outcome
    await simulator.configure(scene.device, mode="online")
    assert (await open_door(api, scene))["outcome"] == "OPENED"


async def test_a_dead_device_is_offline(api: Api, simulator: SimulatorClient) -> None:
    scene = await connected_world(api, simulator)
    async with api.db.transaction() as (session, _):
        from sqlalchemy import update

        from edom_graphql.intercom.models import IntercomPanel

        await session.execute(
            update(IntercomPanel)
            .where(IntercomPanel.id == scene.panel_pk)
            .values(api_url="http://127.0.0.1:9/devices/none")
        )
    assert (await open_door(api, scene))["outcome"] == "DEVICE_OFFLINE"


async def test_concurrent_openings_each_reach_the_device(
    api: Api, scene: Scene, simulator: SimulatorClient
) -> None:
    people = ["owner", "co_owner", "guest_basic", "guest_elevated", "registered"]
    results = await asyncio.gather(*(open_door(api, scene, who) for who in people))
    assert [r["outcome"] for r in results] == ["OPENED"] * len(people)
    assert len({r["entry"]["id"] for r in results}) == len(people)
    assert (await simulator.state(scene.device))["opens"] == len(people)


async def test_door_open_is_rate_limited(api: Api, scene: Scene) -> None:
    for _ in range(10):
        assert (await open_door(api, scene))["outcome"] == "OPENED"
    result = await api.post(
        OPEN, {"input": {"entranceId": scene.entrance_id}}, as_=scene.world["owner"]
    )
    assert result.errors[0]["extensions"]["code"] == "RATE_LIMITED"


async def test_bad_targets_are_coded(api: Api, scene: Scene) -> None:
    owner = scene.world["owner"]
    both = await api.post(
        OPEN, {"input": {"entranceId": scene.entrance_id, "panelId": scene.panel_id}}, as_=owner
    )
    assert both.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    garbage = await api.post(OPEN, {"input": {"entranceId": "nope"}}, as_=owner)
    assert garbage.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    other = await api.post(OPEN, {"input": {"panelId": scene.entrance_id}}, as_=owner)
    assert other.errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


# -- codes -----------------------------------------------------------------------------------


async def create_code(api: Api, scene: Scene, who: str = "owner", **options: Any) -> Any:
    variables = {"input": {"premiseId": scene.world.premise_id("1"), **options}}
    return (await api.gql(CODE_CREATE, variables, as_=scene.world[who]))["intercomCodeCreate"]


async def test_a_code_is_shown_once_stored_hashed_and_opens_the_door(
    api: Api, scene: Scene, simulator: SimulatorClient
) -> None:
    created = await create_code(api, scene, hours=2)
    assert created["userErrors"] == []
    secret = created["secret"]
    assert len(secret) == 6
    assert secret.isdigit()
    assert created["code"]["active"] is True
    stored = await rows(api, select(IntercomCode.code_hash))
    assert (hashlib.sha256(secret.encode()).hexdigest(),) in stored
    listed = await api.gql(CODES, {"id": scene.world.premise_id("1")}, as_=scene.world["owner"])
    assert "secret" not in json.dumps(listed)
    typed = await simulator.type_code(scene.device, secret)
    assert typed == {"opened": True, "delivered": 200}
    entries = (
        await api.gql(ENTRIES, {"id": scene.world.premise_id("1")}, as_=scene.world["owner"])
    )["node"]["intercomEntries"]["nodes"]
    assert [(e["method"], e["code"]["id"]) for e in entries] == [("CODE", created["code"]["id"])]
    wrong = "000000" if secret != "000000" else "111111"
    assert await simulator.type_code(scene.device, wrong) == {"opened": False, "reason": "UNKNOWN"}


async def test_revoked_and_expired_codes_are_refused_by_the_device(
    api: Api, scene: Scene, simulator: SimulatorClient, clock: Clock
) -> None:
    revoked = await create_code(api, scene, permanent=True)
    result = (
        await api.gql(
            CODE_REVOKE, {"input": {"codeId": revoked["code"]["id"]}}, as_=scene.world["owner"]
        )
    )["intercomCodeRevoke"]
    assert result["userErrors"] == []
    assert result["code"]["active"] is False
    assert await simulator.type_code(scene.device, revoked["secret"]) == {
        "opened": False,
        "reason": "REVOKED",
    }
    again = (
        await api.gql(
            CODE_REVOKE, {"input": {"codeId": revoked["code"]["id"]}}, as_=scene.world["owner"]
        )
    )["intercomCodeRevoke"]
    assert [e["code"] for e in again["userErrors"]] == ["NOT_ACTIVE"]
    # A one-hour code made two hours ago by the API's clock: the device refuses it now.
    clock.advance(timedelta(hours=-2))
    expired = await create_code(api, scene, hours=1)
    clock.reset()
    assert expired["userErrors"] == []
    assert await simulator.type_code(scene.device, expired["secret"]) == {
        "opened": False,
        "reason": "EXPIRED",
    }
    listed = await api.gql(CODES, {"id": scene.world.premise_id("1")}, as_=scene.world["owner"])
    active = {c["id"]: c["active"] for c in listed["node"]["intercomCodes"]["nodes"]}
    assert active == {revoked["code"]["id"]: False, expired["code"]["id"]: False}


async def test_at_most_ten_active_codes_even_in_a_race(api: Api, scene: Scene) -> None:
    for _ in range(8):
        assert (await create_code(api, scene, hours=24))["userErrors"] == []
    results = await asyncio.gather(*(create_code(api, scene, hours=1) for _ in range(4)))
    codes = sorted(tuple(e["code"] for e in r["userErrors"]) for r in results)
    assert codes == [(), (), ("TOO_MANY_CODES",), ("TOO_MANY_CODES",)]
    count = await rows(
        api,
        select(IntercomCode.id).where(IntercomCode.premise_id == scene.world.premises["1"]),
    )
    assert len(count) == 10


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ({}, "INVALID_DURATION"),
        ({"hours": 0}, "INVALID_DURATION"),
        ({"hours": 25}, "INVALID_DURATION"),
        ({"hours": 2, "permanent": True}, "INVALID_DURATION"),
    ],
)
async def test_bad_durations_are_refused_and_change_nothing(
    api: Api, scene: Scene, options: dict[str, Any], code: str
) -> None:
    before = await rows(api, select(IntercomCode.id))
    result = await create_code(api, scene, **options)
    assert [e["code"] for e in result["userErrors"]] == [code]
    assert result["secret"] is None
    assert await rows(api, select(IntercomCode.id)) == before


async def test_a_code_the_device_does_not_take_is_not_made(
    api: Api, scene: Scene, simulator: SimulatorClient
) -> None:
    await simulator.configure(scene.device, mode="offline")
    before = await rows(api, select(IntercomCode.id))
    result = await create_code(api, scene, hours=3)
    assert [e["code"] for e in result["userErrors"]] == ["DEVICE_OFFLINE"]
    assert await rows(api, select(IntercomCode.id)) == before
    await simulator.configure(scene.device, mode="online")


# -- the callback ----------------------------------------------------------------------------


async def post_event(api: Api, scene: Scene, event: dict[str, Any], **headers: str) -> Any:
    body = json.dumps(event).encode()
    return await api.client.post(
        f"/intercom/devices/{scene.panel_pk}/events",
        content=body,
        headers={**signed_headers(scene.secret, body), **headers},
    )


async def test_callbacks_are_signed_and_replay_safe(
    api: Api, scene: Scene, simulator: SimulatorClient
) -> None:
    fob = {"type": "entry", "method": "KEY_FOB", "fob": "A1", "at": "now"}
    before = await rows(api, select(IntercomEntry.id))
    forged = await post_event(api, scene, fob, **{"x-intercom-signature": "v1=00"})
    assert forged.status_code == 401
    stale = json.dumps(fob).encode()
    headers = signed_headers("another-secret-entirely", stale)
    wrong = await api.client.post(
        f"/intercom/devices/{scene.panel_pk}/events", content=stale, headers=headers
    )
    assert wrong.status_code == 401
    unknown = await api.client.post("/intercom/devices/999999999/events", content=b"{}")
    assert unknown.status_code == 404
    assert await rows(api, select(IntercomEntry.id)) == before
    sent = await simulator.call("POST", f"/devices/{scene.device}/fob", {"fob": "A1"})
    assert sent["delivered"] == 200
    replayed = await simulator.call("POST", f"/devices/{scene.device}/replay")
    assert replayed["delivered"] == 200
    after = await rows(api, select(IntercomEntry.id, IntercomEntry.method))
    assert len(after) == len(before) + 1


NODE = "query Node($id: ID!) { node(id: $id) { id } }"


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("owner", True),
        ("guest_elevated", True),
        ("dispatcher", True),
        ("registered", False),
        ("resident", False),
        ("guest_initial", False),
        ("guest_revoked", False),
        ("other_staff", False),
        ("stranger", False),
        ("admin", False),
    ],
)
async def test_nobody_outside_the_premise_reads_its_entry_log(
    api: Api, scene: Scene, simulator: SimulatorClient, who: str, sees: bool
) -> None:
    made = await create_code(api, scene, hours=1)
    await simulator.type_code(scene.device, made["secret"])
    (entry_pk,) = (
        await rows(
            api,
            select(IntercomEntry.id).where(
                IntercomEntry.premise_id == scene.world.premises["1"],
                IntercomEntry.method == "CODE",
            ),
        )
    )[0]
    entry_id = encode_id("IntercomEntry", entry_pk)
    viewer = scene.world[who]
    node = (await api.post(NODE, {"id": entry_id}, as_=viewer)).data["node"]
    log = await api.post(ENTRIES, {"id": scene.world.premise_id("1")}, as_=viewer)
    premise = log.data["node"]
    if sees:
        assert node == {"id": entry_id}
        assert [e["id"] for e in premise["intercomEntries"]["nodes"]] == [entry_id]
    else:
        assert node is None
        assert premise is None or premise["intercomEntries"] is None


async def test_the_entry_log_costs_the_same_for_many_entries(
    api: Api, scene: Scene, simulator: SimulatorClient
) -> None:
    async def count() -> int:
        with api.count_statements() as statements:
            await api.gql(ENTRIES, {"id": scene.world.premise_id("1")}, as_=scene.world["owner"])
        return len(statements)

    made = await create_code(api, scene, hours=1)
    await simulator.type_code(scene.device, made["secret"])
    await open_door(api, scene)
    few = await count()
    for _ in range(3):
        more = await create_code(api, scene, hours=1)
        await simulator.type_code(scene.device, more["secret"])
        await open_door(api, scene, "co_owner")
    assert await count() == few
