"""Polls' mutations: creating a poll and voting in one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id, pk_of
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import Target, requires
from edom_graphql.core.ratelimit import RateLimit, Window
from edom_graphql.polls import service
from edom_graphql.polls.errors import PollCreateError, PollVoteError
from edom_graphql.polls.models import MAX_OPTION_LENGTH, MAX_QUESTION_LENGTH, PollResultsVisibility
from edom_graphql.polls.reads import PollBuildingLoader
from edom_graphql.polls.types import Poll, PollByIdLoader

CREATE_LIMIT = RateLimit(
    "poll_create", (Window(10, timedelta(hours=1)), Window(30, timedelta(days=1)))
)


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
class PollCreatePayload(Payload):
    poll: Poll | None = strawberry.field(default=None, description="The poll created.")
    user_errors: list[PollCreateError] = user_errors_field()


@strawberry.input(description="The viewer's vote in a poll.")
class PollVoteInput:
    poll_id: strawberry.ID = strawberry.field(description="The poll.")
    option_ids: list[strawberry.ID] = strawberry.field(
        description="The options chosen: exactly one on a single-choice poll."
    )


@strawberry.type(description="Result of `pollVote`.")
class PollVotePayload(Payload):
    poll: Poll | None = strawberry.field(
        default=None, description="The poll, as the viewer sees it now."
    )
    user_errors: list[PollVoteError] = user_errors_field()


async def _input_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    return Target(
        building_id=expect_id(kwargs["input"].building_id, "Building", field="buildingId")
    )


async def _input_poll_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    poll_id = expect_id(kwargs["input"].poll_id, "Poll", field="pollId")
    building_id = await PollBuildingLoader.of(info.context).load(poll_id)
    return Target(building_id=building_id) if building_id is not None else None


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
                outbox,
                building_id=building_id,
                author_id=author_id,
                question=input.question,
                options=input.options,
                multiple_choice=input.multiple_choice,
                results_visibility=input.results_visibility,
                closes_at=input.closes_at,
                now=context.now,
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return PollCreatePayload.refused(result)
        return PollCreatePayload(poll=await PollByIdLoader.of(context).load(result))

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

        result = await commit(context, work)
        poll = await PollByIdLoader.of(context).load(poll_id)
        return PollVotePayload.of(result, poll=poll)
