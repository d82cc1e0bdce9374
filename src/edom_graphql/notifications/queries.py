"""``webPushPublicKey``: what a browser subscribes with."""

from __future__ import annotations

import strawberry

from edom_graphql.core.context import AppInfo
from edom_graphql.notifications.service.push import public_key_of


@strawberry.type
class NotificationQueries:
    @strawberry.field(
        description="The server's VAPID public key (base64url, uncompressed P-256 point): "
        "pass it as `applicationServerKey` to `PushManager.subscribe`, then register the "
        "subscription with `deviceRegister`."
    )
    def web_push_public_key(self, info: AppInfo) -> str:
        return public_key_of(info.context.services.settings)
