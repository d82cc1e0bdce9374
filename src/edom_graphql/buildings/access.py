"""Who may see buildings, premises and management organisations: the gatekeepers of their
node types."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import Context
from edom_graphql.core.nodes import Verdict, remembered

if TYPE_CHECKING:
    from edom_graphql.buildings.types import Building, ManagementOrganisation, Premise


def building_visible(context: Context, building: Building) -> Verdict:
    """Whoever holds BUILDING_VIEW there: every tier and guest level (while the grant
    runs), the organisation's staff, the platform's admins."""
    context.gate.organisations[building.pk] = building.organisation_id
    return context.allows(Capability.BUILDING_VIEW, building_id=building.pk)


def premise_visible(context: Context, premise: Premise) -> Verdict:
    """Whoever sees its building."""
    return context.allows(Capability.BUILDING_VIEW, building_id=premise.building_pk)


def organisation_visible(context: Context, organisation: ManagementOrganisation) -> Verdict:
    """Its staff, whoever sees one of its buildings, the platform's admins."""
    return remembered(
        context,
        ("ManagementOrganisation", organisation.pk),
        lambda: _organisation_visible(context, organisation.pk),
    )


async def _organisation_visible(context: Context, organisation_id: int) -> bool:
    profile = await context.profile()
    if profile.is_admin or organisation_id in profile.staff_roles:
        return True
    gate = context.gate
    await gate.learn_organisations(profile.building_tiers)
    return any(
        gate.organisations.get(building) == organisation_id for building in profile.building_tiers
    )
