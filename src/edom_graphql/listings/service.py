"""Business rules of the listings board: posting, editing, closing and removing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.photos import MAX_PHOTOS, StoredPhoto
from edom_graphql.listings.models import (
    FREE_CATEGORIES,
    MAX_BODY_LENGTH,
    MAX_PRICE_KOPECKS,
    MAX_REASON_LENGTH,
    MAX_TITLE_LENGTH,
    Listing,
    ListingCategory,
    ListingPhoto,
    ListingStatus,
)
from edom_graphql.points.models import AwardReason
from edom_graphql.points.service.ledger import award


@dataclass(frozen=True, slots=True)
class ListingText:
    title: str
    body: str


def _text(value: str, field: str, limit: int) -> str:
    text = value.strip()
    if not text:
        raise ServiceError("BLANK", f"The {field} must not be empty.", [field])
    if len(text) > limit:
        raise ServiceError("TOO_LONG", f"The {field} has at most {limit} characters.", [field])
    return text


def validate_listing(
    *, category: ListingCategory, title: str, body: str, price_kopecks: int | None
) -> ListingText:
    """The texts as they will be stored (trimmed), or the first rule the listing breaks."""
    text = ListingText(
        title=_text(title, "title", MAX_TITLE_LENGTH), body=_text(body, "body", MAX_BODY_LENGTH)
    )
    if price_kopecks is not None:
        if category in FREE_CATEGORIES:
            raise ServiceError(
                "PRICE_NOT_ALLOWED",
                "Listings of this category carry no price.",
                ["priceKopecks"],
            )
        if price_kopecks < 0:
            raise ServiceError(
                "NEGATIVE_PRICE", "The price must not be negative.", ["priceKopecks"]
            )
        if price_kopecks > MAX_PRICE_KOPECKS:
            raise ServiceError(
                "PRICE_TOO_HIGH",
                f"The price is at most {MAX_PRICE_KOPECKS} kopecks.",
                ["priceKopecks"],
            )
    return text


async def create_listing(
    session: AsyncSession,
    outbox: Outbox,
    *,
    building_id: int,
    author_id: int,
    category: ListingCategory,
    title: str,
    body: str,
    price_kopecks: int | None,
    now: datetime,
) -> int:
    """Post a listing on the building's board; its id. The author's first listing earns
    city points (once per author, however raced)."""
    text = validate_listing(category=category, title=title, body=body, price_kopecks=price_kopecks)
    listing_id: int = (
        await session.execute(
            insert(Listing)
            .values(
                building_id=building_id,
                author_id=author_id,
                category=category,
                title=text.title,
                body=text.body,
                price_kopecks=price_kopecks,
                status=ListingStatus.ACTIVE,
                created_at=now,
                updated_at=now,
            )
            .returning(Listing.id)
        )
    ).scalar_one()
    await award(
        session,
        outbox,
        user_id=author_id,
        reason=AwardReason.FIRST_LISTING,
        source_key=f"first-listing:{author_id}",
    )
    return listing_id


async def _locked(session: AsyncSession, listing_id: int) -> Listing:
    listing: Listing = (
        await session.execute(select(Listing).where(Listing.id == listing_id).with_for_update())
    ).scalar_one()
    return listing


def _own_active(listing: Listing, user_id: int) -> None:
    if listing.author_id != user_id:
        raise ServiceError("NOT_AUTHOR", "Only the author may change a listing.", None)
    if listing.status is not ListingStatus.ACTIVE:
        raise ServiceError("NOT_ACTIVE", "The listing is closed or removed.", None)


async def update_listing(
    session: AsyncSession,
    *,
    listing_id: int,
    user_id: int,
    category: ListingCategory | None,
    title: str | None,
    body: str | None,
    price_kopecks: int | None,
    clear_price: bool,
    now: datetime,
) -> int:
    """Change the given fields of the user's active listing; its building."""
    listing = await _locked(session, listing_id)
    _own_active(listing, user_id)
    new_category = category if category is not None else listing.category
    if clear_price:
        new_price: int | None = None
    elif price_kopecks is not None:
        new_price = price_kopecks
    elif new_category in FREE_CATEGORIES:
        new_price = None  # a free category drops a price it had before
    else:
        new_price = listing.price_kopecks
    text = validate_listing(
        category=new_category,
        title=title if title is not None else listing.title,
        body=body if body is not None else listing.body,
        price_kopecks=new_price,
    )
    await session.execute(
        update(Listing)
        .where(Listing.id == listing_id)
        .values(
            category=new_category,
            title=text.title,
            body=text.body,
            price_kopecks=new_price,
            updated_at=now,
        )
    )
    return listing.building_id


async def close_listing(
    session: AsyncSession, *, listing_id: int, user_id: int, now: datetime
) -> None:
    """The author takes their active listing off the board (it stays readable as CLOSED)."""
    listing = await _locked(session, listing_id)
    _own_active(listing, user_id)
    await session.execute(
        update(Listing)
        .where(Listing.id == listing_id)
        .values(status=ListingStatus.CLOSED, closed_at=now, updated_at=now)
    )


async def remove_listing(
    session: AsyncSession, *, listing_id: int, moderator_id: int, reason: str, now: datetime
) -> None:
    """Staff remove a listing from the board; only staff and the author still see it."""
    text = reason.strip()
    if not text:
        raise ServiceError("BLANK", "Give a reason for the removal.", ["reason"])
    if len(text) > MAX_REASON_LENGTH:
        raise ServiceError(
            "TOO_LONG", f"The reason has at most {MAX_REASON_LENGTH} characters.", ["reason"]
        )
    listing = await _locked(session, listing_id)
    if listing.status is ListingStatus.REMOVED:
        raise ServiceError("ALREADY_REMOVED", "The listing has already been removed.", None)
    await session.execute(
        update(Listing)
        .where(Listing.id == listing_id)
        .values(
            status=ListingStatus.REMOVED,
            removed_by_id=moderator_id,
            removal_reason=text,
            updated_at=now,
        )
    )


# -- photos ------------------------------------------------------------------------------


def photo_key(reference: str) -> str:
    """The storage key of a photo named by its ``url`` (``/media/<key>``) or its key."""
    return reference.rsplit("/", 1)[-1]


async def change_photos(
    session: AsyncSession,
    *,
    listing_id: int,
    building_id: int,
    remove: Sequence[str],
    add: Sequence[StoredPhoto],
) -> list[str]:
    """Drop the photos named in ``remove`` (urls or keys) and append ``add``; the keys of
    the dropped files, for the caller to delete once this has committed. The listing must
    be locked by the caller (see :func:`update_listing`)."""
    rows = (
        await session.execute(
            select(
                ListingPhoto.storage_key,
                ListingPhoto.content_type,
                ListingPhoto.size_bytes,
            )
            .where(ListingPhoto.listing_id == listing_id)
            .order_by(ListingPhoto.position)
        )
    ).all()
    current = {row[0]: StoredPhoto(row[0], row[1], row[2]) for row in rows}
    dropped: list[str] = []
    for index, reference in enumerate(remove):
        key = photo_key(reference)
        if key not in current:
            raise ServiceError(
                "UNKNOWN_PHOTO", "The listing has no such photo.", ["removePhotos", str(index)]
            )
        if key not in dropped:
            dropped.append(key)
    kept = [photo for key, photo in current.items() if key not in dropped]
    if len(kept) + len(add) > MAX_PHOTOS:
        raise ServiceError(
            "TOO_MANY_PHOTOS", f"A listing has at most {MAX_PHOTOS} photos.", ["addPhotos"]
        )
    if dropped or add:
        await session.execute(delete(ListingPhoto).where(ListingPhoto.listing_id == listing_id))
        await add_photos(
            session, listing_id=listing_id, building_id=building_id, photos=[*kept, *add]
        )
    return dropped


async def add_photos(
    session: AsyncSession, *, listing_id: int, building_id: int, photos: Sequence[StoredPhoto]
) -> None:
    if photos:
        await session.execute(
            insert(ListingPhoto),
            [
                {
                    "listing_id": listing_id,
                    "building_id": building_id,
                    "storage_key": photo.key,
                    "content_type": photo.content_type,
                    "size_bytes": photo.size_bytes,
                    "position": position,
                }
                for position, photo in enumerate(photos, start=1)
            ],
        )
