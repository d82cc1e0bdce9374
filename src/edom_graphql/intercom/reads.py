"""Every read of the intercom: entrances, panels, applications and their steps, codes,
the entry log, calls and the premises' call streams."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, and_, bindparam, func, select

from edom_graphql.buildings.models import Premise
from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery, Loader, PagedChildren, keys_param
from edom_graphql.core.pagination import keyset_desc, row_limit
from edom_graphql.intercom.models import (
    BuildingEntrance,
    IntercomApplication,
    IntercomApplicationStep,
    IntercomCall,
    IntercomCallEvent,
    IntercomCode,
    IntercomEntry,
    IntercomPanel,
)

ENTRANCE_COLUMNS = select(
    BuildingEntrance.id, BuildingEntrance.building_id, BuildingEntrance.number
)
ENTRANCE_BY_ID = KeyedQuery(ENTRANCE_COLUMNS, BuildingEntrance.id)
ENTRANCES_OF_BUILDING = KeyedQuery(
    ENTRANCE_COLUMNS.order_by(BuildingEntrance.building_id, BuildingEntrance.number),
    BuildingEntrance.building_id,
)

PANEL_COLUMNS = select(
    IntercomPanel.id, IntercomPanel.building_id, IntercomPanel.entrance_id, IntercomPanel.name
)
PANEL_BY_ID = KeyedQuery(PANEL_COLUMNS, IntercomPanel.id)
PANELS_OF_ENTRANCE = KeyedQuery(
    PANEL_COLUMNS.order_by(IntercomPanel.entrance_id, IntercomPanel.id), IntercomPanel.entrance_id
)

APPLICATION_COLUMNS = select(
    IntercomApplication.id,
    IntercomApplication.building_id,
    IntercomApplication.entrance_id,
    IntercomApplication.premise_id,
    IntercomApplication.applicant_id,
    IntercomApplication.status,
    IntercomApplication.reason,
    IntercomApplication.created_at,
    IntercomApplication.updated_at,
)
APPLICATION_BY_ID = KeyedQuery(APPLICATION_COLUMNS, IntercomApplication.id)
APPLICATIONS_OF_ENTRANCE = KeyedQuery(
    APPLICATION_COLUMNS.order_by(IntercomApplication.entrance_id, IntercomApplication.id.desc()),
    IntercomApplication.entrance_id,
)
"""An entrance's applications, newest first."""
STEPS_OF_APPLICATION = KeyedQuery(
    select(
        IntercomApplicationStep.status, IntercomApplicationStep.reason, IntercomApplicationStep.at
    ).order_by(IntercomApplicationStep.application_id, IntercomApplicationStep.id),
    IntercomApplicationStep.application_id,
)

CODE_COLUMNS = select(
    IntercomCode.id,
    IntercomCode.building_id,
    IntercomCode.entrance_id,
    IntercomCode.premise_id,
    IntercomCode.creator_id,
    IntercomCode.expires_at,
    IntercomCode.revoked_at,
    IntercomCode.created_at,
)
CODE_BY_ID = KeyedQuery(CODE_COLUMNS, IntercomCode.id)
CODES_OF_PREMISE = PagedChildren(
    lambda parent, has_after, present: keyset_desc(
        CODE_COLUMNS.where(IntercomCode.premise_id == parent),
        (IntercomCode.id,),
        has_after=has_after,
    )
)

ENTRY_COLUMNS = select(
    IntercomEntry.id,
    IntercomEntry.building_id,
    IntercomEntry.panel_id,
    IntercomEntry.premise_id,
    IntercomEntry.method,
    IntercomEntry.outcome,
    IntercomEntry.user_id,
    IntercomEntry.code_id,
    IntercomEntry.call_id,
    IntercomEntry.at,
)
ENTRY_BY_ID = KeyedQuery(ENTRY_COLUMNS, IntercomEntry.id)
ENTRIES_OF_PREMISE = PagedChildren(
    lambda parent, has_after, present: keyset_desc(
        ENTRY_COLUMNS.where(IntercomEntry.premise_id == parent),
        (IntercomEntry.id,),
        has_after=has_after,
    )
)

CALL_COLUMNS = select(
    IntercomCall.id,
    IntercomCall.building_id,
    IntercomCall.panel_id,
    IntercomCall.premise_id,
    IntercomCall.media_url,
    IntercomCall.state,
    IntercomCall.rang_at,
    IntercomCall.answered_by,
    IntercomCall.answered_at,
    IntercomCall.ended_at,
)
CALL_BY_ID = KeyedQuery(CALL_COLUMNS, IntercomCall.id)
CALLS_OF_PREMISE = PagedChildren(
    lambda parent, has_after, present: keyset_desc(
        CALL_COLUMNS.where(IntercomCall.premise_id == parent),
        (IntercomCall.id,),
        has_after=has_after,
    )
)

_PREMISE_ENTRANCES = Prepared(
    select(Premise.id, Premise.building_id, Premise.entrance, BuildingEntrance.id)
    .outerjoin(
        BuildingEntrance,
        and_(
            BuildingEntrance.building_id == Premise.building_id,
            BuildingEntrance.number == Premise.entrance,
        ),
    )
    .where(Premise.id == keys_param())
)


class PremiseEntranceLoader(Loader[int, tuple[int, int | None, int | None] | None]):
    """Per premise: its building, entrance number and entrance id (None: no such)."""

    async def batch_load_fn(
        self, keys: list[int]
    ) -> list[tuple[int, int | None, int | None] | None]:
        found = {
            int(row[0]): (int(row[1]), row[2], row[3])
            for row in await self.db.fetch(_PREMISE_ENTRANCES, keys=keys)
        }
        return [found.get(key) for key in keys]


_PREMISE_OF = {
    "IntercomCode": Prepared(
        select(IntercomCode.id, IntercomCode.premise_id).where(IntercomCode.id == keys_param())
    ),
    "IntercomCall": Prepared(
        select(IntercomCall.id, IntercomCall.premise_id).where(IntercomCall.id == keys_param())
    ),
    "IntercomApplication": Prepared(
        select(IntercomApplication.id, IntercomApplication.building_id).where(
            IntercomApplication.id == keys_param()
        )
    ),
}


class _OwnerLoader(Loader[int, int | None]):
    kind: str

    async def batch_load_fn(self, keys: list[int]) -> list[int | None]:
        found = {
            int(row[0]): int(row[1])
            for row in await self.db.fetch(_PREMISE_OF[self.kind], keys=keys)
        }
        return [found.get(key) for key in keys]


class CodePremiseLoader(_OwnerLoader):
    """The premise of each code."""

    kind = "IntercomCode"


class CallPremiseLoader(_OwnerLoader):
    """The premise of each call."""

    kind = "IntercomCall"


class ApplicationBuildingLoader(_OwnerLoader):
    """The building of each application."""

    kind = "IntercomApplication"


_LATEST_EVENT = Prepared(
    select(func.coalesce(func.max(IntercomCallEvent.id), 0)).where(
        IntercomCallEvent.premise_id == bindparam("premise_id", type_=BigInteger)
    )
)
_EVENTS_AFTER = Prepared(
    select(
        IntercomCallEvent.id,
        IntercomCallEvent.call_id,
        IntercomCallEvent.state,
        IntercomCallEvent.at,
    )
    .where(
        IntercomCallEvent.premise_id == bindparam("premise_id", type_=BigInteger),
        IntercomCallEvent.id > bindparam("last_id", type_=BigInteger),
    )
    .order_by(IntercomCallEvent.id)
    .limit(row_limit())
)


async def latest_call_event(db: Database, premise_id: int) -> int:
    row = await db.fetch_one(_LATEST_EVENT, premise_id=premise_id)
    return int(row[0]) if row is not None else 0


async def call_events_after(
    db: Database, premise_id: int, *, last_id: int, limit: int
) -> Sequence[Any]:
    return await db.fetch(_EVENTS_AFTER, premise_id=premise_id, last_id=last_id, limit=limit)
