"""Who may see buildings, premises and management organisations: the gatekeepers of their
node types."""

from __future__ import annotations

from typing import TYPE_CHECKING

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import Context
from edom_graphql.core.nodes import Verdict, remembered

if TYPE_CHECKING:
    from edom_graphql.buildings.types import Building, ManagementOrganisation, Premise
    from edom_graphql.core.profile import AccessProfile


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


def _organisation_visible(context: Context, organisation_id: int) -> Verdict:
    profile = context.loaded_profile
    if profile is None:
        return _organisation_visible_later(context, organisation_id)
    return _organisation_visible_to(context, profile, organisation_id)


async def _organisation_visible_later(context: Context, organisation_id: int) -> bool:
    profile = await context.profile()
    verdict = _organisation_visible_to(context, profile, organisation_id)
    return verdict if isinstance(verdict, bool) else await verdict


def _organisation_visible_to(
    context: Context, profile: AccessProfile, organisation_id: int
) -> Verdict:
    if profile.is_admin or organisation_id in profile.staff_roles:
        return True
    # The profile names the organisation of each of the viewer's buildings.
    organisations = profile.building_organisations
    if all(building in organisations for building in profile.building_tiers):
        return any(
            organisations[building] == organisation_id for building in profile.building_tiers
        )
    return _in_one_of_their_buildings(context, profile, organisation_id)


async def _in_one_of_their_buildings(
    context: Context, profile: AccessProfile, organisation_id: int
) -> bool:
    gate = context.gate
    await gate.learn_organisations(profile.building_tiers)
    return any(
        gate.organisations.get(building) == organisation_id for building in profile.building_tiers
    )
