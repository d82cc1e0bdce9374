"""Every read of chats: their columns and statements, what access decisions need about a
chat (:class:`ChatRef`), and the loaders of plain values (reports, log positions, unread
counts)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, and_, any_, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.types import BigInteger

from edom_graphql.buildings.models import Building
from edom_graphql.chats.models import Chat, ChatEvent, ChatKind, ChatMessage, ChatMessageReport
from edom_graphql.chats.models import ChatRead as Read
from edom_graphql.core.capabilities import MATRIX, Capability, Tier
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery, Loader, PagedChildren, keys_param
from edom_graphql.core.pagination import (
    AnySelect,
    PageRequest,
    keyset_desc,
    page_params,
    row_limit,
)
from edom_graphql.core.profile import AccessProfile
from edom_graphql.residents.models import User
from edom_graphql.residents.reads import USER_COLUMNS

if TYPE_CHECKING:
    from edom_graphql.core.context import Context

Row = Sequence[Any]

CHAT_COLUMNS = select(
    Chat.id,
    Chat.kind,
    Chat.building_id,
    Chat.premise_id,
    Chat.user_low_id,
    Chat.user_high_id,
    Chat.last_message_id,
    Chat.last_activity_at,
)
MESSAGE_COLUMNS = (
    select(
        ChatMessage.id,
        ChatMessage.chat_id,
        ChatMessage.body,
        ChatMessage.created_at,
        ChatMessage.edited_at,
        ChatMessage.deleted_at,
        ChatMessage.removed_at,
    )
    .add_columns(*USER_COLUMNS.selected_columns)
    .join(User, User.id == ChatMessage.author_id)
)
"""A message with its author's user columns (``ChatMessage.from_row``)."""
MESSAGE_WIDTH = 7
"""The message's own columns; its author's follow."""

ACTIVITY = func.coalesce(Chat.last_message_id, 0)
"""Chats order by their latest message (ids grow with time), empty ones last."""


@dataclass(frozen=True, slots=True)
class ChatRef:
    """What access decisions need about a chat (read with it in one statement)."""

    pk: int
    kind: ChatKind
    building_pk: int
    premise_pk: int | None
    user_low_pk: int | None
    user_high_pk: int | None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> ChatRef:
        return cls(
            pk=row[0],
            kind=ChatKind(row[1]),
            building_pk=row[2],
            premise_pk=row[3],
            user_low_pk=row[4],
            user_high_pk=row[5],
        )

    def participant(self, user_id: int) -> bool:
        return user_id in (self.user_low_pk, self.user_high_pk)

    def other_participant(self, user_id: int) -> int | None:
        if user_id == self.user_low_pk:
            return self.user_high_pk
        if user_id == self.user_high_pk:
            return self.user_low_pk
        return None


# -- statements ---------------------------------------------------------------------------

CHAT_BY_ID = KeyedQuery(CHAT_COLUMNS, Chat.id)
MESSAGE_BY_ID = KeyedQuery(MESSAGE_COLUMNS, ChatMessage.id)
_MESSAGE_BY_ID = Prepared(MESSAGE_COLUMNS.where(ChatMessage.id == bindparam("id")))
_REPORTED = Prepared(
    select(ChatMessageReport.message_id)
    .distinct()
    .where(ChatMessageReport.message_id == keys_param())
)
"""Which of the messages have been reported to moderators."""


def _messages_page(chat_id: ColumnElement[int], has_after: bool, _: tuple[bool, ...]) -> AnySelect:
    return keyset_desc(
        MESSAGE_COLUMNS.where(ChatMessage.chat_id == chat_id),
        (ChatMessage.id,),
        has_after=has_after,
    )


MESSAGES_OF_CHAT = PagedChildren(_messages_page)

_EVENTS_AFTER = Prepared(
    select(ChatEvent.id, ChatEvent.kind, ChatEvent.at)
    .add_columns(*MESSAGE_COLUMNS.selected_columns)
    .join(ChatMessage, ChatMessage.id == ChatEvent.message_id)
    .join(User, User.id == ChatMessage.author_id)
    .where(ChatEvent.chat_id == bindparam("chat_id"), ChatEvent.id > bindparam("after"))
    .order_by(ChatEvent.id)
    .limit(row_limit())
)
_LATEST_EVENT = Prepared(
    select(func.coalesce(func.max(ChatEvent.id), 0)).where(
        ChatEvent.chat_id == bindparam("chat_id")
    )
)
_LATEST_EVENTS = Prepared(
    select(ChatEvent.chat_id, func.max(ChatEvent.id))
    .where(ChatEvent.chat_id == keys_param())
    .group_by(ChatEvent.chat_id)
)
_UNREAD = Prepared(
    select(
        Chat.id,
        select(func.count())
        .where(
            ChatMessage.chat_id == Chat.id,
            ChatMessage.id > func.coalesce(Read.last_read_message_id, 0),
            ChatMessage.author_id != bindparam("user_id"),
            ChatMessage.deleted_at.is_(None),
            ChatMessage.removed_at.is_(None),
        )
        .scalar_subquery(),
    )
    .outerjoin(Read, and_(Read.chat_id == Chat.id, Read.user_id == bindparam("user_id")))
    .where(Chat.id == keys_param())
)
_BUILDING_CHAT = Prepared(
    CHAT_COLUMNS.where(Chat.kind == ChatKind.BUILDING, Chat.building_id == bindparam("key"))
)
_MANAGEMENT_CHAT = Prepared(
    CHAT_COLUMNS.where(Chat.kind == ChatKind.MANAGEMENT, Chat.premise_id == bindparam("key"))
)


async def latest_event_id(db: Database, chat_id: int) -> int:
    """The id of the chat's latest log entry (0 before the first)."""
    row = await db.fetch_one(_LATEST_EVENT, chat_id=chat_id)
    return int(row[0]) if row is not None else 0


async def events_after(db: Database, chat_id: int, after: int, limit: int) -> list[Any]:
    """The chat's log entries after ``after``, oldest first, each with its message."""
    return list(await db.fetch(_EVENTS_AFTER, chat_id=chat_id, after=after, limit=limit))


async def chat_of_message(db: Database, message_id: int) -> int | None:
    """The id of the message's chat (None for no such message)."""
    row = await db.fetch_one(_MESSAGE_BY_ID, id=message_id)
    return int(row[1]) if row is not None else None


async def building_chat_of(db: Database, building_id: int) -> Row | None:
    return await db.fetch_one(_BUILDING_CHAT, key=building_id)


async def management_chat_of(db: Database, premise_id: int) -> Row | None:
    return await db.fetch_one(_MANAGEMENT_CHAT, key=premise_id)


# -- the viewer's chats ------------------------------------------------------------------

_IDS = ARRAY(BigInteger)


def _managed_by(param: str) -> Any:
    """Buildings managed by the organisations in the array parameter ``param``."""
    return select(Building.id).where(Building.organisation_id == any_(bindparam(param, type_=_IDS)))


def _member_chats(has_after: bool) -> Prepared:
    """Chats whose members include the viewer, given the viewer's qualifying buildings,
    premises and organisations as arrays (see :func:`member_chats_of`)."""
    statement = CHAT_COLUMNS.where(
        or_(
            and_(
                Chat.kind == ChatKind.BUILDING,
                or_(
                    Chat.building_id == any_(bindparam("chat_buildings", type_=_IDS)),
                    Chat.building_id.in_(_managed_by("chat_staff")),
                ),
            ),
            and_(
                Chat.kind == ChatKind.DIRECT,
                or_(
                    Chat.user_low_id == bindparam("viewer_id"),
                    Chat.user_high_id == bindparam("viewer_id"),
                ),
            ),
            and_(
                Chat.kind == ChatKind.MANAGEMENT,
                Chat.premise_id == any_(bindparam("management_premises", type_=_IDS)),
            ),
            and_(  # staff see the management chats that have messages
                Chat.kind == ChatKind.MANAGEMENT,
                Chat.last_message_id.is_not(None),
                Chat.building_id.in_(_managed_by("management_staff")),
            ),
        )
    )
    return Prepared(keyset_desc(statement, (ACTIVITY, Chat.id), has_after=has_after))


_MEMBER_CHATS = {has_after: _member_chats(has_after) for has_after in (False, True)}


def _by_tier(capability: Capability, tiers: dict[int, Tier]) -> list[int]:
    """The keys (buildings or premises) where the tier grants ``capability``."""
    allowed = MATRIX[capability].tiers
    return sorted(key for key, tier in tiers.items() if tier in allowed)


def _by_staff(profile: AccessProfile, capability: Capability) -> list[int]:
    rule = MATRIX[capability]
    return sorted(org for org, roles in profile.staff_roles.items() if roles & rule.staff)


async def member_chats_of(db: Database, profile: AccessProfile, page: PageRequest) -> Sequence[Any]:
    """A page of the chats the profile's user is a member of now, most recently active
    first."""
    return await db.fetch(
        _MEMBER_CHATS[page.after is not None],
        viewer_id=profile.user_id,
        chat_buildings=_by_tier(Capability.BUILDING_CHAT, profile.building_tiers),
        chat_staff=_by_staff(profile, Capability.BUILDING_CHAT),
        management_premises=_by_tier(Capability.MANAGEMENT_CHAT, profile.premise_tiers),
        management_staff=_by_staff(profile, Capability.MANAGEMENT_CHAT_ANSWER),
        **page_params(page),
    )


# -- loaders of plain values -------------------------------------------------------------


class ChatRefLoader(Loader[int, ChatRef | None]):
    """What access decisions need about each chat (None for no such chat).

    It keeps the rows it reads, and the loader of chats reads through :meth:`rows_of`
    too: a chat is read once per operation, whether its gatekeeper or a field asks first.
    """

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self._rows: dict[int, asyncio.Future[Row | None]] = {}

    async def rows_of(self, keys: Sequence[int]) -> list[Row | None]:
        """The chats' rows (``CHAT_COLUMNS``), in order; reads those not read yet."""
        missing = [key for key in dict.fromkeys(keys) if key not in self._rows]
        if missing:
            loop = asyncio.get_running_loop()
            futures = {key: loop.create_future() for key in missing}
            self._rows.update(futures)
            try:
                rows = await CHAT_BY_ID.rows(self.db, missing)
            except BaseException as error:
                for key, future in futures.items():
                    del self._rows[key]
                    if isinstance(error, Exception):
                        future.set_exception(error)
                        future.exception()  # retrieved: each caller has it raised
                    else:
                        future.cancel()
                raise
            found = {row[-1]: row for row in rows}
            for key, future in futures.items():
                row = found.get(key)
                future.set_result(row)
                self.prime(key, ChatRef.from_row(row) if row is not None else None)
        # a row read already is at hand without a turn of the event loop
        return [await asyncio.shield(self._rows[key]) for key in keys]

    async def batch_load_fn(self, keys: list[int]) -> list[ChatRef | None]:
        return [
            ChatRef.from_row(row) if row is not None else None for row in await self.rows_of(keys)
        ]


class ReportedLoader(Loader[int, bool]):
    """Whether each message has been reported to the building's moderators."""

    async def batch_load_fn(self, keys: list[int]) -> list[bool]:
        reported = {row[0] for row in await self.db.fetch(_REPORTED, keys=keys)}
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
