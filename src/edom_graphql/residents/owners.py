"""The register of owners under a page of premises, loaded for the whole page at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from edom_graphql.core.capabilities import MATRIX, Capability
from edom_graphql.core.context import Context

if TYPE_CHECKING:
    from edom_graphql.buildings.types import Building, Premise


async def prefetch_owners(
    context: Context, building: Building, premises: Sequence[Premise]
) -> None:
    """Decide ``OWNERS_REGISTER`` once for the building and, if allowed, attach each
    premise's owners (with their users) from one statement; also decide the owners'
    ``PERSONAL_DATA`` where the building alone settles it."""
    if not await context.can(Capability.OWNERS_REGISTER, building_id=building.pk):
        return
    owners_by_premise = await context.loaders.ownerships_by_premise.load_many(
        [p.pk for p in premises]
    )
    profile = await context.profile()
    staff_here = bool(
        profile.roles_in(building.organisation_id) & MATRIX[Capability.PERSONAL_DATA].staff
    )
    may_see_all = staff_here
    may_see_none = not profile.staff_roles
    for premise, owners in zip(premises, owners_by_premise, strict=True):
        premise.owners_value = owners
        for ownership in owners:
            if may_see_all or ownership.user_pk == profile.user_id:
                context.remember(Capability.PERSONAL_DATA, True, user_id=ownership.user_pk)
            elif may_see_none:
                context.remember(Capability.PERSONAL_DATA, False, user_id=ownership.user_pk)
