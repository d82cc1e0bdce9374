"""Notices' mutations: posting, editing and withdrawing a notice (staff), and muting or
unmuting the notifications of a category (anyone signed in, for themself)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import Target, requires
from edom_graphql.core.ratelimit import RateLimit, Window
from edom_graphql.notices import service
from edom_graphql.notices.errors import (
    NoticeCategoryMuteError,
    NoticePostError,
    NoticeUpdateError,
    NoticeWithdrawError,
)
from edom_graphql.notices.models import MAX_TEXT_LENGTH, MAX_TITLE_LENGTH, NoticeCategory
from edom_graphql.notices.reads import NoticeBuildingLoader
from edom_graphql.notices.types import Notice, NoticeByIdLoader, NoticeSettings

POST_LIMIT = RateLimit(
    "notice_post", (Window(60, timedelta(hours=1)), Window(300, timedelta(days=1)))
)


@strawberry.input(description="What a notice says, when, and to whom in the building.")
class NoticeContentInput:
    category: NoticeCategory = strawberry.field(description="What it is about.")
    title: str = strawberry.field(description=f"Its headline (1–{MAX_TITLE_LENGTH} characters).")
    text: str = strawberry.field(description=f"Its text (1–{MAX_TEXT_LENGTH} characters).")
    visible_from: datetime = strawberry.field(description="When its validity begins.")
    visible_until: datetime = strawberry.field(
        description=f"When it expires: after `visibleFrom` (at most {service.MAX_WINDOW_DAYS} "
        "days later) and in the future."
    )
    entrances: list[int] | None = strawberry.field(
        default=None,
        description="The entrances (by number) it is addressed to; omitted or empty: the "
        "whole building.",
    )
    outage_start: datetime | None = strawberry.field(
        default=None, description="When the outage begins (outage categories only)."
    )
    outage_end: datetime | None = strawberry.field(
        default=None,
        description=f"When the outage ends: after its start, at most "
        f"{service.MAX_OUTAGE_DAYS} days later.",
    )

    def draft(self) -> service.Draft:
        return service.Draft(
            category=self.category,
            title=self.title,
            text=self.text,
            entrances=self.entrances,
            visible_from=self.visible_from,
            visible_until=self.visible_until,
            outage_start=self.outage_start,
            outage_end=self.outage_end,
        )


@strawberry.input(description="A new notice to a building.")
class NoticePostInput(NoticeContentInput):
    building_id: strawberry.ID = strawberry.field(description="The building.")


@strawberry.input(description="A notice's new content (it replaces the whole content).")
class NoticeUpdateInput(NoticeContentInput):
    notice_id: strawberry.ID = strawberry.field(description="The notice.")


@strawberry.input(description="The notice to withdraw.")
class NoticeWithdrawInput:
    notice_id: strawberry.ID = strawberry.field(description="The notice.")


@strawberry.input(description="A category of notices.")
class NoticeCategoryMuteInput:
    category: NoticeCategory = strawberry.field(description="The category.")


@strawberry.type(description="Result of `noticePost`.")
class NoticePostPayload(Payload):
    notice: Notice | None = strawberry.field(default=None, description="The notice posted.")
    user_errors: list[NoticePostError] = user_errors_field()


@strawberry.type(description="Result of `noticeUpdate`.")
class NoticeUpdatePayload(Payload):
    notice: Notice | None = strawberry.field(default=None, description="The notice, as it is now.")
    user_errors: list[NoticeUpdateError] = user_errors_field()


@strawberry.type(description="Result of `noticeWithdraw`.")
class NoticeWithdrawPayload(Payload):
    notice: Notice | None = strawberry.field(default=None, description="The notice, as it is now.")
    user_errors: list[NoticeWithdrawError] = user_errors_field()


@strawberry.type(description="Result of `noticeCategoryMute` and `noticeCategoryUnmute`.")
class NoticeCategoryMutePayload(Payload):
    notice_settings: NoticeSettings | None = strawberry.field(
        default=None, description="The viewer's notice settings, as they are now."
    )
    user_errors: list[NoticeCategoryMuteError] = user_errors_field()


async def _input_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    return Target(
        building_id=expect_id(kwargs["input"].building_id, "Building", field="buildingId")
    )


async def _input_notice_building(
    source: Any, info: AppInfo, kwargs: dict[str, Any]
) -> Target | None:
    notice_id = expect_id(kwargs["input"].notice_id, "Notice", field="noticeId")
    building_id = await NoticeBuildingLoader.of(info.context).load(notice_id)
    return Target(building_id=building_id) if building_id is not None else None


@strawberry.type
class NoticeMutations:
    @requires(
        Capability.NOTICES_POST,
        _input_building,
        mutation=True,
        rate_limit=POST_LIMIT,
        description="Post a notice to a building or some of its entrances; the residents it "
        "concerns are notified (`NOTICE_POSTED`) unless they muted its category.",
    )
    async def notice_post(
        self, info: AppInfo, input: MutationInput[NoticePostInput]
    ) -> NoticePostPayload | None:
        context = info.context
        author_id = context.require_viewer()
        building_id = expect_id(input.building_id, "Building", field="buildingId")

        async def work(session: AsyncSession, outbox: Outbox) -> int:
            return await service.post(
                session,
                outbox,
                building_id=building_id,
                author_id=author_id,
                draft=input.draft(),
                now=context.now,
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return NoticePostPayload.refused(result)
        return NoticePostPayload(notice=await NoticeByIdLoader.of(context).load(result))

    @requires(
        Capability.NOTICES_POST,
        _input_notice_building,
        mutation=True,
        description="Edit a notice of the building: its whole content is replaced, the "
        "notice shows it was edited and the version it replaces is kept.",
    )
    async def notice_update(
        self, info: AppInfo, input: MutationInput[NoticeUpdateInput]
    ) -> NoticeUpdatePayload | None:
        context = info.context
        editor_id = context.require_viewer()
        notice_id = expect_id(input.notice_id, "Notice", field="noticeId")

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await service.edit(
                session,
                notice_id=notice_id,
                editor_id=editor_id,
                draft=input.draft(),
                now=context.now,
            )

        result = await commit(context, work)
        return NoticeUpdatePayload.of(
            result, notice=await NoticeByIdLoader.of(context).load(notice_id)
        )

    @requires(
        Capability.NOTICES_POST,
        _input_notice_building,
        mutation=True,
        description="Withdraw a notice of the building: residents no longer see it.",
    )
    async def notice_withdraw(
        self, info: AppInfo, input: MutationInput[NoticeWithdrawInput]
    ) -> NoticeWithdrawPayload | None:
        context = info.context
        user_id = context.require_viewer()
        notice_id = expect_id(input.notice_id, "Notice", field="noticeId")

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await service.withdraw(session, notice_id=notice_id, user_id=user_id, now=context.now)

        result = await commit(context, work)
        return NoticeWithdrawPayload.of(
            result, notice=await NoticeByIdLoader.of(context).load(notice_id)
        )

    @strawberry.mutation(
        description="Stop being notified of notices of a category (they are still listed)."
    )
    async def notice_category_mute(
        self, info: AppInfo, input: MutationInput[NoticeCategoryMuteInput]
    ) -> NoticeCategoryMutePayload:
        return await _set_muted(info, input.category, muted=True)

    @strawberry.mutation(description="Be notified again of notices of a muted category.")
    async def notice_category_unmute(
        self, info: AppInfo, input: MutationInput[NoticeCategoryMuteInput]
    ) -> NoticeCategoryMutePayload:
        return await _set_muted(info, input.category, muted=False)


async def _set_muted(
    info: AppInfo, category: NoticeCategory, *, muted: bool
) -> NoticeCategoryMutePayload:
    context = info.context
    user_id = context.require_viewer()

    async def work(session: AsyncSession, outbox: Outbox) -> None:
        await service.set_muted(
            session, user_id=user_id, category=category, muted=muted, now=context.now
        )

    result = await commit(context, work)
    return NoticeCategoryMutePayload.of(result, notice_settings=NoticeSettings(user_pk=user_id))
