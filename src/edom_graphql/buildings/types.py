"""GraphQL types of buildings, premises and management organisations."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from edom_graphql.buildings import access, reads
from edom_graphql.buildings.models import PremiseKind
from edom_graphql.core.capabilities import MATRIX, Capability, Tier
from edom_graphql.core.composition import read_page
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import by_value, graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader, PageLoader, later, prime_related
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import (
    INT32,
    After,
    Connection,
    First,
    build_connection,
    page_request,
)
from edom_graphql.core.profile import allows_in_building
from edom_graphql.core.rows import made

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
        return made(
            cls,
            {
                "id": encode_id("ManagementOrganisation", row[0]),
                "pk": row[0],
                "name": row[1],
                "inn": row[2],
                "phone": row[3],
            },
        )

    @classmethod
    async def load_nodes(
        cls, context: Context, pks: Sequence[int]
    ) -> Sequence[ManagementOrganisation | None]:
        return await OrganisationByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: ManagementOrganisation) -> Verdict:
        return access.organisation_visible(context, node)


async def _viewer_capabilities(info: AppInfo, building: Building) -> list[Capability]:
    profile = await info.context.profile()
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
        return made(
            cls,
            {
                "id": encode_id("Building", pk),
                "pk": pk,
                "building_pk": pk,
                "organisation_id": row[1],
                "address": row[2],
                "location": made(GeoPoint, {"latitude": row[3], "longitude": row[4]}),
                "total_area": row[5],
                "intercom_capable": row[6],
            },
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Building | None]:
        return await BuildingByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Building) -> Verdict:
        return access.building_visible(context, node)

    @strawberry.field(description="The organisation that manages the building.")
    def management_organisation(self, info: AppInfo) -> ManagementOrganisation:
        return later(OrganisationByIdLoader.of(info.context).load(self.organisation_id))

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
        items = await read_page(
            info, Premise, self, PremisesOfBuildingLoader, (self.pk, page, (kind,))
        )
        connection = build_connection(items, page, Premise.sort_key)
        return PremiseConnection(
            edges=connection.edges, page_info=connection.page_info, building_pk=self.pk, kind=kind
        )

    @strawberry.field(description="The viewer's tier here; null for staff and strangers.")
    async def viewer_tier(self, info: AppInfo) -> Tier | None:
        return (await info.context.profile()).building_tiers.get(self.pk)

    @strawberry.field(
        description="What the viewer may do in this building (building-wide capabilities)."
    )
    async def viewer_capabilities(self, info: AppInfo) -> list[Capability]:
        return await _viewer_capabilities(info, self)


_PREMISE_KIND = by_value(PremiseKind)


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
    read_ahead: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)
    """Values other domains read for a whole page at once, by field (see
    :func:`edom_graphql.core.composition.read_page`)."""

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Premise:
        return made(
            cls,
            {
                "id": encode_id("Premise", row[0]),
                "pk": row[0],
                "building_pk": row[1],
                "number_sort": row[2],
                "number": row[3],
                "kind": _PREMISE_KIND(row[4]),
                "area": row[5],
                "entrance": row[6],
                "floor": row[7],
                "read_ahead": {},
            },
        )

    @staticmethod
    def sort_key(premise: Premise) -> tuple[int, str, int]:
        return (premise.number_sort, premise.number, premise.pk)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Premise | None]:
        return await PremiseByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Premise) -> Verdict:
        return access.premise_visible(context, node)

    @strawberry.field(description="The building the premise is in.")
    def building(self, info: AppInfo) -> Building:
        return later(BuildingByIdLoader.of(info.context).load(self.building_pk))

    @strawberry.field(description="The viewer's tier at this premise, if any.")
    async def viewer_tier(self, info: AppInfo) -> Tier | None:
        return (await info.context.profile()).premise_tiers.get(self.pk)


@strawberry.type(description="A page of premises.")
class PremiseConnection(Connection[Premise]):
    building_pk: strawberry.Private[int]
    kind: strawberry.Private[PremiseKind | None]

    @strawberry.field(description="How many premises match, over all pages.")
    async def total_count(self, info: AppInfo) -> int:
        count: int = await reads.PremiseCountLoader.of(info.context).load(
            (self.building_pk, self.kind)
        )
        return count


@strawberry.type(description="A page of buildings.")
class BuildingConnection(Connection[Building]):
    pass


# -- loaders ----------------------------------------------------------------------------


class BuildingByIdLoader(ByIdLoader[Building]):
    """Buildings by id; each one's organisation, read with it, goes to
    :class:`OrganisationByIdLoader`."""

    query = reads.BUILDING_BY_ID
    convert = Building.from_row

    async def batch_load_fn(self, keys: list[int]) -> list[Building | None]:
        rows = await self.query.rows(self.db, keys)
        prime_related(
            rows,
            OrganisationByIdLoader.of(self.context),
            reads.BUILDING_ORGANISATION,
            ManagementOrganisation.from_row,
        )
        found = {row[-1]: Building.from_row(row) for row in rows}
        return [found.get(key) for key in keys]


class PremiseByIdLoader(ByIdLoader[Premise]):
    query = reads.PREMISE_BY_ID
    convert = Premise.from_row


class OrganisationByIdLoader(ByIdLoader[ManagementOrganisation]):
    query = reads.ORGANISATION_BY_ID
    convert = ManagementOrganisation.from_row


class PremisesOfBuildingLoader(PageLoader[Premise]):
    """A page of a building's premises, in number order (optionally of one kind)."""

    children = reads.PREMISES_OF_BUILDING
    convert = Premise.from_row


async def viewer_buildings(info: AppInfo, *, first: int, after: str | None) -> BuildingConnection:
    """The buildings where the viewer has a tier or works for the organisation."""
    page = page_request(first, after, types=(int,))
    profile = await info.context.profile()
    rows = await reads.buildings_of(
        info.context.db,
        tier_buildings=list(profile.building_tiers),
        staff_organisations=list(profile.staff_roles),
        page=page,
    )
    items = [Building.from_row(row) for row in rows]
    loader = BuildingByIdLoader.of(info.context)
    for building in items:
        loader.prime(building.pk, building)
    connection = build_connection(items, page, lambda building: (building.pk,))
    return BuildingConnection(edges=connection.edges, page_info=connection.page_info)
