"""The protocol's documents, formed when voting ends: the protocol itself (totals per
question, quorum; no voter's name) and its annex, the register of owners with how each
ownership voted and who cast its ballot."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from edom_graphql.buildings.models import Building, ManagementOrganisation, Premise
from edom_graphql.meetings.models import (
    BallotChannel,
    Decision,
    Meeting,
    MeetingBallot,
    MeetingDecision,
    MeetingQuestion,
    MeetingRegisterEntry,
    PowerOfAttorney,
    Threshold,
)
from edom_graphql.meetings.service.document import (
    ProtocolDocument,
    QuestionResult,
    RegisterLine,
    render_protocol,
    render_register,
)
from edom_graphql.meetings.service.tally import Tally, weight
from edom_graphql.residents.models import User

THRESHOLD_LABELS = {
    Threshold.MAJORITY_OF_VOTES_CAST: "большинство голосов участников собрания",
    Threshold.MORE_THAN_HALF_OF_ALL: "более половины голосов всех собственников",
    Threshold.TWO_THIRDS_OF_ALL: "не менее 2/3 голосов всех собственников",
    Threshold.UNANIMOUS: "единогласно (все собственники)",
}
DECISION_LABELS = {Decision.FOR: "ЗА", Decision.AGAINST: "ПРОТИВ", Decision.ABSTAIN: "ВОЗДЕРЖАЛСЯ"}
CHANNEL_LABELS = {BallotChannel.ONLINE: "онлайн", BallotChannel.PAPER: "бумажное решение"}


@dataclass(frozen=True, slots=True)
class Documents:
    protocol: bytes
    register: bytes


def name_of(display_name: str, full_name: str | None) -> str:
    return full_name or display_name


async def _party(session: AsyncSession, user_id: int | None, organisation_id: int | None) -> str:
    """A party as the protocol (seen by every resident) names it: a user by their display
    name (full names are personal data), an organisation by its name."""
    if user_id is not None:
        display_name: str = (
            await session.execute(select(User.display_name).where(User.id == user_id))
        ).scalar_one()
        return display_name
    name: str = (
        await session.execute(
            select(ManagementOrganisation.name).where(ManagementOrganisation.id == organisation_id)
        )
    ).scalar_one()
    return name


async def _protocol(
    session: AsyncSession, meeting_id: int, tally: Tally, formed_at: datetime
) -> ProtocolDocument:
    meeting = (
        await session.execute(
            select(
                Meeting.number,
                Building.address,
                Meeting.title,
                Meeting.voting_starts_at,
                Meeting.voting_ends_at,
                Meeting.initiator_id,
                Meeting.initiator_organisation_id,
                Meeting.administrator_user_id,
                Meeting.administrator_organisation_id,
                Meeting.total_area_centi,
            )
            .join(Building, Building.id == Meeting.building_id)
            .where(Meeting.id == meeting_id)
        )
    ).one()
    questions = (
        await session.execute(
            select(
                MeetingQuestion.id,
                MeetingQuestion.position,
                MeetingQuestion.title,
                MeetingQuestion.proposal,
                MeetingQuestion.threshold,
                MeetingQuestion.adopted,
            )
            .where(MeetingQuestion.meeting_id == meeting_id)
            .order_by(MeetingQuestion.position)
        )
    ).all()
    initiator = (
        await _party(session, None, meeting[6])
        if meeting[6] is not None
        else await _party(session, meeting[5], None)
    )
    return ProtocolDocument(
        number=str(meeting[0]),
        building_address=meeting[1],
        title=meeting[2],
        voting_starts_at=meeting[3],
        voting_ends_at=meeting[4],
        formed_at=formed_at,
        initiator=initiator,
        administrator=await _party(session, meeting[7], meeting[8]),
        total_area=Decimal(meeting[9] or 0) / 100,
        turnout=tally.turnout,
        quorum=tally.quorum,
        questions=tuple(
            QuestionResult(
                number=position,
                title=title,
                proposal=proposal,
                threshold=THRESHOLD_LABELS[threshold],
                votes_for=tally.of(question_id).votes_for,
                votes_against=tally.of(question_id).against,
                votes_abstain=tally.of(question_id).abstain,
                cast=tally.turnout,
                adopted=bool(passed),
            )
            for question_id, position, title, proposal, threshold, passed in questions
        ),
    )


async def register_lines(session: AsyncSession, meeting_id: int) -> list[RegisterLine]:
    """The annex: every register entry in order, with its ballot."""
    owner = aliased(User)
    caster = aliased(User)
    total_centi = int(
        (
            await session.execute(select(Meeting.total_area_centi).where(Meeting.id == meeting_id))
        ).scalar_one()
        or 1
    )
    positions = {
        question_id: index
        for index, question_id in enumerate(
            (
                await session.execute(
                    select(MeetingQuestion.id)
                    .where(MeetingQuestion.meeting_id == meeting_id)
                    .order_by(MeetingQuestion.position)
                )
            ).scalars()
        )
    }
    decided: dict[int, list[str]] = {}
    for entry_id, question_id, decision in await session.execute(
        select(
            MeetingDecision.entry_id, MeetingDecision.question_id, MeetingDecision.decision
        ).where(MeetingDecision.meeting_id == meeting_id)
    ):
        marks = decided.setdefault(entry_id, ["—"] * len(positions))
        marks[positions[question_id]] = DECISION_LABELS[decision]
    rows = await session.execute(
        select(
            MeetingRegisterEntry.id,
            Premise.number,
            owner.display_name,
            owner.full_name,
            MeetingRegisterEntry.share_numerator,
            MeetingRegisterEntry.share_denominator,
            MeetingRegisterEntry.area_centi,
            MeetingBallot.channel,
            MeetingBallot.cast_by_id,
            MeetingRegisterEntry.owner_id,
            caster.display_name,
            caster.full_name,
            PowerOfAttorney.document_number,
        )
        .join(Premise, Premise.id == MeetingRegisterEntry.premise_id)
        .join(owner, owner.id == MeetingRegisterEntry.owner_id)
        .outerjoin(MeetingBallot, MeetingBallot.entry_id == MeetingRegisterEntry.id)
        .outerjoin(caster, caster.id == MeetingBallot.cast_by_id)
        .outerjoin(PowerOfAttorney, PowerOfAttorney.id == MeetingBallot.attorney_id)
        .where(MeetingRegisterEntry.meeting_id == meeting_id)
        .order_by(MeetingRegisterEntry.id)
    )
    lines: list[RegisterLine] = []
    for row in rows:
        entry_id, premise, display, full, numerator, denominator, area_centi = row[:7]
        channel, _, _, caster_display, caster_full, attorney_number = row[7:]
        owner_name = name_of(display, full)
        voted_by: str | None = None
        if channel is not None:
            if attorney_number is not None:
                voted_by = f"представитель по доверенности № {attorney_number}"
                if channel is BallotChannel.ONLINE:
                    voted_by = f"{name_of(caster_display, caster_full)}, {voted_by}"
            else:
                voted_by = owner_name
        lines.append(
            RegisterLine(
                premise=premise,
                owner=owner_name,
                share=f"{numerator}/{denominator}",
                area=Decimal(area_centi) / 100,
                weight=weight(
                    area_centi=area_centi,
                    numerator=numerator,
                    denominator=denominator,
                    total_centi=total_centi,
                ),
                voted_by=voted_by,
                channel=CHANNEL_LABELS[channel] if channel is not None else None,
                decisions=tuple(decided.get(entry_id, ["—"] * len(positions))),
            )
        )
    return lines


async def documents(
    session: AsyncSession, *, meeting_id: int, tally: Tally, formed_at: datetime
) -> Documents:
    document = await _protocol(session, meeting_id, tally, formed_at)
    lines = await register_lines(session, meeting_id)
    return Documents(protocol=render_protocol(document), register=render_register(document, lines))
