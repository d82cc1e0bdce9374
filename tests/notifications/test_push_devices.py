"""Push devices and mutes through the served API: registering (Web Push, FCM, APNs),
re-registering, removing, validation with coded errors, and that a device is its
user's alone."""

from __future__ import annotations

import asyncio
import base64
import os
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from edom_graphql.notifications.models import NotificationMute, PushDevice
from tests.access.test_access_matrix import PEOPLE
from tests.factories import ANONYMOUS, Api, Person, World, make_user, make_world

DEVICE = "id platform name createdAt updatedAt"
REGISTER = f"""
mutation Register($input: DeviceRegisterInput!) {{
  deviceRegister(input: $input) {{
    device {{ {DEVICE} }}
    userErrors {{ code message field }}
  }}
}}
"""
REMOVE = """
mutation Remove($input: DeviceRemoveInput!) {
  deviceRemove(input: $input) { removedDeviceId userErrors { code message field } }
}
"""
DEVICES = f"{{ viewer {{ devices {{ {DEVICE} }} }} }}"
SETTINGS = "muted categories { kind muted notificationKinds }"
MUTE = f"""
mutation Mute($input: NotificationMuteInput!) {{
  notificationMute(input: $input) {{ notificationSettings {{ {SETTINGS} }} }}
}}
"""
UNMUTE = f"""
mutation Unmute($input: NotificationMuteInput!) {{
  notificationUnmute(input: $input) {{ notificationSettings {{ {SETTINGS} }} }}
}}
"""
NODE = "query ($id: ID!) { node(id: $id) { id ... on Device { name } } }"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def web_push(endpoint: str | None = None, **changes: Any) -> dict[str, Any]:
    """A valid Web Push registration (a fresh subscription key pair), with ``changes``."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    value: dict[str, Any] = {
        "platform": "WEB_PUSH",
        "endpoint": endpoint or f"https://push.example.net/wp/{os.urandom(12).hex()}",
        "keys": {"p256dh": b64url(point), "auth": b64url(os.urandom(16))},
        "deviceName": "Firefox on a laptop",
    }
    value.update(changes)
    return value


async def register(api: Api, person: Person, value: dict[str, Any]) -> dict[str, Any]:
    data = await api.gql(REGISTER, {"input": value}, as_=person)
    result: dict[str, Any] = data["deviceRegister"]
    return result


async def device_rows(api: Api) -> list[tuple[Any, ...]]:
    async with api.db.transaction() as (session, _):
        rows = await session.execute(
            select(
                PushDevice.id,
                PushDevice.user_id,
                PushDevice.endpoint,
                PushDevice.name,
                PushDevice.removed_at,
            ).order_by(PushDevice.id)
        )
        return [tuple(row) for row in rows]


@pytest.fixture(scope="module")
async def world(api: Api) -> World:
    return await make_world(api)


@pytest.mark.parametrize("person", PEOPLE)
async def test_every_signed_in_person_registers_and_removes_their_own_device(
    api: Api, world: World, person: str
) -> None:
    who = ANONYMOUS if person == "anonymous" else world[person]
    if who is ANONYMOUS:
        before = await device_rows(api)
        result = await api.post(REGISTER, {"input": web_push()}, as_=who)
        assert result.codes == ["UNAUTHENTICATED"]
        assert await device_rows(api) == before
        result = await api.post(DEVICES, as_=who)
        assert result.codes == ["UNAUTHENTICATED"]
        return
    registered = await register(api, who, web_push())
    assert registered["userErrors"] == []
    device = registered["device"]
    assert device["platform"] == "WEB_PUSH"
    assert device["name"] == "Firefox on a laptop"
    assert device in (await api.gql(DEVICES, as_=who))["viewer"]["devices"]
    assert (await api.gql(NODE, {"id": device["id"]}, as_=who))["node"]["id"] == device["id"]
    removed = await api.gql(REMOVE, {"input": {"id": device["id"]}}, as_=who)
    assert removed["deviceRemove"] == {"removedDeviceId": device["id"], "userErrors": []}
    assert device not in (await api.gql(DEVICES, as_=who))["viewer"]["devices"]
    assert (await api.gql(NODE, {"id": device["id"]}, as_=who))["node"] is None


async def test_nobody_else_sees_or_removes_a_device(api: Api, world: World) -> None:
    owner = world["owner"]
    device = (await register(api, owner, web_push()))["device"]
    for key in ("co_owner", "resident", "manager", "stranger"):
        other = world[key]
        assert (await api.gql(NODE, {"id": device["id"]}, as_=other))["node"] is None
        assert device not in (await api.gql(DEVICES, as_=other))["viewer"]["devices"]
        before = await device_rows(api)
        refused = await api.gql(REMOVE, {"input": {"id": device["id"]}}, as_=other)
        assert refused["deviceRemove"]["removedDeviceId"] is None
        assert [e["code"] for e in refused["deviceRemove"]["userErrors"]] == ["NOT_FOUND"]
        assert await device_rows(api) == before
    assert (await api.gql(NODE, {"id": device["id"]}, as_=owner))["node"]["id"] == device["id"]


async def test_registering_again_updates_the_device(api: Api) -> None:
    user = await make_user(api, "reregister")
    first = web_push(deviceName="Old name")
    device = (await register(api, user, first))["device"]
    again = web_push(endpoint=first["endpoint"], deviceName="New name")
    updated = (await register(api, user, again))["device"]
    assert updated["id"] == device["id"]
    assert updated["name"] == "New name"
    assert [d["id"] for d in (await api.gql(DEVICES, as_=user))["viewer"]["devices"]] == [
        device["id"]
    ]
    # a removed device registered again comes back
    await api.gql(REMOVE, {"input": {"id": device["id"]}}, as_=user)
    revived = (await register(api, user, again))["device"]
    assert revived["id"] == device["id"]
    # the same install signed in as someone else is theirs now
    other = await make_user(api, "takeover")
    taken = (await register(api, other, again))["device"]
    assert taken["id"] == device["id"]
    assert (await api.gql(DEVICES, as_=user))["viewer"]["devices"] == []
    assert (await api.gql(NODE, {"id": device["id"]}, as_=user))["node"] is None


async def test_native_tokens(api: Api) -> None:
    user = await make_user(api, "native")
    fcm = await register(
        api, user, {"platform": "FCM", "token": "fcm:" + "A1b2_-" * 25, "deviceName": "Pixel"}
    )
    assert fcm["userErrors"] == []
    assert fcm["device"]["platform"] == "FCM"
    apns = await register(api, user, {"platform": "APNS", "token": os.urandom(32).hex()})
    assert apns["userErrors"] == []
    assert apns["device"]["platform"] == "APNS"
    assert apns["device"]["name"] == "iPhone"


BAD_INPUT = [
    ("http", web_push(endpoint="http://push.example.net/wp/1"), "INVALID_ENDPOINT"),
    ("not a URL", web_push(endpoint="push service"), "INVALID_ENDPOINT"),
    ("no endpoint", web_push(endpoint=None) | {"endpoint": None}, "INVALID_ENDPOINT"),
    ("userinfo", web_push(endpoint="https://a:b@push.example.net/x"), "INVALID_ENDPOINT"),
    ("too long", web_push(endpoint="https://push.example.net/" + "x" * 1100), "INVALID_ENDPOINT"),
    ("no keys", web_push() | {"keys": None}, "INVALID_KEYS"),
    (
        "short p256dh",
        web_push() | {"keys": {"p256dh": b64url(b"\x04" * 10), "auth": b64url(os.urandom(16))}},
        "INVALID_KEYS",
    ),
    (
        "off-curve p256dh",
        web_push()
        | {"keys": {"p256dh": b64url(b"\x04" + b"\x01" * 64), "auth": b64url(os.urandom(16))}},
        "INVALID_KEYS",
    ),
    ("not base64url", web_push() | {"keys": {"p256dh": "+/+/" * 20, "auth": "!!"}}, "INVALID_KEYS"),
    (
        "long auth",
        web_push()
        | {"keys": {"p256dh": web_push()["keys"]["p256dh"], "auth": b64url(os.urandom(32))}},
        "INVALID_KEYS",
    ),
    (
        "FCM with keys",
        {"platform": "FCM", "token": "t" * 100, "keys": {"p256dh": "a", "auth": "b"}},
        "INVALID_KEYS",
    ),
    ("short FCM token", {"platform": "FCM", "token": "abc"}, "INVALID_TOKEN"),
    ("FCM token with spaces", {"platform": "FCM", "token": "a b" * 20}, "INVALID_TOKEN"),
    ("APNs token not hex", {"platform": "APNS", "token": "z" * 64}, "INVALID_TOKEN"),
    ("APNs token short", {"platform": "APNS", "token": "ab" * 8}, "INVALID_TOKEN"),
    ("no token", {"platform": "APNS"}, "INVALID_TOKEN"),
    ("long name", web_push(deviceName="x" * 81), "INVALID_NAME"),
    ("control in name", web_push(deviceName="a\u0007b"), "INVALID_NAME"),
]


@pytest.mark.parametrize(("case", "value", "code"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
async def test_bad_input_is_refused_with_a_code(
    api: Api, world: World, case: str, value: dict[str, Any], code: str
) -> None:
    before = await device_rows(api)
    result = await register(api, world["registered"], value)
    assert result["device"] is None
    assert [e["code"] for e in result["userErrors"]] == [code], result
    assert await device_rows(api) == before


async def test_bad_ids_and_too_many_devices(api: Api) -> None:
    user = await make_user(api, "many")
    for garbage in ("garbage", "VXNlcjox"):  # not an id; a User id
        refused = await api.gql(REMOVE, {"input": {"id": garbage}}, as_=user)
        assert [e["code"] for e in refused["deviceRemove"]["userErrors"]] == ["NOT_FOUND"]
    for _ in range(20):
        assert (await register(api, user, web_push()))["userErrors"] == []
    refused = await register(api, user, web_push())
    assert [e["code"] for e in refused["userErrors"]] == ["TOO_MANY_DEVICES"]
    assert len((await api.gql(DEVICES, as_=user))["viewer"]["devices"]) == 20


async def test_mute_and_unmute(api: Api) -> None:
    user = await make_user(api, "mutes")
    start = await api.gql(f"{{ viewer {{ notificationSettings {{ {SETTINGS} }} }} }}", as_=user)
    settings = start["viewer"]["notificationSettings"]
    assert settings["muted"] == []
    assert {c["kind"] for c in settings["categories"]} == {
        "VEHICLE_CONTACT",
        "INTERCOM_CALL",
        "DIRECT_MESSAGE",
        "MEETINGS",
        "REPAIRS",
        "BUILDING_NOTICES",
    }
    for _ in range(2):  # muting twice is muting once
        muted = await api.gql(MUTE, {"input": {"kind": "REPAIRS"}}, as_=user)
    settings = muted["notificationMute"]["notificationSettings"]
    assert settings["muted"] == ["REPAIRS"]
    assert {"kind": "REPAIRS", "muted": True, "notificationKinds": ["REPAIR_REQUEST_"]} in settings[
        "categories"
    ]
    unmuted = await api.gql(UNMUTE, {"input": {"kind": "REPAIRS"}}, as_=user)
    assert unmuted["notificationUnmute"]["notificationSettings"]["muted"] == []
    async with api.db.transaction() as (session, _):
        rows = await session.execute(
            select(NotificationMute).where(NotificationMute.user_id == user.pk)
        )
        assert list(rows) == []
    bad = await api.post(MUTE, {"input": {"kind": "EVERYTHING"}}, as_=user)
    assert bad.errors
    assert bad.response.status_code == 200


async def test_web_push_public_key(api: Api) -> None:
    user = await make_user(api, "vapid")
    key = (await api.gql("{ webPushPublicKey }", as_=user))["webPushPublicKey"]
    raw = base64.urlsafe_b64decode(key + "=" * (-len(key) % 4))
    assert len(raw) == 65
    assert raw[0] == 4


async def test_devices_and_settings_cost_fixed_statements(api: Api) -> None:
    user = await make_user(api, "statements")
    query = f"{{ viewer {{ devices {{ {DEVICE} }} notificationSettings {{ {SETTINGS} }} }} }}"
    counts = []
    for devices in (1, 6):
        while len((await api.gql(DEVICES, as_=user))["viewer"]["devices"]) < devices:
            await register(api, user, web_push())
        with api.count_statements() as statements:
            await api.gql(query, as_=user)
        counts.append(len(statements))
    assert counts[0] == counts[1]
    assert counts[0] <= 4


async def test_concurrent_registrations_of_one_endpoint_make_one_device(api: Api) -> None:
    user = await make_user(api, "race")
    value = web_push()
    results = await asyncio.gather(*(register(api, user, value) for _ in range(5)))
    assert all(r["userErrors"] == [] for r in results)
    assert len({r["device"]["id"] for r in results}) == 1
    assert len((await api.gql(DEVICES, as_=user))["viewer"]["devices"]) == 1
