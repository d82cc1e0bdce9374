"""The face of listings: the building's board."""

from edom_graphql.buildings.types import Building
from edom_graphql.core.composition import Domain, PhotoTable
from edom_graphql.listings.models import ListingPhoto
from edom_graphql.listings.mutations import ListingMutations
from edom_graphql.listings.types import BuildingListings, Listing

DOMAIN = Domain(
    name="listings",
    mutations=[ListingMutations],
    node_types=[Listing],
    extends={Building: [BuildingListings]},
    photos=[
        PhotoTable(
            Listing, ListingPhoto.storage_key, ListingPhoto.listing_id, ListingPhoto.content_type
        )
    ],
)
