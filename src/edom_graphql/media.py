"""Which stored photo a viewer may fetch at ``/media/{key}``.

A photo is visible exactly when what it belongs to is: a listing (``fetch_listings``) or
a repair request (``fetch_repair_requests``). One statement finds the owner of a key.
"""

from __future__ import annotations

from sqlalchemy import bindparam, literal, select, union_all

from edom_graphql.core.context import Context
from edom_graphql.core.db import Prepared
from edom_graphql.listings.api import fetch_listings
from edom_graphql.listings.models import ListingPhoto
from edom_graphql.repairs.api import fetch_repair_requests
from edom_graphql.repairs.models import RepairRequestPhoto

PHOTO_OWNER_BY_KEY = Prepared(
    union_all(
        select(
            literal("Listing").label("owner_type"),
            ListingPhoto.listing_id.label("owner_id"),
            ListingPhoto.content_type,
        ).where(ListingPhoto.storage_key == bindparam("key")),
        select(
            literal("RepairRequest"),
            RepairRequestPhoto.request_id,
            RepairRequestPhoto.content_type,
        ).where(RepairRequestPhoto.storage_key == bindparam("key")),
    )
)


async def visible_photo_type(context: Context, key: str) -> str | None:
    """The media type of the photo stored under ``key``, if the viewer may see the listing
    or repair request it belongs to; None otherwise (unknown key, or not theirs to see)."""
    row = await context.db.fetch_one(PHOTO_OWNER_BY_KEY, key=key)
    if row is None:
        return None
    owner_type, owner_id, content_type = row
    fetch = fetch_listings if owner_type == "Listing" else fetch_repair_requests
    (owner,) = await fetch(context, [owner_id])
    return str(content_type) if owner is not None else None
