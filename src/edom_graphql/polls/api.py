"""Root fields of polls: creating one, voting, and live results."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.db import Outbox, run_in_transaction
from edom_graphql.core.errors import Forbidden, ServiceError, Unauthenticated
from edom_graphql.core.ids import expect_id, pk_of
from edom_graphql.core.nodes import visible
from edom_graphql.core.permissions import Target, requires
from edom_graphql.core.ratelimit import RateLimit, Window
from edom_graphql.core.user_errors import MutationInput, UserError, error_codes, user_errors
from edom_graphql.polls import service
from edom_graphql.polls.models import MAX_OPTION_LENGTH, MAX_QUESTION_LENGTH, PollResultsVisibility
from edom_graphql.polls.types import (
    POLLS_BY_ID,
    Poll,
    PollResults,
    results_from,
    results_visible,
)

PollCreateErrorCode = error_codes(
    "PollCreateErrorCode",
    "Why a poll could not be created.",
    {
        "TOO_FEW_OPTIONS": f"A poll has at least {service.MIN_OPTIONS} options.",
        "TOO_MANY_OPTIONS": f"A poll has at most {service.MAX_OPTIONS} options.",
        "DUPLICATE_OPTION": "Two options are the same (ignoring case and spacing).",
        "BLANK": "The question or an option is empty.",
        "TOO_LONG": f"The question is longer than {MAX_QUESTION_LENGTH} characters or an "
        f"option longer than {MAX_OPTION_LENGTH}.",
        "INVALID_TIME": "The closing time has no UTC offset.",
        "CLOSES_IN_PAST": "The closing time is not in the future.",
        "CLOSES_TOO_LATE": f"A poll stays open at most {service.MAX_OPEN_DAYS} days.",
    },
)
PollVoteErrorCode = error_codes(
    "PollVoteErrorCode",
    "Why a vote was not accepted.",
    {
        "POLL_CLOSED": "The poll has closed.",
        "ALREADY_VOTED": "The viewer has voted in this poll before; a vote is final.",
        "NOT_AN_OPTION": "An id is not an option of this poll.",
        "ONE_CHOICE_ONLY": "The poll is single-choice but several options were chosen.",
        "NO_CHOICE": "No option was chosen.",
    },
)


@strawberry.type(description="A reason `pollCreate` refused.")
class PollCreateError(UserError):
    code: PollCreateErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="A reason `pollVote` refused.")
class PollVoteError(UserError):
    code: PollVoteErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.input(description="A new poll of a building.")
class PollCreateInput:
    building_id: strawberry.ID = strawberry.field(description="The building asked.")
    question: str = strawberry.field(
        description=f"What is asked (1–{MAX_QUESTION_LENGTH} characters)."
    )
    options: list[str] = strawberry.field(
        description=f"The answers, in order: {service.MIN_OPTIONS}–{service.MAX_OPTIONS}, "
        f"each 1–{MAX_OPTION_LENGTH} characters, all different."
    )
    multiple_choice: bool = strawberry.field(
        description="A voter may choose several options (otherwise exactly one)."
    )
    results_visibility: PollResultsVisibility = strawberry.field(
        description="When voters may see the results."
    )
    closes_at: datetime = strawberry.field(
        description=f"When voting ends: in the future, at most {service.MAX_OPEN_DAYS} days ahead."
    )


@strawberry.type(description="Result of `pollCreate`.")
class PollCreatePayload:
    poll: Poll | None = strawberry.field(description="The poll created.")
    user_errors: list[PollCreateError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="The viewer's vote in a poll.")
class PollVoteInput:
    poll_id: strawberry.ID = strawberry.field(description="The poll.")
    option_ids: list[strawberry.ID] = strawberry.field(
        description="The options chosen: exactly one on a single-choice poll."
    )


@strawberry.type(description="Result of `pollVote`.")
class PollVotePayload:
    poll: Poll | None = strawberry.field(description="The poll, as the viewer sees it now.")
    user_errors: list[PollVoteError] = strawberry.field(
        description="Business errors; empty on success."
    )


async def _input_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    return Target(
        building_id=expect_id(kwargs["input"].building_id, "Building", field="buildingId")
    )


async def _poll_building(context: Context, poll_id: int) -> int | None:
    row = await context.db.fetch_one(POLLS_BY_ID, keys=[poll_id])
    return int(row[1]) if row is not None else None


async def _input_poll_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    poll_id = expect_id(kwargs["input"].poll_id, "Poll", field="pollId")
    building_id = await _poll_building(info.context, poll_id)
    return Target(building_id=building_id) if building_id is not None else None


async def _one_poll(context: Context, poll_id: int) -> Poll | None:
    (poll,) = await Poll.load_nodes(context, [poll_id])
    return await visible(context, poll)


CREATE_LIMIT = RateLimit(
    "poll_create", (Window(10, timedelta(hours=1)), Window(30, timedelta(days=1)))
)


@strawberry.type
class PollMutations:
    @requires(
        Capability.POLL_CREATE,
        _input_building,
        mutation=True,
        rate_limit=CREATE_LIMIT,
        description=f"Ask the residents of a building a question with "
        f"{service.MIN_OPTIONS}–{service.MAX_OPTIONS} answers (non-binding).",
    )
    async def poll_create(
        self, info: AppInfo, input: MutationInput[PollCreateInput]
    ) -> PollCreatePayload | None:
        context = info.context
        author_id = context.require_viewer()
        building_id = expect_id(input.building_id, "Building", field="buildingId")

        async def work(session: AsyncSession, outbox: Outbox) -> int:
            return await service.create_poll(
                session,
                building_id=building_id,
                author_id=author_id,
                question=input.question,
                options=input.options,
                multiple_choice=input.multiple_choice,
                results_visibility=input.results_visibility,
                closes_at=input.closes_at,
                now=context.now,
            )

        result = await run_in_transaction(context.db, work)
        if isinstance(result, ServiceError):
            return PollCreatePayload(
                poll=None, user_errors=user_errors(PollCreateError, PollCreateErrorCode, result)
            )
        return PollCreatePayload(
            poll=await _one_poll(context.after_write(), result), user_errors=[]
        )

    @requires(
        Capability.POLL_VOTE,
        _input_poll_building,
        mutation=True,
        description="Vote in an open poll of the viewer's building. A vote is final: one per "
        "user and poll.",
    )
    async def poll_vote(
        self, info: AppInfo, input: MutationInput[PollVoteInput]
    ) -> PollVotePayload | None:
        context = info.context
        user_id = context.require_viewer()
        poll_id = expect_id(input.poll_id, "Poll", field="pollId")
        option_ids = [pk_of(global_id, "PollOption") for global_id in input.option_ids]

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await service.vote(
                session,
                outbox,
                poll_id=poll_id,
                user_id=user_id,
                option_ids=option_ids,
                now=context.now,
            )

        result = await run_in_transaction(context.db, work)
        service.TotalsLoader.of(context).clear(poll_id)  # counts read earlier in this operation
        poll = await _one_poll(context.after_write(), poll_id)
        if isinstance(result, ServiceError):
            return PollVotePayload(
                poll=poll, user_errors=user_errors(PollVoteError, PollVoteErrorCode, result)
            )
        return PollVotePayload(poll=poll, user_errors=[])


@strawberry.type
class PollSubscriptions:
    @strawberry.subscription(
        description="A poll's results now and after every vote, while the viewer may see "
        "them (nothing is sent while they are hidden). Ends with FORBIDDEN once the viewer "
        "may no longer see the poll."
    )
    async def poll_results(
        self,
        info: AppInfo,
        poll_id: Annotated[strawberry.ID, strawberry.argument(description="The poll.")],
    ) -> AsyncGenerator[PollResults, None]:
        context = info.context
        context.require_viewer()
        services = context.services
        pk = expect_id(poll_id, "Poll", field="pollId")
        async with services.pubsub.subscribe(service.channel(pk)) as events:
            last: service.Totals | None = None
            while True:
                claims = context.claims
                if claims is not None and claims.expires_at <= services.clock():
                    raise Unauthenticated("The access token has expired; sign in again.")
                fresh = context.for_operation()  # access is decided again for every event
                poll = await _one_poll(fresh, pk)
                if poll is None:
                    raise Forbidden("You may not see this poll.")
                if await results_visible(fresh, poll):
                    totals = await service.TotalsLoader.of(fresh).load(pk)
                    if totals != last:
                        last = totals
                        yield results_from(poll, totals)
                wait: float | None = None
                if poll.closes_at > fresh.now:  # wake when it closes: results may show then
                    wait = (poll.closes_at - fresh.now).total_seconds()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(events.get(), timeout=wait)
                events.drain()  # coalesce a burst: the totals are read once per wake-up
