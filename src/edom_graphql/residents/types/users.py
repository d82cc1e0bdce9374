"""Users, ownership of premises, the register of owners and the neighbours directory."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
import strawberry

from edom_graphql.buildings.types import (
    Building,
    Premise,
    PremiseByIdLoader,
    PremisesOfBuildingLoader,
)
from edom_graphql.core.capabilities import MATRIX, Capability
from edom_graphql.core.composition import JoinedReadAhead
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader, ListByKeyLoader, later
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import (
    INT32,
    After,
    Connection,
    First,
    build_connection,
    page_request,
)
from edom_graphql.core.permissions import requires, source_user
from edom_graphql.core.rows import made
from edom_graphql.residents import access, reads


@strawberry.type(description="A person on the platform.")
class User(Node):
    pk: strawberry.Private[int]
    display_name: str = strawberry.field(description="The name neighbours see.")
    full_name_value: strawberry.Private[str | None]
    phone_value: strawberry.Private[str | None]
    email_value: strawberry.Private[str | None]
    member_of: strawberry.Private[int | None] = None
    """A building the user belongs to now, when the statement that read them says so
    (their current ownership, say): lets the gatekeeper decide without a read."""
    staff_of: strawberry.Private[int | None] = None
    """An organisation the user works for now, when the statement that read them says so
    (a request's assignee, say): lets the gatekeeper decide without a read."""

    @classmethod
    def from_row(
        cls, row: Sequence[Any], *, member_of: int | None = None, staff_of: int | None = None
    ) -> User:
        return made(
            cls,
            {
                "id": encode_id("User", row[0]),
                "pk": row[0],
                "display_name": row[1],
                "full_name_value": row[2],
                "phone_value": row[3],
                "email_value": row[4],
                "member_of": member_of,
                "staff_of": staff_of,
            },
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[User | None]:
        return await UserByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: User) -> Verdict:
        return access.user_visible(context, node)

    @requires(Capability.PERSONAL_DATA, source_user, description="Full name (personal data).")
    def full_name(self, info: AppInfo) -> str | None:
        return self.full_name_value

    @requires(
        Capability.PERSONAL_DATA,
        source_user,
        description="Phone number in E.164 form (personal data).",
    )
    def phone(self, info: AppInfo) -> str | None:
        return self.phone_value

    @requires(Capability.PERSONAL_DATA, source_user, description="E-mail address (personal data).")
    def email(self, info: AppInfo) -> str | None:
        return self.email_value


@strawberry.type(description="An exact fraction, e.g. a share of ownership.")
class Fraction:
    numerator: int = strawberry.field(description="Numerator, > 0.")
    denominator: int = strawberry.field(description="Denominator, ≥ numerator.")


@strawberry.type(description="A current ownership record: a user owns a share of a premise.")
class Ownership(Node):
    pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    user_pk: strawberry.Private[int]
    share: Fraction = strawberry.field(description="The owned share of the premise.")
    since: datetime = strawberry.field(description="When the ownership was recorded.")
    user: User = strawberry.field(description="The owner.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Ownership:
        """An ownership row followed by its owner's user columns (see ``OWNERSHIP_COLUMNS``)."""
        return made(
            cls,
            {
                "id": encode_id("Ownership", row[0]),
                "pk": row[0],
                "premise_pk": row[1],
                "building_pk": row[2],
                "user_pk": row[3],
                "share": made(Fraction, {"numerator": row[4], "denominator": row[5]}),
                "since": row[6],
                "user": User.from_row(row[7:12], member_of=row[2]),
            },
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Ownership | None]:
        return await OwnershipByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Ownership) -> Verdict:
        return access.ownership_visible(context, node)

    @strawberry.field(description="The premise owned.")
    def premise(self, info: AppInfo) -> Premise:
        return later(PremiseByIdLoader.of(info.context).load(self.premise_pk))


@strawberry.type(description="A neighbour in the directory: display name and premise number only.")
class Neighbour:
    number_sort: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    user_pk: strawberry.Private[int]
    display_name: str = strawberry.field(description="The neighbour's display name.")
    premise_number: str = strawberry.field(description="Number of the neighbour's premise.")

    @strawberry.field(description="The neighbour (only the display name is visible to you).")
    def user(self, info: AppInfo) -> User:
        return later(UserByIdLoader.of(info.context).load(self.user_pk))

    @staticmethod
    def sort_key(neighbour: Neighbour) -> tuple[int, str, int, int]:
        return (
            neighbour.number_sort,
            neighbour.premise_number,
            neighbour.premise_pk,
            neighbour.user_pk,
        )


@strawberry.type(description="A page of the neighbours directory, in premise number order.")
class NeighbourConnection(Connection[Neighbour]):
    pass


async def neighbours_of(
    info: AppInfo, building_id: int, *, first: int, after: str | None
) -> NeighbourConnection:
    page = page_request(first, after, types=(INT32, str, int, int))
    rows = await reads.neighbour_rows(info.context.db, building_id, page)
    items = [
        Neighbour(
            number_sort=r[0], premise_number=r[1], premise_pk=r[2], user_pk=r[3], display_name=r[4]
        )
        for r in rows
    ]
    connection = build_connection(items, page, Neighbour.sort_key)
    return NeighbourConnection(edges=connection.edges, page_info=connection.page_info)


@strawberry.type
class BuildingNeighbours:
    """``Building.neighbours``."""

    @requires(
        Capability.NEIGHBOURS_DIRECTORY,
        description="Who of the building is on the platform: display name and premise number.",
    )
    async def neighbours(
        self: Building, info: AppInfo, first: First, after: After = None
    ) -> NeighbourConnection | None:
        return await neighbours_of(info, self.pk, first=first, after=after)


def _owners_read_ahead(premise: Premise) -> list[Ownership] | None:
    owners: list[Ownership] | None = premise.read_ahead.get("owners")
    return owners


@strawberry.type
class PremiseOwners:
    """``Premise.owners``: read for a whole page of premises at once (:func:`read_owners`)."""

    @requires(
        Capability.OWNERS_REGISTER,
        description="Current owners with their shares (the register of owners).",
        prefetched=_owners_read_ahead,
    )
    def owners(self: Premise, info: AppInfo) -> list[Ownership] | None:
        owners = _owners_read_ahead(self)
        if owners is not None:
            return owners
        return later(OwnershipsOfPremiseLoader.of(info.context).load(self.pk))


async def read_owners(context: Context, building: Building, premises: Sequence[Premise]) -> None:
    """The owners of a page of a building's premises, from one statement: decide
    ``OWNERS_REGISTER`` once for the building and, if allowed, attach each premise's
    owners; decide the owners' ``PERSONAL_DATA`` too where the building alone settles it,
    and ``NEIGHBOURS_DIRECTORY`` in the building, which their gatekeeper asks first."""
    if not await context.can(Capability.OWNERS_REGISTER, building_id=building.pk):
        return
    await context.can(Capability.NEIGHBOURS_DIRECTORY, building_id=building.pk)
    owners_by_premise = await OwnershipsOfPremiseLoader.of(context).load_many(
        [p.pk for p in premises]
    )
    profile = await context.profile()
    may_see_all = bool(
        profile.roles_in(building.organisation_id) & MATRIX[Capability.PERSONAL_DATA].staff
    )
    may_see_none = not profile.staff_roles
    for premise, owners in zip(premises, owners_by_premise, strict=True):
        premise.read_ahead["owners"] = owners
        for ownership in owners:
            if may_see_all or ownership.user_pk == profile.user_id:
                context.remember(Capability.PERSONAL_DATA, True, user_id=ownership.user_pk)
            elif may_see_none:
                context.remember(Capability.PERSONAL_DATA, False, user_id=ownership.user_pk)


# -- loaders ---------------------------------------------------------------------------


class UserByIdLoader(ByIdLoader[User]):
    query = reads.USER_BY_ID
    convert = User.from_row


class OwnershipByIdLoader(ByIdLoader[Ownership]):
    query = reads.OWNERSHIP_BY_ID
    convert = Ownership.from_row


class OwnershipsOfPremiseLoader(ListByKeyLoader[Ownership]):
    """The current owners of each premise (the register), in id order."""

    query = reads.OWNERSHIPS_OF_PREMISE
    convert = Ownership.from_row


class PremisesWithOwnersLoader(PremisesOfBuildingLoader):
    """Pages of a building's premises read with their owners in the same statement: each
    premise's owners go to :class:`OwnershipsOfPremiseLoader`, where :func:`read_owners`
    finds them."""

    children = reads.PREMISES_WITH_OWNERS

    def converter(self) -> Callable[[Sequence[Any]], Premise]:
        owners = OwnershipsOfPremiseLoader.of(self.context)
        ownership = Ownership.from_row

        def convert(row: Sequence[Any]) -> Premise:
            premise = Premise.from_row(row)
            records = orjson.loads(row[-1]) if row[-1] is not None else ()
            for record in records:
                # JSON has no instants: the ownership's start comes as ISO 8601 text.
                record[6] = datetime.fromisoformat(record[6]).astimezone(UTC)
            owners.prime(premise.pk, [ownership(record) for record in records])
            return premise

        return convert


def owners_wanted(context: Context, building: Building) -> bool | Awaitable[bool]:
    """Whether to read a page of the building's premises with their owners: when the
    viewer may see the register there."""
    return context.allows(Capability.OWNERS_REGISTER, building_id=building.pk)


OWNERS_JOINED = JoinedReadAhead(
    pages={PremisesOfBuildingLoader: PremisesWithOwnersLoader}, wanted=owners_wanted
)
