"""Root fields of repairs: the staff desk."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, TypeVar

import strawberry

from edom_graphql.buildings.types import Building, BuildingByIdLoader, Premise, PremiseByIdLoader
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.errors import BadUserInput
from edom_graphql.core.ids import expect_id
from edom_graphql.core.loaders import prime_related
from edom_graphql.core.nodes import visible_only
from edom_graphql.core.pagination import After, First, build_connection, page_request
from edom_graphql.core.permissions import Target, requires
from edom_graphql.core.selection import selects
from edom_graphql.repairs.models import RepairCategory, RepairRequestScope, RepairRequestStatus
from edom_graphql.repairs.reads import desk
from edom_graphql.repairs.types import RepairRequest, RepairRequestConnection
from edom_graphql.residents.types import User, UserByIdLoader

MAX_FILTER_VALUES = 100
V = TypeVar("V")


@strawberry.input(description="Which requests the desk shows; every given filter must match.")
class RepairRequestDeskFilter:
    building_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Only requests of these buildings."
    )
    statuses: list[RepairRequestStatus] | None = strawberry.field(
        default=None, description="Only requests in these statuses."
    )
    scopes: list[RepairRequestScope] | None = strawberry.field(
        default=None, description="Only requests of these scopes."
    )
    categories: list[RepairCategory] | None = strawberry.field(
        default=None, description="Only requests of these categories."
    )
    overdue: bool | None = strawberry.field(
        default=None,
        description="Only overdue requests (true) or only those that are not (false).",
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only requests assigned to this engineer."
    )


def _values(values: Sequence[V] | None, field: str) -> list[V] | None:
    if values is None:
        return None
    if len(values) > MAX_FILTER_VALUES:
        raise BadUserInput(f"At most {MAX_FILTER_VALUES} values.", field=f"filter.{field}")
    return list(dict.fromkeys(values))


def _desk_filter(filter: RepairRequestDeskFilter) -> desk.DeskFilter:
    """The filter checked: at most :data:`MAX_FILTER_VALUES` values each, valid ids."""
    buildings = _values(filter.building_ids, "buildingIds")
    statuses = _values(filter.statuses, "statuses")
    scopes = _values(filter.scopes, "scopes")
    categories = _values(filter.categories, "categories")
    building_ids = None
    if buildings is not None:
        building_ids = [
            expect_id(global_id, "Building", field="filter.buildingIds") for global_id in buildings
        ]
    assignee_id = None
    if filter.assignee_id is not None:
        assignee_id = expect_id(filter.assignee_id, "User", field="filter.assigneeId")
    return desk.DeskFilter(
        building_ids=building_ids,
        statuses=statuses,
        scopes=scopes,
        categories=categories,
        overdue=filter.overdue,
        assignee_id=assignee_id,
    )


async def repair_request_desk(
    info: AppInfo,
    organisation_id: int,
    *,
    first: int,
    after: str | None,
    filter: RepairRequestDeskFilter | None,
) -> RepairRequestConnection:
    context = info.context
    page = page_request(first, after, types=(int,))
    checked = _desk_filter(filter or RepairRequestDeskFilter())
    with_premise = selects(info, ("edges", "node", "premise"), ("nodes", "premise"))
    with_assignee = selects(info, ("edges", "node", "assignee"), ("nodes", "assignee"))
    rows = await desk.desk_requests(
        context.db,
        organisation_id,
        page,
        checked,
        now=context.now,
        with_premise=with_premise,
        with_assignee=with_assignee,
    )
    # The rows carry each request's building (and premise, and assignee): their loaders
    # have them without a statement of their own, and the gatekeeper, which decides in
    # each request's building, learns their organisations from them.
    prime_related(rows, BuildingByIdLoader.of(context), desk.DESK_BUILDING, Building.from_row)
    if with_premise:
        prime_related(rows, PremiseByIdLoader.of(context), desk.DESK_PREMISE, Premise.from_row)
    if with_assignee:
        prime_related(rows, UserByIdLoader.of(context), desk.DESK_ASSIGNEE, _assignee)
    await context.gate.learn_organisations(row["building_id"] for row in rows)
    # requests of a building that has changed hands since are no longer this desk's
    requests = await visible_only(context, [RepairRequest.from_row(row) for row in rows])
    connection = build_connection(
        [request for request in requests if request is not None], page, RepairRequest.sort_key
    )
    return RepairRequestConnection(edges=connection.edges, page_info=connection.page_info)


def _assignee(columns: Sequence[Any]) -> User:
    """An assignee read with the desk's page: who they are and, where it manages the
    request's building, the organisation they work for now (their gatekeeper's hint)."""
    return User.from_row(columns, staff_of=columns[-1])


def _argument_organisation(source: Any, kwargs: dict[str, Any]) -> Target | None:
    return Target(
        organisation_id=expect_id(
            kwargs["organisation_id"], "ManagementOrganisation", field="organisationId"
        )
    )


@strawberry.type
class RepairRequestQueries:
    @requires(
        Capability.REPAIR_REQUEST_HANDLE,
        _argument_organisation,
        description="The organisation's repair requests over all its buildings, newest "
        "first: the staff desk.",
    )
    async def repair_request_desk(
        self,
        info: AppInfo,
        organisation_id: Annotated[
            strawberry.ID, strawberry.argument(description="The viewer's organisation.")
        ],
        first: First,
        after: After = None,
        filter: Annotated[
            RepairRequestDeskFilter | None,
            strawberry.argument(description="Narrow the list; all requests if omitted."),
        ] = None,
    ) -> RepairRequestConnection | None:
        pk = expect_id(organisation_id, "ManagementOrganisation", field="organisationId")
        return await repair_request_desk(info, pk, first=first, after=after, filter=filter)
