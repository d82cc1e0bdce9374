"""Batch loaders of users, ownerships and guest grants."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiodataloader import DataLoader
from sqlalchemy import ColumnElement, select, union

from edom_graphql.buildings import models as building_models
from edom_graphql.core.db import Database
from edom_graphql.core.loaders import (
    PageByParentLoader,
    RowByKeyLoader,
    RowsByKeyLoader,
    keys_param,
)
from edom_graphql.core.pagination import AnySelect, PageRequest, keyset_desc
from edom_graphql.residents import models
from edom_graphql.residents.types import GuestGrant, Ownership, User

USER_COLUMNS = select(
    models.User.id,
    models.User.display_name,
    models.User.full_name,
    models.User.phone,
    models.User.email,
)
OWNERSHIP_COLUMNS = select(
    models.Ownership.id,
    models.Ownership.premise_id,
    models.Ownership.building_id,
    models.Ownership.user_id,
    models.Ownership.share_numerator,
    models.Ownership.share_denominator,
    models.Ownership.started_at,
).where(models.Ownership.ended_at.is_(None))
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


def user_loader(db: Database) -> RowByKeyLoader[User]:
    return RowByKeyLoader(db, USER_COLUMNS, models.User.id, User.from_row)


def ownerships_by_premise_loader(db: Database) -> RowsByKeyLoader[Ownership]:
    return RowsByKeyLoader(
        db,
        OWNERSHIP_COLUMNS.order_by(models.Ownership.id),
        models.Ownership.premise_id,
        Ownership.from_row,
    )


def ownership_loader(db: Database) -> RowByKeyLoader[Ownership]:
    return RowByKeyLoader(db, OWNERSHIP_COLUMNS, models.Ownership.id, Ownership.from_row)


def guest_grant_loader(db: Database) -> RowByKeyLoader[GuestGrant]:
    return RowByKeyLoader(db, GUEST_GRANT_COLUMNS, models.GuestGrant.id, GuestGrant.from_row)


def _grants_page(
    column: Any,
) -> Callable[[ColumnElement[int], PageRequest, tuple[Any, ...]], AnySelect]:
    def build(
        user_id: ColumnElement[int], page: PageRequest, filters: tuple[Any, ...]
    ) -> AnySelect:
        active_at = filters[0]
        statement = GUEST_GRANT_COLUMNS.where(column == user_id)
        if active_at is not None:
            statement = statement.where(
                models.GuestGrant.revoked_at.is_(None),
                models.GuestGrant.expires_at > active_at,
            )
        return keyset_desc(statement, (models.GuestGrant.id,), page)

    return build


def grants_given_loader(db: Database) -> PageByParentLoader[GuestGrant]:
    return PageByParentLoader(db, _grants_page(models.GuestGrant.grantor_id), GuestGrant.from_row)


def grants_received_loader(db: Database) -> PageByParentLoader[GuestGrant]:
    return PageByParentLoader(db, _grants_page(models.GuestGrant.grantee_id), GuestGrant.from_row)


def _current(table: Any) -> AnySelect:
    return select(table.user_id, table.building_id).where(table.ended_at.is_(None))


class OrganisationsOfUserLoader(DataLoader[int, set[int]]):
    """The management organisations of every building a user currently relates to."""

    def __init__(self, db: Database) -> None:
        super().__init__()
        self._db = db
        relations = union(
            _current(models.Ownership),
            _current(models.Registration),
            _current(models.ResidencyConfirmation),
            select(models.GuestGrant.grantee_id, models.GuestGrant.building_id).where(
                models.GuestGrant.revoked_at.is_(None)
            ),
        ).subquery("relations")
        self._statement = (
            select(relations.c.user_id, building_models.Building.organisation_id)
            .join(building_models.Building, building_models.Building.id == relations.c.building_id)
            .where(relations.c.user_id == keys_param())
            .distinct()
        )

    async def batch_load_fn(self, keys: list[int]) -> list[set[int]]:
        rows = await self._db.fetch(self._statement.params(keys=list(keys)))
        result: dict[int, set[int]] = {}
        for user_id, organisation_id in rows:
            result.setdefault(user_id, set()).add(organisation_id)
        return [result.get(key, set()) for key in keys]


__all__ = [
    "GuestGrant",
    "OrganisationsOfUserLoader",
    "Ownership",
    "PageByParentLoader",
    "RowByKeyLoader",
    "RowsByKeyLoader",
    "User",
]
