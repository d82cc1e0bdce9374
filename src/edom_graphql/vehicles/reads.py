"""Every read of vehicles."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import bindparam, select

from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery
from edom_graphql.vehicles.models import Vehicle
from edom_graphql.vehicles.service import MAX_VEHICLES_PER_USER

VEHICLE_COLUMNS = select(Vehicle.id, Vehicle.user_id, Vehicle.plate_display, Vehicle.created_at)
VEHICLE_BY_ID = KeyedQuery(VEHICLE_COLUMNS, Vehicle.id)
_OF_USER = Prepared(
    VEHICLE_COLUMNS.where(Vehicle.user_id == bindparam("user_id"))
    .order_by(Vehicle.id.desc())
    .limit(MAX_VEHICLES_PER_USER)
)


async def vehicles_of(db: Database, user_id: int) -> Sequence[Any]:
    """A user's vehicles, newest first (a user has at most ``MAX_VEHICLES_PER_USER``)."""
    return await db.fetch(_OF_USER, user_id=user_id)
