"""Root fields of vehicles: the viewer's cars and contacting a car's owner."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox, run_in_transaction
from edom_graphql.core.errors import RateLimited, ServiceError
from edom_graphql.core.ids import expect_id, pk_of
from edom_graphql.core.permissions import Target, requires
from edom_graphql.core.ratelimit import Window, check_and_count
from edom_graphql.core.user_errors import MutationInput, UserError, error_codes, user_errors
from edom_graphql.vehicles import service
from edom_graphql.vehicles.service import VehicleContactTemplate
from edom_graphql.vehicles.types import VEHICLES_OF_USER, Vehicle

CONTACTS_PER_PLATE = (Window(1, timedelta(minutes=15)),)
CONTACTS_PER_SENDER = (Window(10, timedelta(days=1)),)


INVALID_PLATE = "Not a plate number: 5–12 letters and digits once spaces and hyphens are dropped."
VehicleAddErrorCode = error_codes(
    "VehicleAddErrorCode",
    "Why a vehicle could not be added.",
    {
        "INVALID_PLATE": INVALID_PLATE,
        "ALREADY_ADDED": "The viewer has already added this plate.",
        "TOO_MANY_VEHICLES": f"A user has at most {service.MAX_VEHICLES_PER_USER} vehicles.",
    },
)
VehicleRemoveErrorCode = error_codes(
    "VehicleRemoveErrorCode",
    "Why a vehicle could not be removed.",
    {"NOT_FOUND": "The viewer has no vehicle with this id."},
)
VehicleOwnerContactErrorCode = error_codes(
    "VehicleOwnerContactErrorCode",
    "Why a vehicle's owner could not be contacted.",
    {"INVALID_PLATE": INVALID_PLATE},
)


@strawberry.type(description="A reason `vehicleAdd` refused.")
class VehicleAddError(UserError):
    code: VehicleAddErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="A reason `vehicleRemove` refused.")
class VehicleRemoveError(UserError):
    code: VehicleRemoveErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.type(description="A reason `vehicleOwnerContact` refused.")
class VehicleOwnerContactError(UserError):
    code: VehicleOwnerContactErrorCode = strawberry.field(description="Machine-readable reason.")  # type: ignore[valid-type]


@strawberry.input(description="Register a car of the viewer's.")
class VehicleAddInput:
    plate: str = strawberry.field(
        description="The plate number, e.g. `А123ВС77`; case, spaces, hyphens and Cyrillic or "
        "Latin look-alike letters do not matter."
    )


@strawberry.type(description="Result of `vehicleAdd`.")
class VehicleAddPayload:
    vehicle: Vehicle | None = strawberry.field(description="The vehicle added.")
    user_errors: list[VehicleAddError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Remove one of the viewer's cars.")
class VehicleRemoveInput:
    vehicle_id: strawberry.ID = strawberry.field(description="The vehicle (yours).")


@strawberry.type(description="Result of `vehicleRemove`.")
class VehicleRemovePayload:
    removed_vehicle_id: strawberry.ID | None = strawberry.field(
        description="The id of the vehicle removed."
    )
    user_errors: list[VehicleRemoveError] = strawberry.field(
        description="Business errors; empty on success."
    )


@strawberry.input(description="Send a car's owner a message by the car's plate number.")
class VehicleOwnerContactInput:
    plate: str = strawberry.field(
        description="The plate number; case, spaces, hyphens and Cyrillic or Latin look-alike "
        "letters do not matter."
    )
    template: VehicleContactTemplate = strawberry.field(description="The message to send.")


@strawberry.type(description="Result of `vehicleOwnerContact`.")
class VehicleOwnerContactPayload:
    sent: bool = strawberry.field(
        description="The message was accepted. It is delivered to the car's owners if any are "
        "registered; whether there are is never told."
    )
    user_errors: list[VehicleOwnerContactError] = strawberry.field(
        description="Business errors; empty on success."
    )


def _argument_owner(source: Any, kwargs: dict[str, Any]) -> Target | None:
    return Target(user_id=expect_id(kwargs["owner_id"], "User", field="ownerId"))


@strawberry.type
class VehicleQueries:
    @strawberry.field(
        description=f"The viewer's vehicles, newest first (at most "
        f"{service.MAX_VEHICLES_PER_USER})."
    )
    async def my_vehicles(self, info: AppInfo) -> list[Vehicle]:
        context = info.context
        rows = await context.db.fetch(VEHICLES_OF_USER, user_id=context.require_viewer())
        return [Vehicle.from_row(row) for row in rows]

    @requires(
        Capability.PERSONAL_DATA,
        _argument_owner,
        description=f"A person's vehicles, newest first (at most "
        f"{service.MAX_VEHICLES_PER_USER}): plates are personal data, for the person and "
        "the staff of the organisation of a building they belong to.",
    )
    async def vehicles(
        self,
        info: AppInfo,
        owner_id: Annotated[strawberry.ID, strawberry.argument(description="The person.")],
    ) -> list[Vehicle] | None:
        owner = expect_id(owner_id, "User", field="ownerId")
        rows = await info.context.db.fetch(VEHICLES_OF_USER, user_id=owner)
        return [Vehicle.from_row(row) for row in rows]


@strawberry.type
class VehicleMutations:
    @strawberry.mutation(
        description=f"Register a car of the viewer's, so that others can contact the viewer "
        f"about it (at most {service.MAX_VEHICLES_PER_USER}). Its plate is personal data: "
        "only the viewer sees it."
    )
    async def vehicle_add(
        self, info: AppInfo, input: MutationInput[VehicleAddInput]
    ) -> VehicleAddPayload:
        context = info.context
        user_id = context.require_viewer()

        async def work(session: AsyncSession, outbox: Outbox) -> int:
            return await service.add_vehicle(session, user_id=user_id, plate=input.plate)

        result = await run_in_transaction(context.db, work)
        if isinstance(result, ServiceError):
            return VehicleAddPayload(
                vehicle=None,
                user_errors=user_errors(VehicleAddError, VehicleAddErrorCode, result),
            )
        (vehicle,) = await Vehicle.load_nodes(context, [result])
        return VehicleAddPayload(vehicle=vehicle, user_errors=[])

    @strawberry.mutation(description="Remove one of the viewer's cars.")
    async def vehicle_remove(
        self, info: AppInfo, input: MutationInput[VehicleRemoveInput]
    ) -> VehicleRemovePayload:
        context = info.context
        user_id = context.require_viewer()
        vehicle_id = pk_of(input.vehicle_id, "Vehicle")
        if vehicle_id is None:
            result: ServiceError | None = ServiceError(
                "NOT_FOUND", "You have no such vehicle.", ["vehicleId"]
            )
        else:

            async def work(session: AsyncSession, outbox: Outbox) -> None:
                await service.remove_vehicle(session, user_id=user_id, vehicle_id=vehicle_id)

            result = await run_in_transaction(context.db, work)
        if isinstance(result, ServiceError):
            return VehicleRemovePayload(
                removed_vehicle_id=None,
                user_errors=user_errors(VehicleRemoveError, VehicleRemoveErrorCode, result),
            )
        return VehicleRemovePayload(removed_vehicle_id=input.vehicle_id, user_errors=[])

    @strawberry.mutation(
        description="Send a template message to the owners of a car, found by its plate "
        "anywhere on the platform. The answer is the same whether or not the car has an "
        "owner here; the sender never learns who they are. Limited to one message per plate "
        "in 15 minutes and 10 a day."
    )
    async def vehicle_owner_contact(
        self, info: AppInfo, input: MutationInput[VehicleOwnerContactInput]
    ) -> VehicleOwnerContactPayload:
        context = info.context
        sender_id = context.require_viewer()
        try:
            plate = service.normalize_plate(input.plate)
        except ServiceError as error:
            return VehicleOwnerContactPayload(
                sent=False,
                user_errors=user_errors(
                    VehicleOwnerContactError, VehicleOwnerContactErrorCode, error
                ),
            )
        async with context.db.transaction() as (session, _):
            waits: list[int] = []
            for bucket, key, windows in (
                ("vehicle_contact_plate", f"{sender_id}:{plate.normalized}", CONTACTS_PER_PLATE),
                ("vehicle_contact", str(sender_id), CONTACTS_PER_SENDER),
            ):
                try:
                    await check_and_count(
                        session,
                        bucket=bucket,
                        key=key,
                        user_id=sender_id,
                        windows=windows,
                        now=context.now,
                    )
                except RateLimited as limited:
                    waits.append(limited.retry_after_seconds)
            if waits:
                # Rolls back the count of any window that had room: nothing was sent.
                raise RateLimited(retry_after_seconds=max(waits))

        async def work(session: AsyncSession, outbox: Outbox) -> int:
            return await service.contact_owners(
                session, outbox, sender_id=sender_id, plate=plate, template=input.template
            )

        await run_in_transaction(context.db, work)
        return VehicleOwnerContactPayload(sent=True, user_errors=[])
