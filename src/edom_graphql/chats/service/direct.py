"""Direct chats: one per pair of users, opened on first use."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.chats.models import Chat, ChatKind


async def open_direct_chat(
    session: AsyncSession, *, user_id: int, other_id: int, building_id: int
) -> int:
    """The direct chat of two users, created on first use (concurrent openers agree)."""
    low, high = sorted((user_id, other_id))
    inserted = (
        await session.execute(
            pg_insert(Chat)
            .values(
                kind=ChatKind.DIRECT, building_id=building_id, user_low_id=low, user_high_id=high
            )
            .on_conflict_do_nothing(
                index_elements=[Chat.user_low_id, Chat.user_high_id],
                # The predicate of the partial unique index, as a literal: bound as a
                # parameter, a generic plan no longer matches the index.
                index_where=text("kind = 'DIRECT'"),
            )
            .returning(Chat.id)
        )
    ).scalar_one_or_none()
    if inserted is not None:
        return inserted
    existing: int = (
        await session.execute(
            select(Chat.id).where(
                Chat.kind == ChatKind.DIRECT, Chat.user_low_id == low, Chat.user_high_id == high
            )
        )
    ).scalar_one()
    return existing
