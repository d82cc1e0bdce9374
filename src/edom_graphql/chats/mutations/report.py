"""``chatMessageReport``: a member reports an abusive building-chat message to its
moderators."""

from __future__ import annotations

from datetime import timedelta

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.chats import service
from edom_graphql.chats.errors import ChatMessageReportError
from edom_graphql.chats.models import MAX_REASON_LENGTH, ChatKind
from edom_graphql.chats.reads import ChatRefLoader
from edom_graphql.chats.types import readable_message
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import pk_of
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.ratelimit import RateLimit, Window

REPORT_LIMIT = RateLimit(
    "chat_message_report", (Window(10, timedelta(hours=1)), Window(50, timedelta(days=1)))
)


@strawberry.input(description="An abusive message of a building chat, for its moderators.")
class ChatMessageReportInput:
    message_id: strawberry.ID = strawberry.field(description="The message.")
    reason: str = strawberry.field(
        description=f"What is wrong with it (1–{MAX_REASON_LENGTH} characters)."
    )


@strawberry.type(description="Result of `chatMessageReport`.")
class ChatMessageReportPayload(Payload):
    reported: bool = strawberry.field(
        description="The viewer's report is on record (also when they had reported it before; "
        "the moderators are told once)."
    )
    user_errors: list[ChatMessageReportError] = user_errors_field()


@strawberry.type
class ChatMessageReportMutation:
    @strawberry.mutation(
        description="Report an abusive message of a building chat the viewer is in: the "
        "organisation's moderators (CHAT_MODERATE) are notified with an excerpt, may read "
        "that message by `node` and remove it (`chatMessageRemove`).",
        directives=REPORT_LIMIT.directives,
    )
    @REPORT_LIMIT
    async def chat_message_report(
        self, info: AppInfo, input: MutationInput[ChatMessageReportInput]
    ) -> ChatMessageReportPayload:
        context = info.context
        reporter_id = context.require_viewer()
        message = await readable_message(context, pk_of(input.message_id, "ChatMessage"))
        if message is None:
            return ChatMessageReportPayload.refused(
                ServiceError("MESSAGE_NOT_FOUND", "No such message.", ["messageId"]),
                reported=False,
            )
        chat = await ChatRefLoader.of(context).load(message.chat_pk)
        assert chat is not None
        if chat.kind is not ChatKind.BUILDING:
            return ChatMessageReportPayload.refused(
                ServiceError("NOT_BUILDING_CHAT", "Not a building chat.", ["messageId"]),
                reported=False,
            )
        message_id, building_id = message.pk, chat.building_pk

        async def work(session: AsyncSession, outbox: Outbox) -> bool:
            moderators = await service.moderators_of(session, building_id=building_id)
            return await service.report_message(
                session,
                outbox,
                message_id=message_id,
                reporter_id=reporter_id,
                reason=input.reason,
                moderator_ids=moderators,
            )

        result = await commit(context, work)
        return ChatMessageReportPayload.of(result, reported=not isinstance(result, ServiceError))
