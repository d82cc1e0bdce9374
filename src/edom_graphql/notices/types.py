"""GraphQL types of notices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry

from edom_graphql.buildings.types import Building, BuildingByIdLoader
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import Loader, later
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import After, Connection, First, build_connection, page_request
from edom_graphql.core.permissions import requires
from edom_graphql.notices import access, reads
from edom_graphql.notices.models import OUTAGE_CATEGORIES, NoticeCategory
from edom_graphql.residents.types import Viewer

graphql_enum(
    NoticeCategory,
    "What a notice is about.",
    {
        NoticeCategory.HOT_WATER_OUTAGE: "Hot water will be (or is) off.",
        NoticeCategory.COLD_WATER_OUTAGE: "Cold water will be (or is) off.",
        NoticeCategory.ELECTRICITY_OUTAGE: "Electricity will be (or is) off.",
        NoticeCategory.HEATING_OUTAGE: "Heating will be (or is) off.",
        NoticeCategory.LIFT_OUTAGE: "A lift will be (or is) out of service.",
        NoticeCategory.WORKS: "Works in or around the building.",
        NoticeCategory.RESIDENTS_MEETING: "A meeting of residents.",
        NoticeCategory.ANNOUNCEMENT: "A general announcement.",
    },
)


@strawberry.type(description="A notice of the management organisation to a building.")
class Notice(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    category: NoticeCategory = strawberry.field(description="What it is about.")
    title: str = strawberry.field(description="Its headline.")
    text: str = strawberry.field(description="Its text.")
    entrances: list[int] = strawberry.field(
        description="The entrances (by number) it is addressed to; empty: the whole building."
    )
    visible_from: datetime = strawberry.field(description="When its validity begins.")
    visible_until: datetime = strawberry.field(description="When it expires.")
    outage_start: datetime | None = strawberry.field(
        description="When the outage begins (outage categories only)."
    )
    outage_end: datetime | None = strawberry.field(description="When the outage ends.")
    created_at: datetime = strawberry.field(description="When it was posted.")
    edit_count: int = strawberry.field(description="How many times it has been edited.")
    edited_at: datetime | None = strawberry.field(
        description="When it was last edited; null if never."
    )
    withdrawn_at: datetime | None = strawberry.field(
        description="When it was withdrawn (only staff see withdrawn notices); null if not."
    )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Notice:
        """Of a row of ``reads.NOTICE_COLUMNS``."""
        return cls(
            id=strawberry.ID(encode_id("Notice", row[0])),
            pk=row[0],
            building_pk=row[1],
            category=NoticeCategory(row[3]),
            title=row[4],
            text=row[5],
            entrances=list(row[6]),
            visible_from=row[7],
            visible_until=row[8],
            outage_start=row[9],
            outage_end=row[10],
            created_at=row[11],
            edit_count=row[12],
            edited_at=row[13],
            withdrawn_at=row[14],
        )

    @staticmethod
    def sort_key(notice: Notice) -> tuple[int]:
        return (notice.pk,)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Notice | None]:
        return await NoticeByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Notice) -> Verdict:
        return access.notice_visible(context, node)

    @strawberry.field(description="The building it is posted to.")
    def building(self, info: AppInfo) -> Building:
        return later(BuildingByIdLoader.of(info.context).load(self.building_pk))

    @strawberry.field(description="It has been edited since it was posted.")
    def edited(self) -> bool:
        return self.edit_count > 0

    @strawberry.field(description="It has been withdrawn.")
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @strawberry.field(description="Its validity window contains the present moment.")
    def is_current(self, info: AppInfo) -> bool:
        return self.visible_from <= info.context.now < self.visible_until

    @strawberry.field(description="It is about an outage (of water, power, heating, a lift).")
    def is_outage(self) -> bool:
        return self.category in OUTAGE_CATEGORIES


@strawberry.type(description="A page of notices, newest first.")
class NoticeConnection(Connection[Notice]):
    pass


class NoticeByIdLoader(Loader[int, Notice | None]):
    """Notices by id: one statement a batch."""

    async def batch_load_fn(self, keys: list[int]) -> list[Notice | None]:
        found = {row[0]: Notice.from_row(row) for row in await reads.notices_by_id(self.db, keys)}
        return [found.get(key) for key in keys]


async def notices_of(
    info: AppInfo, building_id: int, *, first: int, after: str | None, include_expired: bool
) -> NoticeConnection:
    """A page of a building's notices as the viewer sees them, newest first."""
    context = info.context
    page = page_request(first, after, types=(int,))
    audience = await access.audience(context, building_id)
    rows = await reads.page_of(
        context.db,
        building_id,
        page,
        entrances=None if audience.everything else sorted(audience.entrances),
        include_expired=include_expired,
        now=context.now,
    )
    notices = [Notice.from_row(row) for row in rows]
    connection = build_connection(notices, page, Notice.sort_key)
    return NoticeConnection(edges=connection.edges, page_info=connection.page_info)


@strawberry.type
class BuildingNotices:
    """``Building.notices``."""

    @requires(
        Capability.NOTICES_VIEW,
        description="The building's current and upcoming notices the viewer is addressed by, "
        "newest first (staff: all of them, withdrawn ones flagged).",
    )
    async def notices(
        self: Building,
        info: AppInfo,
        first: First,
        after: After = None,
        include_expired: Annotated[
            bool,
            strawberry.argument(description="Also the notices whose validity has ended."),
        ] = False,
    ) -> NoticeConnection | None:
        return await notices_of(
            info, self.pk, first=first, after=after, include_expired=include_expired
        )


@strawberry.type(description="Which notices the viewer is notified of.")
class NoticeSettings:
    user_pk: strawberry.Private[int]

    @strawberry.field(
        description="Categories the viewer is not notified of (they still see the notices)."
    )
    async def muted_categories(self, info: AppInfo) -> list[NoticeCategory]:
        return await reads.muted_categories(info.context.db, self.user_pk)


@strawberry.type
class ViewerNoticeSettings:
    """``Viewer.noticeSettings``."""

    @strawberry.field(description="Which notices the viewer is notified of.")
    def notice_settings(self: Viewer) -> NoticeSettings:
        return NoticeSettings(user_pk=self.user_pk)
