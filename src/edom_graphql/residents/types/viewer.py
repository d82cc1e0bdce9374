"""The signed-in user: their premises, staff roles, buildings, grants and notifications."""

from __future__ import annotations

from typing import Annotated

import strawberry

from edom_graphql.buildings.types import (
    BuildingConnection,
    ManagementOrganisation,
    OrganisationByIdLoader,
    Premise,
    PremiseByIdLoader,
    viewer_buildings,
)
from edom_graphql.core.capabilities import StaffRole, Tier
from edom_graphql.core.context import AppInfo
from edom_graphql.core.errors import Unauthenticated
from edom_graphql.core.loaders import PageLoader, later
from edom_graphql.core.pagination import (
    After,
    First,
    build_connection,
    page_request,
)
from edom_graphql.notifications.reads import unread_count
from edom_graphql.notifications.types import (
    Device,
    NotificationConnection,
    NotificationSettings,
    devices_of,
    notifications_of,
    settings_of,
)
from edom_graphql.residents.reads import locale_of
from edom_graphql.residents.types.guests import (
    GrantsGivenLoader,
    GrantsReceivedLoader,
    GuestGrant,
    GuestGrantConnection,
    GuestInvitation,
    GuestInvitationConnection,
    InvitationsGivenLoader,
)
from edom_graphql.residents.types.users import User, UserByIdLoader


@strawberry.type(description="One of the viewer's premises and the viewer's tier there.")
class ViewerPremise:
    premise_pk: strawberry.Private[int]
    tier: Tier = strawberry.field(description="The viewer's tier at the premise.")

    @strawberry.field(description="The premise.")
    def premise(self, info: AppInfo) -> Premise:
        return later(PremiseByIdLoader.of(info.context).load(self.premise_pk))


@strawberry.type(description="A staff role of the viewer in a management organisation.")
class StaffMembership:
    organisation_pk: strawberry.Private[int]
    role: StaffRole = strawberry.field(description="The role.")

    @strawberry.field(description="The organisation.")
    def organisation(self, info: AppInfo) -> ManagementOrganisation:
        return later(OrganisationByIdLoader.of(info.context).load(self.organisation_pk))


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

    @strawberry.field(description="The language of the viewer's notifications: `ru` or `en`.")
    async def locale(self, info: AppInfo) -> str:
        return await locale_of(info.context.db, user_id=self.user_pk)

    @strawberry.field(description="The viewer's devices that receive push notifications.")
    async def devices(self, info: AppInfo) -> list[Device]:
        return await devices_of(info, self.user_pk)

    @strawberry.field(description="Which categories of notifications the viewer muted.")
    async def notification_settings(self, info: AppInfo) -> NotificationSettings:
        return await settings_of(info, self.user_pk)


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
