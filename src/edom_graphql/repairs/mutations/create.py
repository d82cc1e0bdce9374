"""``repairRequestCreate``: file a repair request, with photos."""

from __future__ import annotations

from datetime import timedelta

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
    PHOTOS_DESCRIPTION,
    StoredPhoto,
    read_photos,
    with_stored_photos,
)
from edom_graphql.core.ratelimit import RateLimit, Window
from edom_graphql.repairs import service
from edom_graphql.repairs.access import input_building
from edom_graphql.repairs.errors import RepairRequestCreateError
from edom_graphql.repairs.models import (
    MAX_DESCRIPTION_LENGTH,
    MIN_DESCRIPTION_LENGTH,
    RepairCategory,
    RepairRequestScope,
)
from edom_graphql.repairs.types import RepairRequest, similar_open_requests, visible_request

CREATE_LIMIT = RateLimit(
    "repair_request_create", (Window(10, timedelta(hours=1)), Window(30, timedelta(days=1)))
)


@strawberry.input(description="A new repair request.")
class RepairRequestCreateInput:
    building_id: strawberry.ID = strawberry.field(description="The building concerned.")
    scope: RepairRequestScope = strawberry.field(description="Apartment, building or yard.")
    category: RepairCategory = strawberry.field(description="What needs repair.")
    description: str = strawberry.field(
        description=f"What is wrong ({MIN_DESCRIPTION_LENGTH}–{MAX_DESCRIPTION_LENGTH} characters)."
    )
    premise_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The viewer's apartment, for (and only for) APARTMENT requests.",
    )
    photos: list[Upload] | None = strawberry.field(default=None, description=PHOTOS_DESCRIPTION)


@strawberry.type(description="Result of `repairRequestCreate`.")
class RepairRequestCreatePayload(Payload):
    repair_request: RepairRequest | None = strawberry.field(
        default=None, description="The request filed."
    )
    similar_open_requests: list[RepairRequest] = strawberry.field(
        description="Open building or yard requests of the same category in the building, "
        "newest first: the viewer may join one (`repairRequestJoin`) instead of a duplicate."
    )
    user_errors: list[RepairRequestCreateError] = user_errors_field()


@strawberry.type
class RepairRequestCreateMutation:
    @requires(
        Capability.REPAIR_REQUEST_CREATE,
        input_building,
        mutation=True,
        rate_limit=CREATE_LIMIT,
        description="File a repair request for the viewer's apartment, their building or its "
        "yard. Emergencies (LEAK, BLOCKAGE, EMERGENCY_DAMAGE) get their legal `dueAt`.",
    )
    async def repair_request_create(
        self, info: AppInfo, input: MutationInput[RepairRequestCreateInput]
    ) -> RepairRequestCreatePayload | None:
        context = info.context
        author_id = context.require_viewer()
        building_id = expect_id(input.building_id, "Building", field="buildingId")
        premise_id = (
            expect_id(input.premise_id, "Premise", field="premiseId")
            if input.premise_id is not None
            else None
        )
        new = service.NewRequest(
            building_id=building_id,
            scope=input.scope,
            category=input.category,
            description=input.description,
            premise_id=premise_id,
        )
        profile = await context.profile()

        async def work(stored: list[StoredPhoto]) -> int | ServiceError:
            async def write(session: AsyncSession, outbox: Outbox) -> int:
                return await service.create_request(
                    session,
                    outbox,
                    request=new,
                    description=description,
                    author_id=author_id,
                    photos=stored,
                    now=context.now,
                )

            return await commit(context, write)

        result: int | ServiceError
        try:
            # Everything is checked before a byte is stored.
            description = service.check_new_request(
                request=new, author_premises=profile.premise_buildings
            )
            photos = await read_photos(input.photos or [], owner="A repair request")
        except ServiceError as error:
            result = error  # nothing was written
        else:
            result = await with_stored_photos(context.services.storage, photos, work)
        similar = await similar_open_requests(
            context,
            building_id=building_id,
            scope=input.scope,
            category=input.category,
            exclude_id=result if isinstance(result, int) else 0,
        )
        if isinstance(result, ServiceError):
            return RepairRequestCreatePayload.refused(result, similar_open_requests=similar)
        return RepairRequestCreatePayload(
            repair_request=await visible_request(context, result), similar_open_requests=similar
        )
