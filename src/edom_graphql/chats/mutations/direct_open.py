"""``chatDirectOpen``."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.chats import service
from edom_graphql.chats.access import shared_direct_chat_buildings
from edom_graphql.chats.errors import ChatDirectOpenError
from edom_graphql.chats.types import Chat, readable_chat
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import pk_of
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field


@strawberry.input(description="The user to chat with.")
class ChatDirectOpenInput:
    user_id: strawberry.ID = strawberry.field(description="The other user.")


@strawberry.type(description="Result of `chatDirectOpen`.")
class ChatDirectOpenPayload(Payload):
    chat: Chat | None = strawberry.field(
        default=None, description="The direct chat of the two users."
    )
    user_errors: list[ChatDirectOpenError] = user_errors_field()


@strawberry.type
class ChatDirectOpenMutation:
    @strawberry.mutation(
        description="The direct chat with another user, opened on first use. Both must "
        "share a building where both hold DIRECT_CHAT."
    )
    async def chat_direct_open(
        self, info: AppInfo, input: MutationInput[ChatDirectOpenInput]
    ) -> ChatDirectOpenPayload:
        context = info.context
        user_id = context.require_viewer()
        other_id = pk_of(input.user_id, "User")
        if other_id == user_id:
            return ChatDirectOpenPayload.refused(ServiceError("SELF", "That is you.", ["userId"]))
        shared = (
            shared_direct_chat_buildings(
                await context.profile(), await context.profile_of(other_id)
            )
            if other_id is not None
            else []
        )
        if other_id is None or not shared:
            return ChatDirectOpenPayload.refused(
                ServiceError("NO_SHARED_BUILDING", "You do not share a building.", ["userId"])
            )
        other = other_id

        async def work(session: AsyncSession, outbox: Outbox) -> int:
            return await service.open_direct_chat(
                session, user_id=user_id, other_id=other, building_id=shared[0]
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return ChatDirectOpenPayload.refused(result)
        return ChatDirectOpenPayload(chat=await readable_chat(context, result))
