"""``powerOfAttorneyRegister``: the administrator records a checked power of attorney."""

from __future__ import annotations

from datetime import datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import pk_of
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.core.photos import StoredPhoto, read_files, with_stored_photos
from edom_graphql.meetings.access import input_meeting_building
from edom_graphql.meetings.errors import PowerOfAttorneyRegisterError
from edom_graphql.meetings.models import MAX_DOCUMENT_NUMBER_LENGTH
from edom_graphql.meetings.mutations.paper import SCAN_DESCRIPTION, SCAN_RULE
from edom_graphql.meetings.service.voting import NewAttorney, register_attorney
from edom_graphql.meetings.types import PowerOfAttorney, visible_attorney, visible_meeting_id
from edom_graphql.residents.types.users import UserByIdLoader


@strawberry.input(description="A power of attorney the administrator has checked.")
class PowerOfAttorneyRegisterInput:
    meeting_id: strawberry.ID = strawberry.field(description="The meeting it is for.")
    principal_id: strawberry.ID = strawberry.field(description="The owner represented (a User).")
    representative_id: strawberry.ID = strawberry.field(
        description="The representative (a User of the platform)."
    )
    document_number: str = strawberry.field(
        description=f"The document's number (1–{MAX_DOCUMENT_NUMBER_LENGTH} characters)."
    )
    valid_from: datetime = strawberry.field(description="Valid from.")
    valid_until: datetime = strawberry.field(description="Valid until (exclusive), in the future.")
    scan: Upload = strawberry.field(description=SCAN_DESCRIPTION)


@strawberry.type(description="Result of `powerOfAttorneyRegister`.")
class PowerOfAttorneyRegisterPayload(Payload):
    power_of_attorney: PowerOfAttorney | None = strawberry.field(
        default=None, description="The power of attorney registered."
    )
    user_errors: list[PowerOfAttorneyRegisterError] = user_errors_field()


@strawberry.type
class PowerOfAttorneyRegisterMutation:
    @requires(
        Capability.MEETING_INITIATE,
        input_meeting_building,
        mutation=True,
        description="Register a power of attorney for a meeting (its administrator, having "
        "checked the document); its representative may then vote for the owner.",
    )
    async def power_of_attorney_register(
        self, info: AppInfo, input: MutationInput[PowerOfAttorneyRegisterInput]
    ) -> PowerOfAttorneyRegisterPayload | None:
        context = info.context
        administrator_id = context.require_viewer()
        meeting_id = await visible_meeting_id(context, input.meeting_id)

        async def work(stored: list[StoredPhoto]) -> int | ServiceError:
            async def write(session: AsyncSession, outbox: Outbox) -> int:
                return await register_attorney(
                    session,
                    attorney=attorney,
                    administrator_id=administrator_id,
                    scan=stored[0],
                    now=context.now,
                )

            return await commit(context, write)

        result: int | ServiceError
        try:
            people: list[int] = []
            for field, global_id in (
                ("principalId", input.principal_id),
                ("representativeId", input.representative_id),
            ):
                pk = pk_of(global_id, "User")
                if pk is None or await UserByIdLoader.of(context).load(pk) is None:
                    raise ServiceError("UNKNOWN_USER", "This is not a user's id.", [field])
                people.append(pk)
            attorney = NewAttorney(
                meeting_id=meeting_id,
                principal_id=people[0],
                representative_id=people[1],
                document_number=input.document_number,
                valid_from=input.valid_from,
                valid_until=input.valid_until,
            )
            scans = await read_files(
                [input.scan], SCAN_RULE, owner="A power of attorney", field_name="scan"
            )
        except ServiceError as error:
            result = error
        else:
            result = await with_stored_photos(context.services.storage, scans, work)
        if isinstance(result, ServiceError):
            return PowerOfAttorneyRegisterPayload.refused(result)
        return PowerOfAttorneyRegisterPayload(
            power_of_attorney=await visible_attorney(context, result)
        )
