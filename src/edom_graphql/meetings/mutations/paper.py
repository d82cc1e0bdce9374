"""``meetingPaperBallotEnter``: the administrator enters a paper decision, with its scan."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.core.photos import (
    MAX_DOCUMENT_BYTES,
    FileRule,
    StoredPhoto,
    read_files,
    sniff_scan,
    with_stored_photos,
)
from edom_graphql.meetings.access import input_entry_building
from edom_graphql.meetings.errors import MeetingPaperBallotError
from edom_graphql.meetings.mutations.vote import MeetingDecisionInput, choices_of
from edom_graphql.meetings.service.voting import enter_paper
from edom_graphql.meetings.types import MeetingRegisterEntry, visible_entry

SCAN_RULE = FileRule(
    1,
    MAX_DOCUMENT_BYTES,
    sniff_scan,
    "a PDF document or a JPEG, PNG or WebP image",
    "TOO_MANY_FILES",
    "FILE_TOO_LARGE",
    "UNSUPPORTED_FILE",
)
SCAN_DESCRIPTION = (
    f"The scan: a PDF or a JPEG, PNG or WebP image of at most {MAX_DOCUMENT_BYTES} bytes "
    "(GraphQL multipart request)."
)


@strawberry.input(description="A paper decision received by the administrator.")
class MeetingPaperBallotEnterInput:
    entry_id: strawberry.ID = strawberry.field(description="The register entry it is for.")
    decisions: list[MeetingDecisionInput] = strawberry.field(
        description="Its decision on every question of the agenda."
    )
    received_on: datetime = strawberry.field(
        description="When it was received: while voting ran, not in the future."
    )
    scan: Upload = strawberry.field(description=SCAN_DESCRIPTION)
    power_of_attorney_id: strawberry.ID | None = strawberry.field(
        default=None, description="Signed by a representative: the power of attorney."
    )


@strawberry.type(description="Result of `meetingPaperBallotEnter`.")
class MeetingPaperBallotPayload(Payload):
    entry: MeetingRegisterEntry | None = strawberry.field(
        default=None, description="The register entry with its ballot, as it stands."
    )
    user_errors: list[MeetingPaperBallotError] = user_errors_field()


@strawberry.type
class MeetingPaperBallotMutation:
    @requires(
        Capability.MEETING_INITIATE,
        input_entry_building,
        mutation=True,
        description="Enter a paper decision (the meeting's administrator). An ownership "
        "record votes once: if it has voted online, the paper decision is refused.",
    )
    async def meeting_paper_ballot_enter(
        self, info: AppInfo, input: MutationInput[MeetingPaperBallotEnterInput]
    ) -> MeetingPaperBallotPayload | None:
        context = info.context
        administrator_id = context.require_viewer()
        entry_id = expect_id(input.entry_id, "MeetingRegisterEntry", field="entryId")
        attorney_id = (
            expect_id(input.power_of_attorney_id, "PowerOfAttorney", field="powerOfAttorneyId")
            if input.power_of_attorney_id is not None
            else None
        )

        async def work(stored: list[StoredPhoto]) -> int | ServiceError:
            async def write(session: AsyncSession, outbox: Outbox) -> int:
                return await enter_paper(
                    session,
                    outbox,
                    entry_id=entry_id,
                    administrator_id=administrator_id,
                    attorney_id=attorney_id,
                    received_on=input.received_on,
                    choices=choices_of(input.decisions),
                    scan=stored[0],
                    now=context.now,
                )

            return await commit(context, write)

        result: int | ServiceError
        try:
            scans = await read_files([input.scan], SCAN_RULE, owner="A ballot", field_name="scan")
        except ServiceError as error:
            result = error
        else:
            result = await with_stored_photos(context.services.storage, scans, work)
        entry = await visible_entry(context, entry_id)
        if isinstance(result, ServiceError):
            return MeetingPaperBallotPayload.refused(result, entry=entry)
        return MeetingPaperBallotPayload(entry=entry)
