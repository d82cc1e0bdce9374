"""GraphQL types of chats, the loaders of their objects, and the fields chats add to
buildings, premises and the viewer."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from edom_graphql.buildings.types import Building, BuildingByIdLoader, Premise, PremiseByIdLoader
from edom_graphql.chats import reads
from edom_graphql.chats.access import can_write, chat_visible, message_visible
from edom_graphql.chats.models import ChatEventKind, ChatKind
from edom_graphql.chats.reads import ChatRef, ChatRefLoader, LatestEventLoader, UnreadCountLoader
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader, Loader, PageLoader, later
from edom_graphql.core.nodes import Node, Verdict, visible
from edom_graphql.core.pagination import (
    After,
    Connection,
    First,
    build_connection,
    encode_cursor,
    page_request,
)
from edom_graphql.core.permissions import requires
from edom_graphql.core.rows import made
from edom_graphql.residents.types import User, UserByIdLoader, Viewer


class ChatMessageStatus(enum.Enum):
    ACTIVE = "ACTIVE"
    DELETED = "DELETED"
    REMOVED = "REMOVED"


graphql_enum(
    ChatMessageStatus,
    "Whether a message's text is shown.",
    {
        ChatMessageStatus.ACTIVE: "Shown (see `editedAt` for edits).",
        ChatMessageStatus.DELETED: "Deleted by its author: the text is gone.",
        ChatMessageStatus.REMOVED: "Removed by the building's staff: the text is gone.",
    },
)


@strawberry.type(description="A message of a chat.")
class ChatMessage(Node):
    pk: strawberry.Private[int]
    chat_pk: strawberry.Private[int]
    author: User | None = strawberry.field(
        description="Who wrote it (only the display name is visible to neighbours); null "
        "when you no longer see them (they left the building, say)."
    )
    body: str | None = strawberry.field(description="The text; null once deleted or removed.")
    status: ChatMessageStatus = strawberry.field(
        description="Shown, deleted by its author, or removed by staff."
    )
    created_at: datetime = strawberry.field(description="When it was sent.")
    edited_at: datetime | None = strawberry.field(
        description="When its author last changed it; null if never."
    )
    deleted_at: datetime | None = strawberry.field(
        description="When its author deleted it; null if not deleted."
    )
    removed_at: datetime | None = strawberry.field(
        description="When staff removed it; null if not removed."
    )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> ChatMessage:
        # Plain values only (no resolvers): a message is built once per subscriber and
        # event, and plain fields are completed without calling into Strawberry.
        deleted_at, removed_at = row[5], row[6]
        if removed_at is not None:
            status, body = ChatMessageStatus.REMOVED, None
        elif deleted_at is not None:
            status, body = ChatMessageStatus.DELETED, None
        else:
            status, body = ChatMessageStatus.ACTIVE, row[2]
        return made(
            cls,
            {
                "id": encode_id("ChatMessage", row[0]),
                "pk": row[0],
                "chat_pk": row[1],
                "body": body,
                "status": status,
                "created_at": row[3],
                "edited_at": row[4],
                "deleted_at": deleted_at,
                "removed_at": removed_at,
                "author": User.from_row(row[reads.MESSAGE_WIDTH :]),
            },
        )

    @staticmethod
    def sort_key(message: ChatMessage) -> tuple[int]:
        return (message.pk,)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[ChatMessage | None]:
        return await ChatMessageByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: ChatMessage) -> Verdict:
        return message_visible(context, node.pk, node.chat_pk)

    @strawberry.field(description="The viewer wrote this message.")
    def viewer_is_author(self, info: AppInfo) -> bool:
        return self.author is not None and self.author.pk == info.context.viewer_id

    @strawberry.field(
        description="The chat it belongs to; null for a moderator who sees only this "
        "reported message, not the chat."
    )
    async def chat(self, info: AppInfo) -> Chat | None:
        return await ChatByIdLoader.of(info.context).load(self.chat_pk)


@strawberry.type(description="A page of messages, newest first.")
class ChatMessageConnection(Connection[ChatMessage]):
    pass


@strawberry.type(
    description="A message sent, edited, deleted or removed: one entry of a chat's log."
)
class ChatMessageEvent:
    cursor: str = strawberry.field(
        description="Position in the chat's log: pass it as `after` to resume from here."
    )
    kind: ChatEventKind = strawberry.field(description="What happened.")
    at: datetime = strawberry.field(description="When.")
    message: ChatMessage = strawberry.field(
        description="The message as it is now (a replayed EDITED event shows the latest text)."
    )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> ChatMessageEvent:
        return made(
            cls,
            {
                "cursor": encode_cursor((row[0],)),
                "kind": ChatEventKind(row[1]),
                "at": row[2],
                "message": ChatMessage.from_row(row[3:]),
            },
        )


@strawberry.type(description="A chat the viewer is a member of.")
class Chat(Node):
    pk: strawberry.Private[int]
    ref: strawberry.Private[ChatRef]
    last_message_pk: strawberry.Private[int | None]
    kind: ChatKind = strawberry.field(description="Building, direct or management chat.")
    last_activity_at: datetime = strawberry.field(
        description="When the latest message was sent (or the chat began)."
    )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Chat:
        return cls(
            id=strawberry.ID(encode_id("Chat", row[0])),
            pk=row[0],
            ref=ChatRef.from_row(row),
            kind=ChatKind(row[1]),
            last_message_pk=row[6],
            last_activity_at=row[7],
        )

    @staticmethod
    def sort_key(chat: Chat) -> tuple[int, int]:
        return (chat.last_message_pk or 0, chat.pk)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Chat | None]:
        return await ChatByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Chat) -> Verdict:
        return chat_visible(context, node.pk, node.ref)

    @strawberry.field(
        description="The building the chat belongs to (for a direct chat: the building "
        "its two members shared when it was opened; null once you no longer see it)."
    )
    async def building(self, info: AppInfo) -> Building | None:
        return await BuildingByIdLoader.of(info.context).load(self.ref.building_pk)

    @strawberry.field(description="For a management chat, its premise; otherwise null.")
    async def premise(self, info: AppInfo) -> Premise | None:
        if self.ref.premise_pk is None:
            return None
        return await PremiseByIdLoader.of(info.context).load(self.ref.premise_pk)

    @strawberry.field(
        description="For a direct chat, the other member (null once you no longer share a "
        "building); otherwise null."
    )
    async def other_participant(self, info: AppInfo) -> User | None:
        other = self.ref.other_participant(info.context.require_viewer())
        if other is None:
            return None
        return await UserByIdLoader.of(info.context).load(other)

    @strawberry.field(description="The latest message; null in a chat without messages.")
    def last_message(self, info: AppInfo) -> ChatMessage | None:
        if self.last_message_pk is None:
            return None
        return later(ChatMessageByIdLoader.of(info.context).load(self.last_message_pk))

    @strawberry.field(
        description="Messages of others the viewer has not read (deleted and removed ones "
        "do not count)."
    )
    async def unread_count(self, info: AppInfo) -> int:
        context = info.context
        return await UnreadCountLoader.of(context).load((self.pk, context.require_viewer()))

    @strawberry.field(description="The viewer may send messages here now.")
    async def viewer_can_write(self, info: AppInfo) -> bool:
        return await can_write(info.context, self.ref)

    @strawberry.field(
        description="Cursor of the latest entry of the chat's log (of its beginning while "
        "it has none): subscribe to `chatMessageEvents` with it as `after` to continue "
        "from what you just read without a gap."
    )
    async def events_cursor(self, info: AppInfo) -> str:
        return encode_cursor((await LatestEventLoader.of(info.context).load(self.pk),))

    @strawberry.field(description="Messages, newest first.")
    async def messages(
        self, info: AppInfo, first: First, after: After = None
    ) -> ChatMessageConnection:
        page = page_request(first, after, types=(int,))
        items = await MessagesOfChatLoader.of(info.context).load((self.pk, page, ()))
        connection = build_connection(items, page, ChatMessage.sort_key)
        return ChatMessageConnection(edges=connection.edges, page_info=connection.page_info)


@strawberry.type(description="A page of chats, most recently active first.")
class ChatConnection(Connection[Chat]):
    pass


# -- loaders and finders -----------------------------------------------------------------


class ChatByIdLoader(Loader[int, Chat | None]):
    """Chats by id. Their rows are read through :class:`~edom_graphql.chats.reads.ChatRefLoader`,
    which the gatekeepers ask: a chat is read once per operation, whoever asks first."""

    async def batch_load_fn(self, keys: list[int]) -> list[Chat | None]:
        rows = await ChatRefLoader.of(self.context).rows_of(keys)
        return [Chat.from_row(row) if row is not None else None for row in rows]


class ChatMessageByIdLoader(ByIdLoader[ChatMessage]):
    query = reads.MESSAGE_BY_ID
    convert = ChatMessage.from_row


class MessagesOfChatLoader(PageLoader[ChatMessage]):
    children = reads.MESSAGES_OF_CHAT
    convert = ChatMessage.from_row


async def readable_chat(context: Context, pk: int | None) -> Chat | None:
    """The chat with this primary key if the viewer is a member of it, else None."""
    if pk is None:
        return None
    (chat,) = await Chat.load_nodes(context, [pk])
    return await visible(context, chat)


async def readable_message(context: Context, pk: int | None) -> ChatMessage | None:
    """The message with this primary key if the viewer may see it, else None."""
    if pk is None:
        return None
    (message,) = await ChatMessage.load_nodes(context, [pk])
    return await visible(context, message)


async def viewer_chats(context: Context, *, first: int, after: str | None) -> ChatConnection:
    """The chats the viewer is a member of now, most recently active first."""
    context.require_viewer()
    profile = await context.profile()
    page = page_request(first, after, types=(int, int))
    rows = await reads.member_chats_of(context.db, profile, page)
    connection = build_connection([Chat.from_row(row) for row in rows], page, Chat.sort_key)
    return ChatConnection(edges=connection.edges, page_info=connection.page_info)


async def building_chat(context: Context, building_id: int) -> Chat | None:
    """The building's chat (the caller has checked BUILDING_CHAT)."""
    row = await reads.building_chat_of(context.db, building_id)
    return Chat.from_row(row) if row is not None else None


async def management_chat(context: Context, premise_id: int) -> Chat | None:
    """The premise's management chat (shown to its members only, by its gatekeeper)."""
    row = await reads.management_chat_of(context.db, premise_id)
    return Chat.from_row(row) if row is not None else None


# -- fields on other domains' types ------------------------------------------------------


@strawberry.type
class BuildingChat:
    """``Building.chat``."""

    @requires(
        Capability.BUILDING_CHAT,
        description="The building's chat (residents down to basic guests; no staff).",
    )
    async def chat(self: Building, info: AppInfo) -> Chat | None:
        return await building_chat(info.context, self.pk)


@strawberry.type
class PremiseManagementChat:
    """``Premise.managementChat``."""

    @strawberry.field(
        description="The premise's chat with the management organisation: its occupants "
        "down to elevated guests and the organisation's staff are its members; null for "
        "everyone else."
    )
    async def management_chat(self: Premise, info: AppInfo) -> Chat | None:
        return await management_chat(info.context, self.pk)


@strawberry.type
class ViewerChats:
    """``Viewer.chats``."""

    @strawberry.field(
        description="The chats the viewer is a member of now, most recently active first: "
        "building chats, direct chats, management chats of their premises (for staff: those "
        "of their organisation's premises that have messages)."
    )
    async def chats(
        self: Viewer, info: AppInfo, first: First, after: After = None
    ) -> ChatConnection:
        return await viewer_chats(info.context, first=first, after=after)


__all__ = [
    "Chat",
    "ChatByIdLoader",
    "ChatConnection",
    "ChatMessage",
    "ChatMessageByIdLoader",
    "ChatMessageEvent",
    "MessagesOfChatLoader",
    "building_chat",
    "management_chat",
    "readable_chat",
    "readable_message",
    "viewer_chats",
]
