"""The demo loads on a database where a demo persona signed in before: a demo token used
on a server started without ``--demo`` signs its user up, and seeding then makes that
user the persona instead of failing on the taken subject."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from edom_graphql.core.db import Database
from edom_graphql.core.storage import LocalStorage
from edom_graphql.residents.models import Ownership, User
from edom_graphql.server.demo import PERSONA_BY_KEY, load_demo
from edom_graphql.server.migrations import upgrade


def test_seeding_after_a_demo_token_signed_in(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database("edom_demo_after_token")
    upgrade(url)
    owner = PERSONA_BY_KEY["owner"]

    async def run() -> tuple[int, Any, int]:
        db = Database(url)
        try:
            async with db.transaction() as (session, _):
                signed_up = (
                    await session.execute(
                        insert(User)
                        .values(subject=owner.subject, display_name="Anna from a token")
                        .returning(User.id)
                    )
                ).scalar_one()
            assert await load_demo(db, LocalStorage(tmp_path), now=datetime.now(UTC))
            assert not await load_demo(db, LocalStorage(tmp_path), now=datetime.now(UTC))
            async with db.transaction() as (session, _):
                user = (
                    await session.execute(
                        select(User.id, User.display_name, User.full_name).where(
                            User.subject == owner.subject
                        )
                    )
                ).one()
                owned = len(
                    (
                        await session.execute(
                            select(Ownership.id).where(Ownership.user_id == signed_up)
                        )
                    ).all()
                )
            return signed_up, user, owned
        finally:
            await db.dispose()

    signed_up, user, owned = asyncio.run(run())
    assert user.id == signed_up
    assert user.display_name == "Анна"
    assert user.full_name == owner.name
    assert owned == 2  # apartment 1 and half of apartment 2
