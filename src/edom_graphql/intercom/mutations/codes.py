"""``intercomCodeCreate`` and ``intercomCodeRevoke``: a premise's entrance codes."""

from __future__ import annotations

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.intercom.access import input_code_premise, input_premise
from edom_graphql.intercom.errors import IntercomCodeError
from edom_graphql.intercom.service import codes
from edom_graphql.intercom.types.nodes import CodeByIdLoader, IntercomCode


@strawberry.input(description="A new entrance code of a premise.")
class IntercomCodeCreateInput:
    premise_id: strawberry.ID = strawberry.field(description="The premise the code is for.")
    entrance_id: strawberry.ID | None = strawberry.field(
        default=None, description="Its entrance (the premise's own; checked when given)."
    )
    hours: int | None = strawberry.field(
        default=None, description="A temporary code: valid for 1–24 hours from now."
    )
    permanent: bool = strawberry.field(
        default=False, description="A permanent code (until revoked); instead of `hours`."
    )


@strawberry.type(description="Result of `intercomCodeCreate`.")
class IntercomCodeCreatePayload(Payload):
    code: IntercomCode | None = strawberry.field(default=None, description="The new code.")
    secret: str | None = strawberry.field(
        default=None,
        description="The code's digits, shown this once: only its hash is kept.",
    )
    user_errors: list[IntercomCodeError] = user_errors_field()


@strawberry.input(description="An entrance code to revoke.")
class IntercomCodeRevokeInput:
    code_id: strawberry.ID = strawberry.field(description="The code.")


@strawberry.type(description="Result of `intercomCodeRevoke`.")
class IntercomCodeRevokePayload(Payload):
    code: IntercomCode | None = strawberry.field(default=None, description="The code, revoked.")
    user_errors: list[IntercomCodeError] = user_errors_field()


@strawberry.type
class IntercomCodeMutations:
    @requires(
        Capability.INTERCOM_CODE_CREATE,
        input_premise,
        mutation=True,
        description="Make an entrance code for guests or family (at the viewer's premise, "
        "tiers down to elevated guests): temporary (`hours` 1–24) or `permanent`, at most 10 "
        "active per premise. It is pushed to every panel of the entrance; the digits are "
        "returned once in `secret`.",
    )
    async def intercom_code_create(
        self, info: AppInfo, input: MutationInput[IntercomCodeCreateInput]
    ) -> IntercomCodeCreatePayload | None:
        context = info.context
        user_id = context.require_viewer()
        premise_id = expect_id(input.premise_id, "Premise", field="premiseId")
        entrance_id = (
            expect_id(input.entrance_id, "Entrance", field="entranceId")
            if input.entrance_id is not None
            else None
        )
        now = context.now
        result = await commit(
            context,
            lambda session, outbox: codes.create(
                session,
                premise_id=premise_id,
                entrance_id=entrance_id,
                creator_id=user_id,
                hours=input.hours,
                permanent=input.permanent,
                now=now,
            ),
        )
        if isinstance(result, ServiceError):
            return IntercomCodeCreatePayload.refused(result)
        code_id, secret = result
        code = await CodeByIdLoader.of(context).load(code_id)
        return IntercomCodeCreatePayload(code=code, secret=secret)

    @requires(
        Capability.INTERCOM_CODE_CREATE,
        input_code_premise,
        mutation=True,
        description="Revoke an active entrance code of the viewer's premise: every panel of "
        "the entrance refuses it from then on (nothing changes when a panel does not answer).",
    )
    async def intercom_code_revoke(
        self, info: AppInfo, input: MutationInput[IntercomCodeRevokeInput]
    ) -> IntercomCodeRevokePayload | None:
        context = info.context
        code_id = expect_id(input.code_id, "IntercomCode", field="codeId")
        now = context.now
        result = await commit(
            context, lambda session, outbox: codes.revoke(session, code_id=code_id, now=now)
        )
        code = await CodeByIdLoader.of(context).load(code_id)
        return IntercomCodeRevokePayload.of(result, code=code)
