"""Guest access: grants and the invitations that make them."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from edom_graphql.buildings.types import (
    Premise,
    PremiseByIdLoader,
)
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader, PageLoader, later
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.core.pagination import (
    Connection,
)
from edom_graphql.residents import access, reads
from edom_graphql.residents.models import GuestLevel
from edom_graphql.residents.types.users import User, UserByIdLoader

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
    def grant(self, info: AppInfo) -> GuestGrant | None:
        if self.grant_pk is None:
            return None
        return later(GuestGrantByIdLoader.of(info.context).load(self.grant_pk))


@strawberry.type(description="A page of guest invitations, newest first.")
class GuestInvitationConnection(Connection[GuestInvitation]):
    pass


# -- loaders ---------------------------------------------------------------------------


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
