"""Every read of users, their relations to premises, guest grants and invitations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    DateTime,
    String,
    Text,
    and_,
    bindparam,
    cast,
    func,
    literal,
    null,
    select,
    true,
    union,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by

from edom_graphql.buildings import models as building_models
from edom_graphql.buildings.models import Building, StaffMembership
from edom_graphql.buildings.reads import PREMISES_OF_BUILDING
from edom_graphql.core.capabilities import MATRIX, Capability, StaffRole
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery, Loader, PageBuilder, PagedChildren, keys_param
from edom_graphql.core.pagination import AnySelect, PageRequest, keyset, keyset_desc, page_params
from edom_graphql.core.profile import AccessProfile
from edom_graphql.residents import models

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


USER_BY_ID = KeyedQuery(USER_COLUMNS, models.User.id)
OWNERSHIP_BY_ID = KeyedQuery(OWNERSHIP_COLUMNS, models.Ownership.id)
OWNERSHIPS_OF_PREMISE = KeyedQuery(
    OWNERSHIP_COLUMNS.order_by(models.Ownership.id), models.Ownership.premise_id
)
OWNERS_OF_EACH_PREMISE = (
    OWNERSHIP_COLUMNS.with_only_columns(
        cast(
            func.json_agg(
                aggregate_order_by(
                    func.json_build_array(*OWNERSHIP_COLUMNS.selected_columns),
                    models.Ownership.id,
                )
            ),
            Text,
        )
    )
    .where(models.Ownership.premise_id == building_models.Premise.id)
    .scalar_subquery()
)
"""The current ownerships of the premise of the enclosing row, in id order, as the text
of a JSON array of arrays of ``OWNERSHIP_COLUMNS`` (null for none): asyncpg makes a
tuple of a row in C, but of each record in an array only slowly (three times the
time of reading the same rows by a statement of their own)."""
PREMISES_WITH_OWNERS = PREMISES_OF_BUILDING.with_columns(OWNERS_OF_EACH_PREMISE.label("owners"))
"""A page of a building's premises, each with its owners (:data:`OWNERS_OF_EACH_PREMISE`)
as the last column."""
GUEST_GRANT_BY_ID = KeyedQuery(GUEST_GRANT_COLUMNS, models.GuestGrant.id)
GUEST_INVITATION_BY_ID = KeyedQuery(GUEST_INVITATION_COLUMNS, models.GuestInvitation.id)
UTC_DATETIME = DateTime(timezone=True)


def _invitations_page(
    user_id: ColumnElement[int], has_after: bool, present: tuple[bool, ...]
) -> AnySelect:
    invitation = models.GuestInvitation
    statement = GUEST_INVITATION_COLUMNS.where(invitation.grantor_id == user_id)
    if present[0]:
        statement = statement.where(
            invitation.accepted_at.is_(None),
            invitation.cancelled_at.is_(None),
            invitation.accept_by > bindparam("pending_at", type_=UTC_DATETIME),
        )
    return keyset_desc(statement, (invitation.id,), has_after=has_after)


INVITATIONS_GIVEN = PagedChildren(_invitations_page, ("pending_at",))


def _grants_page(column: Any) -> PageBuilder:
    def build(user_id: ColumnElement[int], has_after: bool, present: tuple[bool, ...]) -> AnySelect:
        statement = GUEST_GRANT_COLUMNS.where(column == user_id)
        if present[0]:
            statement = statement.where(
                models.GuestGrant.revoked_at.is_(None),
                models.GuestGrant.expires_at > bindparam("active_at", type_=UTC_DATETIME),
            )
        return keyset_desc(statement, (models.GuestGrant.id,), has_after=has_after)

    return build


GRANTS_GIVEN = PagedChildren(_grants_page(models.GuestGrant.grantor_id), ("active_at",))
GRANTS_RECEIVED = PagedChildren(_grants_page(models.GuestGrant.grantee_id), ("active_at",))


# -- an organisation's engineers (ManagementOrganisation.engineers) ----------------------

ENGINEER_ORDER = (models.User.display_name, models.User.id)


def _engineers_page(
    organisation_id: ColumnElement[int], has_after: bool, present: tuple[bool, ...]
) -> AnySelect:
    statement = USER_COLUMNS.join(StaffMembership, StaffMembership.user_id == models.User.id).where(
        StaffMembership.organisation_id == organisation_id,
        StaffMembership.role == StaffRole.ENGINEER,
        StaffMembership.ended_at.is_(None),
    )
    return keyset(statement, ENGINEER_ORDER, has_after=has_after)


ENGINEERS_OF_ORGANISATION = PagedChildren(_engineers_page)
"""A page of each organisation's current engineers, by display name (User columns)."""


# -- the neighbours directory --------------------------------------------------------------


def _occupants(table: Any, premise_id: Any) -> Any:
    return select(table.user_id).where(table.premise_id == premise_id, table.ended_at.is_(None))


def _neighbours(has_after: bool) -> Prepared:
    premise = building_models.Premise
    # The building's premises in their order (an index), each with its occupants, until
    # the page is full: only the page's premises are visited and only its rows are joined
    # to their users. (A relation's building is its premise's.)
    occupants = union(
        _occupants(models.Ownership, premise.id),
        _occupants(models.Registration, premise.id),
        _occupants(models.ResidencyConfirmation, premise.id),
    ).lateral("occupants")
    page = keyset(
        select(premise.number_sort, premise.number, premise.id, occupants.c.user_id)
        .join(occupants, true())
        .where(premise.building_id == bindparam("building_id", type_=BigInteger)),
        (premise.number_sort, premise.number, premise.id, occupants.c.user_id),
        has_after=has_after,
    ).subquery("page")
    return Prepared(
        select(
            page.c.number_sort, page.c.number, page.c.id, models.User.id, models.User.display_name
        )
        .join_from(page, models.User, models.User.id == page.c.user_id)
        .order_by(page.c.number_sort, page.c.number, page.c.id, page.c.user_id)
    )


_NEIGHBOURS = {has_after: _neighbours(has_after) for has_after in (False, True)}


async def neighbour_rows(db: Database, building_id: int, page: PageRequest) -> list[Any]:
    """A page of the building's occupants: (number sort, number, premise, user, name)."""
    return list(
        await db.fetch(
            _NEIGHBOURS[page.after is not None], building_id=building_id, **page_params(page)
        )
    )


# -- which users a viewer may see (residents.access.user_visible) -------------------------

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


class VisibleUsersLoader(Loader[int, bool]):
    """Whether the viewer may see each user (one statement per batch)."""

    async def batch_load_fn(self, keys: list[int]) -> list[bool]:
        context = self.context
        profile = await context.profile()
        if profile.is_admin:
            return [True] * len(keys)
        managed = [
            premise
            for premise, tier in profile.premise_tiers.items()
            if tier in MATRIX[Capability.GUEST_ACCESS_MANAGE].tiers
        ]
        rows = await self.db.fetch(
            _RELATIONS,
            users=keys,
            viewer_id=profile.user_id,
            managed_premises=managed,
            viewer_buildings=list(profile.building_tiers),
            now=context.now,
        )
        visible = _visible_among(profile, rows) | {profile.user_id}
        return [key in visible for key in keys]


_LOCALE = Prepared(select(models.User.locale).where(models.User.id == bindparam("user_id")))


async def locale_of(db: Database, *, user_id: int) -> str:
    """The language of the user's notifications."""
    row = await db.fetch_one(_LOCALE, user_id=user_id)
    return str(row[0]) if row is not None else "ru"
