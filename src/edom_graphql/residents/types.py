"""GraphQL types of users, ownership, guest access, neighbours and the viewer."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

import strawberry

from edom_graphql.buildings.types import (
    Building,
    BuildingConnection,
    ManagementOrganisation,
    OrganisationByIdLoader,
    Premise,
    PremiseByIdLoader,
    viewer_buildings,
)
from edom_graphql.core.capabilities import MATRIX, Capability, StaffRole, Tier
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.errors import Unauthenticated
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader, ListByKeyLoader, PageLoader, later
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
from edom_graphql.notifications.reads import unread_count
from edom_graphql.notifications.types import NotificationConnection, notifications_of
from edom_graphql.residents import access, reads
from edom_graphql.residents.models import GuestLevel

graphql_enum(
    GuestLevel,
    "How much a guest may do; see the capability matrix.",
    {
        GuestLevel.ELEVATED: "Nearly a resident: may also chat with management, vote in polls, "
        "submit readings and pay bills.",
        GuestLevel.BASIC: "May use chats, the neighbours directory, listings and repair requests.",
        GuestLevel.INITIAL: "May see the building's information and open the entrance door.",
    },
)


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

    @classmethod
    def from_row(cls, row: Sequence[Any], *, member_of: int | None = None) -> User:
        return cls(
            id=strawberry.ID(encode_id("User", row[0])),
            pk=row[0],
            display_name=row[1],
            full_name_value=row[2],
            phone_value=row[3],
            email_value=row[4],
            member_of=member_of,
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
        return cls(
            id=strawberry.ID(encode_id("Ownership", row[0])),
            pk=row[0],
            premise_pk=row[1],
            building_pk=row[2],
            user_pk=row[3],
            share=Fraction(numerator=row[4], denominator=row[5]),
            since=row[6],
            user=User.from_row(row[7:12], member_of=row[2]),
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Ownership | None]:
        return await OwnershipByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Ownership) -> Verdict:
        return access.ownership_visible(context, node)

    @strawberry.field(description="The premise owned.")
    async def premise(self, info: AppInfo) -> Premise:
        premise = await PremiseByIdLoader.of(info.context).load(self.premise_pk)
        assert premise is not None
        return premise


@strawberry.type(description="Temporary access to a premise given by its owner or registered user.")
class GuestGrant(Node):
    pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    grantor_pk: strawberry.Private[int]
    grantee_pk: strawberry.Private[int]
    level: GuestLevel = strawberry.field(description="What the guest may do.")
    starts_at: datetime = strawberry.field(description="Access begins.")
    expires_at: datetime = strawberry.field(description="Access ends.")
    revoked_at: datetime | None = strawberry.field(description="When it was revoked, if it was.")
    created_at: datetime = strawberry.field(description="When it was granted.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> GuestGrant:
        return cls(
            id=strawberry.ID(encode_id("GuestGrant", row[0])),
            pk=row[0],
            premise_pk=row[1],
            building_pk=row[2],
            grantor_pk=row[3],
            grantee_pk=row[4],
            level=GuestLevel(row[5]),
            starts_at=row[6],
            expires_at=row[7],
            revoked_at=row[8],
            created_at=row[9],
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[GuestGrant | None]:
        return await GuestGrantByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: GuestGrant) -> Verdict:
        return access.guest_grant_visible(context, node)

    @strawberry.field(description="The grant gives access now.")
    def is_active(self, info: AppInfo) -> bool:
        now = info.context.now
        return self.revoked_at is None and self.starts_at <= now < self.expires_at

    @strawberry.field(
        description="The premise the guest may use; null while you may not see its "
        "building (a guest sees it from `startsAt` to `expiresAt`)."
    )
    async def premise(self, info: AppInfo) -> Premise | None:
        return await PremiseByIdLoader.of(info.context).load(self.premise_pk)

    @strawberry.field(
        description="Who granted access; null once the grant has ended, unless you see "
        "them otherwise (as a neighbour, say)."
    )
    async def grantor(self, info: AppInfo) -> User | None:
        return await UserByIdLoader.of(info.context).load(self.grantor_pk)

    @strawberry.field(
        description="The guest; null once the grant has ended, unless you see them "
        "otherwise (as a neighbour, say)."
    )
    async def grantee(self, info: AppInfo) -> User | None:
        return await UserByIdLoader.of(info.context).load(self.grantee_pk)

    @staticmethod
    def sort_key(grant: GuestGrant) -> tuple[int]:
        return (grant.pk,)


@strawberry.type(description="A page of guest grants, newest first.")
class GuestGrantConnection(Connection[GuestGrant]):
    pass


class GuestInvitationStatus(enum.Enum):
    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    CANCELLED = "CANCELLED"
    LAPSED = "LAPSED"


graphql_enum(
    GuestInvitationStatus,
    "Where an invitation stands.",
    {
        GuestInvitationStatus.PENDING: "Its code may be accepted (until `acceptBy`).",
        GuestInvitationStatus.ACCEPTED: "A guest accepted it: see `grant`.",
        GuestInvitationStatus.CANCELLED: "Its grantor withdrew it.",
        GuestInvitationStatus.LAPSED: "Nobody accepted it in time.",
    },
)


@strawberry.type(
    description="An invitation to be a guest at a premise: whoever its code is given to "
    "becomes the guest by accepting it (`guestInvitationAccept`)."
)
class GuestInvitation(Node):
    pk: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    building_pk: strawberry.Private[int]
    grantor_pk: strawberry.Private[int]
    grant_pk: strawberry.Private[int | None]
    level: GuestLevel = strawberry.field(description="What the guest will be able to do.")
    starts_at: datetime | None = strawberry.field(
        description="When access begins; null: when the guest accepts."
    )
    expires_at: datetime = strawberry.field(description="When access ends.")
    accept_by: datetime = strawberry.field(description="The code works until then.")
    accepted_at: datetime | None = strawberry.field(description="When a guest accepted it.")
    cancelled_at: datetime | None = strawberry.field(description="When it was withdrawn.")
    created_at: datetime = strawberry.field(description="When it was made.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> GuestInvitation:
        return cls(
            id=strawberry.ID(encode_id("GuestInvitation", row[0])),
            pk=row[0],
            premise_pk=row[1],
            building_pk=row[2],
            grantor_pk=row[3],
            level=GuestLevel(row[4]),
            starts_at=row[5],
            expires_at=row[6],
            accept_by=row[7],
            accepted_at=row[8],
            grant_pk=row[9],
            cancelled_at=row[10],
            created_at=row[11],
        )

    @classmethod
    async def load_nodes(
        cls, context: Context, pks: Sequence[int]
    ) -> Sequence[GuestInvitation | None]:
        return await GuestInvitationByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: GuestInvitation) -> Verdict:
        return access.guest_invitation_visible(context, node)

    @staticmethod
    def sort_key(invitation: GuestInvitation) -> tuple[int]:
        return (invitation.pk,)

    @strawberry.field(description="Where it stands now.")
    def status(self, info: AppInfo) -> GuestInvitationStatus:
        if self.accepted_at is not None:
            return GuestInvitationStatus.ACCEPTED
        if self.cancelled_at is not None:
            return GuestInvitationStatus.CANCELLED
        if self.accept_by <= info.context.now or self.expires_at <= info.context.now:
            return GuestInvitationStatus.LAPSED
        return GuestInvitationStatus.PENDING

    @strawberry.field(description="The premise it opens.")
    async def premise(self, info: AppInfo) -> Premise | None:
        return await PremiseByIdLoader.of(info.context).load(self.premise_pk)

    @strawberry.field(description="The grant its acceptance made; null until accepted.")
    async def grant(self, info: AppInfo) -> GuestGrant | None:
        if self.grant_pk is None:
            return None
        return await GuestGrantByIdLoader.of(info.context).load(self.grant_pk)


@strawberry.type(description="A page of guest invitations, newest first.")
class GuestInvitationConnection(Connection[GuestInvitation]):
    pass


@strawberry.type(description="A neighbour in the directory: display name and premise number only.")
class Neighbour:
    number_sort: strawberry.Private[int]
    premise_pk: strawberry.Private[int]
    user_pk: strawberry.Private[int]
    display_name: str = strawberry.field(description="The neighbour's display name.")
    premise_number: str = strawberry.field(description="Number of the neighbour's premise.")

    @strawberry.field(description="The neighbour (only the display name is visible to you).")
    async def user(self, info: AppInfo) -> User:
        user = await UserByIdLoader.of(info.context).load(self.user_pk)
        assert user is not None
        return user

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
    owners; decide the owners' ``PERSONAL_DATA`` too where the building alone settles it."""
    if not await context.can(Capability.OWNERS_REGISTER, building_id=building.pk):
        return
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


@strawberry.type(description="One of the viewer's premises and the viewer's tier there.")
class ViewerPremise:
    premise_pk: strawberry.Private[int]
    tier: Tier = strawberry.field(description="The viewer's tier at the premise.")

    @strawberry.field(description="The premise.")
    async def premise(self, info: AppInfo) -> Premise:
        premise = await PremiseByIdLoader.of(info.context).load(self.premise_pk)
        assert premise is not None
        return premise


@strawberry.type(description="A staff role of the viewer in a management organisation.")
class StaffMembership:
    organisation_pk: strawberry.Private[int]
    role: StaffRole = strawberry.field(description="The role.")

    @strawberry.field(description="The organisation.")
    async def organisation(self, info: AppInfo) -> ManagementOrganisation:
        organisation = await OrganisationByIdLoader.of(info.context).load(self.organisation_pk)
        assert organisation is not None
        return organisation


@strawberry.type(description="The signed-in user, their premises, buildings and grants.")
class Viewer:
    user_pk: strawberry.Private[int]

    @strawberry.field(description="The signed-in user.")
    async def user(self, info: AppInfo) -> User:
        user = await UserByIdLoader.of(info.context).load(self.user_pk)
        if user is None:  # deleted while their token still works: sign in again
            await info.context.profile()  # refuses, and forgets the token's subject
            raise Unauthenticated("This account no longer exists; sign in again.")
        return user

    @strawberry.field(description="Premises the viewer relates to, with the tier at each.")
    async def premises(self, info: AppInfo) -> list[ViewerPremise]:
        profile = await info.context.profile()
        return [
            ViewerPremise(premise_pk=premise_pk, tier=tier)
            for premise_pk, tier in sorted(profile.premise_tiers.items())
        ]

    @strawberry.field(description="The viewer's roles in management organisations.")
    async def staff_memberships(self, info: AppInfo) -> list[StaffMembership]:
        profile = await info.context.profile()
        return [
            StaffMembership(organisation_pk=organisation, role=role)
            for organisation, roles in sorted(profile.staff_roles.items())
            for role in sorted(roles, key=lambda r: r.value)
        ]

    @strawberry.field(
        description="Buildings where the viewer has a tier or works for the management "
        "organisation, in id order."
    )
    async def buildings(
        self,
        info: AppInfo,
        first: First,
        after: After = None,
    ) -> BuildingConnection:
        return await viewer_buildings(info, first=first, after=after)

    @strawberry.field(description="Guest grants the viewer has given, newest first.")
    async def guest_grants_given(
        self,
        info: AppInfo,
        first: First,
        after: After = None,
        active_only: Annotated[
            bool, strawberry.argument(description="Only grants that are not revoked or expired.")
        ] = False,
    ) -> GuestGrantConnection:
        return await _grants(info, GrantsGivenLoader, self.user_pk, first, after, active_only)

    @strawberry.field(description="Invitations the viewer has made, newest first.")
    async def guest_invitations(
        self,
        info: AppInfo,
        first: First,
        after: After = None,
        pending_only: Annotated[
            bool, strawberry.argument(description="Only those whose code may still be accepted.")
        ] = False,
    ) -> GuestInvitationConnection:
        page = page_request(first, after, types=(int,))
        pending_at = info.context.now if pending_only else None
        items = await InvitationsGivenLoader.of(info.context).load(
            (self.user_pk, page, (pending_at,))
        )
        connection = build_connection(items, page, GuestInvitation.sort_key)
        return GuestInvitationConnection(edges=connection.edges, page_info=connection.page_info)

    @strawberry.field(description="Guest grants the viewer has received, newest first.")
    async def guest_grants_received(
        self,
        info: AppInfo,
        first: First,
        after: After = None,
        active_only: Annotated[
            bool, strawberry.argument(description="Only grants that are not revoked or expired.")
        ] = False,
    ) -> GuestGrantConnection:
        return await _grants(info, GrantsReceivedLoader, self.user_pk, first, after, active_only)

    @strawberry.field(description="The viewer's notifications, newest first.")
    async def notifications(
        self,
        info: AppInfo,
        first: First,
        after: After = None,
        unread_only: Annotated[
            bool, strawberry.argument(description="Only notifications not yet read.")
        ] = False,
    ) -> NotificationConnection:
        return await notifications_of(
            info, self.user_pk, first=first, after=after, unread_only=unread_only
        )

    @strawberry.field(description="How many of the viewer's notifications are unread.")
    async def unread_notification_count(self, info: AppInfo) -> int:
        return await unread_count(info.context.db, user_id=self.user_pk)


async def _grants(
    info: AppInfo,
    loader: type[PageLoader[GuestGrant]],
    user_pk: int,
    first: int,
    after: str | None,
    active_only: bool,
) -> GuestGrantConnection:
    page = page_request(first, after, types=(int,))
    active_at = info.context.now if active_only else None
    items = await loader.of(info.context).load((user_pk, page, (active_at,)))
    connection = build_connection(items, page, GuestGrant.sort_key)
    return GuestGrantConnection(edges=connection.edges, page_info=connection.page_info)


# -- loaders ----------------------------------------------------------------------------


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


class GuestGrantByIdLoader(ByIdLoader[GuestGrant]):
    query = reads.GUEST_GRANT_BY_ID
    convert = GuestGrant.from_row


class GuestInvitationByIdLoader(ByIdLoader[GuestInvitation]):
    query = reads.GUEST_INVITATION_BY_ID
    convert = GuestInvitation.from_row


class GrantsGivenLoader(PageLoader[GuestGrant]):
    children = reads.GRANTS_GIVEN
    convert = GuestGrant.from_row


class GrantsReceivedLoader(PageLoader[GuestGrant]):
    children = reads.GRANTS_RECEIVED
    convert = GuestGrant.from_row


class InvitationsGivenLoader(PageLoader[GuestInvitation]):
    children = reads.INVITATIONS_GIVEN
    convert = GuestInvitation.from_row
