"""``chatMessageRemove``: staff take an abusive message out of a building chat."""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.chats import reads, service
from edom_graphql.chats.errors import ChatMessageRemoveError
from edom_graphql.chats.models import MAX_REASON_LENGTH, ChatKind
from edom_graphql.chats.reads import ChatRefLoader
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import Target, requires


@strawberry.input(description="An abusive message staff take out of a building chat.")
class ChatMessageRemoveInput:
    message_id: strawberry.ID = strawberry.field(description="The message.")
    reason: str = strawberry.field(
        description=f"Why it is removed (1–{MAX_REASON_LENGTH} characters)."
    )


@strawberry.type(description="Result of `chatMessageRemove`.")
class ChatMessageRemovePayload(Payload):
    removed: bool = strawberry.field(description="The message is now removed.")
    user_errors: list[ChatMessageRemoveError] = user_errors_field()


async def _message_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    """The building of the message's chat (for CHAT_MODERATE)."""
    context = info.context
    pk = expect_id(kwargs["input"].message_id, "ChatMessage", field="messageId")
    chat_pk = await reads.chat_of_message(context.db, pk)
    if chat_pk is None:
        return None
    chat = await ChatRefLoader.of(context).load(chat_pk)
    return Target(building_id=chat.building_pk) if chat is not None else None


@strawberry.type
class ChatMessageRemoveMutation:
    @requires(
        Capability.CHAT_MODERATE,
        _message_building,
        mutation=True,
        description="Staff of the building's organisation take an abusive message out of "
        "the building chat (it stays as REMOVED, without its text).",
    )
    async def chat_message_remove(
        self, info: AppInfo, input: MutationInput[ChatMessageRemoveInput]
    ) -> ChatMessageRemovePayload | None:
        context = info.context
        moderator_id = context.require_viewer()
        message_id = expect_id(input.message_id, "ChatMessage", field="messageId")
        chat_pk = await reads.chat_of_message(context.db, message_id)
        assert chat_pk is not None  # the guard found it
        chat = await ChatRefLoader.of(context).load(chat_pk)
        assert chat is not None
        if chat.kind is not ChatKind.BUILDING:
            return ChatMessageRemovePayload.refused(
                ServiceError("NOT_BUILDING_CHAT", "Not a building chat.", ["messageId"]),
                removed=False,
            )

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await service.remove_message(
                session,
                outbox,
                chat_id=chat_pk,
                message_id=message_id,
                moderator_id=moderator_id,
                reason=input.reason,
                now=context.now,
            )

        result = await commit(context, work)
        return ChatMessageRemovePayload.of(result, removed=result is None)
