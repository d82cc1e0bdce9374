"""Every read of the listings board: listings by id and by building, and their photos."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select

from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery, Loader, keys_param
from edom_graphql.core.pagination import PageRequest, keyset_desc, page_params
from edom_graphql.listings.models import Listing, ListingCategory, ListingPhoto, ListingStatus

LISTING_COLUMNS = select(
    Listing.id,
    Listing.building_id,
    Listing.author_id,
    Listing.category,
    Listing.title,
    Listing.body,
    Listing.price_kopecks,
    Listing.status,
    Listing.created_at,
    Listing.updated_at,
    Listing.closed_at,
)
LISTING_BY_ID = KeyedQuery(LISTING_COLUMNS, Listing.id)
_BUILDINGS = Prepared(select(Listing.id, Listing.building_id).where(Listing.id == keys_param()))
_PHOTOS = Prepared(
    select(
        ListingPhoto.listing_id,
        ListingPhoto.storage_key,
        ListingPhoto.content_type,
        ListingPhoto.size_bytes,
    )
    .where(ListingPhoto.listing_id == keys_param())
    .order_by(ListingPhoto.listing_id, ListingPhoto.position)
)


def _page(has_after: bool, category: bool, own: bool) -> Prepared:
    statement = LISTING_COLUMNS.where(
        Listing.building_id == bindparam("building_id"),
        Listing.status == bindparam("status", type_=Listing.status.type),
    )
    if own:  # removed listings: non-staff see only their own
        statement = statement.where(Listing.author_id == bindparam("author_id"))
    if category:
        statement = statement.where(
            Listing.category == bindparam("category", type_=Listing.category.type)
        )
    return Prepared(keyset_desc(statement, (Listing.id,), has_after=has_after))


_PAGES = {
    (has_after, category, own): _page(has_after, category, own)
    for has_after in (False, True)
    for category in (False, True)
    for own in (False, True)
}


async def listings_by_id(db: Database, listing_ids: Sequence[int]) -> Sequence[Any]:
    """The rows of the listings with these ids that exist (``LISTING_COLUMNS``, then the id)."""
    return await LISTING_BY_ID.rows(db, list(listing_ids))


async def page_of(
    db: Database,
    building_id: int,
    page: PageRequest,
    *,
    status: ListingStatus,
    category: ListingCategory | None,
    author_id: int | None,
) -> Sequence[Any]:
    """A page of a building's listings in ``status``, newest first; of one category with
    ``category``, of one author with ``author_id``."""
    params: dict[str, Any] = {
        "building_id": building_id,
        "status": status.value,
        **page_params(page),
    }
    if author_id is not None:
        params["author_id"] = author_id
    if category is not None:
        params["category"] = category.value
    prepared = _PAGES[(page.after is not None, category is not None, author_id is not None)]
    return await db.fetch(prepared, **params)


async def photos_of(db: Database, listing_ids: Sequence[int]) -> Sequence[Any]:
    """``(listing_id, storage_key, content_type, size_bytes)`` of the photos of these
    listings, in order."""
    return await db.fetch(_PHOTOS, keys=list(listing_ids))


class ListingBuildingLoader(Loader[int, int | None]):
    """The building of each listing (None where there is no such listing)."""

    async def batch_load_fn(self, keys: list[int]) -> list[int | None]:
        found = {row[0]: int(row[1]) for row in await self.db.fetch(_BUILDINGS, keys=keys)}
        return [found.get(key) for key in keys]
