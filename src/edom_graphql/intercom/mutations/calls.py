"""``intercomCallAnswer``: answer a call from the panel, and open the door from it."""

from __future__ import annotations

import strawberry

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.intercom.access import input_call_premise
from edom_graphql.intercom.errors import IntercomCallError
from edom_graphql.intercom.models import DoorOutcome, EntryMethod
from edom_graphql.intercom.reads import CallPremiseLoader
from edom_graphql.intercom.service import calls, doors
from edom_graphql.intercom.service.doors import OPEN_LIMIT
from edom_graphql.intercom.types.nodes import (
    CallByIdLoader,
    EntryByIdLoader,
    IntercomCall,
    IntercomEntry,
)


@strawberry.input(description="A call to answer.")
class IntercomCallAnswerInput:
    call_id: strawberry.ID = strawberry.field(description="The ringing call.")
    open_door: bool = strawberry.field(
        default=False, description="Open the door from the call too."
    )


@strawberry.type(description="Result of `intercomCallAnswer`.")
class IntercomCallAnswerPayload(Payload):
    call: IntercomCall | None = strawberry.field(default=None, description="The call.")
    outcome: DoorOutcome | None = strawberry.field(
        default=None, description="What the panel answered, when asked to open."
    )
    entry: IntercomEntry | None = strawberry.field(
        default=None, description="The opening, as written to the entry log."
    )
    user_errors: list[IntercomCallError] = user_errors_field()


@strawberry.type
class IntercomCallMutations:
    @requires(
        Capability.INTERCOM_OPEN,
        input_call_premise,
        mutation=True,
        rate_limit=OPEN_LIMIT,
        description="Answer a ringing call to the viewer's apartment (the first answer "
        "wins), and with `openDoor` open the door from it (`outcome` as the panel answers; "
        "logged as a CALL entry). Answering one's own answered call again opens the door.",
    )
    async def intercom_call_answer(
        self, info: AppInfo, input: MutationInput[IntercomCallAnswerInput]
    ) -> IntercomCallAnswerPayload | None:
        context = info.context
        user_id = context.require_viewer()
        call_id = expect_id(input.call_id, "IntercomCall", field="callId")
        premise_id = await CallPremiseLoader.of(context).load(call_id)
        assert premise_id is not None
        now = context.now
        panel_id = await commit(
            context,
            lambda session, outbox: calls.answer(
                session, outbox, call_id=call_id, user_id=user_id, now=now
            ),
        )
        if isinstance(panel_id, ServiceError):
            call = await CallByIdLoader.of(context).load(call_id)
            return IntercomCallAnswerPayload.refused(panel_id, call=call)
        outcome = entry = None
        if input.open_door:
            ref = await doors.panel(context.db, panel_id)
            assert ref is not None
            outcome, entry_id = await doors.open_door(
                context.db,
                ref,
                method=EntryMethod.CALL,
                user_id=user_id,
                premise_id=premise_id,
                call_id=call_id,
                now=now,
            )
            context.after_write()
            entry = await EntryByIdLoader.of(context).load(entry_id)
        call = await CallByIdLoader.of(context).load(call_id)
        return IntercomCallAnswerPayload(call=call, outcome=outcome, entry=entry)
