"""Every read of notices: by id, a building's page as a viewer sees it, the entrances of
premises, and a user's muted categories."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import SmallInteger, bindparam, func, or_, select
from sqlalchemy.dialects.postgresql import ARRAY

from edom_graphql.buildings.models import Premise
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery, Loader, keys_param
from edom_graphql.core.pagination import PageRequest, keyset_desc, page_params
from edom_graphql.notices.models import Notice, NoticeCategory, NoticeCategoryMute

NOTICE_COLUMNS = select(
    Notice.id,
    Notice.building_id,
    Notice.organisation_id,
    Notice.category,
    Notice.title,
    Notice.text,
    Notice.entrances,
    Notice.visible_from,
    Notice.visible_until,
    Notice.outage_start,
    Notice.outage_end,
    Notice.created_at,
    Notice.edit_count,
    Notice.edited_at,
    Notice.withdrawn_at,
)
NOTICE_BY_ID = KeyedQuery(NOTICE_COLUMNS, Notice.id)
_BUILDINGS = Prepared(select(Notice.id, Notice.building_id).where(Notice.id == keys_param()))
_ENTRANCES = Prepared(select(Premise.id, Premise.entrance).where(Premise.id == keys_param()))
_MUTED = Prepared(
    select(NoticeCategoryMute.category)
    .where(NoticeCategoryMute.user_id == bindparam("user_id"))
    .order_by(NoticeCategoryMute.category)
)


def _page(has_after: bool, everything: bool, include_expired: bool) -> Prepared:
    statement = NOTICE_COLUMNS.where(Notice.building_id == bindparam("building_id"))
    if not everything:
        statement = statement.where(
            Notice.withdrawn_at.is_(None),
            or_(
                func.cardinality(Notice.entrances) == 0,
                Notice.entrances.overlap(bindparam("entrances", type_=ARRAY(SmallInteger))),
            ),
        )
    if not include_expired:
        statement = statement.where(Notice.visible_until > bindparam("now"))
    return Prepared(keyset_desc(statement, (Notice.id,), has_after=has_after))


_PAGES = {
    (has_after, everything, include_expired): _page(has_after, everything, include_expired)
    for has_after in (False, True)
    for everything in (False, True)
    for include_expired in (False, True)
}


async def notices_by_id(db: Database, notice_ids: Sequence[int]) -> Sequence[Any]:
    """The rows of the notices with these ids that exist (``NOTICE_COLUMNS``, then the id)."""
    return await NOTICE_BY_ID.rows(db, list(notice_ids))


async def page_of(
    db: Database,
    building_id: int,
    page: PageRequest,
    *,
    entrances: Sequence[int] | None,
    include_expired: bool,
    now: datetime,
) -> Sequence[Any]:
    """A page of a building's notices, newest first. ``entrances`` None: all of them,
    withdrawn too (staff); otherwise those not withdrawn, to the whole building or to one
    of these entrances (a resident's)."""
    params: dict[str, Any] = {"building_id": building_id, **page_params(page)}
    if entrances is not None:
        params["entrances"] = list(entrances)
    if not include_expired:
        params["now"] = now
    key = (page.after is not None, entrances is None, include_expired)
    return await db.fetch(_PAGES[key], **params)


async def muted_categories(db: Database, user_id: int) -> list[NoticeCategory]:
    """The categories the user is not notified of."""
    return [NoticeCategory(row[0]) for row in await db.fetch(_MUTED, user_id=user_id)]


class NoticeBuildingLoader(Loader[int, int | None]):
    """The building of each notice (None where there is no such notice)."""

    async def batch_load_fn(self, keys: list[int]) -> list[int | None]:
        found = {row[0]: int(row[1]) for row in await self.db.fetch(_BUILDINGS, keys=keys)}
        return [found.get(key) for key in keys]


class PremiseEntranceLoader(Loader[int, int | None]):
    """The entrance of each premise (None where it has none or there is no such premise)."""

    async def batch_load_fn(self, keys: list[int]) -> list[int | None]:
        found = {row[0]: row[1] for row in await self.db.fetch(_ENTRANCES, keys=keys)}
        return [found.get(key) for key in keys]
