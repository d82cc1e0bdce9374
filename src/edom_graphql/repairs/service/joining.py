"""Joining a building or yard request ("me too"): the neighbour follows it and is counted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.repairs.models import (
    OPEN,
    RepairRequest,
    RepairRequestEventKind,
    RepairRequestFollower,
    RepairRequestScope,
)
from edom_graphql.repairs.service.history import record
from edom_graphql.repairs.service.transitions import lock


async def join_request(
    session: AsyncSession, outbox: Outbox, *, request_id: int, user_id: int, now: datetime
) -> bool:
    """The user follows an open building or yard request; False if they already did."""
    request = await lock(session, request_id)
    if request.scope is RepairRequestScope.APARTMENT:
        raise ServiceError(
            "NOT_JOINABLE", "Only building and yard requests can be joined.", ["requestId"]
        )
    if request.author_id == user_id:
        raise ServiceError("OWN_REQUEST", "This is your own request.", ["requestId"])
    if request.status not in OPEN:
        raise ServiceError(
            "ILLEGAL_TRANSITION",
            f"A request that is {request.status.value} can no longer be joined.",
            None,
        )
    joined = (
        await session.execute(
            pg_insert(RepairRequestFollower)
            .values(
                request_id=request_id,
                user_id=user_id,
                building_id=request.building_id,
                joined_at=now,
            )
            .on_conflict_do_nothing()
            .returning(RepairRequestFollower.user_id)
        )
    ).first()
    if joined is None:
        return False  # joining twice changes nothing
    await session.execute(
        update(RepairRequest)
        .where(RepairRequest.id == request_id)
        .values(
            follower_count=RepairRequest.follower_count + 1,
            updated_at=now,
            version=RepairRequest.version + 1,
        )
    )
    await record(
        session,
        outbox,
        request_id=request_id,
        building_id=request.building_id,
        organisation_id=request.organisation_id,
        actor_id=user_id,
        kind=RepairRequestEventKind.JOINED,
        from_status=None,
        to_status=None,
        comment=None,
        now=now,
    )
    return True
