"""Residents' mutations: residency, guest invitations and access, the profile."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.types import Premise, PremiseByIdLoader
from edom_graphql.core.capabilities import MATRIX, Capability, Tier
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import Target, requires
from edom_graphql.core.ratelimit import RateLimit, Window, check_and_count
from edom_graphql.residents import service
from edom_graphql.residents.errors import (
    GuestAccessRevokeError,
    GuestInvitationAcceptError,
    GuestInvitationCancelError,
    GuestInvitationCreateError,
    ProfileUpdateError,
    ResidencyConfirmError,
)
from edom_graphql.residents.models import GuestLevel
from edom_graphql.residents.types import (
    GuestGrant,
    GuestGrantByIdLoader,
    GuestInvitation,
    GuestInvitationByIdLoader,
    User,
    UserByIdLoader,
)

RESIDENCY_ATTEMPTS = (Window(5, timedelta(minutes=15)), Window(20, timedelta(days=1)))
INVITATION_LIMIT = RateLimit(
    "guest_invitation_create", (Window(30, timedelta(hours=1)), Window(100, timedelta(days=1)))
)
ACCEPT_LIMIT = RateLimit(
    "guest_invitation_accept", (Window(10, timedelta(minutes=15)), Window(30, timedelta(days=1)))
)
"""Codes are 120 random bits; the limit keeps guessing pointless as well as hopeless."""


@strawberry.input(description="Confirm that the viewer lives at a premise.")
class ResidencyConfirmInput:
    payer_code: str = strawberry.field(
        description="The premise's payer code (10 digits, printed on the ЕПД bill)."
    )


@strawberry.type(description="Result of `residencyConfirm`.")
class ResidencyConfirmPayload(Payload):
    premise: Premise | None = strawberry.field(default=None, description="The premise confirmed.")
    tier: Tier | None = strawberry.field(default=None, description="The viewer's tier there now.")
    user_errors: list[ResidencyConfirmError] = user_errors_field()


@strawberry.input(
    description="Invite a guest to a premise: give the code of the result to them (in a "
    "message, as a link); whoever accepts it becomes the guest."
)
class GuestInvitationCreateInput:
    premise_id: strawberry.ID = strawberry.field(description="The premise (yours).")
    level: GuestLevel = strawberry.field(description="What the guest may do.")
    expires_at: datetime = strawberry.field(description="When access ends (at most 365 days).")
    starts_at: datetime | None = strawberry.field(
        default=None, description="When access begins; when the guest accepts if omitted."
    )
    accept_by: datetime | None = strawberry.field(
        default=None,
        description="Until when the code may be accepted (at most 14 days, not after "
        "`expiresAt`); 7 days if omitted.",
    )


@strawberry.type(description="Result of `guestInvitationCreate`.")
class GuestInvitationCreatePayload(Payload):
    invitation: GuestInvitation | None = strawberry.field(
        default=None, description="The new invitation."
    )
    code: str | None = strawberry.field(
        default=None,
        description="The code to give the guest, e.g. `7KQ2-M9XD-…`. Shown only here: the "
        "platform keeps only its hash.",
    )
    user_errors: list[GuestInvitationCreateError] = user_errors_field()


@strawberry.input(description="Accept an invitation by its code.")
class GuestInvitationAcceptInput:
    code: str = strawberry.field(
        description="The code the grantor gave you (case, spaces and dashes do not matter)."
    )


@strawberry.type(description="Result of `guestInvitationAccept`.")
class GuestInvitationAcceptPayload(Payload):
    grant: GuestGrant | None = strawberry.field(
        default=None, description="The viewer's new guest grant."
    )
    user_errors: list[GuestInvitationAcceptError] = user_errors_field()


@strawberry.input(description="Withdraw an invitation nobody has accepted.")
class GuestInvitationCancelInput:
    invitation_id: strawberry.ID = strawberry.field(description="The invitation.")


@strawberry.type(description="Result of `guestInvitationCancel`.")
class GuestInvitationCancelPayload(Payload):
    invitation: GuestInvitation | None = strawberry.field(
        default=None, description="The invitation."
    )
    user_errors: list[GuestInvitationCancelError] = user_errors_field()


@strawberry.input(description="End a guest's access before it expires.")
class GuestAccessRevokeInput:
    grant_id: strawberry.ID = strawberry.field(description="The grant to revoke.")


@strawberry.type(description="Result of `guestAccessRevoke`.")
class GuestAccessRevokePayload(Payload):
    grant: GuestGrant | None = strawberry.field(default=None, description="The revoked grant.")
    user_errors: list[GuestAccessRevokeError] = user_errors_field()


@strawberry.input(description="Profile fields to change; omitted fields stay as they are.")
class ProfileUpdateInput:
    display_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="The name neighbours see (1–100 characters)."
    )
    full_name: str | None = strawberry.field(
        default=strawberry.UNSET, description="Full name; null clears it."
    )
    phone: str | None = strawberry.field(
        default=strawberry.UNSET, description="Phone in international form; null clears it."
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET, description="E-mail address; null clears it."
    )
    locale: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="The language of the viewer's notifications: `ru` or `en`.",
    )


@strawberry.type(description="Result of `profileUpdate`.")
class ProfileUpdatePayload(Payload):
    user: User | None = strawberry.field(default=None, description="The updated user.")
    user_errors: list[ProfileUpdateError] = user_errors_field()


async def _input_premise(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    return Target(premise_id=expect_id(kwargs["input"].premise_id, "Premise", field="premiseId"))


async def _input_invitation_premise(
    source: Any, info: AppInfo, kwargs: dict[str, Any]
) -> Target | None:
    pk = expect_id(kwargs["input"].invitation_id, "GuestInvitation", field="invitationId")
    invitation = await GuestInvitationByIdLoader.of(info.context).load(pk)
    return Target(premise_id=invitation.premise_pk) if invitation is not None else None


async def _input_grant_premise(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    grant_pk = expect_id(kwargs["input"].grant_id, "GuestGrant", field="grantId")
    grant = await GuestGrantByIdLoader.of(info.context).load(grant_pk)
    return Target(premise_id=grant.premise_pk) if grant is not None else None


@strawberry.type
class ResidentMutations:
    @strawberry.mutation(
        description="Confirm that the viewer lives at a premise by its payer code (gives the "
        "RESIDENT tier). Limited to 5 attempts in 15 minutes and 20 a day."
    )
    async def residency_confirm(
        self, info: AppInfo, input: MutationInput[ResidencyConfirmInput]
    ) -> ResidencyConfirmPayload:
        context = info.context
        user_id = context.require_viewer()
        async with context.db.transaction() as (session, _):
            await check_and_count(
                session,
                bucket="residency_confirm",
                key=str(user_id),
                user_id=user_id,
                windows=RESIDENCY_ATTEMPTS,
                now=context.now,
            )

        async def work(session: AsyncSession, outbox: Outbox) -> service.ResidencyConfirmed:
            return await service.confirm_residency(
                session, user_id=user_id, payer_code=input.payer_code
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return ResidencyConfirmPayload.refused(result)
        premise = await PremiseByIdLoader.of(context).load(result.premise_id)
        tier = (await context.profile()).premise_tiers.get(result.premise_id)
        return ResidencyConfirmPayload(premise=premise, tier=tier)

    @requires(
        Capability.GUEST_ACCESS_MANAGE,
        _input_premise,
        mutation=True,
        rate_limit=INVITATION_LIMIT,
        description="Invite a guest to the viewer's premise. Nobody is named: the result's "
        "code, given to the guest, makes whoever accepts it the guest.",
    )
    async def guest_invitation_create(
        self, info: AppInfo, input: MutationInput[GuestInvitationCreateInput]
    ) -> GuestInvitationCreatePayload | None:
        context = info.context
        grantor_id = context.require_viewer()
        premise_id = expect_id(input.premise_id, "Premise", field="premiseId")

        async def work(session: AsyncSession, outbox: Outbox) -> service.InvitationCreated:
            return await service.create_invitation(
                session,
                grantor_id=grantor_id,
                premise_id=premise_id,
                level=input.level,
                starts_at=input.starts_at,
                expires_at=input.expires_at,
                accept_by=input.accept_by,
                now=context.now,
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return GuestInvitationCreatePayload.refused(result)
        invitation = await GuestInvitationByIdLoader.of(context).load(result.invitation_id)
        return GuestInvitationCreatePayload(invitation=invitation, code=result.code)

    @strawberry.mutation(
        description="Become a guest by the code of an invitation: the grant it promises is "
        "made for the viewer, who and whose host are told once each.",
        directives=ACCEPT_LIMIT.directives,
    )
    @ACCEPT_LIMIT
    async def guest_invitation_accept(
        self, info: AppInfo, input: MutationInput[GuestInvitationAcceptInput]
    ) -> GuestInvitationAcceptPayload:
        context = info.context
        guest_id = context.require_viewer()
        profile = await context.profile()
        now = context.now

        async def grantor_may_grant(grantor_id: int, premise_id: int) -> bool:
            occupants = await context.gate.occupants(premise_id)
            return occupants.get(grantor_id) in MATRIX[Capability.GUEST_ACCESS_MANAGE].tiers

        async def work(session: AsyncSession, outbox: Outbox) -> int:
            return await service.accept_invitation(
                session,
                outbox,
                guest_id=guest_id,
                code=input.code,
                guest_tiers=profile.premise_tiers,
                grantor_may_grant=grantor_may_grant,
                now=now,
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return GuestInvitationAcceptPayload.refused(result)
        return GuestInvitationAcceptPayload(
            grant=await GuestGrantByIdLoader.of(context).load(result)
        )

    @requires(
        Capability.GUEST_ACCESS_MANAGE,
        _input_invitation_premise,
        mutation=True,
        description="Withdraw an invitation of the viewer's premise that nobody has accepted: "
        "its code stops working at once.",
    )
    async def guest_invitation_cancel(
        self, info: AppInfo, input: MutationInput[GuestInvitationCancelInput]
    ) -> GuestInvitationCancelPayload | None:
        context = info.context
        invitation_id = expect_id(input.invitation_id, "GuestInvitation", field="invitationId")

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await service.cancel_invitation(session, invitation_id=invitation_id, now=context.now)

        result = await commit(context, work)
        invitation = await GuestInvitationByIdLoader.of(context).load(invitation_id)
        return GuestInvitationCancelPayload.of(result, invitation=invitation)

    @requires(
        Capability.GUEST_ACCESS_MANAGE,
        _input_grant_premise,
        mutation=True,
        description="Revoke a guest's access to the viewer's premise at once. The guest is "
        "notified.",
    )
    async def guest_access_revoke(
        self, info: AppInfo, input: MutationInput[GuestAccessRevokeInput]
    ) -> GuestAccessRevokePayload | None:
        context = info.context
        actor_id = context.require_viewer()
        grant_id = expect_id(input.grant_id, "GuestGrant", field="grantId")

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await service.revoke_guest_access(
                session, outbox, actor_id=actor_id, grant_id=grant_id, now=context.now
            )

        result = await commit(context, work)
        grant = await GuestGrantByIdLoader.of(context).load(grant_id)
        return GuestAccessRevokePayload.of(result, grant=grant)

    @strawberry.mutation(description="Change the viewer's own profile.")
    async def profile_update(
        self, info: AppInfo, input: MutationInput[ProfileUpdateInput]
    ) -> ProfileUpdatePayload:
        context = info.context
        user_id = context.require_viewer()
        changes = {
            name: getattr(input, name)
            for name in service.PROFILE_FIELDS
            if getattr(input, name) is not strawberry.UNSET
        }

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await service.update_profile(session, user_id=user_id, changes=changes, now=context.now)

        result = await commit(context, work)
        user = await UserByIdLoader.of(context).load(user_id)
        return ProfileUpdatePayload.of(result, user=user)
