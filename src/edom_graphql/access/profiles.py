"""Tier derivation: who holds which tier where, read from the residents' relations
(ownerships, registrations, confirmed residencies, running guest grants), staff
memberships and admin flags, one statement per user or per batch of users."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

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
    union,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import DateTime

from edom_graphql.buildings.models import Building, StaffMembership
from edom_graphql.core.capabilities import StaffRole, Tier
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import Loader, keys_param
from edom_graphql.core.profile import AccessProfile
from edom_graphql.residents.models import (
    GuestGrant,
    GuestLevel,
    Ownership,
    Registration,
    ResidencyConfirmation,
    User,
)

UTC_DATETIME = DateTime(timezone=True)
GUEST_TIERS: dict[GuestLevel, Tier] = {
    GuestLevel.ELEVATED: Tier.GUEST_ELEVATED,
    GuestLevel.BASIC: Tier.GUEST_BASIC,
    GuestLevel.INITIAL: Tier.GUEST_INITIAL,
}


def _organisation_of(building_id: Any) -> Any:
    """The organisation managing the building now (a scalar subquery)."""
    return (
        select(Building.organisation_id)
        .where(Building.id == building_id)
        .scalar_subquery()
        .label("organisation_id")
    )


def _tier_relations(where: Callable[[Any, Any], Any]) -> list[Any]:
    """Current ownerships, registrations, confirmed residencies and guest grants as rows
    (user, kind, building, premise, the building's organisation now);
    ``where(table, user_column)`` picks the rows."""

    def relations(table: Any, kind: str) -> Any:
        return select(
            table.user_id,
            literal(kind, String).label("kind"),
            table.building_id,
            table.premise_id,
            _organisation_of(table.building_id),
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
            _organisation_of(GuestGrant.building_id),
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
            if organisation_id is not None:
                profile.building_organisations[int(building_id)] = int(organisation_id)
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


class AccessProfileLoader(Loader[int, AccessProfile]):
    """Other users' profiles, for rules about two people (one statement per batch)."""

    async def batch_load_fn(self, keys: list[int]) -> list[AccessProfile]:
        profiles = await load_profiles(self.db, user_ids=keys, now=self.context.now)
        return [profiles[key] for key in keys]


def _current(table: Any) -> Any:
    return select(table.user_id, table.building_id).where(table.ended_at.is_(None))


_RELATIONS = union(
    _current(Ownership),
    _current(Registration),
    _current(ResidencyConfirmation),
    select(GuestGrant.grantee_id, GuestGrant.building_id).where(
        GuestGrant.revoked_at.is_(None),
        GuestGrant.starts_at <= bindparam("now", type_=UTC_DATETIME),
        GuestGrant.expires_at > bindparam("now", type_=UTC_DATETIME),
    ),
).subquery("relations")
_ORGANISATIONS_OF_USERS = Prepared(
    select(_RELATIONS.c.user_id, Building.organisation_id)
    .join(Building, Building.id == _RELATIONS.c.building_id)
    .where(_RELATIONS.c.user_id == keys_param())
    .distinct()
)


class OrganisationsOfUserLoader(Loader[int, set[int]]):
    """The management organisations of every building a user relates to now (current
    ownership, registration, residency or a running guest grant)."""

    async def batch_load_fn(self, keys: list[int]) -> list[set[int]]:
        rows = await self.db.fetch(_ORGANISATIONS_OF_USERS, keys=keys, now=self.context.now)
        result: dict[int, set[int]] = {}
        for user_id, organisation_id in rows:
            result.setdefault(user_id, set()).add(organisation_id)
        return [result.get(key, set()) for key in keys]


__all__ = [
    "GUEST_TIERS",
    "AccessProfileLoader",
    "OrganisationsOfUserLoader",
    "load_profile",
    "load_profiles",
    "load_profiles_in",
    "premise_occupants",
]
