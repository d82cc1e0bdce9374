"""The staff desk's page: an organisation's requests by filter, newest first, each row
with its building, premise and assignee."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, any_, bindparam, case, exists, not_, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased

from edom_graphql.buildings import models
from edom_graphql.buildings.models import StaffMembership
from edom_graphql.buildings.reads import BUILDING_COLUMNS, PREMISE_COLUMNS
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import keys_param
from edom_graphql.core.pagination import PageRequest, keyset_desc, page_params
from edom_graphql.repairs.models import RepairCategory, RepairRequestScope, RepairRequestStatus
from edom_graphql.repairs.models import RepairRequest as RequestRow
from edom_graphql.repairs.reads import REQUEST_COLUMNS, Row, is_open
from edom_graphql.residents.models import User
from edom_graphql.residents.reads import USER_COLUMNS

_DESK: dict[tuple[Any, ...], Prepared] = {}


def _any_of(column: Any, name: str) -> Any:
    return column == any_(bindparam(name, type_=ARRAY(column.type)))


def _overdue() -> Any:
    return and_(
        RequestRow.due_at.is_not(None),
        RequestRow.due_at < bindparam("now", type_=RequestRow.due_at.type),
        is_open(RequestRow.status),
    )


def _columns_as(columns: Any, prefix: str) -> list[Any]:
    return [column.label(f"{prefix}{column.name}") for column in columns.selected_columns]


_BUILDING = _columns_as(BUILDING_COLUMNS, "building__")
_PREMISE = _columns_as(PREMISE_COLUMNS, "premise__")
_REQUEST_WIDTH = len(REQUEST_COLUMNS.selected_columns)
DESK_BUILDING = slice(_REQUEST_WIDTH, _REQUEST_WIDTH + len(_BUILDING))
"""Where a desk row holds its request's building (the columns of ``BUILDING_COLUMNS``)."""
DESK_PREMISE = slice(DESK_BUILDING.stop, DESK_BUILDING.stop + len(_PREMISE))
"""Where a desk row holds its request's premise, when asked for (``PREMISE_COLUMNS``;
nulls for a request of the common property)."""
_ASSIGNEE = aliased(User, name="assignee")
_ASSIGNEE_COLUMNS = [
    *(
        getattr(_ASSIGNEE, str(column.key)).label(f"assignee__{column.key}")
        for column in USER_COLUMNS.selected_columns
    ),
    # the building's organisation, where the assignee works for it now
    case(
        (
            exists().where(
                StaffMembership.user_id == RequestRow.assignee_id,
                StaffMembership.organisation_id == models.Building.organisation_id,
                StaffMembership.ended_at.is_(None),
            ),
            models.Building.organisation_id,
        ),
    ).label("assignee__staff_of"),
]
DESK_ASSIGNEE = slice(DESK_PREMISE.stop, DESK_PREMISE.stop + len(_ASSIGNEE_COLUMNS))
"""Where a desk row holds its request's assignee, when asked for (``USER_COLUMNS``, then
the organisation they work for now if it manages the building; nulls for none)."""


def _desk(shape: tuple[Any, ...]) -> Prepared:
    """The desk's statement for one combination of filters (prepared once per shape).

    Each row also carries the request's building (its gatekeeper decides in the building,
    and the desk shows it) and, where the query selects it, its premise: read in the
    same statement instead of one statement each after it."""
    prepared = _DESK.get(shape)
    if prepared is None:
        (
            has_after,
            buildings,
            statuses,
            scopes,
            categories,
            overdue,
            assignee,
            premise,
            with_assignee,
        ) = shape
        joined = RequestRow.__table__.join(
            models.Building, models.Building.id == RequestRow.building_id
        )
        columns = [*REQUEST_COLUMNS.selected_columns, *_BUILDING]
        if premise or with_assignee:
            # (an assignee's columns stand after the premise's: null ones if not asked)
            joined = joined.outerjoin(models.Premise, models.Premise.id == RequestRow.premise_id)
            columns += _PREMISE
        if with_assignee:
            joined = joined.outerjoin(_ASSIGNEE, _ASSIGNEE.id == RequestRow.assignee_id)
            columns += _ASSIGNEE_COLUMNS
        statement = (
            select(*columns)
            .select_from(joined)
            .where(RequestRow.organisation_id == bindparam("organisation_id"))
        )
        if buildings:
            statement = statement.where(RequestRow.building_id == keys_param("building_ids"))
        if statuses:
            statement = statement.where(_any_of(RequestRow.status, "statuses"))
        if scopes:
            statement = statement.where(_any_of(RequestRow.scope, "scopes"))
        if categories:
            statement = statement.where(_any_of(RequestRow.category, "categories"))
        if overdue is True:
            statement = statement.where(_overdue())
        elif overdue is False:
            statement = statement.where(not_(_overdue()))
        if assignee:
            statement = statement.where(RequestRow.assignee_id == bindparam("assignee_id"))
        prepared = Prepared(keyset_desc(statement, (RequestRow.id,), has_after=has_after))
        _DESK[shape] = prepared
    return prepared


@dataclass(frozen=True, slots=True)
class DeskFilter:
    """Which requests of an organisation the desk shows (None: no filter on that)."""

    building_ids: Sequence[int] | None = None
    statuses: Sequence[RepairRequestStatus] | None = None
    scopes: Sequence[RepairRequestScope] | None = None
    categories: Sequence[RepairCategory] | None = None
    overdue: bool | None = None
    assignee_id: int | None = None


async def desk_requests(
    db: Database,
    organisation_id: int,
    page: PageRequest,
    filter: DeskFilter,
    *,
    now: datetime,
    with_premise: bool,
    with_assignee: bool,
) -> Sequence[Row]:
    """A page of the organisation's requests that pass ``filter``, newest first, each row
    with its building's columns (:data:`DESK_BUILDING`) and, ``with_premise``, its
    premise's (:data:`DESK_PREMISE`) and, ``with_assignee``, its assignee's
    (:data:`DESK_ASSIGNEE`)."""
    params: dict[str, Any] = {"organisation_id": organisation_id, **page_params(page)}
    if filter.building_ids is not None:
        params["building_ids"] = list(filter.building_ids)
    if filter.statuses is not None:
        params["statuses"] = [status.value for status in filter.statuses]
    if filter.scopes is not None:
        params["scopes"] = [scope.value for scope in filter.scopes]
    if filter.categories is not None:
        params["categories"] = [category.value for category in filter.categories]
    if filter.overdue is not None:
        params["now"] = now
    if filter.assignee_id is not None:
        params["assignee_id"] = filter.assignee_id
    shape = (
        page.after is not None,
        filter.building_ids is not None,
        filter.statuses is not None,
        filter.scopes is not None,
        filter.categories is not None,
        filter.overdue,
        filter.assignee_id is not None,
        with_premise,
        with_assignee,
    )
    return await db.fetch(_desk(shape), **params)
