"""Root fields of chats: sending, editing, deleting, removing and reading messages,
opening direct chats, and the live, resumable stream of a chat's messages.

A chat that does not exist and a chat the viewer is not a member of look the same from
outside (``CHAT_NOT_FOUND``, ``MESSAGE_NOT_FOUND``, a null ``node``, a FORBIDDEN
subscription): nobody can probe which chats exist.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.chats import service
from edom_graphql.chats.access import ChatRef, can_write, may_read, remember_membership
from edom_graphql.chats.access import shared_direct_chat_buildings as shared_buildings
from edom_graphql.chats.models import MAX_CLIENT_KEY_LENGTH, MAX_MESSAGE_LENGTH, ChatKind
from edom_graphql.chats.models import MAX_REASON_LENGTH as MAX_REMOVAL_REASON
from edom_graphql.chats.types import (
    MESSAGES_BY_ID,
    Chat,
    ChatByIdLoader,
    ChatMessage,
    ChatMessageEvent,
    events_after,
    latest_event_id,
)
from edom_graphql.core.capabilities import MATRIX, Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.db import Outbox, run_in_transaction
from edom_graphql.core.errors import Forbidden, ServiceError, Unauthenticated
from edom_graphql.core.ids import expect_id, pk_of
from edom_graphql.core.nodes import visible
from edom_graphql.core.pagination import decode_cursor
from edom_graphql.core.permissions import Target, requires
from edom_graphql.core.ratelimit import RateLimit, Window
from edom_graphql.core.streams import follow
from edom_graphql.core.user_errors import MutationInput, UserError, error_codes, errors_of

_CHAT_NOT_FOUND = {"CHAT_NOT_FOUND": "No such chat, or the viewer is not a member of it."}
_MESSAGE_NOT_FOUND = {
    "MESSAGE_NOT_FOUND": "No such message, or the viewer is not a member of its chat."
}
_TEXT_CODES = {
    "BLANK": "The text is empty.",
    "TOO_LONG": f"The text is longer than {MAX_MESSAGE_LENGTH} characters.",
}
_OWN_CODES = {
    "NOT_AUTHOR": "Only the message's author may do this.",
    "GONE": "The message was deleted or removed.",
}
_WRITE_CODES = {
    "NOT_ALLOWED": "The viewer is a member but may not write here now (a direct chat whose "
    "members no longer share a building)."
}

ChatMessageSendErrorCode = error_codes(
    "ChatMessageSendErrorCode",
    "Why a message could not be sent.",
    {
        **_CHAT_NOT_FOUND,
        **_WRITE_CODES,
        **_TEXT_CODES,
        "INVALID_CLIENT_KEY": f"The client key is not 1–{MAX_CLIENT_KEY_LENGTH} printable "
        "characters.",
    },
)
ChatMessageEditErrorCode = error_codes(
    "ChatMessageEditErrorCode",
    "Why a message could not be changed.",
    {**_MESSAGE_NOT_FOUND, **_WRITE_CODES, **_OWN_CODES, **_TEXT_CODES},
)
ChatMessageDeleteErrorCode = error_codes(
    "ChatMessageDeleteErrorCode",
    "Why a message could not be deleted.",
    {**_MESSAGE_NOT_FOUND, **_OWN_CODES},
)
ChatMessageRemoveErrorCode = error_codes(
    "ChatMessageRemoveErrorCode",
    "Why a message could not be removed.",
    {
        "NOT_BUILDING_CHAT": "Staff remove messages of building chats only.",
        "GONE": "The message was already deleted or removed.",
        "BLANK": "The reason is empty.",
        "TOO_LONG": f"The reason is longer than {MAX_REMOVAL_REASON} characters.",
    },
)
ChatMessageReportErrorCode = error_codes(
    "ChatMessageReportErrorCode",
    "Why a message could not be reported.",
    {
        **_MESSAGE_NOT_FOUND,
        "NOT_BUILDING_CHAT": "Only messages of building chats are reported to moderators.",
        "OWN_MESSAGE": "The viewer wrote it.",
        "GONE": "The message was deleted or removed.",
        "BLANK": "The reason is empty.",
        "TOO_LONG": f"The reason is longer than {MAX_REMOVAL_REASON} characters.",
    },
)
ChatMarkReadErrorCode = error_codes(
    "ChatMarkReadErrorCode",
    "Why the read position could not be moved.",
    {
        **_CHAT_NOT_FOUND,
        "NOT_FOUND": "The message is not in this chat.",
    },
)
ChatDirectOpenErrorCode = error_codes(
    "ChatDirectOpenErrorCode",
    "Why a direct chat could not be opened.",
    {
        "SELF": "A direct chat needs another user.",
        "NO_SHARED_BUILDING": "The two users do not share a building where both may chat "
        "directly (or there is no such user).",
    },
)


@strawberry.type(description="A reason `chatMessageSend` refused.")
class ChatMessageSendError(UserError):
    code: ChatMessageSendErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="A reason `chatMessageEdit` refused.")
class ChatMessageEditError(UserError):
    code: ChatMessageEditErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="A reason `chatMessageDelete` refused.")
class ChatMessageDeleteError(UserError):
    code: ChatMessageDeleteErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="A reason `chatMessageRemove` refused.")
class ChatMessageRemoveError(UserError):
    code: ChatMessageRemoveErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="A reason `chatMessageReport` refused.")
class ChatMessageReportError(UserError):
    code: ChatMessageReportErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="A reason `chatMarkRead` refused.")
class ChatMarkReadError(UserError):
    code: ChatMarkReadErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="A reason `chatDirectOpen` refused.")
class ChatDirectOpenError(UserError):
    code: ChatDirectOpenErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.input(description="A message to send.")
class ChatMessageSendInput:
    chat_id: strawberry.ID = strawberry.field(description="The chat.")
    body: str = strawberry.field(description=f"Text (1–{MAX_MESSAGE_LENGTH} characters).")
    client_key: str | None = strawberry.field(
        default=None,
        description="A key the client chooses per message (e.g. a UUID): sending again with "
        "the same key, after a timeout, returns the first message instead of a duplicate.",
    )


@strawberry.input(description="New text for the viewer's message.")
class ChatMessageEditInput:
    message_id: strawberry.ID = strawberry.field(description="The message.")
    body: str = strawberry.field(description=f"Text (1–{MAX_MESSAGE_LENGTH} characters).")


@strawberry.input(description="The viewer's message to delete.")
class ChatMessageDeleteInput:
    message_id: strawberry.ID = strawberry.field(description="The message.")


@strawberry.input(description="An abusive message staff take out of a building chat.")
class ChatMessageRemoveInput:
    message_id: strawberry.ID = strawberry.field(description="The message.")
    reason: str = strawberry.field(
        description=f"Why it is removed (1–{MAX_REMOVAL_REASON} characters)."
    )


@strawberry.input(description="An abusive message of a building chat, for its moderators.")
class ChatMessageReportInput:
    message_id: strawberry.ID = strawberry.field(description="The message.")
    reason: str = strawberry.field(
        description=f"What is wrong with it (1–{MAX_REMOVAL_REASON} characters)."
    )


@strawberry.input(description="How far the viewer has read a chat.")
class ChatMarkReadInput:
    chat_id: strawberry.ID = strawberry.field(description="The chat.")
    message_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Read up to and including this message; omitted: everything so far.",
    )


@strawberry.input(description="The user to chat with.")
class ChatDirectOpenInput:
    user_id: strawberry.ID = strawberry.field(description="The other user.")


@strawberry.type(description="Result of `chatMessageSend`.")
class ChatMessageSendPayload:
    message: ChatMessage | None = strawberry.field(description="The message sent.")
    user_errors: list[ChatMessageSendError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.type(description="Result of `chatMessageEdit`.")
class ChatMessageEditPayload:
    message: ChatMessage | None = strawberry.field(description="The message as it is now.")
    user_errors: list[ChatMessageEditError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.type(description="Result of `chatMessageDelete`.")
class ChatMessageDeletePayload:
    message: ChatMessage | None = strawberry.field(description="The message as it is now.")
    user_errors: list[ChatMessageDeleteError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.type(description="Result of `chatMessageRemove`.")
class ChatMessageRemovePayload:
    removed: bool = strawberry.field(description="The message is now removed.")
    user_errors: list[ChatMessageRemoveError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.type(description="Result of `chatMessageReport`.")
class ChatMessageReportPayload:
    reported: bool = strawberry.field(
        description="The viewer's report is on record (also when they had reported it before; "
        "the moderators are told once)."
    )
    user_errors: list[ChatMessageReportError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.type(description="Result of `chatMarkRead`.")
class ChatMarkReadPayload:
    chat: Chat | None = strawberry.field(description="The chat, with its new `unreadCount`.")
    user_errors: list[ChatMarkReadError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.type(description="Result of `chatDirectOpen`.")
class ChatDirectOpenPayload:
    chat: Chat | None = strawberry.field(description="The direct chat of the two users.")
    user_errors: list[ChatDirectOpenError] = strawberry.field(
        description="Business errors; empty on success."
    )


# -- finding what the viewer may see -------------------------------------------------


async def _readable_chat(context: Context, chat_id: int) -> Chat | None:
    (chat,) = await Chat.load_nodes(context, [chat_id])
    return await visible(context, chat)


async def _readable_message(context: Context, message_id: int) -> ChatMessage | None:
    (message,) = await ChatMessage.load_nodes(context, [message_id])
    return await visible(context, message)


def _refusal(code: str, message: str, field: str) -> ServiceError:
    return ServiceError(code, message, [field])


async def _message_in_writable_chat(
    context: Context, message_global_id: str, *, write: bool
) -> ChatMessage | ServiceError:
    """The viewer's view of a message they may act on, or why not."""
    pk = pk_of(message_global_id, "ChatMessage")
    message = await _readable_message(context, pk) if pk is not None else None
    if message is None:
        return _refusal("MESSAGE_NOT_FOUND", "No such message.", "messageId")
    if write:
        chat = await ChatByIdLoader.of(context).load(message.chat_pk)
        assert chat is not None
        if not await can_write(context, chat.ref):
            return _refusal("NOT_ALLOWED", "You may not write in this chat now.", "messageId")
    return message


@dataclass(frozen=True, slots=True)
class OwnChange:
    """The author's change to one of their messages, as the service verbs take it."""

    chat_id: int
    message_id: int
    user_id: int
    now: datetime

    @property
    def keys(self) -> dict[str, Any]:
        return {
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "user_id": self.user_id,
            "now": self.now,
        }


async def _change_own_message(
    context: Context,
    message_global_id: str,
    change: Callable[[AsyncSession, Outbox, OwnChange], Awaitable[None]],
    *,
    needs_write: bool,
) -> tuple[ChatMessage | None, ServiceError | None]:
    """Run an author's change to their message; the message as it is now (if the viewer
    may see it) and the refusal, if any."""
    user_id = context.require_viewer()
    found = await _message_in_writable_chat(context, message_global_id, write=needs_write)
    if isinstance(found, ServiceError):
        return None, found
    own = OwnChange(found.chat_pk, found.pk, user_id, context.now)

    async def work(session: AsyncSession, outbox: Outbox) -> None:
        await change(session, outbox, own)

    result = await run_in_transaction(context.db, work)
    message = await _readable_message(context.after_write(), found.pk)
    return message, result if isinstance(result, ServiceError) else None


async def _to_notify(context: Context, chat: ChatRef, author_id: int) -> tuple[list[int], str]:
    """Who is told of a new message by a notification, and how it is introduced: the
    other member of a direct chat; the occupants of the premise when its management
    organisation answers. Building chats and occupants' questions to the organisation
    are followed through `viewer.chats` and unread counts only."""
    if chat.kind is ChatKind.DIRECT:
        other = chat.other_participant(author_id)
        return ([other] if other is not None else []), "Личное сообщение"
    if chat.kind is ChatKind.MANAGEMENT:
        assert chat.premise_pk is not None
        occupants = await context.gate.occupants(chat.premise_pk)
        if author_id in occupants:
            return [], ""
        members = MATRIX[Capability.MANAGEMENT_CHAT].tiers
        return sorted(u for u, tier in occupants.items() if tier in members), (
            "Ответ управляющей организации"
        )
    return [], ""


async def _message_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    """The building of the message's chat (for CHAT_MODERATE)."""
    pk = expect_id(kwargs["input"].message_id, "ChatMessage", field="messageId")
    row = await info.context.db.fetch_one(MESSAGES_BY_ID, keys=[pk])
    if row is None:
        return None
    chat = await ChatByIdLoader.of(info.context).load(row[1])
    return Target(building_id=chat.ref.building_pk) if chat is not None else None


REPORT_LIMIT = RateLimit(
    "chat_message_report", (Window(10, timedelta(hours=1)), Window(50, timedelta(days=1)))
)


@strawberry.type
class ChatMutations:
    @strawberry.mutation(
        description="Send a message to a chat the viewer is a member of (see `Chat`); at "
        f"most {service.SEND_LIMITS[0].limit} a minute (RATE_LIMITED with `retryAfter`)."
    )
    async def chat_message_send(
        self, info: AppInfo, input: MutationInput[ChatMessageSendInput]
    ) -> ChatMessageSendPayload:
        context = info.context
        author_id = context.require_viewer()
        pk = pk_of(input.chat_id, "Chat")
        chat = await _readable_chat(context, pk) if pk is not None else None
        result: service.Sent | ServiceError
        if chat is None:
            result = _refusal("CHAT_NOT_FOUND", "No such chat.", "chatId")
        elif not await can_write(context, chat.ref):
            result = _refusal("NOT_ALLOWED", "You may not write in this chat now.", "chatId")
        else:
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

            result = await run_in_transaction(context.db, work)
        if isinstance(result, ServiceError):
            return ChatMessageSendPayload(
                message=None,
                user_errors=errors_of(result, ChatMessageSendError, ChatMessageSendErrorCode),
            )
        return ChatMessageSendPayload(
            message=await _readable_message(context.after_write(), result.message_id),
            user_errors=[],
        )

    @strawberry.mutation(description="Change the text of the viewer's own message.")
    async def chat_message_edit(
        self, info: AppInfo, input: MutationInput[ChatMessageEditInput]
    ) -> ChatMessageEditPayload:
        async def edit(session: AsyncSession, outbox: Outbox, change: OwnChange) -> None:
            await service.edit_message(session, outbox, body=input.body, **change.keys)

        message, refusal = await _change_own_message(
            info.context, input.message_id, edit, needs_write=True
        )
        return ChatMessageEditPayload(
            message=message,
            user_errors=errors_of(refusal, ChatMessageEditError, ChatMessageEditErrorCode),
        )

    @strawberry.mutation(
        description="Delete the viewer's own message: it stays in the chat as DELETED, "
        "without its text."
    )
    async def chat_message_delete(
        self, info: AppInfo, input: MutationInput[ChatMessageDeleteInput]
    ) -> ChatMessageDeletePayload:
        async def delete(session: AsyncSession, outbox: Outbox, change: OwnChange) -> None:
            await service.delete_message(session, outbox, **change.keys)

        message, refusal = await _change_own_message(
            info.context, input.message_id, delete, needs_write=False
        )
        return ChatMessageDeletePayload(
            message=message,
            user_errors=errors_of(refusal, ChatMessageDeleteError, ChatMessageDeleteErrorCode),
        )

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
        row = await context.db.fetch_one(MESSAGES_BY_ID, keys=[message_id])
        assert row is not None  # the guard found it
        chat = await ChatByIdLoader.of(context).load(row[1])
        assert chat is not None
        result: ServiceError | None
        if chat.kind is not ChatKind.BUILDING:
            result = _refusal("NOT_BUILDING_CHAT", "Not a building chat.", "messageId")
        else:

            async def work(session: AsyncSession, outbox: Outbox) -> None:
                await service.remove_message(
                    session,
                    outbox,
                    chat_id=chat.pk,
                    message_id=message_id,
                    moderator_id=moderator_id,
                    reason=input.reason,
                    now=context.now,
                )

            result = await run_in_transaction(context.db, work)
        return ChatMessageRemovePayload(
            removed=result is None,
            user_errors=errors_of(result, ChatMessageRemoveError, ChatMessageRemoveErrorCode),
        )

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
        found = await _message_in_writable_chat(context, input.message_id, write=False)
        result: bool | ServiceError
        if isinstance(found, ServiceError):
            result = found
        else:
            chat = await ChatByIdLoader.of(context).load(found.chat_pk)
            assert chat is not None
            if chat.kind is not ChatKind.BUILDING:
                result = _refusal("NOT_BUILDING_CHAT", "Not a building chat.", "messageId")
            else:
                message = found

                async def work(session: AsyncSession, outbox: Outbox) -> bool:
                    moderators = await service.moderators_of(
                        session, building_id=chat.ref.building_pk
                    )
                    return await service.report_message(
                        session,
                        outbox,
                        message_id=message.pk,
                        reporter_id=reporter_id,
                        reason=input.reason,
                        moderator_ids=moderators,
                    )

                result = await run_in_transaction(context.db, work)
        return ChatMessageReportPayload(
            reported=not isinstance(result, ServiceError),
            user_errors=errors_of(result, ChatMessageReportError, ChatMessageReportErrorCode),
        )

    @strawberry.mutation(
        description="Move the viewer's read position in a chat forward (it never moves "
        "back); `unreadCount` counts the messages after it."
    )
    async def chat_mark_read(
        self, info: AppInfo, input: MutationInput[ChatMarkReadInput]
    ) -> ChatMarkReadPayload:
        context = info.context
        user_id = context.require_viewer()
        pk = pk_of(input.chat_id, "Chat")
        chat = await _readable_chat(context, pk) if pk is not None else None
        result: ServiceError | None
        if chat is None:
            result = _refusal("CHAT_NOT_FOUND", "No such chat.", "chatId")
        else:
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

            result = await run_in_transaction(context.db, work)
        return ChatMarkReadPayload(
            chat=chat if result is None else None,
            user_errors=errors_of(result, ChatMarkReadError, ChatMarkReadErrorCode),
        )

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
        result: int | ServiceError
        if other_id == user_id:
            result = _refusal("SELF", "That is you.", "userId")
        else:
            shared = (
                shared_buildings(await context.profile(), await context.profile_of(other_id))
                if other_id is not None
                else []
            )
            if not shared:
                result = _refusal("NO_SHARED_BUILDING", "You do not share a building.", "userId")
            else:
                assert other_id is not None
                other = other_id

                async def work(session: AsyncSession, outbox: Outbox) -> int:
                    return await service.open_direct_chat(
                        session, user_id=user_id, other_id=other, building_id=shared[0]
                    )

                result = await run_in_transaction(context.db, work)
        if isinstance(result, ServiceError):
            return ChatDirectOpenPayload(
                chat=None,
                user_errors=errors_of(result, ChatDirectOpenError, ChatDirectOpenErrorCode),
            )
        return ChatDirectOpenPayload(
            chat=await _readable_chat(context.after_write(), result), user_errors=[]
        )


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
        services = context.services
        pk = pk_of(chat_id, "Chat")
        chat = await _readable_chat(context.for_operation(), pk) if pk is not None else None
        if chat is None:
            raise Forbidden("You are not a member of this chat.")
        ref = chat.ref
        start = decode_cursor(after, types=(int,))[0] if after is not None else None
        db = services.db
        live = services.live

        async def latest() -> int:
            return await latest_event_id(db, ref.pk)

        async def rows_after(last_id: int, limit: int) -> Sequence[Any]:
            # Subscribers of this chat woken by the same event share one read.
            return await live.once(
                ("chat-events", ref.pk, last_id, limit),
                lambda: events_after(db, ref.pk, last_id, limit),
            )

        async for row in follow(
            services.pubsub,
            service.channel(ref.pk),
            after=start,
            latest=latest,
            rows_after=rows_after,
            id_of=lambda row: int(row[0]),
        ):
            claims = context.claims
            if claims is not None and claims.expires_at <= services.clock():
                raise Unauthenticated("The access token has expired; sign in again.")
            context.renew()  # nothing decided for an earlier event is reused
            event = ChatMessageEvent.from_row(row)
            if not await _still_member(context, ref, viewer_id, event.message):
                raise Forbidden("You are no longer a member of this chat.")
            yield event


async def _still_member(
    context: Context, chat: ChatRef, viewer_id: int, message: ChatMessage
) -> bool:
    """Membership decided again from the database as it is now, with reads shared with
    the other subscribers woken by the same event; the author's standing in the building
    is read alike, for the gatekeepers of the message and its author."""
    if chat.kind is ChatKind.DIRECT:
        member = chat.participant(viewer_id)
    else:
        author = message.author
        other_author = author if author is not None and author.pk != viewer_id else None
        # asked in the same turn, so that one statement reads them for every subscriber
        asked = [context.gate.standing(viewer_id, chat.building_pk)]
        if other_author is not None:
            asked.append(context.gate.standing(other_author.pk, chat.building_pk))
        standings = await asyncio.gather(*asked)
        profile, organisation_id = standings[0]
        member = organisation_id is not None and may_read(
            profile, chat, organisation_id=organisation_id
        )
        context.use_profile(profile)
        if organisation_id is not None:
            context.gate.organisations[chat.building_pk] = organisation_id
        if member and other_author is not None:
            author_profile, _ = standings[1]
            if chat.building_pk in author_profile.building_tiers:
                other_author.member_of = chat.building_pk
    remember_membership(context, chat.pk, member)
    return member
