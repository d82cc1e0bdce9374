"""``chatMessageSend``."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.chats import service
from edom_graphql.chats.access import can_write
from edom_graphql.chats.errors import ChatMessageSendError
from edom_graphql.chats.models import MAX_MESSAGE_LENGTH, ChatKind
from edom_graphql.chats.reads import ChatRef
from edom_graphql.chats.types import ChatMessage, readable_chat, readable_message
from edom_graphql.core.capabilities import MATRIX, Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import pk_of
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.notifications.service import messages
from edom_graphql.notifications.service.messages import Message


@strawberry.input(description="A message to send.")
class ChatMessageSendInput:
    chat_id: strawberry.ID = strawberry.field(description="The chat.")
    body: str = strawberry.field(description=f"Text (1–{MAX_MESSAGE_LENGTH} characters).")
    client_key: str | None = strawberry.field(
        default=None,
        description="A key the client chooses per message (e.g. a UUID): sending again with "
        "the same key, after a timeout, returns the first message instead of a duplicate.",
    )


@strawberry.type(description="Result of `chatMessageSend`.")
class ChatMessageSendPayload(Payload):
    message: ChatMessage | None = strawberry.field(default=None, description="The message sent.")
    user_errors: list[ChatMessageSendError] = user_errors_field()


async def _to_notify(context: Context, chat: ChatRef, author_id: int) -> tuple[list[int], Message]:
    """Who is told of a new message by a notification, and how it is introduced: the
    other member of a direct chat; the occupants of the premise when its management
    organisation answers. Building chats and occupants' questions to the organisation
    are followed through `viewer.chats` and unread counts only."""
    if chat.kind is ChatKind.DIRECT:
        other = chat.other_participant(author_id)
        return ([other] if other is not None else []), messages.CHAT_DIRECT_MESSAGE
    if chat.kind is ChatKind.MANAGEMENT:
        assert chat.premise_pk is not None
        occupants = await context.gate.occupants(chat.premise_pk)
        if author_id in occupants:
            return [], messages.CHAT_MESSAGE
        members = MATRIX[Capability.MANAGEMENT_CHAT].tiers
        return sorted(
            u for u, tier in occupants.items() if tier in members
        ), messages.CHAT_MANAGEMENT_REPLY
    return [], messages.CHAT_MESSAGE


@strawberry.type
class ChatMessageSendMutation:
    @strawberry.mutation(
        description="Send a message to a chat the viewer is a member of (see `Chat`); at "
        f"most {service.SEND_LIMITS[0].limit} a minute (RATE_LIMITED with `retryAfter`)."
    )
    async def chat_message_send(
        self, info: AppInfo, input: MutationInput[ChatMessageSendInput]
    ) -> ChatMessageSendPayload:
        context = info.context
        author_id = context.require_viewer()
        chat = await readable_chat(context, pk_of(input.chat_id, "Chat"))
        if chat is None:
            return ChatMessageSendPayload.refused(
                ServiceError("CHAT_NOT_FOUND", "No such chat.", ["chatId"])
            )
        if not await can_write(context, chat.ref):
            return ChatMessageSendPayload.refused(
                ServiceError("NOT_ALLOWED", "You may not write in this chat now.", ["chatId"])
            )
        chat_id = chat.pk
        recipients, notice = await _to_notify(context, chat.ref, author_id)

        async def work(session: AsyncSession, outbox: Outbox) -> service.Sent:
            return await service.send_message(
                session,
                outbox,
                chat_id=chat_id,
                author_id=author_id,
                body=input.body,
                client_key=input.client_key,
                now=context.now,
                notify_user_ids=recipients,
                notice=notice,
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return ChatMessageSendPayload.refused(result)
        return ChatMessageSendPayload(message=await readable_message(context, result.message_id))
