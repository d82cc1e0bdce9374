"""Who may do what where: the viewer's tiers and staff roles, and the one function
that applies the capability matrix to them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import (
    BigInteger,
    CompoundSelect,
    String,
    any_,
    bindparam,
    case,
    cast,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import StaffMembership
from edom_graphql.core.capabilities import MATRIX, Capability, Rule, StaffRole, Tier
from edom_graphql.core.db import Database, Prepared
from edom_graphql.residents.models import (
    GuestGrant,
    GuestLevel,
    Ownership,
    Registration,
    ResidencyConfirmation,
    User,
)

GUEST_TIERS: dict[GuestLevel, Tier] = {
    GuestLevel.ELEVATED: Tier.GUEST_ELEVATED,
    GuestLevel.BASIC: Tier.GUEST_BASIC,
    GuestLevel.INITIAL: Tier.GUEST_INITIAL,
}


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


def _tier_relations(where: Callable[[Any, Any], Any]) -> list[Any]:
    """Current ownerships, registrations, confirmed residencies and guest grants as rows
    (user, kind, building, premise, no organisation); ``where(table, user_column)``
    picks the rows."""

    def relations(table: Any, kind: str) -> Any:
        return select(
            table.user_id,
            literal(kind, String).label("kind"),
            table.building_id,
            table.premise_id,
            cast(null(), BigInteger).label("organisation_id"),
        ).where(where(table, table.user_id), table.ended_at.is_(None))

    return [
        relations(Ownership, "OWNER"),
        relations(Registration, "REGISTERED"),
        relations(ResidencyConfirmation, "RESIDENT"),
        select(
            GuestGrant.grantee_id,
            cast(GuestGrant.level, String).label("kind"),
            GuestGrant.building_id,
            GuestGrant.premise_id,
            cast(null(), BigInteger),
        ).where(
            where(GuestGrant, GuestGrant.grantee_id),
            GuestGrant.revoked_at.is_(None),
            GuestGrant.starts_at <= bindparam("now"),
            GuestGrant.expires_at > bindparam("now"),
        ),
    ]


def _profile_query(many: bool) -> CompoundSelect[Any]:
    """The relations of one user (``user_id``) or of several (``user_ids``), each row
    naming its user."""

    def of_user(column: Any) -> Any:
        if many:
            return column == any_(bindparam("user_ids", type_=ARRAY(BigInteger)))
        return column == bindparam("user_id")

    return union_all(
        *_tier_relations(lambda table, user: of_user(user)),
        select(
            StaffMembership.user_id,
            literal("STAFF:", String) + cast(StaffMembership.role, String),
            cast(null(), BigInteger),
            cast(null(), BigInteger),
            StaffMembership.organisation_id,
        ).where(of_user(StaffMembership.user_id), StaffMembership.ended_at.is_(None)),
        select(
            User.id,
            case((User.is_admin.is_(True), literal("ADMIN", String)), else_=literal("USER")),
            cast(null(), BigInteger),
            cast(null(), BigInteger),
            cast(null(), BigInteger),
        ).where(of_user(User.id)),
    )


_OCCUPANTS_STATEMENT = Prepared(
    union_all(*_tier_relations(lambda table, user: table.premise_id == bindparam("premise_id")))
)
"""Everyone with a tier at one premise (``premise_id``)."""

_PROFILE_STATEMENT = Prepared(_profile_query(many=False))
_PROFILES_QUERY = _profile_query(many=True)
_PROFILES_STATEMENT = Prepared(_PROFILES_QUERY)

_TIER_BY_KIND: dict[str, Tier] = {
    "OWNER": Tier.OWNER,
    "REGISTERED": Tier.REGISTERED,
    "RESIDENT": Tier.RESIDENT,
    **{level.value: tier for level, tier in GUEST_TIERS.items()},
}


def _profiles(user_ids: Sequence[int], rows: Sequence[Any]) -> dict[int, AccessProfile]:
    profiles = {user_id: AccessProfile(user_id=user_id) for user_id in user_ids}
    staff: dict[int, dict[int, set[StaffRole]]] = {}
    for user_id, kind, building_id, premise_id, organisation_id in rows:
        profile = profiles[user_id]
        if kind == "USER":
            profile.exists = True
        elif kind == "ADMIN":
            profile.exists = profile.is_admin = True
        elif kind.startswith("STAFF:"):
            roles = staff.setdefault(user_id, {}).setdefault(int(organisation_id), set())
            roles.add(StaffRole(kind[6:]))
        else:
            profile.add_tier(int(building_id), int(premise_id), _TIER_BY_KIND[kind])
    for user_id, by_organisation in staff.items():
        profiles[user_id].staff_roles = {
            organisation: frozenset(roles) for organisation, roles in by_organisation.items()
        }
    return profiles


async def premise_occupants(db: Database, *, premise_id: int, now: datetime) -> dict[int, Tier]:
    """Who holds a tier at the premise now, with their (highest) tier there."""
    tiers: dict[int, Tier] = {}
    for user_id, kind, _, _, _ in await db.fetch(
        _OCCUPANTS_STATEMENT, premise_id=premise_id, now=now
    ):
        tier = _TIER_BY_KIND[kind]
        if tier > tiers.get(user_id, 0):
            tiers[user_id] = tier
    return tiers


async def load_profile(db: Database, *, user_id: int, now: datetime) -> AccessProfile:
    rows = await db.fetch(_PROFILE_STATEMENT, user_id=user_id, now=now)
    return _profiles([user_id], rows)[user_id]


async def load_profiles(
    db: Database, *, user_ids: Sequence[int], now: datetime
) -> dict[int, AccessProfile]:
    """The profiles of several users in one statement."""
    rows = await db.fetch(_PROFILES_STATEMENT, user_ids=list(user_ids), now=now)
    return _profiles(user_ids, rows)


async def load_profiles_in(
    session: AsyncSession, *, user_ids: Sequence[int], now: datetime
) -> dict[int, AccessProfile]:
    """Like :func:`load_profiles`, inside a transaction (as its snapshot sees them)."""
    rows = (await session.execute(_PROFILES_QUERY, {"user_ids": list(user_ids), "now": now})).all()
    return _profiles(user_ids, rows)


class AccessProfileLoader(DataLoader[int, AccessProfile]):
    """Other users' profiles, for rules about two people (one statement per batch)."""

    def __init__(self, db: Database, now: datetime) -> None:
        super().__init__(max_batch_size=1000)
        self._db = db
        self._now = now

    async def batch_load_fn(self, keys: list[int]) -> list[AccessProfile]:
        profiles = await load_profiles(self._db, user_ids=keys, now=self._now)
        return [profiles[key] for key in keys]


__all__ = [
    "AccessProfile",
    "AccessProfileLoader",
    "allows_at_premise",
    "allows_in_building",
    "allows_in_organisation",
    "load_profile",
    "load_profiles",
    "load_profiles_in",
    "premise_occupants",
    "premises_allowing",
    "rule_allows",
]
