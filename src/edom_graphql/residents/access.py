"""Who may see users, ownership records and guest grants: the gatekeepers of their
node types.

A user is visible to

- themself, and to the platform's admins;
- the members of a building they belong to now (as owner, registered or confirmed
  resident, or guest while the grant runs), for viewers who hold NEIGHBOURS_DIRECTORY
  there, and to the staff of its organisation;
- while a guest grant runs: its grantor and grantee to each other, and both to whoever
  manages guest access to the premise;
- as staff of an organisation: to their colleagues and to the people of the
  organisation's buildings (who see who handles their requests and answers their chats).

Nothing else makes a user visible: not a past grant, not a message or request they
wrote in a building they have left.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aiodataloader import DataLoader
from sqlalchemy import BigInteger, String, and_, bindparam, cast, literal, null, select, union_all

from edom_graphql.buildings.models import Building, StaffMembership
from edom_graphql.core.access import AccessProfile
from edom_graphql.core.capabilities import MATRIX, Capability
from edom_graphql.core.context import Context
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import keys_param
from edom_graphql.core.nodes import Verdict, either
from edom_graphql.residents import models

if TYPE_CHECKING:
    from edom_graphql.residents.types import GuestGrant, GuestInvitation, Ownership, User


def user_visible(context: Context, user: User) -> Verdict:
    viewer_id = context.viewer_id
    if viewer_id is None:
        return False
    if user.pk == viewer_id:
        return True
    profile = context.loaded_profile
    if profile is not None and profile.is_admin:
        return True
    member_of = user.member_of
    if member_of is None:
        return context.loaders.visible_users.load(user.pk)
    return either(
        lambda: context.allows(Capability.NEIGHBOURS_DIRECTORY, building_id=member_of),
        lambda: context.allows(Capability.PERSONAL_DATA, building_id=member_of),
        lambda: context.loaders.visible_users.load(user.pk),
    )


def ownership_visible(context: Context, ownership: Ownership) -> Verdict:
    """The register of owners: OWNERS_REGISTER in the building."""
    return context.allows(Capability.OWNERS_REGISTER, building_id=ownership.building_pk)


def guest_grant_visible(context: Context, grant: GuestGrant) -> Verdict:
    """Its grantor and its guest; whoever manages guest access to the premise."""
    if context.viewer_id in (grant.grantor_pk, grant.grantee_pk):
        return True
    return context.allows(Capability.GUEST_ACCESS_MANAGE, premise_id=grant.premise_pk)


def guest_invitation_visible(context: Context, invitation: GuestInvitation) -> Verdict:
    """Its grantor, and whoever manages guest access to the premise; never the guest,
    who holds the code (and, once accepted, the grant)."""
    if context.viewer_id == invitation.grantor_pk:
        return True
    return context.allows(Capability.GUEST_ACCESS_MANAGE, premise_id=invitation.premise_pk)


# -- the statement behind user_visible --------------------------------------------------

_USERS = keys_param("users")
_ID = BigInteger


def _active_grant(*conditions: Any) -> Any:
    return and_(
        models.GuestGrant.revoked_at.is_(None),
        models.GuestGrant.starts_at <= bindparam("now"),
        models.GuestGrant.expires_at > bindparam("now"),
        *conditions,
    )


def _memberships() -> list[Any]:
    def current(table: Any) -> Any:
        return select(table.user_id, table.building_id).where(
            table.user_id == _USERS, table.ended_at.is_(None)
        )

    return [
        current(models.Ownership),
        current(models.Registration),
        current(models.ResidencyConfirmation),
        select(models.GuestGrant.grantee_id, models.GuestGrant.building_id).where(
            _active_grant(models.GuestGrant.grantee_id == _USERS)
        ),
    ]


def _grant_parties(condition: Any) -> list[Any]:
    """The grantor and the grantee of running grants that meet ``condition``."""
    return [
        select(party, literal("G", String), cast(null(), _ID), cast(null(), _ID)).where(
            _active_grant(condition), party == _USERS
        )
        for party in (models.GuestGrant.grantor_id, models.GuestGrant.grantee_id)
    ]


_members = union_all(*_memberships()).subquery("members")
_RELATIONS = Prepared(
    union_all(
        # (user, 'B', building, its organisation): the user belongs to the building
        select(
            _members.c.user_id,
            literal("B", String),
            _members.c.building_id,
            Building.organisation_id,
        ).join(Building, Building.id == _members.c.building_id),
        # (user, 'O', -, organisation): the user works for the organisation
        select(
            StaffMembership.user_id,
            literal("O", String),
            cast(null(), _ID),
            StaffMembership.organisation_id,
        ).where(StaffMembership.user_id == _USERS, StaffMembership.ended_at.is_(None)),
        # (user, 'G', -, -): a running grant ties the user to the viewer, or is one of
        # a premise whose guest access the viewer manages
        *_grant_parties(models.GuestGrant.grantee_id == bindparam("viewer_id")),
        *_grant_parties(models.GuestGrant.grantor_id == bindparam("viewer_id")),
        *_grant_parties(models.GuestGrant.premise_id == keys_param("managed_premises")),
        # (-, 'V', -, organisation): an organisation of a building the viewer belongs to
        select(
            cast(null(), _ID),
            literal("V", String),
            cast(null(), _ID),
            Building.organisation_id,
        ).where(Building.id == keys_param("viewer_buildings")),
    )
)


def _visible_among(profile: AccessProfile, rows: Sequence[Any]) -> set[int]:
    directory = MATRIX[Capability.NEIGHBOURS_DIRECTORY].tiers
    staff_of = set(profile.staff_roles)
    viewer_organisations = staff_of | {row[3] for row in rows if row[1] == "V"}
    visible: set[int] = set()
    for user_id, kind, building_id, organisation_id in rows:
        if kind == "B":
            if profile.building_tiers.get(building_id) in directory or organisation_id in staff_of:
                visible.add(user_id)
        elif kind == "O":
            if organisation_id in viewer_organisations:
                visible.add(user_id)
        elif kind == "G":
            visible.add(user_id)
    return visible


class VisibleUsersLoader(DataLoader[int, bool]):
    """Whether the viewer may see each user (one statement per batch)."""

    def __init__(self, context: Context, db: Database, now: datetime) -> None:
        super().__init__(max_batch_size=1000)
        self._context = context
        self._db = db
        self._now = now

    async def batch_load_fn(self, keys: list[int]) -> list[bool]:
        profile = await self._context.profile()
        if profile.is_admin:
            return [True] * len(keys)
        managed = [
            premise
            for premise, tier in profile.premise_tiers.items()
            if tier in MATRIX[Capability.GUEST_ACCESS_MANAGE].tiers
        ]
        rows = await self._db.fetch(
            _RELATIONS,
            users=keys,
            viewer_id=profile.user_id,
            managed_premises=managed,
            viewer_buildings=list(profile.building_tiers),
            now=self._now,
        )
        visible = _visible_among(profile, rows) | {profile.user_id}
        return [key in visible for key in keys]
