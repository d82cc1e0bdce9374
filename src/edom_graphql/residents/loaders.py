"""Batch loaders of users, ownerships and guest grants."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, DateTime, bindparam, select, union

from edom_graphql.buildings import models as building_models
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import (
    KeyedQuery,
    PageBuilder,
    PageByParentLoader,
    PagedChildren,
    RowByKeyLoader,
    RowsByKeyLoader,
    keys_param,
)
from edom_graphql.core.pagination import AnySelect, keyset_desc
from edom_graphql.residents import models
from edom_graphql.residents.types import GuestGrant, GuestInvitation, Ownership, User

USER_COLUMNS = select(
    models.User.id,
    models.User.display_name,
    models.User.full_name,
    models.User.phone,
    models.User.email,
)
OWNERSHIP_COLUMNS = (
    select(
        models.Ownership.id,
        models.Ownership.premise_id,
        models.Ownership.building_id,
        models.Ownership.user_id,
        models.Ownership.share_numerator,
        models.Ownership.share_denominator,
        models.Ownership.started_at,
    )
    .add_columns(*USER_COLUMNS.selected_columns)
    .join(models.User, models.User.id == models.Ownership.user_id)
    .where(models.Ownership.ended_at.is_(None))
)
"""Current ownerships with their owners' user columns (``Ownership.from_row``)."""
GUEST_GRANT_COLUMNS = select(
    models.GuestGrant.id,
    models.GuestGrant.premise_id,
    models.GuestGrant.building_id,
    models.GuestGrant.grantor_id,
    models.GuestGrant.grantee_id,
    models.GuestGrant.level,
    models.GuestGrant.starts_at,
    models.GuestGrant.expires_at,
    models.GuestGrant.revoked_at,
    models.GuestGrant.created_at,
)

GUEST_INVITATION_COLUMNS = select(
    models.GuestInvitation.id,
    models.GuestInvitation.premise_id,
    models.GuestInvitation.building_id,
    models.GuestInvitation.grantor_id,
    models.GuestInvitation.level,
    models.GuestInvitation.starts_at,
    models.GuestInvitation.expires_at,
    models.GuestInvitation.accept_by,
    models.GuestInvitation.accepted_at,
    models.GuestInvitation.grant_id,
    models.GuestInvitation.cancelled_at,
    models.GuestInvitation.created_at,
)


USER_BY_ID = KeyedQuery(USER_COLUMNS, models.User.id, User.from_row)
OWNERSHIP_BY_ID = KeyedQuery(OWNERSHIP_COLUMNS, models.Ownership.id, Ownership.from_row)
OWNERSHIPS_BY_PREMISE = KeyedQuery(
    OWNERSHIP_COLUMNS.order_by(models.Ownership.id), models.Ownership.premise_id, Ownership.from_row
)
GUEST_GRANT_BY_ID = KeyedQuery(GUEST_GRANT_COLUMNS, models.GuestGrant.id, GuestGrant.from_row)
GUEST_INVITATION_BY_ID = KeyedQuery(
    GUEST_INVITATION_COLUMNS, models.GuestInvitation.id, GuestInvitation.from_row
)


def user_loader(db: Database) -> RowByKeyLoader[User]:
    return RowByKeyLoader(db, USER_BY_ID)


def ownerships_by_premise_loader(db: Database) -> RowsByKeyLoader[Ownership]:
    return RowsByKeyLoader(db, OWNERSHIPS_BY_PREMISE)


def ownership_loader(db: Database) -> RowByKeyLoader[Ownership]:
    return RowByKeyLoader(db, OWNERSHIP_BY_ID)


def guest_grant_loader(db: Database) -> RowByKeyLoader[GuestGrant]:
    return RowByKeyLoader(db, GUEST_GRANT_BY_ID)


def guest_invitation_loader(db: Database) -> RowByKeyLoader[GuestInvitation]:
    return RowByKeyLoader(db, GUEST_INVITATION_BY_ID)


def _invitations_page(
    user_id: ColumnElement[int], has_after: bool, present: tuple[bool, ...]
) -> AnySelect:
    invitation = models.GuestInvitation
    statement = GUEST_INVITATION_COLUMNS.where(invitation.grantor_id == user_id)
    if present[0]:
        statement = statement.where(
            invitation.accepted_at.is_(None),
            invitation.cancelled_at.is_(None),
            invitation.accept_by > bindparam("pending_at", type_=DateTime(timezone=True)),
        )
    return keyset_desc(statement, (invitation.id,), has_after=has_after)


INVITATIONS_GIVEN = PagedChildren(_invitations_page, GuestInvitation.from_row, ("pending_at",))


def invitations_given_loader(db: Database) -> PageByParentLoader[GuestInvitation]:
    return PageByParentLoader(db, INVITATIONS_GIVEN)


UTC_DATETIME = DateTime(timezone=True)


def _grants_page(column: Any) -> PageBuilder:
    def build(user_id: ColumnElement[int], has_after: bool, present: tuple[bool, ...]) -> AnySelect:
        statement = GUEST_GRANT_COLUMNS.where(column == user_id)
        if present[0]:
            statement = statement.where(
                models.GuestGrant.revoked_at.is_(None),
                models.GuestGrant.expires_at
                > bindparam("active_at", type_=DateTime(timezone=True)),
            )
        return keyset_desc(statement, (models.GuestGrant.id,), has_after=has_after)

    return build


GRANTS_GIVEN = PagedChildren(
    _grants_page(models.GuestGrant.grantor_id), GuestGrant.from_row, ("active_at",)
)
GRANTS_RECEIVED = PagedChildren(
    _grants_page(models.GuestGrant.grantee_id), GuestGrant.from_row, ("active_at",)
)


def grants_given_loader(db: Database) -> PageByParentLoader[GuestGrant]:
    return PageByParentLoader(db, GRANTS_GIVEN)


def grants_received_loader(db: Database) -> PageByParentLoader[GuestGrant]:
    return PageByParentLoader(db, GRANTS_RECEIVED)


def _current(table: Any) -> AnySelect:
    return select(table.user_id, table.building_id).where(table.ended_at.is_(None))


_RELATIONS = union(
    _current(models.Ownership),
    _current(models.Registration),
    _current(models.ResidencyConfirmation),
    select(models.GuestGrant.grantee_id, models.GuestGrant.building_id).where(
        models.GuestGrant.revoked_at.is_(None),
        models.GuestGrant.starts_at <= bindparam("now", type_=UTC_DATETIME),
        models.GuestGrant.expires_at > bindparam("now", type_=UTC_DATETIME),
    ),
).subquery("relations")
_ORGANISATIONS_OF_USERS = Prepared(
    select(_RELATIONS.c.user_id, building_models.Building.organisation_id)
    .join(building_models.Building, building_models.Building.id == _RELATIONS.c.building_id)
    .where(_RELATIONS.c.user_id == keys_param())
    .distinct()
)


class OrganisationsOfUserLoader(DataLoader[int, set[int]]):
    """The management organisations of every building a user relates to at ``now``
    (current ownership, registration, residency or an active guest grant)."""

    def __init__(self, db: Database, now: datetime) -> None:
        super().__init__()
        self._db = db
        self._now = now

    async def batch_load_fn(self, keys: list[int]) -> list[set[int]]:
        rows = await self._db.fetch(_ORGANISATIONS_OF_USERS, keys=keys, now=self._now)
        result: dict[int, set[int]] = {}
        for user_id, organisation_id in rows:
            result.setdefault(user_id, set()).add(organisation_id)
        return [result.get(key, set()) for key in keys]


__all__ = [
    "GuestGrant",
    "GuestInvitation",
    "OrganisationsOfUserLoader",
    "Ownership",
    "PageByParentLoader",
    "RowByKeyLoader",
    "RowsByKeyLoader",
    "User",
]
