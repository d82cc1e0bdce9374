"""A viewer's standing on the platform, and the capability matrix applied to it.

An :class:`AccessProfile` is what access decisions need about one user: their tier at each
premise and in each building (the highest over their premises there), their staff roles
per organisation, whether they are an admin. It is read by the access layer
(:mod:`edom_graphql.access.profiles`); the functions below decide from it alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from edom_graphql.core.capabilities import MATRIX, Capability, Rule, StaffRole, Tier


@dataclass(slots=True)
class AccessProfile:
    """Everything access decisions need about one viewer, read in one statement."""

    user_id: int
    exists: bool = False
    """The user is in the database (a profile of an unknown id is empty)."""
    is_admin: bool = False
    premise_tiers: dict[int, Tier] = field(default_factory=dict)
    premise_buildings: dict[int, int] = field(default_factory=dict)
    building_tiers: dict[int, Tier] = field(default_factory=dict)
    staff_roles: dict[int, frozenset[StaffRole]] = field(default_factory=dict)
    building_organisations: dict[int, int] = field(default_factory=dict)
    """The organisation managing each building of ``building_tiers``, read with them."""

    def add_tier(self, building_id: int, premise_id: int, tier: Tier) -> None:
        self.premise_buildings[premise_id] = building_id
        if tier > self.premise_tiers.get(premise_id, 0):
            self.premise_tiers[premise_id] = tier
        if tier > self.building_tiers.get(building_id, 0):
            self.building_tiers[building_id] = tier

    @property
    def staff_organisation_ids(self) -> list[int]:
        return list(self.staff_roles)

    def roles_in(self, organisation_id: int | None) -> frozenset[StaffRole]:
        if organisation_id is None:
            return frozenset()
        return self.staff_roles.get(organisation_id, frozenset())


def rule_allows(
    rule: Rule, *, tier: Tier | None, roles: frozenset[StaffRole], is_admin: bool
) -> bool:
    """The capability matrix applied to one cell: a tier, staff roles, the admin flag."""
    return (
        (tier is not None and tier in rule.tiers)
        or bool(roles & rule.staff)
        or (rule.admin and is_admin)
    )


def allows_in_building(
    profile: AccessProfile, capability: Capability, *, building_id: int, organisation_id: int
) -> bool:
    return rule_allows(
        MATRIX[capability],
        tier=profile.building_tiers.get(building_id),
        roles=profile.roles_in(organisation_id),
        is_admin=profile.is_admin,
    )


def allows_at_premise(
    profile: AccessProfile,
    capability: Capability,
    *,
    premise_id: int,
    building_id: int,
    organisation_id: int,
) -> bool:
    return rule_allows(
        MATRIX[capability],
        tier=profile.premise_tiers.get(premise_id),
        roles=profile.roles_in(organisation_id),
        is_admin=profile.is_admin,
    )


def allows_in_organisation(
    profile: AccessProfile, capability: Capability, *, organisation_id: int
) -> bool:
    """Over all of an organisation's buildings at once: its staff only (no tier counts)."""
    return rule_allows(
        MATRIX[capability],
        tier=None,
        roles=profile.roles_in(organisation_id),
        is_admin=profile.is_admin,
    )


def premises_allowing(profile: AccessProfile, capability: Capability) -> list[int]:
    """The premises where the viewer's tier alone grants ``capability``."""
    tiers = MATRIX[capability].tiers
    return sorted(premise for premise, tier in profile.premise_tiers.items() if tier in tiers)


__all__ = [
    "AccessProfile",
    "allows_at_premise",
    "allows_in_building",
    "allows_in_organisation",
    "premises_allowing",
    "rule_allows",
]
