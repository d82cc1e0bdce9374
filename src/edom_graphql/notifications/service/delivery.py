"""The push delivery worker: sends due deliveries and records each outcome.

A pass claims a batch of due PENDING rows with ``FOR UPDATE SKIP LOCKED`` and, in the
same short transaction, counts the attempt and leases the rows (``next_attempt_at`` =
now + lease), so a worker in another process neither waits for nor takes them. It then
sends outside any transaction and records every outcome in a second one: SENT, GONE
(the device is dropped and its other pending deliveries end GONE too), a transient
failure due again after 2ⁿ⁻¹ × ``BACKOFF_SECONDS`` (at most ``MAX_BACKOFF_SECONDS``)
until ``max_attempts``, then FAILED. Each (notification, device) has one row, so it is
pushed at most once; only a process that dies between sending and recording can leave a
row that is sent once more after its lease.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import httpx
from sqlalchemy import Table, bindparam, or_, select, update

from edom_graphql.core.db import Database
from edom_graphql.core.ids import encode_id
from edom_graphql.notifications.models import (
    DeliveryState,
    Notification,
    PushDelivery,
    PushDevice,
    PushPlatform,
)
from edom_graphql.notifications.service import USERS
from edom_graphql.notifications.service.messages import push_title
from edom_graphql.notifications.service.mobile import (
    ApnsProvider,
    FcmProvider,
    ServiceAccountTokens,
)
from edom_graphql.notifications.service.push import (
    Outcome,
    PushMessage,
    PushProvider,
    PushResult,
    PushTarget,
    WebPushProvider,
    vapid_key_of,
)
from edom_graphql.settings import Settings

BATCH = 100
BACKOFF_SECONDS = 15.0
MAX_BACKOFF_SECONDS = 3600.0
CONCURRENCY = 16
"""Sends in flight per pass (httpx's pool slows down with many queued requests)."""
LEASE_SECONDS = 120.0
"""How long a claimed delivery is kept from other workers while it is being sent."""


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    device_id: int
    attempts: int
    target: PushTarget
    message: PushMessage


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    return timedelta(seconds=min(BACKOFF_SECONDS * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS))


async def _claim(db: Database, now: datetime, batch: int) -> list[Claimed]:
    due = (
        select(PushDelivery.id)
        .where(
            PushDelivery.state == DeliveryState.PENDING,
            or_(PushDelivery.next_attempt_at.is_(None), PushDelivery.next_attempt_at <= now),
        )
        .order_by(PushDelivery.id)
        .limit(batch)
        .with_for_update(skip_locked=True)
    )
    async with db.transaction() as (session, _):
        claimed = (
            await session.execute(
                update(PushDelivery)
                .where(PushDelivery.id.in_(due.scalar_subquery()))
                .values(
                    attempts=PushDelivery.attempts + 1,
                    next_attempt_at=now + timedelta(seconds=LEASE_SECONDS),
                )
                .returning(PushDelivery.id)
            )
        ).scalars()
        ids = list(claimed)
        if not ids:
            return []
        rows = await session.execute(
            select(
                PushDelivery.id,
                PushDelivery.device_id,
                PushDelivery.attempts,
                PushDevice.platform,
                PushDevice.endpoint,
                PushDevice.p256dh,
                PushDevice.auth,
                Notification.id,
                Notification.kind,
                Notification.message,
                Notification.subject_type,
                Notification.subject_id,
                Notification.created_at,
                USERS.c.locale,
            )
            .join(PushDevice, PushDevice.id == PushDelivery.device_id)
            .join(Notification, Notification.id == PushDelivery.notification_id)
            .join(USERS, USERS.c.id == PushDevice.user_id)
            .where(PushDelivery.id.in_(ids))
            .order_by(PushDelivery.id)
        )
        return [_claimed(row) for row in rows]


def _claimed(row: Any) -> Claimed:
    (delivery_id, device_id, attempts, platform, endpoint, p256dh, auth) = row[:7]
    (notification_id, kind, message, subject_type, subject_id, created_at, locale) = row[7:]
    subject = None
    if subject_type is not None and subject_id is not None:
        subject = encode_id(subject_type, subject_id)
    return Claimed(
        delivery_id=delivery_id,
        device_id=device_id,
        attempts=attempts,
        target=PushTarget(platform, endpoint, p256dh, auth),
        message=PushMessage(
            notification_id=encode_id("Notification", notification_id),
            kind=kind,
            message=message,
            subject_id=subject,
            sent_at=created_at.isoformat(),
            title=push_title(kind, locale),
        ),
    )


async def _send(providers: Mapping[PushPlatform, PushProvider], item: Claimed) -> PushResult:
    provider = providers.get(item.target.platform)
    if provider is None:
        return PushResult(Outcome.RETRY, f"no {item.target.platform.value} provider configured")
    try:
        return await provider.send(item.target, item.message)
    except Exception as error:  # a provider's bug must not lose the batch's outcomes
        return PushResult(Outcome.RETRY, f"{type(error).__name__}: {error}"[:500])


_DELIVERIES = cast(Table, PushDelivery.__table__)
_RECORD = (
    update(_DELIVERIES)
    .where(_DELIVERIES.c.id == bindparam("delivery_id"))
    .values(
        state=bindparam("new_state"),
        next_attempt_at=bindparam("due"),
        last_error=bindparam("error"),
        sent_at=bindparam("sent"),
    )
)


async def _record(
    db: Database,
    now: datetime,
    outcomes: Sequence[tuple[Claimed, PushResult]],
    max_attempts: int,
) -> None:
    rows, gone = [], set()
    for item, result in outcomes:
        state, due, sent_at = DeliveryState.PENDING, None, None
        if result.outcome is Outcome.SENT:
            state, sent_at = DeliveryState.SENT, now
        elif result.outcome is Outcome.GONE:
            state = DeliveryState.GONE
            gone.add(item.device_id)
        elif result.outcome is Outcome.FAILED or item.attempts >= max_attempts:
            state = DeliveryState.FAILED
        else:
            due = now + backoff(item.attempts)
        rows.append(
            {
                "delivery_id": item.delivery_id,
                "new_state": state,
                "due": due,
                "error": result.error,
                "sent": sent_at,
            }
        )
    async with db.transaction() as (session, _):
        await session.execute(_RECORD, rows)
        if gone:
            await session.execute(
                update(PushDevice)
                .where(PushDevice.id.in_(sorted(gone)), PushDevice.removed_at.is_(None))
                .values(removed_at=now)
            )
            await session.execute(
                update(PushDelivery)
                .where(
                    PushDelivery.device_id.in_(sorted(gone)),
                    PushDelivery.state == DeliveryState.PENDING,
                )
                .values(state=DeliveryState.GONE, last_error="the device is gone")
            )


async def deliver_due(
    db: Database,
    providers: Mapping[PushPlatform, PushProvider],
    now: datetime,
    *,
    batch: int = BATCH,
    max_attempts: int = 8,
    concurrency: int = CONCURRENCY,
) -> int:
    """One pass: send up to ``batch`` due deliveries, ``concurrency`` at a time, and
    record their outcomes. Returns how many were claimed (== ``batch``: a backlog may remain)."""
    claimed = await _claim(db, now, batch)
    if not claimed:
        return 0
    gate = asyncio.Semaphore(concurrency)

    async def send(item: Claimed) -> PushResult:
        async with gate:
            return await _send(providers, item)

    results = await asyncio.gather(*(send(item) for item in claimed))
    await _record(db, now, list(zip(claimed, results, strict=True)), max_attempts)
    return len(claimed)


def providers_of(settings: Settings, client: httpx.AsyncClient) -> dict[PushPlatform, PushProvider]:
    """The providers the settings configure: Web Push always; FCM with a project and a
    service-account file; APNs with a team, a key and a topic."""
    providers: dict[PushPlatform, PushProvider] = {
        PushPlatform.WEB_PUSH: WebPushProvider(
            vapid_key_of(settings), subject=settings.vapid_subject, client=client
        )
    }
    if settings.fcm_project_id and settings.fcm_service_account_file:
        account = json.loads(settings.fcm_service_account_file.read_text())
        tokens = ServiceAccountTokens(account, client)
        providers[PushPlatform.FCM] = FcmProvider(settings.fcm_project_id, tokens, client)
    if (
        settings.apns_team_id
        and settings.apns_key_id
        and settings.apns_key_file
        and settings.apns_topic
    ):
        providers[PushPlatform.APNS] = ApnsProvider(
            team_id=settings.apns_team_id,
            key_id=settings.apns_key_id,
            private_key=settings.apns_key_file.read_text(),
            topic=settings.apns_topic,
            # APNs speaks only HTTP/2: a client of its own (h2, from httpx[http2])
            client=httpx.AsyncClient(http2=True, timeout=client.timeout),
            sandbox=settings.apns_sandbox,
        )
    return providers
