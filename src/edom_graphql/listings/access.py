"""Who may see a listing: the gatekeeper of the Listing node type, and who counts as the
building's staff on its board."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import Context
from edom_graphql.core.nodes import Verdict, both
from edom_graphql.listings.models import ListingStatus

if TYPE_CHECKING:
    from edom_graphql.listings.types import Listing


def listing_visible(context: Context, listing: Listing) -> Verdict:
    """Whoever reads the building's board (LISTINGS_VIEW); a removed listing only its
    author and the building's staff (LISTING_MODERATE)."""
    return both(
        context.allows(Capability.LISTINGS_VIEW, building_id=listing.building_pk),
        lambda: (
            listing.status is not ListingStatus.REMOVED
            or listing.author_pk == context.viewer_id
            or context.allows(Capability.LISTING_MODERATE, building_id=listing.building_pk)
        ),
    )


async def is_staff_of(context: Context, building_id: int) -> bool:
    """The viewer works for the organisation of the building (in any role)."""
    organisation_id = await context.gate.organisation_of(building_id)
    if organisation_id is None:
        return False
    return bool((await context.profile()).roles_in(organisation_id))
