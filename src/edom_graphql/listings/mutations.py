"""The listings board's mutations: posting, editing, closing and removing listings."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.file_uploads import Upload

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import Target, requires
from edom_graphql.core.photos import (
    MAX_PHOTOS,
    PHOTOS_DESCRIPTION,
    StoredPhoto,
    read_photos,
    with_stored_photos,
)
from edom_graphql.core.ratelimit import RateLimit, Window
from edom_graphql.core.scalars import Kopecks
from edom_graphql.listings import service
from edom_graphql.listings.errors import (
    ListingCloseError,
    ListingCreateError,
    ListingRemoveError,
    ListingUpdateError,
)
from edom_graphql.listings.models import (
    MAX_BODY_LENGTH,
    MAX_PRICE_KOPECKS,
    MAX_REASON_LENGTH,
    MAX_TITLE_LENGTH,
    ListingCategory,
)
from edom_graphql.listings.reads import ListingBuildingLoader
from edom_graphql.listings.types import Listing, ListingByIdLoader

CREATE_LIMIT = RateLimit(
    "listing_create", (Window(10, timedelta(hours=1)), Window(30, timedelta(days=1)))
)


@strawberry.input(description="A new listing on a building's board.")
class ListingCreateInput:
    building_id: strawberry.ID = strawberry.field(description="The building whose board.")
    category: ListingCategory = strawberry.field(description="What the listing is about.")
    title: str = strawberry.field(description=f"Headline (1–{MAX_TITLE_LENGTH} characters).")
    body: str = strawberry.field(description=f"Text (1–{MAX_BODY_LENGTH} characters).")
    price_kopecks: Kopecks | None = strawberry.field(
        default=None,
        description=f"Asked price in kopecks, 0–{MAX_PRICE_KOPECKS}; none for GIVE_AWAY, "
        "LOST_PET and FOUND_PET.",
    )
    photos: list[Upload] | None = strawberry.field(
        default=None,
        description=PHOTOS_DESCRIPTION,
    )


@strawberry.type(description="Result of `listingCreate`.")
class ListingCreatePayload(Payload):
    listing: Listing | None = strawberry.field(default=None, description="The listing posted.")
    user_errors: list[ListingCreateError] = user_errors_field()


@strawberry.input(description="Changes to the viewer's active listing; omitted fields stay.")
class ListingUpdateInput:
    listing_id: strawberry.ID = strawberry.field(description="The listing.")
    category: ListingCategory | None = strawberry.field(
        default=None, description="New category (a free one drops the price)."
    )
    title: str | None = strawberry.field(default=None, description="New headline.")
    body: str | None = strawberry.field(default=None, description="New text.")
    price_kopecks: Kopecks | None = strawberry.field(
        default=strawberry.UNSET,
        description="New price in kopecks; null removes the price; omitted keeps it.",
    )
    remove_photos: list[str] | None = strawberry.field(
        default=None, description="Photos to take off, by their `url` (or storage key)."
    )
    add_photos: list[Upload] | None = strawberry.field(
        default=None,
        description="Photos to append after the kept ones (at most "
        f"{MAX_PHOTOS} in all). " + PHOTOS_DESCRIPTION,
    )


@strawberry.type(description="Result of `listingUpdate`.")
class ListingUpdatePayload(Payload):
    listing: Listing | None = strawberry.field(
        default=None, description="The listing as it is now."
    )
    user_errors: list[ListingUpdateError] = user_errors_field()


@strawberry.input(description="The viewer's listing to close.")
class ListingCloseInput:
    listing_id: strawberry.ID = strawberry.field(description="The listing.")


@strawberry.type(description="Result of `listingClose`.")
class ListingClosePayload(Payload):
    listing: Listing | None = strawberry.field(
        default=None, description="The listing as it is now."
    )
    user_errors: list[ListingCloseError] = user_errors_field()


@strawberry.input(description="A listing staff take off the board.")
class ListingRemoveInput:
    listing_id: strawberry.ID = strawberry.field(description="The listing.")
    reason: str = strawberry.field(
        description=f"Why it is removed (1–{MAX_REASON_LENGTH} characters)."
    )


@strawberry.type(description="Result of `listingRemove`.")
class ListingRemovePayload(Payload):
    listing: Listing | None = strawberry.field(
        default=None, description="The listing as it is now."
    )
    user_errors: list[ListingRemoveError] = user_errors_field()


async def _input_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    return Target(
        building_id=expect_id(kwargs["input"].building_id, "Building", field="buildingId")
    )


async def _input_listing_building(
    source: Any, info: AppInfo, kwargs: dict[str, Any]
) -> Target | None:
    listing_id = expect_id(kwargs["input"].listing_id, "Listing", field="listingId")
    building_id = await ListingBuildingLoader.of(info.context).load(listing_id)
    return Target(building_id=building_id) if building_id is not None else None


@strawberry.type
class ListingMutations:
    @requires(
        Capability.LISTING_POST,
        _input_building,
        mutation=True,
        rate_limit=CREATE_LIMIT,
        description="Post a listing on a building's board.",
    )
    async def listing_create(
        self, info: AppInfo, input: MutationInput[ListingCreateInput]
    ) -> ListingCreatePayload | None:
        context = info.context
        author_id = context.require_viewer()
        building_id = expect_id(input.building_id, "Building", field="buildingId")

        async def work(stored: list[StoredPhoto]) -> int | ServiceError:
            async def write(session: AsyncSession, outbox: Outbox) -> int:
                listing_id = await service.create_listing(
                    session,
                    outbox,
                    building_id=building_id,
                    author_id=author_id,
                    category=input.category,
                    title=input.title,
                    body=input.body,
                    price_kopecks=input.price_kopecks,
                    now=context.now,
                )
                await service.add_photos(
                    session, listing_id=listing_id, building_id=building_id, photos=stored
                )
                return listing_id

            return await commit(context, write)

        result: int | ServiceError
        try:
            # Everything is checked before a byte is stored.
            service.validate_listing(
                category=input.category,
                title=input.title,
                body=input.body,
                price_kopecks=input.price_kopecks,
            )
            photos = await read_photos(input.photos or [], owner="A listing")
        except ServiceError as error:
            result = error
        else:
            result = await with_stored_photos(context.services.storage, photos, work)
        if isinstance(result, ServiceError):
            return ListingCreatePayload.refused(result)
        return ListingCreatePayload(listing=await ListingByIdLoader.of(context).load(result))

    @requires(
        Capability.LISTINGS_VIEW,
        _input_listing_building,
        mutation=True,
        description="Change the viewer's own active listing.",
    )
    async def listing_update(
        self, info: AppInfo, input: MutationInput[ListingUpdateInput]
    ) -> ListingUpdatePayload | None:
        context = info.context
        user_id = context.require_viewer()
        listing_id = expect_id(input.listing_id, "Listing", field="listingId")
        price = input.price_kopecks
        storage = context.services.storage

        async def work(stored: list[StoredPhoto]) -> list[str] | ServiceError:
            async def write(session: AsyncSession, outbox: Outbox) -> list[str]:
                building_id = await service.update_listing(
                    session,
                    listing_id=listing_id,
                    user_id=user_id,
                    category=input.category,
                    title=input.title,
                    body=input.body,
                    price_kopecks=price if price is not strawberry.UNSET else None,
                    clear_price=price is None,
                    now=context.now,
                )
                return await service.change_photos(
                    session,
                    listing_id=listing_id,
                    building_id=building_id,
                    remove=input.remove_photos or [],
                    add=stored,
                )

            return await commit(context, write)

        result: list[str] | ServiceError
        try:
            photos = await read_photos(
                input.add_photos or [], owner="A listing", field_name="addPhotos"
            )
        except ServiceError as error:
            result = error
        else:
            result = await with_stored_photos(storage, photos, work)
        if not isinstance(result, ServiceError):
            for key in result:  # committed: the dropped files are no longer referenced
                await storage.delete(key)
        listing = await ListingByIdLoader.of(context).load(listing_id)
        return ListingUpdatePayload.of(result, listing=listing)

    @requires(
        Capability.LISTINGS_VIEW,
        _input_listing_building,
        mutation=True,
        description="Close the viewer's own active listing (it stays readable as CLOSED).",
    )
    async def listing_close(
        self, info: AppInfo, input: MutationInput[ListingCloseInput]
    ) -> ListingClosePayload | None:
        context = info.context
        user_id = context.require_viewer()
        listing_id = expect_id(input.listing_id, "Listing", field="listingId")

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await service.close_listing(
                session, listing_id=listing_id, user_id=user_id, now=context.now
            )

        result = await commit(context, work)
        listing = await ListingByIdLoader.of(context).load(listing_id)
        return ListingClosePayload.of(result, listing=listing)

    @requires(
        Capability.LISTING_MODERATE,
        _input_listing_building,
        mutation=True,
        description="Staff of the building's organisation take a listing off the board.",
    )
    async def listing_remove(
        self, info: AppInfo, input: MutationInput[ListingRemoveInput]
    ) -> ListingRemovePayload | None:
        context = info.context
        moderator_id = context.require_viewer()
        listing_id = expect_id(input.listing_id, "Listing", field="listingId")

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await service.remove_listing(
                session,
                listing_id=listing_id,
                moderator_id=moderator_id,
                reason=input.reason,
                now=context.now,
            )

        result = await commit(context, work)
        listing = await ListingByIdLoader.of(context).load(listing_id)
        return ListingRemovePayload.of(result, listing=listing)
