"""The demo's owners' meetings in Tverskaya 7: the building's first meeting, completed
with its protocol a month ago, and a second one open for voting now, in which the demo
owner has not voted yet (both of her ownership records are waiting).

They are held by the domain's own service, step by step at the moments they would have
happened, so the demo's data is what the platform itself would have written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from edom_graphql.core.db import Database
from edom_graphql.core.storage import Storage
from edom_graphql.meetings.models import Decision, MeetingRegisterEntry, QuestionKind, Threshold
from edom_graphql.meetings.service.agenda import NewQuestion, check_agenda
from edom_graphql.meetings.service.closing import close_voting, open_voting
from edom_graphql.meetings.service.lifecycle import NewMeeting, create_meeting, schedule
from edom_graphql.meetings.service.voting import Choice, cast_online

PLACE = "Кабинет ГБУ «Жилищник района Тверской», ул. Тверская, д. 7, подъезд 1"

FIRST_AGENDA = (
    NewQuestion(
        title="Выбор администратора общих собраний в системе «Электронный дом»",
        proposal="Избрать администратором ГБУ «Жилищник района Тверской»; голосование "
        "длится 14 дней; решения на бумаге принимаются в кабинете управляющей организации.",
        kind=QuestionKind.ADMINISTRATOR,
        threshold=None,
        candidate_organisation=True,
        rules_voting_days=14,
        rules_decisions_place=PLACE,
    ),
    NewQuestion(
        title="Ремонт кровли за счёт фонда капитального ремонта",
        proposal="Провести ремонт кровли в 2027 году.",
        kind=QuestionKind.CAPITAL_REPAIR,
        threshold=None,
    ),
    NewQuestion(
        title="Установка шлагбаума на въезде во двор",
        proposal="Установить шлагбаум с управлением из приложения.",
        kind=QuestionKind.GENERAL,
        threshold=Threshold.MAJORITY_OF_VOTES_CAST,
    ),
)
SECOND_AGENDA = (
    NewQuestion(
        title="Размещение рекламной конструкции на фасаде дома",
        proposal="Разрешить размещение конструкции за плату в фонд дома.",
        kind=QuestionKind.COMMON_PROPERTY_USE,
        threshold=None,
    ),
    NewQuestion(
        title="Озеленение двора весной 2027 года",
        proposal="Высадить 12 деревьев вдоль детской площадки.",
        kind=QuestionKind.GENERAL,
        threshold=None,
    ),
)
PATTERN = (Decision.FOR, Decision.FOR, Decision.AGAINST, Decision.FOR, Decision.ABSTAIN)


async def _entries(db: Database, meeting_id: int) -> list[tuple[int, int]]:
    """``(entry id, owner id)`` of the meeting's register, in order."""
    async with db.transaction() as (session, _):
        rows = await session.execute(
            select(MeetingRegisterEntry.id, MeetingRegisterEntry.owner_id)
            .where(MeetingRegisterEntry.meeting_id == meeting_id)
            .order_by(MeetingRegisterEntry.id)
        )
        return [(int(entry), int(owner)) for entry, owner in rows]


async def _vote(
    db: Database,
    meeting_id: int,
    *,
    questions: int,
    skip: set[int],
    share: int,
    now: datetime,
) -> None:
    """Ballots of the register's entries but every ``share``-th and those of ``skip``'s
    owners, with varied decisions."""
    for index, (entry_id, owner_id) in enumerate(await _entries(db, meeting_id)):
        if owner_id in skip or index % share == share - 1:
            continue
        choices = [
            Choice(number=n, decision=PATTERN[(index + n) % len(PATTERN)])
            for n in range(1, questions + 1)
        ]
        async with db.transaction() as (session, outbox):
            await cast_online(
                session,
                outbox,
                entry_id=entry_id,
                voter_id=owner_id,
                attorney_id=None,
                choices=choices,
                now=now + timedelta(minutes=index),
            )


async def _held(
    db: Database,
    *,
    building_id: int,
    initiator_id: int,
    on_behalf: bool,
    title: str,
    agenda: tuple[NewQuestion, ...],
    starts: datetime,
    days: int,
) -> int:
    """A meeting drafted 20 days and scheduled 15 days before ``starts``, then opened."""
    async with db.transaction() as (session, outbox):
        meeting_id = await create_meeting(
            session,
            outbox,
            meeting=NewMeeting(
                building_id=building_id,
                initiator_id=initiator_id,
                on_behalf_of_organisation=on_behalf,
                title=title,
                voting_starts_at=starts,
                voting_ends_at=starts + timedelta(days=days),
                decisions_place=PLACE,
                agenda=check_agenda(agenda),
            ),
            materials=[],
            now=starts - timedelta(days=20),
        )
    async with db.transaction() as (session, outbox):
        await schedule(
            session,
            outbox,
            meeting_id=meeting_id,
            user_id=initiator_id,
            now=starts - timedelta(days=15),
        )
    while await open_voting(db, starts):
        pass
    return meeting_id


async def load_meetings(
    db: Database,
    storage: Storage,
    *,
    building_id: int,
    owner_id: int,
    manager_id: int,
    now: datetime,
) -> None:
    """The two demo meetings of the building (its owners and organisation exist)."""
    first_start = now - timedelta(days=45)
    first = await _held(
        db,
        building_id=building_id,
        initiator_id=owner_id,
        on_behalf=False,
        title="Первое общее собрание собственников в «Электронном доме»",
        agenda=FIRST_AGENDA,
        starts=first_start,
        days=14,
    )
    await _vote(db, first, questions=len(FIRST_AGENDA), skip=set(), share=6, now=first_start)
    while await close_voting(db, storage, first_start + timedelta(days=14)):
        pass
    second_start = now - timedelta(days=3)
    second = await _held(
        db,
        building_id=building_id,
        initiator_id=manager_id,
        on_behalf=True,
        title="Реклама на фасаде и озеленение двора",
        agenda=SECOND_AGENDA,
        starts=second_start,
        days=14,
    )
    await _vote(
        db, second, questions=len(SECOND_AGENDA), skip={owner_id}, share=3, now=second_start
    )
