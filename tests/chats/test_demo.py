"""The demo data set has a lively building chat, a management chat answered by the
dispatcher and a direct chat, written through the chats' service verbs."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from edom_graphql.chats.models import Chat, ChatEvent, ChatMessage, ChatRead
from edom_graphql.core.db import Database
from edom_graphql.core.storage import LocalStorage
from edom_graphql.server.demo import DEMO_CHAT_MESSAGES, load_demo
from edom_graphql.server.migrations import upgrade


def test_demo_chats(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database("edom_demo_chats")
    upgrade(url)

    async def run() -> tuple[dict[str, int], int, int]:
        db = Database(url)
        try:
            assert await load_demo(db, LocalStorage(tmp_path), now=datetime.now(UTC))
            async with db.transaction() as (session, _):
                per_kind = dict(
                    (
                        await session.execute(
                            select(Chat.kind, func.count(ChatMessage.id))
                            .join(ChatMessage, ChatMessage.chat_id == Chat.id)
                            .group_by(Chat.kind)
                        )
                    ).all()
                )
                events = (await session.execute(select(func.count(ChatEvent.id)))).scalar_one()
                reads = (
                    await session.execute(select(func.count()).select_from(ChatRead))
                ).scalar_one()
            return {kind.value: count for kind, count in per_kind.items()}, events, reads
        finally:
            await db.dispose()

    per_kind, events, reads = asyncio.run(run())
    expected = {"BUILDING": 0, "MANAGEMENT": 0, "DIRECT": 0}
    for chat, *_ in DEMO_CHAT_MESSAGES:
        expected[chat.upper()] += 1
    assert per_kind == expected
    assert events == len(DEMO_CHAT_MESSAGES)  # one ADDED event per message
    assert reads == len({(chat, author) for chat, author, *_ in DEMO_CHAT_MESSAGES})
