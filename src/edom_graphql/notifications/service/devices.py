"""Registering and removing a user's push devices, and their per-category mutes."""

from __future__ import annotations

import ipaddress
import re
from datetime import datetime
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.errors import ServiceError
from edom_graphql.core.streams import serialise_writers
from edom_graphql.notifications.models import (
    DeliveryState,
    Notification,
    NotificationCategory,
    NotificationMute,
    PushDelivery,
    PushDevice,
    PushPlatform,
)
from edom_graphql.notifications.service.push import b64url_decode

DEVICE_LOCK_CLASS = 1_011
MAX_DEVICES = 20
MAX_ENDPOINT_LENGTH = 1024
MAX_NAME_LENGTH = 80
FCM_TOKEN = re.compile(r"[A-Za-z0-9_:.\-]{32,4096}")
APNS_TOKEN = re.compile(r"(?:[0-9a-fA-F]{2}){32,100}")
LOOPBACK_NAMES = frozenset({"localhost"})
DEFAULT_NAMES = {
    PushPlatform.WEB_PUSH: "Browser",
    PushPlatform.FCM: "Android",
    PushPlatform.APNS: "iPhone",
}


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def web_push_endpoint(endpoint: str, *, allow_loopback_http: bool) -> str:
    """A Web Push subscription endpoint: an https URL (http only to a loopback host, in
    development: the local push service of the tests and the demo)."""
    endpoint = endpoint.strip()
    parts = urlsplit(endpoint) if len(endpoint) <= MAX_ENDPOINT_LENGTH else None
    ok = (
        parts is not None
        and parts.hostname is not None
        and parts.username is None
        and parts.password is None
        and not parts.fragment
        and not any(c.isspace() or ord(c) < 32 for c in endpoint)
        and (
            parts.scheme == "https"
            or (parts.scheme == "http" and allow_loopback_http and _is_loopback(parts.hostname))
        )
    )
    if not ok:
        raise ServiceError(
            "INVALID_ENDPOINT",
            f"A Web Push endpoint is an https URL of at most {MAX_ENDPOINT_LENGTH} characters.",
            ["endpoint"],
        )
    return endpoint


def web_push_keys(p256dh: str | None, auth: str | None) -> tuple[str, str]:
    """The subscription's keys: ``p256dh`` a P-256 public point (65 bytes) and ``auth``
    a 16-byte secret, both base64url."""
    try:
        point = b64url_decode((p256dh or "").strip())
        secret = b64url_decode((auth or "").strip())
        if len(point) != 65 or len(secret) != 16:
            raise ValueError("wrong length")
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise ServiceError(
            "INVALID_KEYS",
            "keys.p256dh must be a P-256 public key (65 bytes) and keys.auth 16 bytes, "
            "both base64url.",
            ["keys"],
        ) from None
    return (p256dh or "").strip(), (auth or "").strip()


def native_token(platform: PushPlatform, token: str) -> str:
    token = token.strip()
    pattern = FCM_TOKEN if platform is PushPlatform.FCM else APNS_TOKEN
    if not pattern.fullmatch(token):
        what = (
            "an FCM registration token (32–4096 characters of letters, digits, _ : . -)"
            if platform is PushPlatform.FCM
            else "an APNs device token (64–200 hexadecimal digits)"
        )
        raise ServiceError("INVALID_TOKEN", f"The token must be {what}.", ["token"])
    return token


def device_name(platform: PushPlatform, name: str | None) -> str:
    name = (name or "").strip() or DEFAULT_NAMES[platform]
    if len(name) > MAX_NAME_LENGTH or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ServiceError(
            "INVALID_NAME",
            f"A device name has at most {MAX_NAME_LENGTH} printable characters.",
            ["deviceName"],
        )
    return name


async def register(
    session: AsyncSession,
    *,
    user_id: int,
    platform: PushPlatform,
    endpoint: str,
    p256dh: str | None,
    auth: str | None,
    name: str,
    now: datetime,
) -> int:
    """Register (or update, or take over from another user) the device of this endpoint."""
    await serialise_writers(session, DEVICE_LOCK_CLASS, user_id)
    live = await session.scalar(
        select(func.count()).where(
            PushDevice.user_id == user_id,
            PushDevice.removed_at.is_(None),
            ~((PushDevice.platform == platform) & (PushDevice.endpoint == endpoint)),
        )
    )
    if (live or 0) >= MAX_DEVICES:
        raise ServiceError(
            "TOO_MANY_DEVICES", f"At most {MAX_DEVICES} devices; remove one first.", []
        )
    values = {"p256dh": p256dh, "auth": auth, "name": name, "updated_at": now}
    statement = insert(PushDevice).values(
        user_id=user_id, platform=platform, endpoint=endpoint, **values
    )
    device_id: int = (
        await session.execute(
            statement.on_conflict_do_update(
                constraint="uq_push_devices_platform_endpoint",
                set_={"user_id": user_id, "removed_at": None, **values},
            ).returning(PushDevice.id)
        )
    ).scalar_one()
    # An install signed in as someone else now: nothing of theirs is pushed to it.
    await session.execute(
        update(PushDelivery)
        .where(
            PushDelivery.device_id == device_id,
            PushDelivery.state == DeliveryState.PENDING,
            PushDelivery.notification_id.in_(
                select(Notification.id).where(Notification.user_id != user_id)
            ),
        )
        .values(state=DeliveryState.GONE, last_error="the device changed hands")
    )
    return device_id


async def remove(session: AsyncSession, *, user_id: int, device_id: int, now: datetime) -> None:
    removed = (
        await session.execute(
            update(PushDevice)
            .where(
                PushDevice.id == device_id,
                PushDevice.user_id == user_id,
                PushDevice.removed_at.is_(None),
            )
            .values(removed_at=now)
            .returning(PushDevice.id)
        )
    ).scalar_one_or_none()
    if removed is None:
        raise ServiceError("NOT_FOUND", "No such device of yours.", ["id"])
    await session.execute(
        update(PushDelivery)
        .where(PushDelivery.device_id == device_id, PushDelivery.state == DeliveryState.PENDING)
        .values(state=DeliveryState.GONE, last_error="the device was removed")
    )


async def set_muted(
    session: AsyncSession, *, user_id: int, category: NotificationCategory, muted: bool
) -> None:
    if muted:
        await session.execute(
            insert(NotificationMute)
            .values(user_id=user_id, category=category)
            .on_conflict_do_nothing()
        )
    else:
        await session.execute(
            delete(NotificationMute).where(
                NotificationMute.user_id == user_id, NotificationMute.category == category
            )
        )
