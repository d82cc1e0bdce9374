"""Vehicles' mutations: adding and removing the viewer's cars, contacting an owner."""

from __future__ import annotations

from datetime import timedelta

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import RateLimited, ServiceError
from edom_graphql.core.ids import pk_of
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.ratelimit import Window, check_and_count
from edom_graphql.vehicles import service
from edom_graphql.vehicles.errors import (
    VehicleAddError,
    VehicleOwnerContactError,
    VehicleRemoveError,
)
from edom_graphql.vehicles.service import VehicleContactTemplate
from edom_graphql.vehicles.types import Vehicle, VehicleByIdLoader

CONTACTS_PER_PLATE = (Window(1, timedelta(minutes=15)),)
CONTACTS_PER_SENDER = (Window(10, timedelta(days=1)),)


@strawberry.input(description="Register a car of the viewer's.")
class VehicleAddInput:
    plate: str = strawberry.field(
        description="The plate number, e.g. `А123ВС77`; case, spaces, hyphens and Cyrillic or "
        "Latin look-alike letters do not matter."
    )


@strawberry.type(description="Result of `vehicleAdd`.")
class VehicleAddPayload(Payload):
    vehicle: Vehicle | None = strawberry.field(default=None, description="The vehicle added.")
    user_errors: list[VehicleAddError] = user_errors_field()


@strawberry.input(description="Remove one of the viewer's cars.")
class VehicleRemoveInput:
    vehicle_id: strawberry.ID = strawberry.field(description="The vehicle (yours).")


@strawberry.type(description="Result of `vehicleRemove`.")
class VehicleRemovePayload(Payload):
    removed_vehicle_id: strawberry.ID | None = strawberry.field(
        default=None, description="The id of the vehicle removed."
    )
    user_errors: list[VehicleRemoveError] = user_errors_field()


@strawberry.input(description="Send a car's owner a message by the car's plate number.")
class VehicleOwnerContactInput:
    plate: str = strawberry.field(
        description="The plate number; case, spaces, hyphens and Cyrillic or Latin look-alike "
        "letters do not matter."
    )
    template: VehicleContactTemplate = strawberry.field(description="The message to send.")


@strawberry.type(description="Result of `vehicleOwnerContact`.")
class VehicleOwnerContactPayload(Payload):
    sent: bool = strawberry.field(
        description="The message was accepted. It is delivered to the car's owners if any are "
        "registered; whether there are is never told."
    )
    user_errors: list[VehicleOwnerContactError] = user_errors_field()


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

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return VehicleAddPayload.refused(result)
        return VehicleAddPayload(vehicle=await VehicleByIdLoader.of(context).load(result))

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

            result = await commit(context, work)
        if isinstance(result, ServiceError):
            return VehicleRemovePayload.refused(result)
        return VehicleRemovePayload(removed_vehicle_id=input.vehicle_id)

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
            return VehicleOwnerContactPayload.refused(error, sent=False)
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

        await commit(context, work)
        return VehicleOwnerContactPayload(sent=True)
