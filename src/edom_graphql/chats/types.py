"""GraphQL types of chats, and the statements and loaders that read them."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import ColumnElement, and_, any_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import BigInteger

from edom_graphql.buildings.models import Building as BuildingRow
from edom_graphql.buildings.types import Building, BuildingByIdLoader, Premise, PremiseByIdLoader
from edom_graphql.chats.access import (
    ChatRef,
    can_write,
    chat_visible,
    message_visible,
)
from edom_graphql.chats.models import Chat as ChatRow
from edom_graphql.chats.models import ChatEvent as ChatEventRow
from edom_graphql.chats.models import ChatEventKind, ChatKind
from edom_graphql.chats.models import ChatMessage as MessageRow
from edom_graphql.chats.models import ChatMessageReport as ReportRow
from edom_graphql.chats.models import ChatRead as ReadRow
from edom_graphql.core.capabilities import MATRIX, Capability, Tier
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import (
    ByIdLoader,
    KeyedQuery,
    Loader,
    PagedChildren,
    PageLoader,
    keys_param,
)
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import (
    After,
    AnySelect,
    Connection,
    First,
    build_connection,
    encode_cursor,
    keyset_desc,
    page_params,
    page_request,
)
from edom_graphql.core.permissions import requires
from edom_graphql.core.profile import AccessProfile
from edom_graphql.residents.models import User as UserRow
from edom_graphql.residents.reads import USER_COLUMNS
from edom_graphql.residents.types import User, UserByIdLoader, Viewer

CHAT_COLUMNS = select(
    ChatRow.id,
    ChatRow.kind,
    ChatRow.building_id,
    ChatRow.premise_id,
    ChatRow.user_low_id,
    ChatRow.user_high_id,
    ChatRow.last_message_id,
    ChatRow.last_activity_at,
)
MESSAGE_COLUMNS = (
    select(
        MessageRow.id,
        MessageRow.chat_id,
        MessageRow.body,
        MessageRow.created_at,
        MessageRow.edited_at,
        MessageRow.deleted_at,
        MessageRow.removed_at,
    )
    .add_columns(*USER_COLUMNS.selected_columns)
    .join(UserRow, UserRow.id == MessageRow.author_id)
)
"""A message with its author's user columns (``ChatMessage.from_row``)."""
_MESSAGE_WIDTH = 7

ACTIVITY = func.coalesce(ChatRow.last_message_id, 0)
"""Chats order by their latest message (ids grow with time), empty ones last."""


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
        return cls(
            id=strawberry.ID(encode_id("ChatMessage", row[0])),
            pk=row[0],
            chat_pk=row[1],
            body=body,
            status=status,
            created_at=row[3],
            edited_at=row[4],
            deleted_at=deleted_at,
            removed_at=removed_at,
            author=User.from_row(row[_MESSAGE_WIDTH:]),
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
        return cls(
            cursor=encode_cursor((row[0],)),
            kind=ChatEventKind(row[1]),
            at=row[2],
            message=ChatMessage.from_row(row[3:]),
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
    async def last_message(self, info: AppInfo) -> ChatMessage | None:
        if self.last_message_pk is None:
            return None
        return await ChatMessageByIdLoader.of(info.context).load(self.last_message_pk)

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


# -- statements and loaders --------------------------------------------------------------

CHAT_BY_ID = KeyedQuery(CHAT_COLUMNS, ChatRow.id)
MESSAGE_BY_ID = KeyedQuery(MESSAGE_COLUMNS, MessageRow.id)
CHATS_BY_ID = Prepared(CHAT_COLUMNS.where(ChatRow.id == keys_param()))
MESSAGES_BY_ID = Prepared(MESSAGE_COLUMNS.where(MessageRow.id == keys_param()))
REPORTED = Prepared(
    select(ReportRow.message_id).distinct().where(ReportRow.message_id == keys_param())
)
"""Which of the messages have been reported to moderators."""


def _messages_page(chat_id: ColumnElement[int], has_after: bool, _: tuple[bool, ...]) -> AnySelect:
    return keyset_desc(
        MESSAGE_COLUMNS.where(MessageRow.chat_id == chat_id), (MessageRow.id,), has_after=has_after
    )


MESSAGES_OF_CHAT = PagedChildren(_messages_page)

EVENTS_AFTER = Prepared(
    select(ChatEventRow.id, ChatEventRow.kind, ChatEventRow.at)
    .add_columns(*MESSAGE_COLUMNS.selected_columns)
    .join(MessageRow, MessageRow.id == ChatEventRow.message_id)
    .join(UserRow, UserRow.id == MessageRow.author_id)
    .where(ChatEventRow.chat_id == bindparam("chat_id"), ChatEventRow.id > bindparam("after"))
    .order_by(ChatEventRow.id)
    .limit(bindparam("limit"))
)
_LATEST_EVENT = Prepared(
    select(func.coalesce(func.max(ChatEventRow.id), 0)).where(
        ChatEventRow.chat_id == bindparam("chat_id")
    )
)
_LATEST_EVENTS = Prepared(
    select(ChatEventRow.chat_id, func.max(ChatEventRow.id))
    .where(ChatEventRow.chat_id == keys_param())
    .group_by(ChatEventRow.chat_id)
)
_UNREAD = Prepared(
    select(
        ChatRow.id,
        select(func.count())
        .where(
            MessageRow.chat_id == ChatRow.id,
            MessageRow.id > func.coalesce(ReadRow.last_read_message_id, 0),
            MessageRow.author_id != bindparam("user_id"),
            MessageRow.deleted_at.is_(None),
            MessageRow.removed_at.is_(None),
        )
        .scalar_subquery(),
    )
    .outerjoin(
        ReadRow, and_(ReadRow.chat_id == ChatRow.id, ReadRow.user_id == bindparam("user_id"))
    )
    .where(ChatRow.id == keys_param())
)


async def latest_event_id(db: Database, chat_id: int) -> int:
    row = await db.fetch_one(_LATEST_EVENT, chat_id=chat_id)
    return int(row[0]) if row is not None else 0


async def events_after(db: Database, chat_id: int, after: int, limit: int) -> list[Any]:
    return list(await db.fetch(EVENTS_AFTER, chat_id=chat_id, after=after, limit=limit))


class ChatByIdLoader(ByIdLoader[Chat]):
    query = CHAT_BY_ID
    convert = Chat.from_row


class ChatMessageByIdLoader(ByIdLoader[ChatMessage]):
    query = MESSAGE_BY_ID
    convert = ChatMessage.from_row


class MessagesOfChatLoader(PageLoader[ChatMessage]):
    children = MESSAGES_OF_CHAT
    convert = ChatMessage.from_row


class ReportedLoader(Loader[int, bool]):
    """Whether each message has been reported to the building's moderators."""

    async def batch_load_fn(self, keys: list[int]) -> list[bool]:
        reported = {row[0] for row in await self.db.fetch(REPORTED, keys=keys)}
        return [key in reported for key in keys]


class LatestEventLoader(Loader[int, int]):
    """The id of each chat's latest log entry (0 for a chat without one)."""

    async def batch_load_fn(self, keys: list[int]) -> list[int]:
        latest = dict(await self.db.fetch(_LATEST_EVENTS, keys=keys))
        return [int(latest.get(key, 0)) for key in keys]


class UnreadCountLoader(Loader[tuple[int, int], int]):
    """Unread messages per (chat, viewer)."""

    async def batch_load_fn(self, keys: list[tuple[int, int]]) -> list[int]:
        counts: dict[tuple[int, int], int] = {}
        for user_id in {user for _, user in keys}:
            chats = [chat for chat, user in keys if user == user_id]
            for chat_id, count in await self.db.fetch(_UNREAD, keys=chats, user_id=user_id):
                counts[(chat_id, user_id)] = count
        return [counts.get(key, 0) for key in keys]


# -- the viewer's chats ------------------------------------------------------------------

_IDS = ARRAY(BigInteger)


def _managed_by(param: str) -> Any:
    """Buildings managed by the organisations in the array parameter ``param``."""
    return select(BuildingRow.id).where(
        BuildingRow.organisation_id == any_(bindparam(param, type_=_IDS))
    )


def _member_chats(has_after: bool) -> Prepared:
    """Chats whose members include the viewer, given the viewer's qualifying buildings,
    premises and organisations as arrays (see :func:`viewer_chats`)."""
    statement = CHAT_COLUMNS.where(
        or_(
            and_(
                ChatRow.kind == ChatKind.BUILDING,
                or_(
                    ChatRow.building_id == any_(bindparam("chat_buildings", type_=_IDS)),
                    ChatRow.building_id.in_(_managed_by("chat_staff")),
                ),
            ),
            and_(
                ChatRow.kind == ChatKind.DIRECT,
                or_(
                    ChatRow.user_low_id == bindparam("viewer_id"),
                    ChatRow.user_high_id == bindparam("viewer_id"),
                ),
            ),
            and_(
                ChatRow.kind == ChatKind.MANAGEMENT,
                ChatRow.premise_id == any_(bindparam("management_premises", type_=_IDS)),
            ),
            and_(  # staff see the management chats that have messages
                ChatRow.kind == ChatKind.MANAGEMENT,
                ChatRow.last_message_id.is_not(None),
                ChatRow.building_id.in_(_managed_by("management_staff")),
            ),
        )
    )
    return Prepared(keyset_desc(statement, (ACTIVITY, ChatRow.id), has_after=has_after))


_MEMBER_CHATS = {has_after: _member_chats(has_after) for has_after in (False, True)}


def _by_tier(capability: Capability, tiers: dict[int, Tier]) -> list[int]:
    """The keys (buildings or premises) where the tier grants ``capability``."""
    allowed = MATRIX[capability].tiers
    return sorted(key for key, tier in tiers.items() if tier in allowed)


def _by_staff(profile: AccessProfile, capability: Capability) -> list[int]:
    rule = MATRIX[capability]
    return sorted(org for org, roles in profile.staff_roles.items() if roles & rule.staff)


async def viewer_chats(context: Context, *, first: int, after: str | None) -> ChatConnection:
    """The chats the viewer is a member of now, most recently active first."""
    viewer_id = context.require_viewer()
    profile = await context.profile()
    page = page_request(first, after, types=(int, int))
    rows = await context.db.fetch(
        _MEMBER_CHATS[page.after is not None],
        viewer_id=viewer_id,
        chat_buildings=_by_tier(Capability.BUILDING_CHAT, profile.building_tiers),
        chat_staff=_by_staff(profile, Capability.BUILDING_CHAT),
        management_premises=_by_tier(Capability.MANAGEMENT_CHAT, profile.premise_tiers),
        management_staff=_by_staff(profile, Capability.MANAGEMENT_CHAT_ANSWER),
        **page_params(page),
    )
    connection = build_connection([Chat.from_row(row) for row in rows], page, Chat.sort_key)
    return ChatConnection(edges=connection.edges, page_info=connection.page_info)


_BUILDING_CHAT = Prepared(
    CHAT_COLUMNS.where(ChatRow.kind == ChatKind.BUILDING, ChatRow.building_id == bindparam("key"))
)
_MANAGEMENT_CHAT = Prepared(
    CHAT_COLUMNS.where(ChatRow.kind == ChatKind.MANAGEMENT, ChatRow.premise_id == bindparam("key"))
)


async def building_chat(context: Context, building_id: int) -> Chat | None:
    """The building's chat (the caller has checked BUILDING_CHAT)."""
    row = await context.db.fetch_one(_BUILDING_CHAT, key=building_id)
    return Chat.from_row(row) if row is not None else None


async def management_chat(context: Context, premise_id: int) -> Chat | None:
    """The premise's management chat (shown to its members only, by its gatekeeper)."""
    row = await context.db.fetch_one(_MANAGEMENT_CHAT, key=premise_id)
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
    "LatestEventLoader",
    "MessagesOfChatLoader",
    "ReportedLoader",
    "UnreadCountLoader",
    "building_chat",
    "management_chat",
    "viewer_chats",
]
