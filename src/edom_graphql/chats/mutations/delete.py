"""``chatMessageDelete``."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.chats import service
from edom_graphql.chats.errors import ChatMessageDeleteError
from edom_graphql.chats.types import ChatMessage, readable_message
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import pk_of
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field


@strawberry.input(description="The viewer's message to delete.")
class ChatMessageDeleteInput:
    message_id: strawberry.ID = strawberry.field(description="The message.")


@strawberry.type(description="Result of `chatMessageDelete`.")
class ChatMessageDeletePayload(Payload):
    message: ChatMessage | None = strawberry.field(
        default=None, description="The message as it is now."
    )
    user_errors: list[ChatMessageDeleteError] = user_errors_field()


@strawberry.type
class ChatMessageDeleteMutation:
    @strawberry.mutation(
        description="Delete the viewer's own message: it stays in the chat as DELETED, "
        "without its text."
    )
    async def chat_message_delete(
        self, info: AppInfo, input: MutationInput[ChatMessageDeleteInput]
    ) -> ChatMessageDeletePayload:
        context = info.context
        user_id = context.require_viewer()
        found = await readable_message(context, pk_of(input.message_id, "ChatMessage"))
        if found is None:
            return ChatMessageDeletePayload.refused(
                ServiceError("MESSAGE_NOT_FOUND", "No such message.", ["messageId"])
            )
        chat_id, message_id = found.chat_pk, found.pk

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await service.delete_message(
                session,
                outbox,
                chat_id=chat_id,
                message_id=message_id,
                user_id=user_id,
                now=context.now,
            )

        result = await commit(context, work)
        return ChatMessageDeletePayload.of(
            result, message=await readable_message(context, message_id)
        )
