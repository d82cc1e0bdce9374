"""Filing a repair request: what a new request must be, and writing it with its photos
and the first event of its history."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import Building, Premise
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.photos import StoredPhoto
from edom_graphql.repairs.models import (
    NUMBERS,
    RepairCategory,
    RepairRequest,
    RepairRequestEventKind,
    RepairRequestPhoto,
    RepairRequestScope,
    RepairRequestStatus,
)
from edom_graphql.repairs.service.history import record
from edom_graphql.repairs.service.rules import due_at, validate_description


@dataclass(frozen=True, slots=True)
class NewRequest:
    building_id: int
    scope: RepairRequestScope
    category: RepairCategory
    description: str
    premise_id: int | None


def check_new_request(
    *,
    request: NewRequest,
    author_premises: Mapping[int, int],
) -> str:
    """The description as stored, or the first rule the new request breaks.

    ``author_premises`` maps the author's premises to their buildings (from the access
    profile): an APARTMENT request needs one of them in the building; others need none.
    """
    description = validate_description(request.description)
    if request.scope is RepairRequestScope.APARTMENT:
        if request.premise_id is None:
            raise ServiceError(
                "PREMISE_REQUIRED", "An apartment request names the apartment.", ["premiseId"]
            )
        if author_premises.get(request.premise_id) != request.building_id:
            raise ServiceError(
                "NOT_YOUR_PREMISE",
                "You may file apartment requests only for your own premises in this building.",
                ["premiseId"],
            )
    elif request.premise_id is not None:
        raise ServiceError(
            "PREMISE_NOT_ALLOWED",
            "Building and yard requests name no apartment.",
            ["premiseId"],
        )
    return description


async def create_request(
    session: AsyncSession,
    outbox: Outbox,
    *,
    request: NewRequest,
    description: str,
    author_id: int,
    photos: Sequence[StoredPhoto],
    now: datetime,
) -> int:
    """File a checked request (see :func:`check_new_request`); its id."""
    organisation_id: int = (
        await session.execute(
            select(Building.organisation_id).where(Building.id == request.building_id)
        )
    ).scalar_one()
    if request.premise_id is not None:
        premise_building = (
            await session.execute(
                select(Premise.building_id).where(Premise.id == request.premise_id)
            )
        ).scalar_one_or_none()
        if premise_building != request.building_id:
            raise ServiceError(
                "NOT_YOUR_PREMISE", "The premise is not in this building.", ["premiseId"]
            )
    request_id: int = (
        await session.execute(
            insert(RepairRequest)
            .values(
                number=NUMBERS.next_value(),
                building_id=request.building_id,
                organisation_id=organisation_id,
                premise_id=request.premise_id,
                author_id=author_id,
                scope=request.scope,
                category=request.category,
                description=description,
                status=RepairRequestStatus.NEW,
                created_at=now,
                updated_at=now,
                due_at=due_at(request.category, now),
            )
            .returning(RepairRequest.id)
        )
    ).scalar_one()
    if photos:
        await session.execute(
            insert(RepairRequestPhoto),
            [
                {
                    "request_id": request_id,
                    "building_id": request.building_id,
                    "storage_key": photo.key,
                    "content_type": photo.content_type,
                    "size_bytes": photo.size_bytes,
                    "position": position,
                }
                for position, photo in enumerate(photos, start=1)
            ],
        )
    await record(
        session,
        outbox,
        request_id=request_id,
        building_id=request.building_id,
        organisation_id=organisation_id,
        actor_id=author_id,
        kind=RepairRequestEventKind.CREATED,
        from_status=None,
        to_status=RepairRequestStatus.NEW,
        comment=None,
        now=now,
    )
    return request_id
