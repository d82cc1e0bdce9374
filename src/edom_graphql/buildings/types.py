"""GraphQL types of buildings, premises and management organisations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from edom_graphql.buildings import access
from edom_graphql.buildings.models import PremiseKind
from edom_graphql.core.capabilities import MATRIX, Capability, Tier
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import later
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import (
    INT32,
    After,
    Connection,
    First,
    build_connection,
    page_request,
)
from edom_graphql.core.permissions import requires, source_organisation
from edom_graphql.core.selection import selects
from edom_graphql.listings.models import ListingCategory, ListingStatus
from edom_graphql.repairs.models import RepairCategory, RepairRequestScope

if TYPE_CHECKING:
    from edom_graphql.chats.types import Chat
    from edom_graphql.events.types import EventNearbyConnection
    from edom_graphql.listings.types import ListingConnection
    from edom_graphql.polls.types import PollConnection
    from edom_graphql.repairs.types import RepairRequest, RepairRequestConnection
    from edom_graphql.residents.types import NeighbourConnection, Ownership

graphql_enum(
    PremiseKind,
    "What a premise is.",
    {
        PremiseKind.APARTMENT: "A dwelling.",
        PremiseKind.NON_RESIDENTIAL: "A non-residential unit (a shop, an office).",
        PremiseKind.PARKING: "A parking place.",
    },
)


@strawberry.type(description="A point on the map (WGS 84).")
class GeoPoint:
    latitude: float = strawberry.field(description="Degrees north.")
    longitude: float = strawberry.field(description="Degrees east.")


@strawberry.type(description="A management organisation that runs buildings.")
class ManagementOrganisation(Node):
    pk: strawberry.Private[int]
    name: str = strawberry.field(description="Registered name.")
    inn: str = strawberry.field(description="Taxpayer number (ИНН).")
    phone: str | None = strawberry.field(description="Dispatch phone number.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> ManagementOrganisation:
        return cls(
            id=strawberry.ID(encode_id("ManagementOrganisation", row[0])),
            pk=row[0],
            name=row[1],
            inn=row[2],
            phone=row[3],
        )

    @classmethod
    async def load_nodes(
        cls, context: Context, pks: Sequence[int]
    ) -> Sequence[ManagementOrganisation | None]:
        return await context.loaders.organisation.load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: ManagementOrganisation) -> Verdict:
        return access.organisation_visible(context, node)

    @requires(
        Capability.REPAIR_REQUEST_HANDLE,
        source_organisation,
        description="Cursor of the organisation's latest repair request event (null before "
        "the first): read it with `repairRequestDesk`, then subscribe to "
        "`repairRequestBoard(organisationId:, after:)` to miss nothing in between.",
    )
    async def repair_board_cursor(self, info: AppInfo) -> str | None:
        from edom_graphql.repairs.api import board_cursor

        return await board_cursor(info.context, self.pk)


async def _viewer_capabilities(info: AppInfo, building: Building) -> list[Capability]:
    profile = await info.context.profile()
    from edom_graphql.core.access import allows_in_building

    return [
        capability
        for capability in Capability
        if allows_in_building(
            profile, capability, building_id=building.pk, organisation_id=building.organisation_id
        )
        and MATRIX[capability].scope.value == "BUILDING"
    ]


@strawberry.type(description="An apartment building on the platform.")
class Building(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    organisation_id: strawberry.Private[int]
    address: str = strawberry.field(description="Postal address.")
    location: GeoPoint = strawberry.field(description="Where the building stands.")
    total_area: Decimal = strawberry.field(
        description="Total area of all premises, m² (the denominator of owners' vote weights)."
    )
    intercom_capable: bool = strawberry.field(
        description="The building meets the technical requirements for the smart intercom."
    )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Building:
        pk = row[0]
        return cls(
            id=strawberry.ID(encode_id("Building", pk)),
            pk=pk,
            building_pk=pk,
            organisation_id=row[1],
            address=row[2],
            location=GeoPoint(latitude=float(row[3]), longitude=float(row[4])),
            total_area=row[5],
            intercom_capable=row[6],
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Building | None]:
        return await context.loaders.building.load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Building) -> Verdict:
        return access.building_visible(context, node)

    @strawberry.field(description="The organisation that manages the building.")
    async def management_organisation(self, info: AppInfo) -> ManagementOrganisation:
        organisation = await info.context.loaders.organisation.load(self.organisation_id)
        assert organisation is not None
        return organisation

    @strawberry.field(description="Premises of the building, in number order.")
    async def premises(
        self,
        info: AppInfo,
        first: First,
        after: After = None,
        kind: Annotated[
            PremiseKind | None, strawberry.argument(description="Only premises of this kind.")
        ] = None,
    ) -> PremiseConnection:
        page = page_request(first, after, types=(INT32, str, int))
        items = await info.context.loaders.premises_page.load((self.pk, page, (kind,)))
        if items and selects(info, ("edges", "node", "owners"), ("nodes", "owners")):
            from edom_graphql.residents.owners import prefetch_owners

            await prefetch_owners(info.context, self, items)
        connection = build_connection(items, page, Premise.sort_key)
        return PremiseConnection(
            edges=connection.edges, page_info=connection.page_info, building_pk=self.pk, kind=kind
        )

    @requires(
        Capability.NEIGHBOURS_DIRECTORY,
        description="Who of the building is on the platform: display name and premise number.",
    )
    async def neighbours(
        self,
        info: AppInfo,
        first: First,
        after: After = None,
    ) -> Annotated[NeighbourConnection, strawberry.lazy("edom_graphql.residents.types")] | None:
        from edom_graphql.residents.types import neighbours_of

        return await neighbours_of(info, self.pk, first=first, after=after)

    @requires(
        Capability.EVENTS_VIEW,
        description="Events around the building, nearest first (then by id).",
    )
    async def events_nearby(
        self,
        info: AppInfo,
        radius_km: Annotated[
            float, strawberry.argument(description="Search radius, km: more than 0, at most 50.")
        ],
        first: First,
        after: After = None,
        from_: Annotated[
            datetime | None,
            strawberry.argument(
                name="from",
                description="Only events not ended by then (default: now).",
            ),
        ] = None,
        to: Annotated[
            datetime | None,
            strawberry.argument(
                description="Only events that start by then; at most 366 days after `from`."
            ),
        ] = None,
    ) -> Annotated[EventNearbyConnection, strawberry.lazy("edom_graphql.events.types")] | None:
        from edom_graphql.events.api import events_nearby

        return await events_nearby(
            info,
            latitude=self.location.latitude,
            longitude=self.location.longitude,
            radius_km=radius_km,
            start=from_,
            end=to,
            first=first,
            after=after,
        )

    @requires(
        Capability.NOTICES_VIEW,
        description="The building's polls, newest first.",
    )
    async def polls(
        self,
        info: AppInfo,
        first: First,
        after: After = None,
        open: Annotated[
            bool | None,
            strawberry.argument(
                description="Only open polls (true) or only closed ones (false); all if omitted."
            ),
        ] = None,
    ) -> Annotated[PollConnection, strawberry.lazy("edom_graphql.polls.types")] | None:
        from edom_graphql.polls.types import polls_of

        return await polls_of(info, self.pk, first=first, after=after, open_=open)

    @requires(
        Capability.LISTINGS_VIEW,
        description="The building's listings board, newest first. Removed listings are "
        "shown only to the building's staff and to their authors.",
    )
    async def listings(
        self,
        info: AppInfo,
        first: First,
        after: After = None,
        category: Annotated[
            ListingCategory | None,
            strawberry.argument(description="Only listings of this category; all if omitted."),
        ] = None,
        status: Annotated[
            ListingStatus,
            strawberry.argument(description="Only listings in this status."),
        ] = ListingStatus.ACTIVE,
    ) -> Annotated[ListingConnection, strawberry.lazy("edom_graphql.listings.types")] | None:
        from edom_graphql.listings.types import listings_of

        return await listings_of(
            info,
            self.pk,
            first=first,
            after=after,
            category=category,
            status=status,
        )

    @requires(
        Capability.BUILDING_CHAT,
        description="The building's chat (residents down to basic guests; no staff).",
    )
    async def chat(
        self, info: AppInfo
    ) -> Annotated[Chat, strawberry.lazy("edom_graphql.chats.types")] | None:
        from edom_graphql.chats.types import building_chat

        return await building_chat(info.context, self.pk)

    @strawberry.field(
        description="The building's repair requests the viewer may see, newest first: all "
        "of them for the organisation's staff; for residents the building and yard "
        "requests, and their own and followed apartment requests."
    )
    async def repair_requests(
        self, info: AppInfo, first: First, after: After = None
    ) -> Annotated[RepairRequestConnection, strawberry.lazy("edom_graphql.repairs.types")]:
        from edom_graphql.repairs.types import repair_requests_of

        return await repair_requests_of(info, self.pk, first=first, after=after)

    @strawberry.field(
        description="Open building or yard requests of this scope and category, newest "
        "first (at most 5): to join (`repairRequestJoin`) instead of filing a duplicate. "
        "Empty for APARTMENT."
    )
    async def similar_repair_requests(
        self,
        info: AppInfo,
        scope: Annotated[RepairRequestScope, strawberry.argument(description="BUILDING or YARD.")],
        category: Annotated[RepairCategory, strawberry.argument(description="The category.")],
    ) -> list[Annotated[RepairRequest, strawberry.lazy("edom_graphql.repairs.types")]]:
        from edom_graphql.repairs.types import similar_open_requests

        return await similar_open_requests(
            info.context, building_id=self.pk, scope=scope, category=category
        )

    @strawberry.field(description="The viewer's tier here; null for staff and strangers.")
    async def viewer_tier(self, info: AppInfo) -> Tier | None:
        return (await info.context.profile()).building_tiers.get(self.pk)

    @strawberry.field(
        description="What the viewer may do in this building (building-wide capabilities)."
    )
    async def viewer_capabilities(self, info: AppInfo) -> list[Capability]:
        return await _viewer_capabilities(info, self)


@strawberry.type(description="An apartment, non-residential unit or parking place.")
class Premise(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    number_sort: strawberry.Private[int]
    number: str = strawberry.field(description='Number as written on the door (e.g. "12А").')
    kind: PremiseKind = strawberry.field(description="What the premise is.")
    area: Decimal = strawberry.field(description="Area, m², as an exact decimal string.")
    entrance: int | None = strawberry.field(description="Entrance (подъезд) number.")
    floor: int | None = strawberry.field(description="Floor.")
    owners_value: strawberry.Private[list[Ownership] | None] = None

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Premise:
        return cls(
            id=strawberry.ID(encode_id("Premise", row[0])),
            pk=row[0],
            building_pk=row[1],
            number_sort=row[2],
            number=row[3],
            kind=PremiseKind(row[4]),
            area=row[5],
            entrance=row[6],
            floor=row[7],
        )

    @staticmethod
    def sort_key(premise: Premise) -> tuple[int, str, int]:
        return (premise.number_sort, premise.number, premise.pk)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Premise | None]:
        return await context.loaders.premise.load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Premise) -> Verdict:
        return access.premise_visible(context, node)

    @strawberry.field(description="The building the premise is in.")
    async def building(self, info: AppInfo) -> Building:
        building = await info.context.loaders.building.load(self.building_pk)
        assert building is not None
        return building

    @requires(
        Capability.OWNERS_REGISTER,
        description="Current owners with their shares (the register of owners).",
        prefetched=attrgetter("owners_value"),
    )
    def owners(
        self, info: AppInfo
    ) -> list[Annotated[Ownership, strawberry.lazy("edom_graphql.residents.types")]] | None:
        if self.owners_value is not None:
            return self.owners_value
        return later(info.context.loaders.ownerships_by_premise.load(self.pk))

    @strawberry.field(
        description="The premise's chat with the management organisation: its occupants "
        "down to elevated guests and the organisation's staff are its members; null for "
        "everyone else."
    )
    async def management_chat(
        self, info: AppInfo
    ) -> Annotated[Chat, strawberry.lazy("edom_graphql.chats.types")] | None:
        from edom_graphql.chats.types import management_chat

        return await management_chat(info.context, self.pk)

    @strawberry.field(description="The viewer's tier at this premise, if any.")
    async def viewer_tier(self, info: AppInfo) -> Tier | None:
        return (await info.context.profile()).premise_tiers.get(self.pk)


@strawberry.type(description="A page of premises.")
class PremiseConnection(Connection[Premise]):
    building_pk: strawberry.Private[int]
    kind: strawberry.Private[PremiseKind | None]

    @strawberry.field(description="How many premises match, over all pages.")
    async def total_count(self, info: AppInfo) -> int:
        count: int = await info.context.loaders.premise_count.load((self.building_pk, self.kind))
        return count


@strawberry.type(description="A page of buildings.")
class BuildingConnection(Connection[Building]):
    pass
