"""What repairs adds to buildings (their requests, the similar open ones) and to
organisations (the cursor of their live board)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import strawberry

from edom_graphql.buildings.types import Building, ManagementOrganisation
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.nodes import visible_only
from edom_graphql.core.pagination import After, First, build_connection, encode_cursor, page_request
from edom_graphql.core.permissions import requires, source_organisation
from edom_graphql.core.profile import premises_allowing
from edom_graphql.repairs import reads
from edom_graphql.repairs.models import RepairCategory, RepairRequestScope
from edom_graphql.repairs.service import SIMILAR_LIMIT
from edom_graphql.repairs.types.requests import RepairRequest, RepairRequestConnection


async def repair_requests_of(
    info: AppInfo, building_id: int, *, first: int, after: str | None
) -> RepairRequestConnection:
    """A page of the building's requests the viewer may see, newest first."""
    context = info.context
    page = page_request(first, after, types=(int,))
    everything = await context.can(Capability.REPAIR_REQUEST_HANDLE, building_id=building_id)
    rows: Sequence[Any] = []
    if everything or await context.can(Capability.REPAIR_REQUEST_CREATE, building_id=building_id):
        viewer: tuple[int, list[int]] | None = None
        if not everything:
            profile = await context.profile()
            viewer = (
                profile.user_id,
                premises_allowing(profile, Capability.REPAIR_REQUEST_CREATE),
            )
        rows = await reads.requests_of_building(context.db, building_id, page, viewer=viewer)
    connection = build_connection(
        [RepairRequest.from_row(row) for row in rows], page, RepairRequest.sort_key
    )
    return RepairRequestConnection(edges=connection.edges, page_info=connection.page_info)


async def similar_open_requests(
    context: Context,
    *,
    building_id: int,
    scope: RepairRequestScope,
    category: RepairCategory,
    exclude_id: int = 0,
    limit: int = SIMILAR_LIMIT,
) -> list[RepairRequest]:
    """Open building or yard requests of the same category that the viewer could join
    instead of filing a duplicate (never apartment requests), newest first."""
    if scope is RepairRequestScope.APARTMENT:
        return []
    rows = await reads.similar_open(
        context.db,
        building_id=building_id,
        scope=scope,
        category=category,
        exclude_id=exclude_id,
        limit=limit,
    )
    requests = [RepairRequest.from_row(row) for row in rows]
    return [request for request in await visible_only(context, requests) if request is not None]


@strawberry.type
class BuildingRepairRequests:
    """``Building.repairRequests`` and ``Building.similarRepairRequests``."""

    @strawberry.field(
        description="The building's repair requests the viewer may see, newest first: all "
        "of them for the organisation's staff; for residents the building and yard "
        "requests, and their own and followed apartment requests."
    )
    async def repair_requests(
        self: Building, info: AppInfo, first: First, after: After = None
    ) -> RepairRequestConnection:
        return await repair_requests_of(info, self.pk, first=first, after=after)

    @strawberry.field(
        description="Open building or yard requests of this scope and category, newest "
        "first (at most 5): to join (`repairRequestJoin`) instead of filing a duplicate. "
        "Empty for APARTMENT."
    )
    async def similar_repair_requests(
        self: Building,
        info: AppInfo,
        scope: Annotated[RepairRequestScope, strawberry.argument(description="BUILDING or YARD.")],
        category: Annotated[RepairCategory, strawberry.argument(description="The category.")],
    ) -> list[RepairRequest]:
        return await similar_open_requests(
            info.context, building_id=self.pk, scope=scope, category=category
        )


@strawberry.type
class OrganisationRepairBoard:
    """``ManagementOrganisation.repairBoardCursor``."""

    @requires(
        Capability.REPAIR_REQUEST_HANDLE,
        source_organisation,
        description="Cursor of the organisation's latest repair request event (null before "
        "the first): read it with `repairRequestDesk`, then subscribe to "
        "`repairRequestBoard(organisationId:, after:)` to miss nothing in between.",
    )
    async def repair_board_cursor(self: ManagementOrganisation, info: AppInfo) -> str | None:
        latest = await reads.latest_event_id(info.context.db, "organisation_id", self.pk)
        return encode_cursor((latest,)) if latest else None
