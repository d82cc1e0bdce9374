"""GraphQL types of vehicles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import bindparam, select

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import Context
from edom_graphql.core.db import Prepared
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import KeyedQuery, fetch_by_keys
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.vehicles import models
from edom_graphql.vehicles.service import (
    MAX_VEHICLES_PER_USER,
    VehicleContactTemplate,
)

graphql_enum(
    VehicleContactTemplate,
    "The message a vehicle's owner receives.",
    {
        VehicleContactTemplate.BLOCKING_EXIT: "The car is blocking someone's way out.",
        VehicleContactTemplate.LIGHTS_ON: "The car's lights are on.",
        VehicleContactTemplate.ALARM_SOUNDING: "The car's alarm is sounding.",
        VehicleContactTemplate.WINDOW_OPEN: "A window of the car is open.",
        VehicleContactTemplate.TOW_TRUCK_NEARBY: "A tow truck is near the car.",
    },
)

VEHICLE_COLUMNS = select(
    models.Vehicle.id,
    models.Vehicle.user_id,
    models.Vehicle.plate_display,
    models.Vehicle.created_at,
)


@strawberry.type(description="A car the viewer registered, so that others can reach them.")
class Vehicle(Node):
    pk: strawberry.Private[int]
    user_pk: strawberry.Private[int]
    plate: str = strawberry.field(description="The plate number as the owner wrote it.")
    created_at: datetime = strawberry.field(description="When it was added.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Vehicle:
        return cls(
            id=strawberry.ID(encode_id("Vehicle", row[0])),
            pk=row[0],
            user_pk=row[1],
            plate=row[2],
            created_at=row[3],
        )

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Vehicle | None]:
        return await fetch_by_keys(context.db, VEHICLES_BY_ID, pks)

    @classmethod
    def is_visible(cls, context: Context, node: Vehicle) -> Verdict:
        """A plate is personal data: its owner and the staff of the organisation of a
        building the owner belongs to see it (PERSONAL_DATA), nobody else."""
        return context.allows(Capability.PERSONAL_DATA, user_id=node.user_pk)


VEHICLES_OF_USER = Prepared(
    VEHICLE_COLUMNS.where(models.Vehicle.user_id == bindparam("user_id"))
    .order_by(models.Vehicle.id.desc())
    .limit(MAX_VEHICLES_PER_USER)
)
"""A user's vehicles, newest first (a user has at most ``MAX_VEHICLES_PER_USER``)."""

VEHICLES_BY_ID = KeyedQuery(VEHICLE_COLUMNS, models.Vehicle.id, Vehicle.from_row)
