"""GraphQL types of the listings board."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry

from edom_graphql.buildings.types import Building, BuildingByIdLoader
from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import Loader, later
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import After, Connection, First, build_connection, page_request
from edom_graphql.core.permissions import requires
from edom_graphql.core.photos import PhotoBase
from edom_graphql.core.scalars import Kopecks
from edom_graphql.listings import access, reads
from edom_graphql.listings.models import ListingCategory, ListingStatus
from edom_graphql.residents.types import User, UserByIdLoader


@strawberry.type(description="A photo of a listing.")
class ListingPhoto(PhotoBase):
    pass


@strawberry.type(description="A listing on a building's board.")
class Listing(Node):
    pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    author_pk: strawberry.Private[int]
    category: ListingCategory = strawberry.field(description="What the listing is about.")
    title: str = strawberry.field(description="Short headline.")
    body: str = strawberry.field(description="The listing's text.")
    price_kopecks: Kopecks | None = strawberry.field(
        description="Asked price in kopecks; null when there is none (never for free categories)."
    )
    status: ListingStatus = strawberry.field(description="Active, closed or removed.")
    created_at: datetime = strawberry.field(description="When it was posted.")
    updated_at: datetime = strawberry.field(description="When it last changed.")
    closed_at: datetime | None = strawberry.field(
        description="When its author closed it; null while it is not closed."
    )
    photos: list[ListingPhoto] = strawberry.field(description="Its photos, in order.")

    @staticmethod
    def sort_key(listing: Listing) -> tuple[int]:
        return (listing.pk,)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Listing | None]:
        return await ListingByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Listing) -> Verdict:
        return access.listing_visible(context, node)

    @classmethod
    def from_row(cls, row: Sequence[Any], photos: list[ListingPhoto]) -> Listing:
        return cls(
            id=strawberry.ID(encode_id("Listing", row[0])),
            pk=row[0],
            building_pk=row[1],
            author_pk=row[2],
            category=ListingCategory(row[3]),
            title=row[4],
            body=row[5],
            price_kopecks=row[6],
            status=ListingStatus(row[7]),
            created_at=row[8],
            updated_at=row[9],
            closed_at=row[10],
            photos=photos,
        )

    @strawberry.field(description="The building whose board it is on.")
    def building(self, info: AppInfo) -> Building:
        return later(BuildingByIdLoader.of(info.context).load(self.building_pk))

    @strawberry.field(
        description="Who posted it (only the display name is visible to you); null when you "
        "no longer see them (they left the building, say)."
    )
    async def author(self, info: AppInfo) -> User | None:
        return await UserByIdLoader.of(info.context).load(self.author_pk)

    @strawberry.field(description="The viewer posted this listing.")
    def viewer_is_author(self, info: AppInfo) -> bool:
        return self.author_pk == info.context.viewer_id


@strawberry.type(description="A page of listings, newest first.")
class ListingConnection(Connection[Listing]):
    pass


async def listings_from_rows(context: Context, rows: Sequence[Any]) -> list[Listing]:
    """Listings of the given rows with their photos (one statement)."""
    if not rows:
        return []
    photos: dict[int, list[ListingPhoto]] = {row[0]: [] for row in rows}
    for photo in await reads.photos_of(context.db, list(photos)):
        photos[photo[0]].append(ListingPhoto.from_row(photo[1:]))
    return [Listing.from_row(row, photos[row[0]]) for row in rows]


class ListingByIdLoader(Loader[int, Listing | None]):
    """Listings by id with their photos: two statements a batch."""

    async def batch_load_fn(self, keys: list[int]) -> list[Listing | None]:
        rows = await reads.listings_by_id(self.db, keys)
        found = {listing.pk: listing for listing in await listings_from_rows(self.context, rows)}
        return [found.get(key) for key in keys]


async def listings_of(
    info: AppInfo,
    building_id: int,
    *,
    first: int,
    after: str | None,
    category: ListingCategory | None,
    status: ListingStatus,
) -> ListingConnection:
    """A page of a building's listings, newest first (``Building.listings``): a removed
    listing only for the building's staff and its author."""
    context = info.context
    page = page_request(first, after, types=(int,))
    own = status is ListingStatus.REMOVED and not await access.is_staff_of(context, building_id)
    rows = await reads.page_of(
        context.db,
        building_id,
        page,
        status=status,
        category=category,
        author_id=context.require_viewer() if own else None,
    )
    listings = await listings_from_rows(context, rows)
    connection = build_connection(listings, page, Listing.sort_key)
    return ListingConnection(edges=connection.edges, page_info=connection.page_info)


@strawberry.type
class BuildingListings:
    """``Building.listings``."""

    @requires(
        Capability.LISTINGS_VIEW,
        description="The building's listings board, newest first. Removed listings are "
        "shown only to the building's staff and to their authors.",
    )
    async def listings(
        self: Building,
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
    ) -> ListingConnection | None:
        return await listings_of(
            info, self.pk, first=first, after=after, category=category, status=status
        )
