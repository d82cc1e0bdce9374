"""``chatMarkRead``."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.chats import service
from edom_graphql.chats.access import remember_membership
from edom_graphql.chats.errors import ChatMarkReadError
from edom_graphql.chats.types import Chat, readable_chat
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import pk_of
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field


@strawberry.input(description="How far the viewer has read a chat.")
class ChatMarkReadInput:
    chat_id: strawberry.ID = strawberry.field(description="The chat.")
    message_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Read up to and including this message; omitted: everything so far.",
    )


@strawberry.type(description="Result of `chatMarkRead`.")
class ChatMarkReadPayload(Payload):
    chat: Chat | None = strawberry.field(
        default=None, description="The chat, with its new `unreadCount`."
    )
    user_errors: list[ChatMarkReadError] = user_errors_field()


@strawberry.type
class ChatMarkReadMutation:
    @strawberry.mutation(
        description="Move the viewer's read position in a chat forward (it never moves "
        "back); `unreadCount` counts the messages after it."
    )
    async def chat_mark_read(
        self, info: AppInfo, input: MutationInput[ChatMarkReadInput]
    ) -> ChatMarkReadPayload:
        context = info.context
        user_id = context.require_viewer()
        chat = await readable_chat(context, pk_of(input.chat_id, "Chat"))
        if chat is None:
            return ChatMarkReadPayload.refused(
                ServiceError("CHAT_NOT_FOUND", "No such chat.", ["chatId"])
            )
        chat_id = chat.pk
        up_to: int | None = None
        if input.message_id is not None:
            up_to = pk_of(input.message_id, "ChatMessage")
            if up_to is None:
                up_to = 0  # no message has id 0: NOT_FOUND below

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await service.mark_read(
                session, chat_id=chat_id, user_id=user_id, up_to_message_id=up_to
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return ChatMarkReadPayload.refused(result)
        # A read position changes no membership: the chat stays decided as it was.
        remember_membership(context, chat_id, True)
        return ChatMarkReadPayload(chat=chat)
