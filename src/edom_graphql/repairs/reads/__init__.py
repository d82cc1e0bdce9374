"""Every read of repair requests: by id, a request's history, a building's requests as
its residents may see them (the rule of :mod:`edom_graphql.repairs.access`, in SQL), the
similar open requests and the event streams followed live (the staff desk's page:
:mod:`edom_graphql.repairs.reads.desk`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, literal_column, or_, select

from edom_graphql.core.context import Context
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery, Loader, keys_param
from edom_graphql.core.pagination import PageRequest, keyset, keyset_desc, page_params, row_limit
from edom_graphql.repairs.models import (
    OPEN,
    RepairCategory,
    RepairRequestEventKind,
    RepairRequestScope,
)
from edom_graphql.repairs.models import RepairRequest as RequestRow
from edom_graphql.repairs.models import RepairRequestEvent as EventRow
from edom_graphql.repairs.models import RepairRequestFollower as FollowerRow
from edom_graphql.repairs.models import RepairRequestPhoto as PhotoRow

Row = Any

REQUEST_COLUMNS = select(
    RequestRow.id,
    RequestRow.number,
    RequestRow.building_id,
    RequestRow.organisation_id,
    RequestRow.premise_id,
    RequestRow.author_id,
    RequestRow.scope,
    RequestRow.category,
    RequestRow.description,
    RequestRow.status,
    RequestRow.assignee_id,
    RequestRow.created_at,
    RequestRow.updated_at,
    RequestRow.due_at,
    RequestRow.rating,
    RequestRow.follower_count,
    RequestRow.version,
)
EVENT_COLUMNS = select(
    EventRow.id,
    EventRow.request_id,
    EventRow.building_id,
    EventRow.organisation_id,
    EventRow.actor_id,
    EventRow.kind,
    EventRow.from_status,
    EventRow.to_status,
    EventRow.assignee_id,
    EventRow.rating,
    EventRow.comment,
    EventRow.at,
)
PHOTO_COLUMNS = select(
    PhotoRow.storage_key, PhotoRow.content_type, PhotoRow.size_bytes, PhotoRow.position
).order_by(PhotoRow.request_id, PhotoRow.position)

REQUEST_BY_ID = KeyedQuery(REQUEST_COLUMNS, RequestRow.id)
EVENT_BY_ID = KeyedQuery(EVENT_COLUMNS, EventRow.id)
PHOTOS_OF_REQUEST = KeyedQuery(PHOTO_COLUMNS, PhotoRow.request_id)


def is_open(column: Any) -> Any:
    """SQL: the status is one of :data:`OPEN` (inlined, so prepared statements keep it)."""
    return column.in_(
        [literal_column(f"'{status.value}'") for status in sorted(OPEN, key=lambda s: s.value)]
    )


# -- what access decisions read -------------------------------------------------------------

_FOLLOWED = Prepared(
    select(FollowerRow.request_id, FollowerRow.user_id).where(
        FollowerRow.request_id == keys_param(),
        FollowerRow.user_id == keys_param("users"),
    )
)


class FollowsLoader(Loader[tuple[int, int], bool]):
    """Whether user follows request, by ``(request_id, user_id)``: one statement a batch."""

    async def batch_load_fn(self, keys: list[tuple[int, int]]) -> list[bool]:
        rows = await self.db.fetch(
            _FOLLOWED,
            keys=list({request for request, _ in keys}),
            users=list({user for _, user in keys}),
        )
        found = {(row[0], row[1]) for row in rows}
        return [key in found for key in keys]


@dataclass(frozen=True, slots=True)
class RequestRef:
    """What deciding who may see a request takes of it."""

    pk: int
    building_pk: int
    organisation_pk: int
    scope: RepairRequestScope
    premise_pk: int | None
    author_pk: int

    @classmethod
    def of_row(cls, row: Row) -> RequestRef:
        """Of a row of :data:`REQUEST_COLUMNS`."""
        return cls(
            pk=row["id"],
            building_pk=row["building_id"],
            organisation_pk=row["organisation_id"],
            scope=RepairRequestScope(row["scope"]),
            premise_pk=row["premise_id"],
            author_pk=row["author_id"],
        )


class RequestRefLoader(Loader[int, RequestRef | None]):
    """Requests by id, for access decisions: one statement a batch (the one of
    ``RepairRequestByIdLoader``, which shares its rows with this loader both ways: a
    request is read once per operation whichever asks first)."""

    def __init__(self, context: Context) -> None:
        super().__init__(context)
        self.rows: dict[int, Row] = {}
        """Every row of :data:`REQUEST_BY_ID` read in this operation, by id."""

    async def batch_load_fn(self, keys: list[int]) -> list[RequestRef | None]:
        for row in await requests_by_id(self.db, keys):
            self.rows[row[-1]] = row
        return [RequestRef.of_row(self.rows[key]) if key in self.rows else None for key in keys]

    def remember(self, rows: Sequence[Row]) -> None:
        """Rows of :data:`REQUEST_BY_ID` read elsewhere: kept, and their refs primed."""
        for row in rows:
            self.rows[row[-1]] = row
            self.prime(row[-1], RequestRef.of_row(row))


async def requests_by_id(db: Database, ids: Sequence[int]) -> Sequence[Row]:
    """Rows of :data:`REQUEST_BY_ID` (the request's columns, then its id) of these ids."""
    return await REQUEST_BY_ID.rows(db, list(ids))


_BUILDING_OF = Prepared(select(RequestRow.building_id).where(RequestRow.id == bindparam("id")))


async def building_of_request(db: Database, request_id: int) -> int | None:
    """The building of a request (None when there is no such request)."""
    row = await db.fetch_one(_BUILDING_OF, id=request_id)
    return int(row[0]) if row is not None else None


# -- a request's history --------------------------------------------------------------------


def _events(has_after: bool, comments_only: bool) -> Prepared:
    statement = EVENT_COLUMNS.where(EventRow.request_id == bindparam("request_id"))
    if comments_only:
        statement = statement.where(EventRow.kind == RepairRequestEventKind.COMMENTED)
    return Prepared(keyset(statement, (EventRow.id,), has_after=has_after))


_EVENTS = {
    (has_after, comments_only): _events(has_after, comments_only)
    for has_after in (False, True)
    for comments_only in (False, True)
}


async def events_of(
    db: Database, request_id: int, page: PageRequest, *, comments_only: bool
) -> Sequence[Row]:
    """A page of a request's events (or of its comments only), oldest first."""
    return await db.fetch(
        _EVENTS[(page.after is not None, comments_only)],
        request_id=request_id,
        **page_params(page),
    )


# -- a building's requests, as its residents and staff see them -------------------------------


def _building_requests(has_after: bool, everything: bool) -> Prepared:
    statement = REQUEST_COLUMNS.where(RequestRow.building_id == bindparam("building_id"))
    if not everything:
        followed = exists().where(
            FollowerRow.request_id == RequestRow.id,
            FollowerRow.user_id == bindparam("viewer_id"),
        )
        statement = statement.where(
            or_(
                RequestRow.scope != RepairRequestScope.APARTMENT,
                and_(
                    RequestRow.premise_id == keys_param("own_premises"),
                    or_(RequestRow.author_id == bindparam("viewer_id"), followed),
                ),
            )
        )
    return Prepared(keyset_desc(statement, (RequestRow.id,), has_after=has_after))


_BUILDING_REQUESTS = {
    (has_after, everything): _building_requests(has_after, everything)
    for has_after in (False, True)
    for everything in (False, True)
}


async def requests_of_building(
    db: Database,
    building_id: int,
    page: PageRequest,
    *,
    viewer: tuple[int, Sequence[int]] | None,
) -> Sequence[Row]:
    """A page of the building's requests, newest first: all of them (``viewer`` None),
    or those a resident sees: building and yard requests, and the apartment requests
    they filed or follow at ``viewer = (user_id, premises where they may file)``."""
    params: dict[str, Any] = {"building_id": building_id, **page_params(page)}
    if viewer is not None:
        params["viewer_id"], params["own_premises"] = viewer[0], list(viewer[1])
    return await db.fetch(_BUILDING_REQUESTS[(page.after is not None, viewer is None)], **params)


_SIMILAR = Prepared(
    REQUEST_COLUMNS.where(
        RequestRow.building_id == bindparam("building_id"),
        RequestRow.scope == bindparam("scope", type_=RequestRow.scope.type),
        RequestRow.category == bindparam("category", type_=RequestRow.category.type),
        is_open(RequestRow.status),
        RequestRow.id != bindparam("exclude_id"),
    )
    .order_by(RequestRow.id.desc())
    .limit(row_limit())
)


async def similar_open(
    db: Database,
    *,
    building_id: int,
    scope: RepairRequestScope,
    category: RepairCategory,
    exclude_id: int,
    limit: int,
) -> Sequence[Row]:
    """Open requests of the building of this scope and category, newest first."""
    return await db.fetch(
        _SIMILAR,
        building_id=building_id,
        scope=scope.value,
        category=category.value,
        exclude_id=exclude_id,
        limit=limit,
    )


# -- the event streams: a request's, an organisation's, a building's -------------------------

STREAMS = (EventRow.request_id, EventRow.organisation_id, EventRow.building_id)
_LATEST = {
    column.key: Prepared(
        select(func.coalesce(func.max(EventRow.id), 0)).where(column == bindparam("key"))
    )
    for column in STREAMS
}
_AFTER = {
    column.key: Prepared(
        EVENT_COLUMNS.where(column == bindparam("key"), EventRow.id > bindparam("last_id"))
        .order_by(EventRow.id)
        .limit(row_limit())
    )
    for column in STREAMS
}


async def latest_event_id(db: Database, stream: str, key: int) -> int:
    """The id of the stream's latest event (0 before the first); ``stream`` is the column
    that keys it: ``request_id``, ``organisation_id`` or ``building_id``."""
    row = await db.fetch_one(_LATEST[stream], key=key)
    return int(row[0]) if row is not None else 0


async def events_after(
    db: Database, stream: str, key: int, *, last_id: int, limit: int
) -> Sequence[Row]:
    """The stream's events after ``last_id``, oldest first (a subscription's replay)."""
    return await db.fetch(_AFTER[stream], key=key, last_id=last_id, limit=limit)
