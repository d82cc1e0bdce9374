"""A request's history: every change is an event, announced on three streams (the
request's, its organisation's board and its building's board).

Event ids are drawn under the organisation's stream lock (:func:`serialise_writers`),
so within an organisation, and so within each of its buildings and requests, id order
is commit order: the history and the boards can be followed by id without gaps.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.db import Outbox
from edom_graphql.core.streams import serialise_writers
from edom_graphql.repairs.models import (
    RepairRequestEvent,
    RepairRequestEventKind,
    RepairRequestStatus,
)

STREAM_LOCK_CLASS = 1_002
"""Advisory lock class of the organisations' repair streams (notifications use 1_001)."""


def request_channel(request_id: int) -> str:
    return f"repair_request.{request_id}.events"


def organisation_channel(organisation_id: int) -> str:
    return f"repair_board.organisation.{organisation_id}"


def building_channel(building_id: int) -> str:
    return f"repair_board.building.{building_id}"


async def record(
    session: AsyncSession,
    outbox: Outbox,
    *,
    request_id: int,
    building_id: int,
    organisation_id: int,
    actor_id: int | None,
    kind: RepairRequestEventKind,
    from_status: RepairRequestStatus | None,
    to_status: RepairRequestStatus | None,
    comment: str | None,
    now: datetime,
    assignee_id: int | None = None,
    rating: int | None = None,
) -> int:
    """Append an event to the request's history and announce it after commit."""
    await serialise_writers(session, STREAM_LOCK_CLASS, organisation_id)
    event_id: int = (
        await session.execute(
            insert(RepairRequestEvent)
            .values(
                request_id=request_id,
                building_id=building_id,
                organisation_id=organisation_id,
                actor_id=actor_id,
                kind=kind,
                from_status=from_status,
                to_status=to_status,
                assignee_id=assignee_id,
                rating=rating,
                comment=comment,
                at=now,
            )
            .returning(RepairRequestEvent.id)
        )
    ).scalar_one()
    message = {"id": event_id}
    outbox.add(request_channel(request_id), message)
    outbox.add(organisation_channel(organisation_id), message)
    outbox.add(building_channel(building_id), message)
    return event_id
