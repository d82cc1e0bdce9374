"""``chatMessageEvents``: the live, resumable stream of a chat's messages."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Annotated, Any

import strawberry

from edom_graphql.chats import reads, service
from edom_graphql.chats.access import still_member
from edom_graphql.chats.types import ChatMessageEvent, readable_chat
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.errors import Forbidden
from edom_graphql.core.ids import pk_of
from edom_graphql.core.streams import live_events


@strawberry.type
class ChatSubscriptions:
    @strawberry.subscription(
        description="A chat's messages as they are sent, edited, deleted or removed. With "
        "`after` (a `cursor` of this stream or `Chat.eventsCursor`), first replays every "
        "change since then, in order: a client that reconnects with its last cursor misses "
        "nothing and gets nothing twice. Membership is checked again for every event; the "
        "stream ends with FORBIDDEN once the viewer is no longer a member."
    )
    async def chat_message_events(
        self,
        info: AppInfo,
        chat_id: Annotated[strawberry.ID, strawberry.argument(description="The chat.")],
        after: Annotated[
            str | None,
            strawberry.argument(description="Resume after this event's `cursor`."),
        ] = None,
    ) -> AsyncGenerator[ChatMessageEvent, None]:
        context = info.context
        viewer_id = context.require_viewer()
        # A chat that does not exist and one the viewer is not in refuse alike.
        chat = await readable_chat(context.for_operation(), pk_of(chat_id, "Chat"))
        if chat is None:
            raise Forbidden("You are not a member of this chat.")
        ref = chat.ref
        db = context.db
        live = context.services.live

        async def latest() -> int:
            return await reads.latest_event_id(db, ref.pk)

        async def rows_after(last_id: int, limit: int) -> Sequence[Any]:
            # Subscribers of this chat woken by the same event share one read.
            return await live.once(
                ("chat-events", ref.pk, last_id, limit),
                lambda: reads.events_after(db, ref.pk, last_id, limit),
            )

        async def admit(context: Context, row: Any) -> ChatMessageEvent:
            event = ChatMessageEvent.from_row(row)
            if not await still_member(context, ref, viewer_id, event.message):
                raise Forbidden("You are no longer a member of this chat.")
            return event

        async for event in live_events(
            context,
            service.channel(ref.pk),
            after=after,
            latest=latest,
            rows_after=rows_after,
            admit=admit,
        ):
            yield event
