"""The demo data set has a completed meeting with its protocol and one open for voting
in which the demo owner can still vote."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from edom_graphql.core.db import Database
from edom_graphql.core.storage import LocalStorage
from edom_graphql.meetings.models import (
    Meeting,
    MeetingBallot,
    MeetingQuestion,
    MeetingRegisterEntry,
    MeetingState,
)
from edom_graphql.residents.models import User
from edom_graphql.server.demo import PERSONA_BY_KEY, load_demo
from edom_graphql.server.migrations import upgrade


def test_demo_meetings(fresh_database: Any, tmp_path: Path) -> None:
    url = fresh_database("edom_demo_meetings")
    upgrade(url)
    storage = LocalStorage(tmp_path)

    async def run() -> tuple[list[Any], list[Any], int, int]:
        db = Database(url)
        try:
            assert await load_demo(db, storage, now=datetime.now(UTC))
            async with db.transaction() as (session, _):
                meetings = (
                    await session.execute(
                        select(
                            Meeting.id,
                            Meeting.number,
                            Meeting.state,
                            Meeting.quorum,
                            Meeting.protocol_key,
                            Meeting.register_key,
                            Meeting.administrator_organisation_id,
                        ).order_by(Meeting.number)
                    )
                ).all()
                adopted = (
                    await session.execute(
                        select(MeetingQuestion.meeting_id, MeetingQuestion.adopted).order_by(
                            MeetingQuestion.meeting_id, MeetingQuestion.position
                        )
                    )
                ).all()
                owner = (
                    await session.execute(
                        select(User.id).where(User.subject == PERSONA_BY_KEY["owner"].subject)
                    )
                ).scalar_one()
                open_entries = (
                    await session.execute(
                        select(func.count())
                        .select_from(MeetingRegisterEntry)
                        .outerjoin(MeetingBallot, MeetingBallot.entry_id == MeetingRegisterEntry.id)
                        .where(
                            MeetingRegisterEntry.meeting_id == meetings[1][0],
                            MeetingRegisterEntry.owner_id == owner,
                            MeetingBallot.id.is_(None),
                        )
                    )
                ).scalar_one()
                ballots = (
                    await session.execute(
                        select(func.count())
                        .select_from(MeetingBallot)
                        .where(MeetingBallot.meeting_id == meetings[1][0])
                    )
                ).scalar_one()
            return list(meetings), list(adopted), int(open_entries), int(ballots)
        finally:
            await db.dispose()

    meetings, adopted, open_entries, ballots = asyncio.run(run())
    first, second = meetings
    assert first.state is MeetingState.COMPLETED
    assert first.quorum is True
    assert first.protocol_key is not None
    assert first.register_key is not None
    assert (tmp_path / first.protocol_key).read_bytes().startswith(b"%PDF-")
    assert (tmp_path / first.register_key).read_bytes().startswith(b"%PDF-")
    # its administrator question passed: the organisation administers the second meeting
    assert next(passed for meeting_id, passed in adopted if meeting_id == first.id) is True
    assert second.state is MeetingState.VOTING
    assert second.administrator_organisation_id is not None
    assert open_entries == 2  # apartment 1 and her half of apartment 2
    assert ballots > 0
