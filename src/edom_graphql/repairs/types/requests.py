"""GraphQL types of repair requests and their history, and their loaders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from edom_graphql.buildings.types import Building, BuildingByIdLoader, Premise, PremiseByIdLoader
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import by_value
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader, ListByKeyLoader, Loader, later
from edom_graphql.core.nodes import Node, Verdict, visible
from edom_graphql.core.pagination import (
    After,
    Connection,
    First,
    build_connection,
    encode_cursor,
    page_request,
)
from edom_graphql.core.photos import PhotoBase
from edom_graphql.core.rows import made
from edom_graphql.repairs import access, reads
from edom_graphql.repairs.models import (
    RepairCategory,
    RepairRequestEventKind,
    RepairRequestScope,
    RepairRequestStatus,
)
from edom_graphql.repairs.service import is_overdue
from edom_graphql.residents.types import User, UserByIdLoader


@strawberry.type(description="A photo of a repair request.")
class RepairRequestPhoto(PhotoBase):
    pass


_SCOPE = by_value(RepairRequestScope)
_CATEGORY = by_value(RepairCategory)
_STATUS = by_value(RepairRequestStatus)


@strawberry.type(description="A repair request of a resident, handled by the building's staff.")
class RepairRequest(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    organisation_pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int | None]
    author_pk: strawberry.Private[int]
    assignee_pk: strawberry.Private[int | None]
    number: int = strawberry.field(description="Platform-wide number shown to people.")
    scope: RepairRequestScope = strawberry.field(description="Apartment, building or yard.")
    category: RepairCategory = strawberry.field(description="What needs repair.")
    description: str = strawberry.field(description="What is wrong, in the author's words.")
    status: RepairRequestStatus = strawberry.field(description="Where it is in its life.")
    created_at: datetime = strawberry.field(description="When it was filed.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    due_at: datetime | None = strawberry.field(
        description="The legal deadline of an emergency (LEAK: 30 minutes, BLOCKAGE: 2 hours, "
        "EMERGENCY_DAMAGE: 3 days after filing); null for other categories."
    )
    rating: int | None = strawberry.field(description="The author's rating of the work, 1–5.")
    follower_count: int = strawberry.field(
        description="Neighbours who joined it (\u201cme too\u201d), not counting the author."
    )
    version: int = strawberry.field(
        description="Bumped on every change of the request (status, assignee, rating, "
        "followers); pass it as `expectedVersion` to refuse acting on a stale view."
    )

    @staticmethod
    def sort_key(request: RepairRequest) -> tuple[int]:
        return (request.pk,)

    @classmethod
    async def load_nodes(
        cls, context: Context, pks: Sequence[int]
    ) -> Sequence[RepairRequest | None]:
        return await RepairRequestByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: RepairRequest) -> Verdict:
        return access.request_visible(context, node)

    @classmethod
    def from_row(cls, row: Any) -> RepairRequest:
        return made(
            cls,
            {
                "id": encode_id("RepairRequest", row["id"]),
                "pk": row["id"],
                "building_pk": row["building_id"],
                "organisation_pk": row["organisation_id"],
                "premise_pk": row["premise_id"],
                "author_pk": row["author_id"],
                "assignee_pk": row["assignee_id"],
                "number": row["number"],
                "scope": _SCOPE(row["scope"]),
                "category": _CATEGORY(row["category"]),
                "description": row["description"],
                "status": _STATUS(row["status"]),
                "created_at": row["created_at"],
                "updated_at": row["updated_at"],
                "due_at": row["due_at"],
                "rating": row["rating"],
                "follower_count": row["follower_count"],
                "version": row["version"],
            },
        )

    @strawberry.field(description="Past its legal deadline while still open (`dueAt` passed).")
    def is_overdue(self, info: AppInfo) -> bool:
        return is_overdue(self.status, self.due_at, info.context.now)

    @strawberry.field(description="The building it concerns.")
    def building(self, info: AppInfo) -> Building:
        return later(BuildingByIdLoader.of(info.context).load(self.building_pk))

    @strawberry.field(description="The apartment, for APARTMENT requests; null otherwise.")
    def premise(self, info: AppInfo) -> Premise | None:
        if self.premise_pk is None:
            return None
        return later(PremiseByIdLoader.of(info.context).load(self.premise_pk))

    @strawberry.field(
        description="Who filed it (only the display name is visible to you); null when you "
        "no longer see them (they left the building, say)."
    )
    async def author(self, info: AppInfo) -> User | None:
        return await UserByIdLoader.of(info.context).load(self.author_pk)

    @strawberry.field(description="The engineer assigned; null until one is.")
    def assignee(self, info: AppInfo) -> User | None:
        if self.assignee_pk is None:
            return None
        return later(UserByIdLoader.of(info.context).load(self.assignee_pk))

    @strawberry.field(description="The viewer filed this request.")
    def viewer_is_author(self, info: AppInfo) -> bool:
        return self.author_pk == info.context.viewer_id

    @strawberry.field(
        description="The viewer joined this request (\u201cme too\u201d) and follows it."
    )
    async def viewer_follows(self, info: AppInfo) -> bool:
        context = info.context
        viewer_id = context.require_viewer()
        if viewer_id == self.author_pk:
            return False
        follows: bool = await reads.FollowsLoader.of(context).load((self.pk, viewer_id))
        return follows

    @strawberry.field(description="Its photos, in order.")
    async def photos(self, info: AppInfo) -> list[RepairRequestPhoto]:
        photos: list[RepairRequestPhoto] = await PhotosOfRequestLoader.of(info.context).load(
            self.pk
        )
        return photos

    @strawberry.field(description="Everything that happened to it, oldest first.")
    async def history(
        self, info: AppInfo, first: First, after: After = None
    ) -> RepairRequestEventConnection:
        return await events_of(info, self.pk, first=first, after=after, comments_only=False)

    @strawberry.field(description="Its comment thread (author, followers, staff), oldest first.")
    async def comments(
        self, info: AppInfo, first: First, after: After = None
    ) -> RepairRequestEventConnection:
        return await events_of(info, self.pk, first=first, after=after, comments_only=True)


@strawberry.type(description="One change of a repair request: its history and live streams.")
class RepairRequestEvent(Node):
    pk: strawberry.Private[int]
    request_pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    organisation_pk: strawberry.Private[int]
    actor_pk: strawberry.Private[int | None]
    assignee_pk: strawberry.Private[int | None]
    kind: RepairRequestEventKind = strawberry.field(description="What happened.")
    from_status: RepairRequestStatus | None = strawberry.field(
        description="The status before, for STATUS_CHANGED."
    )
    to_status: RepairRequestStatus | None = strawberry.field(
        description="The status after, for CREATED and STATUS_CHANGED."
    )
    rating: int | None = strawberry.field(description="The rating given, for RATED.")
    comment: str | None = strawberry.field(
        description="The comment: a reason, a note on the work, or a message of the thread."
    )
    at: datetime = strawberry.field(description="When it happened.")

    @staticmethod
    def sort_key(event: RepairRequestEvent) -> tuple[int]:
        return (event.pk,)

    @classmethod
    async def load_nodes(
        cls, context: Context, pks: Sequence[int]
    ) -> Sequence[RepairRequestEvent | None]:
        return await RepairRequestEventByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: RepairRequestEvent) -> Verdict:
        return access.event_visible(context, node.request_pk)

    @classmethod
    def from_row(cls, row: Any) -> RepairRequestEvent:
        return made(
            cls,
            {
                "id": encode_id("RepairRequestEvent", row["id"]),
                "pk": row["id"],
                "request_pk": row["request_id"],
                "building_pk": row["building_id"],
                "organisation_pk": row["organisation_id"],
                "actor_pk": row["actor_id"],
                "assignee_pk": row["assignee_id"],
                "kind": RepairRequestEventKind(row["kind"]),
                "from_status": RepairRequestStatus(row["from_status"])
                if row["from_status"]
                else None,
                "to_status": RepairRequestStatus(row["to_status"]) if row["to_status"] else None,
                "rating": row["rating"],
                "comment": row["comment"],
                "at": row["at"],
            },
        )

    @strawberry.field(
        description="Position in the request's history and in its organisation's board: "
        "pass it as `after` to `repairRequestEvents` or `repairRequestBoard` to resume "
        "without gaps."
    )
    def cursor(self) -> str:
        return encode_cursor(RepairRequestEvent.sort_key(self))

    @strawberry.field(description="The request, as it is now.")
    async def request(self, info: AppInfo) -> RepairRequest:
        request: RepairRequest | None = await RepairRequestByIdLoader.of(info.context).load(
            self.request_pk
        )
        assert request is not None
        return request

    @strawberry.field(description="Who did it; null when the platform did (auto-close).")
    def actor(self, info: AppInfo) -> User | None:
        if self.actor_pk is None:
            return None
        return later(UserByIdLoader.of(info.context).load(self.actor_pk))

    @strawberry.field(description="The engineer assigned, for ASSIGNED.")
    def assignee(self, info: AppInfo) -> User | None:
        if self.assignee_pk is None:
            return None
        return later(UserByIdLoader.of(info.context).load(self.assignee_pk))


@strawberry.type(description="A page of repair requests, newest first.")
class RepairRequestConnection(Connection[RepairRequest]):
    pass


@strawberry.type(description="A page of a repair request's events, oldest first.")
class RepairRequestEventConnection(Connection[RepairRequestEvent]):
    pass


# -- loaders ---------------------------------------------------------------------------------


class RepairRequestByIdLoader(Loader[int, RepairRequest | None]):
    """Requests by id, unfiltered: for objects reached through a visible path only.

    Shares its rows with :class:`~edom_graphql.repairs.reads.RequestRefLoader` (the
    access decisions' loader) both ways, so a request is read once per operation."""

    async def batch_load_fn(self, keys: list[int]) -> list[RepairRequest | None]:
        refs = reads.RequestRefLoader.of(self.context)
        missing = [key for key in keys if key not in refs.rows]
        if missing:
            refs.remember(await reads.requests_by_id(self.db, missing))
        return [
            RepairRequest.from_row(refs.rows[key]) if key in refs.rows else None for key in keys
        ]


class RepairRequestEventByIdLoader(ByIdLoader[RepairRequestEvent]):
    query = reads.EVENT_BY_ID
    convert = RepairRequestEvent.from_row


class PhotosOfRequestLoader(ListByKeyLoader[RepairRequestPhoto]):
    query = reads.PHOTOS_OF_REQUEST
    convert = RepairRequestPhoto.from_row


async def visible_request(context: Context, request_id: int) -> RepairRequest | None:
    """The request if the viewer may see it (as things are now), else None."""
    (request,) = await RepairRequest.load_nodes(context, [request_id])
    return await visible(context, request)


# -- history ---------------------------------------------------------------------------------


async def events_of(
    info: AppInfo, request_id: int, *, first: int, after: str | None, comments_only: bool
) -> RepairRequestEventConnection:
    """A page of a (visible) request's history, oldest first."""
    page = page_request(first, after, types=(int,))
    rows = await reads.events_of(info.context.db, request_id, page, comments_only=comments_only)
    events = [RepairRequestEvent.from_row(row) for row in rows]
    connection = build_connection(events, page, RepairRequestEvent.sort_key)
    return RepairRequestEventConnection(edges=connection.edges, page_info=connection.page_info)
