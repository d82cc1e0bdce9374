"""``meetingCreate``: draft an owners' meeting, with its agenda and materials."""

from __future__ import annotations

from datetime import datetime, timedelta

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id, pk_of
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.core.photos import (
    MAX_DOCUMENT_BYTES,
    MAX_PHOTOS,
    FileRule,
    StoredPhoto,
    read_files,
    sniff_pdf,
    with_stored_photos,
)
from edom_graphql.core.ratelimit import RateLimit, Window
from edom_graphql.meetings.access import input_building
from edom_graphql.meetings.errors import MeetingCreateError
from edom_graphql.meetings.models import (
    MAX_PLACE_LENGTH,
    MAX_PROPOSAL_LENGTH,
    MAX_QUESTION_TITLE_LENGTH,
    MAX_TITLE_LENGTH,
    QuestionKind,
    Threshold,
)
from edom_graphql.meetings.service import agenda
from edom_graphql.meetings.service.lifecycle import NewMeeting, create_meeting
from edom_graphql.meetings.types import Meeting, visible_meeting

CREATE_LIMIT = RateLimit(
    "meeting_create", (Window(5, timedelta(hours=1)), Window(20, timedelta(days=1)))
)
MAX_MATERIALS = MAX_PHOTOS
MATERIALS_RULE = FileRule(
    MAX_MATERIALS,
    MAX_DOCUMENT_BYTES,
    sniff_pdf,
    "a PDF document",
    "TOO_MANY_FILES",
    "FILE_TOO_LARGE",
    "UNSUPPORTED_FILE",
)


@strawberry.input(description="A question of a new meeting's agenda: one decision.")
class MeetingQuestionInput:
    title: str = strawberry.field(
        description=f"The question (1–{MAX_QUESTION_TITLE_LENGTH} characters): one decision, "
        "never “other business”."
    )
    proposal: str = strawberry.field(
        default="",
        description=f"The decision put to the vote (≤ {MAX_PROPOSAL_LENGTH} characters).",
    )
    kind: QuestionKind = strawberry.field(
        default=QuestionKind.GENERAL, description="What it decides; sets the threshold."
    )
    threshold: Threshold | None = strawberry.field(
        default=None,
        description="For a GENERAL question (default MAJORITY_OF_VOTES_CAST); other kinds "
        "have the one the law sets.",
    )
    administrator_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="ADMINISTRATOR question: the owner (a User id) proposed as administrator.",
    )
    administrator_is_organisation: bool = strawberry.field(
        default=False,
        description="ADMINISTRATOR question: propose the building's management organisation.",
    )
    voting_days: int | None = strawberry.field(
        default=None,
        description=f"ADMINISTRATOR question: how long later meetings' voting runs "
        f"({agenda.MIN_VOTING_DAYS}–{agenda.MAX_VOTING_DAYS} days).",
    )
    decisions_place: str | None = strawberry.field(
        default=None,
        description="ADMINISTRATOR question: where later meetings accept paper decisions.",
    )


@strawberry.input(description="A new owners' meeting of a building.")
class MeetingCreateInput:
    building_id: strawberry.ID = strawberry.field(description="The building whose owners meet.")
    title: str = strawberry.field(
        description=f"What it is about (≤ {MAX_TITLE_LENGTH} characters)."
    )
    voting_starts_at: datetime = strawberry.field(
        description=f"When voting starts: at least {agenda.DAYS_TO_ADMINISTRATOR} days from now."
    )
    voting_ends_at: datetime = strawberry.field(
        description=f"When voting ends: {agenda.MIN_VOTING_DAYS}–{agenda.MAX_VOTING_DAYS} days "
        "after it starts (as the owners decided, where they did)."
    )
    agenda: list[MeetingQuestionInput] = strawberry.field(
        description=f"The questions, in order (1–{agenda.MAX_QUESTIONS})."
    )
    decisions_place: str | None = strawberry.field(
        default=None,
        description=f"Where paper decisions are accepted (≤ {MAX_PLACE_LENGTH} characters); "
        "by default where the owners decided.",
    )
    on_behalf_of_organisation: bool = strawberry.field(
        default=False,
        description="A manager initiates on behalf of the management organisation "
        "(otherwise the viewer initiates as an owner).",
    )
    materials: list[Upload] | None = strawberry.field(
        default=None,
        description=f"Up to {MAX_MATERIALS} PDF files of at most {MAX_DOCUMENT_BYTES} bytes "
        "each (GraphQL multipart request).",
    )


@strawberry.type(description="Result of `meetingCreate`.")
class MeetingCreatePayload(Payload):
    meeting: Meeting | None = strawberry.field(default=None, description="The draft.")
    user_errors: list[MeetingCreateError] = user_errors_field()


def _question(question: MeetingQuestionInput, index: int) -> agenda.NewQuestion:
    candidate = (
        pk_of(question.administrator_id, "User") if question.administrator_id is not None else None
    )
    if question.administrator_id is not None and candidate is None:
        raise ServiceError(
            "ADMINISTRATOR_CANDIDATE",
            "This is not a user's id.",
            ["agenda", str(index), "administrator"],
        )
    return agenda.NewQuestion(
        title=question.title,
        proposal=question.proposal,
        kind=question.kind,
        threshold=question.threshold,
        candidate_user_id=candidate,
        candidate_organisation=question.administrator_is_organisation,
        rules_voting_days=question.voting_days,
        rules_decisions_place=question.decisions_place,
    )


@strawberry.type
class MeetingCreateMutation:
    @requires(
        Capability.MEETING_INITIATE,
        input_building,
        mutation=True,
        rate_limit=CREATE_LIMIT,
        description="Draft an owners' meeting (an owner of the building, or a manager of its "
        "organisation). At the building's first meeting the initiator administers it and its "
        "agenda must choose the administrator of later ones.",
    )
    async def meeting_create(
        self, info: AppInfo, input: MutationInput[MeetingCreateInput]
    ) -> MeetingCreatePayload | None:
        context = info.context
        viewer_id = context.require_viewer()
        building_id = expect_id(input.building_id, "Building", field="buildingId")

        async def work(stored: list[StoredPhoto]) -> int | ServiceError:
            async def write(session: AsyncSession, outbox: Outbox) -> int:
                return await create_meeting(
                    session, outbox, meeting=new, materials=stored, now=context.now
                )

            return await commit(context, write)

        result: int | ServiceError
        try:
            new = NewMeeting(
                building_id=building_id,
                initiator_id=viewer_id,
                on_behalf_of_organisation=input.on_behalf_of_organisation,
                title=agenda.check_title(input.title),
                voting_starts_at=input.voting_starts_at,
                voting_ends_at=input.voting_ends_at,
                decisions_place=(
                    agenda.check_place(input.decisions_place)
                    if input.decisions_place is not None
                    else None
                ),
                agenda=agenda.check_agenda(
                    [_question(question, index) for index, question in enumerate(input.agenda)]
                ),
            )
            files = await read_files(
                input.materials or [], MATERIALS_RULE, owner="A meeting", field_name="materials"
            )
        except ServiceError as error:
            result = error  # nothing was written
        else:
            result = await with_stored_photos(context.services.storage, files, work)
        if isinstance(result, ServiceError):
            return MeetingCreatePayload.refused(result)
        return MeetingCreatePayload(meeting=await visible_meeting(context, result))
