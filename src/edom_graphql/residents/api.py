"""Root fields of residents: the viewer, residency, guest access and the profile."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.types import Premise
from edom_graphql.core.capabilities import Capability, Tier
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.db import Outbox, run_in_transaction
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id, pk_of
from edom_graphql.core.nodes import node_fetcher
from edom_graphql.core.permissions import Target, requires
from edom_graphql.core.ratelimit import Window, check_and_count
from edom_graphql.core.user_errors import (
    MutationInput,
    UserError,
    error_codes,
    errors_of,
    user_errors,
)
from edom_graphql.residents import service
from edom_graphql.residents.models import GuestLevel
from edom_graphql.residents.types import GuestGrant, Ownership, User, Viewer

RESIDENCY_ATTEMPTS = (Window(5, timedelta(minutes=15)), Window(20, timedelta(days=1)))


ResidencyConfirmErrorCode = error_codes(
    "ResidencyConfirmErrorCode",
    "Why a residency could not be confirmed.",
    {
        "INVALID_PAYER_CODE": "The payer code is not 10 digits.",
        "PAYER_CODE_NOT_FOUND": "No premise has this payer code.",
        "ALREADY_CONFIRMED": "The viewer already lives at that premise.",
    },
)
GuestAccessGrantErrorCode = error_codes(
    "GuestAccessGrantErrorCode",
    "Why guest access could not be granted.",
    {
        "INVALID_TIME": "The time span is empty, in the past or has no UTC offset.",
        "SPAN_TOO_LONG": "Guest access lasts at most 365 days.",
        "SELF_GRANT": "A user cannot be their own guest.",
        "GRANTEE_NOT_FOUND": "No such user.",
        "ALREADY_HAS_ACCESS": "The user already lives at the premise.",
        "GRANT_ALREADY_ACTIVE": "The user already has overlapping guest access to the premise.",
        "TOO_MANY_GUESTS": "The premise has the most active guest grants allowed.",
    },
)
GuestAccessRevokeErrorCode = error_codes(
    "GuestAccessRevokeErrorCode",
    "Why guest access could not be revoked.",
    {
        "ALREADY_REVOKED": "The grant was revoked before.",
        "ALREADY_EXPIRED": "The grant has expired.",
    },
)
ProfileUpdateErrorCode = error_codes(
    "ProfileUpdateErrorCode",
    "Why the profile could not be updated.",
    {
        "REQUIRED": "The value must not be empty.",
        "TOO_LONG": "The value is too long.",
        "INVALID": "The value contains control characters.",
        "INVALID_PHONE": "Not a phone number in international form.",
        "INVALID_EMAIL": "Not an e-mail address.",
    },
)


@strawberry.type(description="A reason `residencyConfirm` refused.")
class ResidencyConfirmError(UserError):
    code: ResidencyConfirmErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="A reason `guestAccessGrant` refused.")
class GuestAccessGrantError(UserError):
    code: GuestAccessGrantErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="A reason `guestAccessRevoke` refused.")
class GuestAccessRevokeError(UserError):
    code: GuestAccessRevokeErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="A reason `profileUpdate` refused.")
class ProfileUpdateError(UserError):
    code: ProfileUpdateErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.input(description="Confirm that the viewer lives at a premise.")
class ResidencyConfirmInput:
    payer_code: str = strawberry.field(
        description="The premise's payer code (10 digits, printed on the ЕПД bill)."
    )


@strawberry.type(description="Result of `residencyConfirm`.")
class ResidencyConfirmPayload:
    premise: Premise | None = strawberry.field(description="The premise confirmed.")
    tier: Tier | None = strawberry.field(description="The viewer's tier there now.")
    user_errors: list[ResidencyConfirmError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Give a user temporary access to a premise.")
class GuestAccessGrantInput:
    premise_id: strawberry.ID = strawberry.field(description="The premise (yours).")
    grantee_id: strawberry.ID = strawberry.field(description="The guest's user id.")
    level: GuestLevel = strawberry.field(description="What the guest may do.")
    expires_at: datetime = strawberry.field(description="When access ends (at most 365 days).")
    starts_at: datetime | None = strawberry.field(
        default=None, description="When access begins; now if omitted."
    )


@strawberry.type(description="Result of `guestAccessGrant`.")
class GuestAccessGrantPayload:
    grant: GuestGrant | None = strawberry.field(description="The new grant.")
    user_errors: list[GuestAccessGrantError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="End a guest's access before it expires.")
class GuestAccessRevokeInput:
    grant_id: strawberry.ID = strawberry.field(description="The grant to revoke.")


@strawberry.type(description="Result of `guestAccessRevoke`.")
class GuestAccessRevokePayload:
    grant: GuestGrant | None = strawberry.field(description="The revoked grant.")
    user_errors: list[GuestAccessRevokeError] = strawberry.field(
        description="Business errors; empty on success."
    )


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


@strawberry.type(description="Result of `profileUpdate`.")
class ProfileUpdatePayload:
    user: User | None = strawberry.field(description="The updated user.")
    user_errors: list[ProfileUpdateError] = strawberry.field(
        description="Business errors; empty on success."
    )


async def _input_premise(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    return Target(premise_id=expect_id(kwargs["input"].premise_id, "Premise", field="premiseId"))


async def _input_grant_premise(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    grant_pk = expect_id(kwargs["input"].grant_id, "GuestGrant", field="grantId")
    grant = await info.context.loaders.guest_grant.load(grant_pk)
    return Target(premise_id=grant.premise_pk) if grant is not None else None


@strawberry.type
class ResidentQueries:
    @strawberry.field(description="The signed-in user.")
    def viewer(self, info: AppInfo) -> Viewer:
        return Viewer(user_pk=info.context.require_viewer())


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

        result = await run_in_transaction(context.db, work)
        if isinstance(result, ServiceError):
            return ResidencyConfirmPayload(
                premise=None,
                tier=None,
                user_errors=user_errors(ResidencyConfirmError, ResidencyConfirmErrorCode, result),
            )
        fresh = context.for_operation()
        premise = await fresh.loaders.premise.load(result.premise_id)
        tier = (await fresh.profile()).premise_tiers.get(result.premise_id)
        return ResidencyConfirmPayload(premise=premise, tier=tier, user_errors=[])

    @requires(
        Capability.GUEST_ACCESS_MANAGE,
        _input_premise,
        mutation=True,
        description="Give a user temporary guest access to the viewer's premise. The guest is "
        "notified.",
    )
    async def guest_access_grant(
        self, info: AppInfo, input: MutationInput[GuestAccessGrantInput]
    ) -> GuestAccessGrantPayload | None:
        context = info.context
        grantor_id = context.require_viewer()
        premise_id = expect_id(input.premise_id, "Premise", field="premiseId")
        grantee_id = pk_of(input.grantee_id, "User")
        if grantee_id is None:
            error = ServiceError("GRANTEE_NOT_FOUND", "No such user.", ["granteeId"])
            return GuestAccessGrantPayload(
                grant=None,
                user_errors=user_errors(GuestAccessGrantError, GuestAccessGrantErrorCode, error),
            )

        async def work(session: AsyncSession, outbox: Outbox) -> int:
            return await service.grant_guest_access(
                session,
                outbox,
                grantor_id=grantor_id,
                premise_id=premise_id,
                grantee_id=grantee_id,
                level=input.level,
                starts_at=input.starts_at,
                expires_at=input.expires_at,
                now=context.now,
            )

        result = await run_in_transaction(context.db, work)
        if isinstance(result, ServiceError):
            return GuestAccessGrantPayload(
                grant=None,
                user_errors=user_errors(GuestAccessGrantError, GuestAccessGrantErrorCode, result),
            )
        grant = await context.for_operation().loaders.guest_grant.load(result)
        return GuestAccessGrantPayload(grant=grant, user_errors=[])

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

        result = await run_in_transaction(context.db, work)
        grant = await context.for_operation().loaders.guest_grant.load(grant_id)
        return GuestAccessRevokePayload(
            grant=grant,
            user_errors=errors_of(result, GuestAccessRevokeError, GuestAccessRevokeErrorCode),
        )

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

        result = await run_in_transaction(context.db, work)
        user = await context.for_operation().loaders.user.load(user_id)
        return ProfileUpdatePayload(
            user=user,
            user_errors=errors_of(result, ProfileUpdateError, ProfileUpdateErrorCode),
        )


# -- node fetchers: load by pk and keep only what the viewer may see -----------------


@node_fetcher("User")
async def fetch_users(context: Context, pks: Sequence[int]) -> list[User | None]:
    from edom_graphql.residents.visibility import visible_user_ids

    visible = await visible_user_ids(context, pks)
    users = await context.loaders.user.load_many(list(pks))
    return [user if user is not None and user.pk in visible else None for user in users]


@node_fetcher("GuestGrant")
async def fetch_guest_grants(context: Context, pks: Sequence[int]) -> list[GuestGrant | None]:
    viewer = context.require_viewer()
    grants = await context.loaders.guest_grant.load_many(list(pks))
    result: list[GuestGrant | None] = []
    for grant in grants:
        visible = grant is not None and (
            viewer in (grant.grantor_pk, grant.grantee_pk)
            or await context.can_at_premise(Capability.GUEST_ACCESS_MANAGE, grant.premise_pk)
        )
        result.append(grant if visible else None)
    return result


@node_fetcher("Ownership")
async def fetch_ownerships(context: Context, pks: Sequence[int]) -> list[Ownership | None]:
    ownerships = await context.loaders.ownership.load_many(list(pks))
    return [
        ownership
        if ownership is not None
        and await context.can_in_building(Capability.OWNERS_REGISTER, ownership.building_pk)
        else None
        for ownership in ownerships
    ]
