"""GraphQL types of vehicles."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from edom_graphql.core.context import Context
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader
from edom_graphql.core.nodes import Node, Verdict
from edom_graphql.vehicles import access, reads
from edom_graphql.vehicles.service import VehicleContactTemplate

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
        return await VehicleByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Vehicle) -> Verdict:
        return access.vehicle_visible(context, node)


class VehicleByIdLoader(ByIdLoader[Vehicle]):
    query = reads.VEHICLE_BY_ID
    convert = Vehicle.from_row
