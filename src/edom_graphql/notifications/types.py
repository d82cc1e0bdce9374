"""GraphQL types of notifications, push devices and push settings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import (
    Connection,
    build_connection,
    encode_cursor,
    page_request,
)
from edom_graphql.notifications import access, reads
from edom_graphql.notifications.models import NotificationCategory, PushPlatform
from edom_graphql.notifications.service.categories import KIND_PREFIXES


@strawberry.type(description="Something the platform told the viewer.")
class Notification(Node):
    pk: strawberry.Private[int]
    user_pk: strawberry.Private[int]
    subject_type: strawberry.Private[str | None]
    subject_pk: strawberry.Private[int | None]
    kind: str = strawberry.field(
        description="What happened, e.g. `GUEST_ACCESS_GRANTED`, `GUEST_ACCESS_REVOKED`."
    )
    message: str = strawberry.field(description="Text to show.")
    created_at: datetime = strawberry.field(description="When it was sent.")
    read_at: datetime | None = strawberry.field(description="When the viewer marked it read.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Notification:
        return cls(
            id=strawberry.ID(encode_id("Notification", row[0])),
            pk=row[0],
            user_pk=row[1],
            kind=row[2],
            message=row[3],
            subject_type=row[4],
            subject_pk=row[5],
            created_at=row[6],
            read_at=row[7],
        )

    @strawberry.field(
        description="Global id of the object it is about, if any; fetch it with `node`."
    )
    def subject_id(self) -> strawberry.ID | None:
        if self.subject_type is None or self.subject_pk is None:
            return None
        return strawberry.ID(encode_id(self.subject_type, self.subject_pk))

    @strawberry.field(
        description="Position in the viewer's stream: pass it as `after` to "
        "`notificationReceived` to resume without gaps."
    )
    def cursor(self) -> str:
        return encode_cursor(Notification.sort_key(self))

    @staticmethod
    def sort_key(notification: Notification) -> tuple[int]:
        return (notification.pk,)

    @classmethod
    async def load_nodes(
        cls, context: Context, pks: Sequence[int]
    ) -> Sequence[Notification | None]:
        return await NotificationByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Notification) -> Verdict:
        return access.notification_visible(context, node)


@strawberry.type(description="A page of notifications, newest first.")
class NotificationConnection(Connection[Notification]):
    pass


async def notifications_of(
    info: AppInfo, user_id: int, *, first: int, after: str | None, unread_only: bool
) -> NotificationConnection:
    page = page_request(first, after, types=(int,))
    rows = await reads.page_of(info.context.db, user_id, page, unread_only=unread_only)
    connection = build_connection(
        [Notification.from_row(r) for r in rows], page, Notification.sort_key
    )
    return NotificationConnection(edges=connection.edges, page_info=connection.page_info)


class NotificationByIdLoader(ByIdLoader[Notification]):
    query = reads.NOTIFICATION_BY_ID
    convert = Notification.from_row


graphql_enum(
    PushPlatform,
    "Where a device receives pushes.",
    {
        PushPlatform.WEB_PUSH: "A browser's Web Push subscription (VAPID, RFC 8291).",
        PushPlatform.FCM: "Firebase Cloud Messaging (Android) registration token.",
        PushPlatform.APNS: "Apple Push Notification service device token (iOS).",
    },
)
graphql_enum(
    NotificationCategory,
    "Kinds of notifications a user can keep off their phones.",
    {
        NotificationCategory.VEHICLE_CONTACT: "Someone wants the owner of a car to move it.",
        NotificationCategory.INTERCOM_CALL: "A ring at the intercom panel for the premise.",
        NotificationCategory.DIRECT_MESSAGE: "A new message in one of the user's chats.",
        NotificationCategory.MEETINGS: "Owners' meetings: scheduled, voting, results.",
        NotificationCategory.REPAIRS: "Status of the user's repair requests.",
        NotificationCategory.BUILDING_NOTICES: "Notices of the management organisation.",
    },
)


@strawberry.type(description="A device of the viewer's that receives push notifications.")
class Device(Node):
    pk: strawberry.Private[int]
    user_pk: strawberry.Private[int]
    removed: strawberry.Private[bool]
    platform: PushPlatform = strawberry.field(description="Where it receives pushes.")
    name: str = strawberry.field(description="The name the viewer gave it.")
    created_at: datetime = strawberry.field(description="When it was first registered.")
    updated_at: datetime = strawberry.field(description="When it was last registered.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Device:
        return cls(
            id=strawberry.ID(encode_id("Device", row[0])),
            pk=row[0],
            user_pk=row[1],
            platform=PushPlatform(row[2]),
            name=row[3],
            created_at=row[4],
            updated_at=row[5],
            removed=row[6] is not None,
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Device | None]:
        return await DeviceByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Device) -> Verdict:
        return access.device_visible(context, node)


class DeviceByIdLoader(ByIdLoader[Device]):
    query = reads.DEVICE_BY_ID
    convert = Device.from_row


@strawberry.type(description="One category of notifications and whether it is muted.")
class NotificationCategorySetting:
    kind: NotificationCategory = strawberry.field(description="The category.")
    muted: bool = strawberry.field(description="Kept off the viewer's devices.")

    @strawberry.field(description="The notification kinds (or kind prefixes) it covers.")
    def notification_kinds(self) -> list[str]:
        return list(KIND_PREFIXES[self.kind])


@strawberry.type(description="The viewer's push settings.")
class NotificationSettings:
    muted: list[NotificationCategory] = strawberry.field(
        description="Categories not pushed to the viewer's devices (still in `notifications`)."
    )

    @strawberry.field(description="Every category, muted or not.")
    def categories(self) -> list[NotificationCategorySetting]:
        return [
            NotificationCategorySetting(kind=kind, muted=kind in self.muted)
            for kind in NotificationCategory
        ]


async def devices_of(info: AppInfo, user_id: int) -> list[Device]:
    """The user's live devices (at most 20), oldest first."""
    return [
        Device.from_row(row) for row in await reads.devices_of(info.context.db, user_id=user_id)
    ]


async def settings_of(info: AppInfo, user_id: int) -> NotificationSettings:
    return NotificationSettings(muted=await reads.muted_of(info.context.db, user_id=user_id))
