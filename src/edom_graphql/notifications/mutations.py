"""``notificationMarkRead``, ``deviceRegister``, ``deviceRemove``, ``notificationMute`` and
``notificationUnmute``."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import pk_of
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.notifications import reads, service
from edom_graphql.notifications.errors import (
    MAX_MARK_READ,
    DeviceRegisterError,
    DeviceRemoveError,
    NotificationMarkReadError,
)
from edom_graphql.notifications.models import NotificationCategory, PushPlatform
from edom_graphql.notifications.service import devices
from edom_graphql.notifications.types import (
    Device,
    DeviceByIdLoader,
    NotificationSettings,
    settings_of,
)


@strawberry.input(description="Which notifications to mark read.")
class NotificationMarkReadInput:
    ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description=f"Notifications to mark read (at most {MAX_MARK_READ})."
    )
    all: bool = strawberry.field(default=False, description="Mark every notification read.")


@strawberry.type(description="Result of `notificationMarkRead`.")
class NotificationMarkReadPayload(Payload):
    marked_count: int = strawberry.field(description="How many were unread and are now read.")
    unread_count: int = strawberry.field(description="Unread notifications left.")
    user_errors: list[NotificationMarkReadError] = user_errors_field()


def _ids(input: NotificationMarkReadInput) -> list[int] | None:
    if input.all:
        return None
    if not input.ids:
        raise ServiceError("NOTHING_SELECTED", "Give `ids` or set `all`.", ["ids"])
    if len(input.ids) > MAX_MARK_READ:
        raise ServiceError("TOO_MANY_IDS", f"At most {MAX_MARK_READ} ids at once.", ["ids"])
    pks = []
    for index, global_id in enumerate(input.ids):
        pk = pk_of(global_id, "Notification")
        if pk is None:
            raise ServiceError("INVALID_ID", "Not a notification id.", ["ids", str(index)])
        pks.append(pk)
    return pks


@strawberry.input(description="A Web Push subscription's keys (`PushSubscription.toJSON().keys`).")
class PushKeysInput:
    p256dh: str = strawberry.field(description="The P-256 public key (65 bytes, base64url).")
    auth: str = strawberry.field(description="The authentication secret (16 bytes, base64url).")


@strawberry.input(description="A device that is to receive the viewer's notifications.")
class DeviceRegisterInput:
    platform: PushPlatform = strawberry.field(description="Where it receives pushes.")
    endpoint: str | None = strawberry.field(
        default=None, description="Web Push: the subscription's endpoint (an https URL)."
    )
    token: str | None = strawberry.field(
        default=None, description="FCM: the registration token; APNs: the device token (hex)."
    )
    keys: PushKeysInput | None = strawberry.field(
        default=None, description="Web Push: the subscription's keys."
    )
    device_name: str | None = strawberry.field(
        default=None, description="A name to tell it apart, e.g. `Pixel 8` (at most 80)."
    )


@strawberry.type(description="Result of `deviceRegister`.")
class DeviceRegisterPayload(Payload):
    device: Device | None = strawberry.field(default=None, description="The device.")
    user_errors: list[DeviceRegisterError] = user_errors_field()


@strawberry.input(description="A device to stop pushing to.")
class DeviceRemoveInput:
    id: strawberry.ID = strawberry.field(description="The device.")


@strawberry.type(description="Result of `deviceRemove`.")
class DeviceRemovePayload(Payload):
    removed_device_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the device removed."
    )
    user_errors: list[DeviceRemoveError] = user_errors_field()


@strawberry.input(description="A category of notifications to mute or unmute.")
class NotificationMuteInput:
    kind: NotificationCategory = strawberry.field(description="The category.")


@strawberry.type(description="Result of `notificationMute` and `notificationUnmute`.")
class NotificationMutePayload:
    notification_settings: NotificationSettings = strawberry.field(
        description="The viewer's push settings now."
    )


def _target(
    input: DeviceRegisterInput, *, allow_loopback_http: bool
) -> tuple[str, str | None, str | None, str]:
    """The endpoint (or token), keys and name to register."""
    name = devices.device_name(input.platform, input.device_name)
    if input.platform is PushPlatform.WEB_PUSH:
        endpoint = devices.web_push_endpoint(
            input.endpoint or "", allow_loopback_http=allow_loopback_http
        )
        keys = input.keys
        p256dh, auth = devices.web_push_keys(
            keys.p256dh if keys else None, keys.auth if keys else None
        )
        return endpoint, p256dh, auth, name
    if input.keys is not None:
        raise ServiceError("INVALID_KEYS", "Only Web Push subscriptions have keys.", ["keys"])
    token = devices.native_token(input.platform, input.token or "")
    return token, None, None, name


@strawberry.type
class NotificationMutations:
    @strawberry.mutation(description="Mark some or all of the viewer's notifications read.")
    async def notification_mark_read(
        self, info: AppInfo, input: MutationInput[NotificationMarkReadInput]
    ) -> NotificationMarkReadPayload:
        context = info.context
        user_id = context.require_viewer()

        async def work(session: AsyncSession, outbox: Outbox) -> list[int]:
            ids = _ids(input)
            return await service.mark_read(session, user_id=user_id, ids=ids, now=context.now)

        result = await commit(context, work)
        unread = await reads.unread_count(context.db, user_id=user_id)
        if isinstance(result, ServiceError):
            return NotificationMarkReadPayload.refused(result, marked_count=0, unread_count=unread)
        return NotificationMarkReadPayload(marked_count=len(result), unread_count=unread)

    @strawberry.mutation(
        description="Register the viewer's device for push notifications; registering the "
        "same endpoint or token again updates it (and moves it to the viewer)."
    )
    async def device_register(
        self, info: AppInfo, input: MutationInput[DeviceRegisterInput]
    ) -> DeviceRegisterPayload:
        context = info.context
        user_id = context.require_viewer()
        development = context.services.settings.environment == "development"

        async def work(session: AsyncSession, outbox: Outbox) -> int:
            endpoint, p256dh, auth, name = _target(input, allow_loopback_http=development)
            return await devices.register(
                session,
                user_id=user_id,
                platform=input.platform,
                endpoint=endpoint,
                p256dh=p256dh,
                auth=auth,
                name=name,
                now=context.now,
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return DeviceRegisterPayload.refused(result)
        return DeviceRegisterPayload(device=await DeviceByIdLoader.of(context).load(result))

    @strawberry.mutation(description="Stop pushing to one of the viewer's devices.")
    async def device_remove(
        self, info: AppInfo, input: MutationInput[DeviceRemoveInput]
    ) -> DeviceRemovePayload:
        context = info.context
        user_id = context.require_viewer()

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            device_id = pk_of(input.id, "Device")
            if device_id is None:
                raise ServiceError("NOT_FOUND", "Not a device id.", ["id"])
            await devices.remove(session, user_id=user_id, device_id=device_id, now=context.now)

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return DeviceRemovePayload.refused(result)
        return DeviceRemovePayload(removed_device_id=input.id)

    @strawberry.mutation(
        description="Keep a category of notifications off the viewer's devices (they still "
        "appear in `viewer.notifications`)."
    )
    async def notification_mute(
        self, info: AppInfo, input: MutationInput[NotificationMuteInput]
    ) -> NotificationMutePayload:
        return await _set_muted(info, input.kind, muted=True)

    @strawberry.mutation(description="Push a muted category of notifications again.")
    async def notification_unmute(
        self, info: AppInfo, input: MutationInput[NotificationMuteInput]
    ) -> NotificationMutePayload:
        return await _set_muted(info, input.kind, muted=False)


async def _set_muted(
    info: AppInfo, category: NotificationCategory, *, muted: bool
) -> NotificationMutePayload:
    context = info.context
    user_id = context.require_viewer()

    async def work(session: AsyncSession, outbox: Outbox) -> None:
        await devices.set_muted(session, user_id=user_id, category=category, muted=muted)

    await commit(context, work)
    return NotificationMutePayload(notification_settings=await settings_of(info, user_id))
