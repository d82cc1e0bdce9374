"""``chatMessageEdit``."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.chats import service
from edom_graphql.chats.access import may_write_in
from edom_graphql.chats.errors import ChatMessageEditError
from edom_graphql.chats.models import MAX_MESSAGE_LENGTH
from edom_graphql.chats.types import ChatMessage, readable_message
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import pk_of
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field


@strawberry.input(description="New text for the viewer's message.")
class ChatMessageEditInput:
    message_id: strawberry.ID = strawberry.field(description="The message.")
    body: str = strawberry.field(description=f"Text (1–{MAX_MESSAGE_LENGTH} characters).")


@strawberry.type(description="Result of `chatMessageEdit`.")
class ChatMessageEditPayload(Payload):
    message: ChatMessage | None = strawberry.field(
        default=None, description="The message as it is now."
    )
    user_errors: list[ChatMessageEditError] = user_errors_field()


@strawberry.type
class ChatMessageEditMutation:
    @strawberry.mutation(description="Change the text of the viewer's own message.")
    async def chat_message_edit(
        self, info: AppInfo, input: MutationInput[ChatMessageEditInput]
    ) -> ChatMessageEditPayload:
        context = info.context
        user_id = context.require_viewer()
        found = await readable_message(context, pk_of(input.message_id, "ChatMessage"))
        if found is None:
            return ChatMessageEditPayload.refused(
                ServiceError("MESSAGE_NOT_FOUND", "No such message.", ["messageId"])
            )
        if not await may_write_in(context, found.chat_pk):
            return ChatMessageEditPayload.refused(
                ServiceError("NOT_ALLOWED", "You may not write in this chat now.", ["messageId"])
            )
        chat_id, message_id = found.chat_pk, found.pk

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await service.edit_message(
                session,
                outbox,
                chat_id=chat_id,
                message_id=message_id,
                user_id=user_id,
                body=input.body,
                now=context.now,
            )

        result = await commit(context, work)
        return ChatMessageEditPayload.of(
            result, message=await readable_message(context, message_id)
        )
