"""Push delivery end to end: notifications written through the service reach the
devices registered over the API, via the Web Push provider, at a push-service process
(``tests/notifications/push_service.py``) that checks VAPID and decrypts each message.
Once per notification and device, never a muted kind, retried with backoff, dropped
when gone, and never twice with two workers on one backlog."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from edom_graphql.core.ids import encode_id
from edom_graphql.notifications import service
from edom_graphql.notifications.models import DeliveryState, PushDelivery, PushPlatform
from edom_graphql.notifications.service.delivery import BACKOFF_SECONDS, deliver_due, providers_of
from edom_graphql.notifications.service.messages import Text
from edom_graphql.notifications.service.push import PushProvider, public_key_of
from edom_graphql.settings import Settings
from tests.factories import Api, Clock, Person, make_user
from tests.notifications.test_push_devices import DEVICES, MUTE, REGISTER
from tests.residents.test_locale import set_locale


@dataclass
class PushService:
    url: str
    client: httpx.AsyncClient

    async def subscribe(self) -> dict[str, Any]:
        response = await self.client.post(f"{self.url}/subscriptions")
        subscription: dict[str, Any] = response.json()
        return subscription

    async def answer(
        self, subscription: dict[str, Any], answers: list[int], delay: float = 0
    ) -> None:
        await self.client.post(
            f"{self.url}/subscriptions/{subscription['id']}/answers",
            json={"answers": answers, "delay": delay},
        )

    async def received(self, subscription: dict[str, Any]) -> dict[str, Any]:
        report: dict[str, Any] = (
            await self.client.get(f"{self.url}/subscriptions/{subscription['id']}")
        ).json()
        assert report["errors"] == []
        return report


def start_push_service() -> tuple[subprocess.Popen[str], str, Any]:
    """The push-service process on a free port: the process, its URL and its log."""
    log = tempfile.NamedTemporaryFile(prefix="edom-push-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.notifications.push_service", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("push service listening on "):
        process.kill()
        raise RuntimeError(f"the push service did not start: {line!r} {Path(log.name).read_text()}")
    return process, line.split()[-1], log


@pytest.fixture(scope="session")
def push_service_url() -> Iterator[str]:
    process, url, log = start_push_service()
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
        Path(log.name).unlink(missing_ok=True)


@pytest.fixture
async def push(push_service_url: str) -> AsyncIterator[PushService]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield PushService(push_service_url, client)


@pytest.fixture
async def providers(settings: Settings) -> AsyncIterator[dict[PushPlatform, PushProvider]]:
    async with httpx.AsyncClient(timeout=0.5) as client:
        yield providers_of(settings, client)


@pytest.fixture(autouse=True)
async def _no_backlog(api: Api) -> None:
    """Deliveries other tests left (to made-up endpoints) are not this test's."""
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(PushDelivery)
            .where(PushDelivery.state == DeliveryState.PENDING)
            .values(state=DeliveryState.FAILED, last_error="left by an earlier test")
        )


async def phone(api: Api, person: Person, push: PushService, name: str = "Phone") -> dict[str, Any]:
    """A subscription at the push service registered as a device of ``person``."""
    subscription = await push.subscribe()
    data = await api.gql(
        REGISTER,
        {
            "input": {
                "platform": "WEB_PUSH",
                "endpoint": subscription["endpoint"],
                "keys": subscription["keys"],
                "deviceName": name,
            }
        },
        as_=person,
    )
    assert data["deviceRegister"]["userErrors"] == []
    subscription["device"] = data["deviceRegister"]["device"]
    return subscription


async def notify(api: Api, user: Person, kind: str = "VEHICLE_OWNER_CONTACT", **fields: Any) -> int:
    assert user.pk is not None
    async with api.db.transaction() as (session, outbox):
        return await service.notify(
            session,
            outbox,
            user_id=user.pk,
            kind=kind,
            message=Text(ru=fields.get("message", "Hi"), en=fields.pop("message", "Hi")),
            **fields,
        )


async def deliveries(api: Api, notification_id: int) -> list[tuple[Any, ...]]:
    async with api.db.transaction() as (session, _):
        rows = await session.execute(
            select(
                PushDelivery.state,
                PushDelivery.attempts,
                PushDelivery.next_attempt_at,
                PushDelivery.last_error,
            )
            .where(PushDelivery.notification_id == notification_id)
            .order_by(PushDelivery.id)
        )
        return [tuple(row) for row in rows]


async def test_a_notification_reaches_each_device_once_and_decrypts_to_itself(
    api: Api, push: PushService, providers: Any, clock: Clock, settings: Settings
) -> None:
    user, other = await make_user(api, "two_phones"), await make_user(api, "bystander")
    phones = [await phone(api, user, push, "Phone"), await phone(api, user, push, "Laptop")]
    bystander = await phone(api, other, push)
    nid = await notify(
        api, user, message="Машина мешает выезду", subject_type="Vehicle", subject_id=77
    )
    assert await deliver_due(api.db, providers, clock()) == 2
    assert await deliver_due(api.db, providers, clock()) == 0  # nothing twice
    created = await api.gql(
        "{ viewer { notifications(first: 1) { nodes { createdAt } } } }", as_=user
    )
    expected = {
        "id": encode_id("Notification", nid),
        "kind": "VEHICLE_OWNER_CONTACT",
        "message": "Машина мешает выезду",
        "subjectId": encode_id("Vehicle", 77),
    }
    for subscription in phones:
        report = await push.received(subscription)
        assert report["attempts"] == 1
        [message] = report["messages"]
        assert {k: message[k] for k in expected} == expected
        assert (
            message["createdAt"][:19]
            == created["viewer"]["notifications"]["nodes"][0]["createdAt"][:19]
        )
        assert report["vapidKeys"] == [public_key_of(settings)]
    assert (await push.received(bystander))["messages"] == []
    assert [(s, a) for s, a, *_ in await deliveries(api, nid)] == [
        (DeliveryState.SENT, 1),
        (DeliveryState.SENT, 1),
    ]


async def test_muted_kinds_are_not_pushed(
    api: Api, push: PushService, providers: Any, clock: Clock
) -> None:
    user = await make_user(api, "muter")
    subscription = await phone(api, user, push)
    await api.gql(MUTE, {"input": {"kind": "DIRECT_MESSAGE"}}, as_=user)
    muted = await notify(api, user, "CHAT_MESSAGE", message="muted")
    assert user.pk is not None
    async with api.db.transaction() as (session, outbox):
        await service.notify_many(
            session,
            outbox,
            user_ids=[user.pk],
            kind="CHAT_MESSAGE",
            message=Text("also muted", "also muted"),
        )
        await service.notify_many(
            session,
            outbox,
            user_ids=[user.pk],
            kind="MEETING_SCHEDULED",
            message=Text("pushed", "pushed"),
        )
    pushed = await notify(api, user, "REPAIR_REQUEST_UPDATED", message="pushed too")
    assert await deliveries(api, muted) == []
    assert await deliver_due(api.db, providers, clock()) == 2
    messages = (await push.received(subscription))["messages"]
    assert sorted(m["message"] for m in messages) == ["pushed", "pushed too"]
    assert len(await deliveries(api, pushed)) == 1


async def test_a_rolled_back_notification_is_never_pushed(
    api: Api, push: PushService, providers: Any, clock: Clock
) -> None:
    user = await make_user(api, "rollback")
    subscription = await phone(api, user, push)
    assert user.pk is not None

    async def failing_writer() -> None:
        assert user.pk is not None
        async with api.db.transaction() as (session, outbox):
            await service.notify(
                session, outbox, user_id=user.pk, kind="X", message=Text("no", "no")
            )
            raise RuntimeError("the writer fails")

    with pytest.raises(RuntimeError):
        await failing_writer()
    assert await deliver_due(api.db, providers, clock()) == 0
    assert (await push.received(subscription))["attempts"] == 0


async def test_transient_failures_are_retried_with_backoff(
    api: Api, push: PushService, providers: Any, clock: Clock
) -> None:
    user = await make_user(api, "retry")
    subscription = await phone(api, user, push)
    await push.answer(subscription, [500, 503])
    nid = await notify(api, user)
    now = clock()
    assert await deliver_due(api.db, providers, now) == 1
    [(state, attempts, due, error)] = await deliveries(api, nid)
    assert (state, attempts) == (DeliveryState.PENDING, 1)
    assert error.startswith("HTTP 500")
    assert due == now + timedelta(seconds=BACKOFF_SECONDS)
    assert await deliver_due(api.db, providers, clock()) == 0  # not due yet
    clock.advance(timedelta(seconds=BACKOFF_SECONDS + 1))
    now = clock()
    assert await deliver_due(api.db, providers, now) == 1
    [(state, attempts, due, error)] = await deliveries(api, nid)
    assert (state, attempts) == (DeliveryState.PENDING, 2)
    assert error.startswith("HTTP 503")
    assert due == now + timedelta(seconds=2 * BACKOFF_SECONDS)  # doubled
    clock.advance(timedelta(seconds=2 * BACKOFF_SECONDS + 1))
    assert await deliver_due(api.db, providers, clock()) == 1
    [(state, attempts, _, _)] = await deliveries(api, nid)
    assert (state, attempts) == (DeliveryState.SENT, 3)
    report = await push.received(subscription)
    assert report["attempts"] == 3
    assert len(report["messages"]) == 1


async def test_a_slow_push_service_times_out_and_is_retried(
    api: Api, push: PushService, providers: Any, clock: Clock
) -> None:
    user = await make_user(api, "slow")
    subscription = await phone(api, user, push)
    await push.answer(subscription, [503], delay=1.5)  # longer than the client's 0.5 s
    nid = await notify(api, user)
    assert await deliver_due(api.db, providers, clock()) == 1
    [(state, attempts, _, error)] = await deliveries(api, nid)
    assert (state, attempts) == (DeliveryState.PENDING, 1)
    assert "Timeout" in error
    await push.answer(subscription, [])
    clock.advance(timedelta(seconds=BACKOFF_SECONDS + 1))
    assert await deliver_due(api.db, providers, clock()) == 1
    assert [s for s, *_ in await deliveries(api, nid)] == [DeliveryState.SENT]


async def test_attempts_are_limited(
    api: Api, push: PushService, providers: Any, clock: Clock
) -> None:
    user = await make_user(api, "give_up")
    subscription = await phone(api, user, push)
    await push.answer(subscription, [500, 500])
    nid = await notify(api, user)
    assert await deliver_due(api.db, providers, clock(), max_attempts=2) == 1
    clock.advance(timedelta(seconds=BACKOFF_SECONDS + 1))
    assert await deliver_due(api.db, providers, clock(), max_attempts=2) == 1
    [(state, attempts, _, error)] = await deliveries(api, nid)
    assert (state, attempts) == (DeliveryState.FAILED, 2)
    assert error.startswith("HTTP 500")
    clock.advance(timedelta(days=1))
    assert await deliver_due(api.db, providers, clock(), max_attempts=2) == 0


async def test_a_gone_device_is_dropped(
    api: Api, push: PushService, providers: Any, clock: Clock
) -> None:
    user = await make_user(api, "gone")
    gone, kept = await phone(api, user, push, "Old phone"), await phone(api, user, push, "New")
    await push.answer(gone, [410])
    first = await notify(api, user, message="one")
    second = await notify(api, user, message="two")
    assert await deliver_due(api.db, providers, clock(), batch=2) == 2  # "one" to both
    # "two" to the gone device ended GONE without being sent
    assert await deliver_due(api.db, providers, clock()) == 1
    states = await deliveries(api, first) + await deliveries(api, second)
    assert sorted(s.value for s, *_ in states) == ["GONE", "GONE", "SENT", "SENT"]
    devices = (await api.gql(DEVICES, as_=user))["viewer"]["devices"]
    assert [d["name"] for d in devices] == ["New"]
    third = await notify(api, user, message="three")
    assert len(await deliveries(api, third)) == 1  # to the kept device only
    assert await deliver_due(api.db, providers, clock()) == 1
    assert (await push.received(gone))["attempts"] == 1
    assert sorted(m["message"] for m in (await push.received(kept))["messages"]) == [
        "one",
        "three",
        "two",
    ]


async def test_two_workers_never_push_twice(
    api: Api, push: PushService, providers: Any, clock: Clock
) -> None:
    user = await make_user(api, "backlog")
    phones = [await phone(api, user, push), await phone(api, user, push)]
    ids = [await notify(api, user, message=f"n{i}") for i in range(30)]

    async def worker() -> int:
        total = 0
        while claimed := await deliver_due(api.db, providers, clock(), batch=7):
            total += claimed
        return total

    counts = await asyncio.gather(worker(), worker(), worker())
    assert sum(counts) == 60
    for subscription in phones:
        report = await push.received(subscription)
        assert report["attempts"] == 30
        assert sorted(m["id"] for m in report["messages"]) == sorted(
            encode_id("Notification", nid) for nid in ids
        )


async def test_a_push_is_titled_and_worded_in_its_recipients_language(
    api: Api, push: PushService, providers: Any, clock: Clock
) -> None:
    russian, english = await make_user(api, "push_ru"), await make_user(api, "push_en")
    assert await set_locale(api, english, "en") == []
    people = {"ru": russian, "en": english}
    phones = {key: await phone(api, person, push) for key, person in people.items()}
    for person in (russian, english):
        await notify(api, person, kind="INTERCOM_CALL", message="Звонок в домофон")
    async with api.db.transaction() as (session, outbox):
        # one Text, each recipient's language chosen by the insert
        await service.notify_many(
            session,
            outbox,
            user_ids=[pk for pk in (russian.pk, english.pk) if pk is not None],
            kind="METER_READINGS_DUE",
            message=Text(ru="Пора передать показания", en="Time to submit readings"),
        )
    assert await deliver_due(api.db, providers, clock()) == 4
    seen = {  # in any order: deliveries are sent concurrently
        key: sorted((m["title"], m["message"]) for m in (await push.received(device))["messages"])
        for key, device in phones.items()
    }
    assert seen["ru"] == sorted(
        [("Домофон", "Звонок в домофон"), ("Показания счётчиков", "Пора передать показания")]
    )
    assert seen["en"] == sorted(
        [("Intercom", "Звонок в домофон"), ("Meter readings", "Time to submit readings")]
    )
