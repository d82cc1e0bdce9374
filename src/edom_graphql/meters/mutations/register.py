"""``meterRegister``: staff register a new meter of a premise."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.meters.access import input_premise
from edom_graphql.meters.errors import MeterRegisterError
from edom_graphql.meters.models import MAX_PRECISION, MAX_SERIAL_LENGTH, MeterKind
from edom_graphql.meters.mutations.submit import MeterReadingInput
from edom_graphql.meters.service import meters
from edom_graphql.meters.service.readings import GivenReading
from edom_graphql.meters.types import Meter, meter_by_id


def given(readings: list[MeterReadingInput] | None) -> list[GivenReading] | None:
    """Readings of an input as the service takes them."""
    if readings is None:
        return None
    return [GivenReading(reading.zone, reading.value) for reading in readings]


@strawberry.input(description="A new meter of a premise.")
class MeterRegisterInput:
    premise_id: strawberry.ID = strawberry.field(description="The premise.")
    kind: MeterKind = strawberry.field(description="What it counts.")
    serial_number: str = strawberry.field(
        description=f"The serial number on the meter (1–{MAX_SERIAL_LENGTH} characters); "
        "unique among the building's meters in service."
    )
    next_verification_on: date = strawberry.field(
        description="When its next verification is due (after the installation)."
    )
    installed_on: date | None = strawberry.field(
        default=None, description="When it was installed; default today (Moscow time)."
    )
    zones: int | None = strawberry.field(
        default=None, description="Tariff zones: 1 (default), or 2–3 for an electricity meter."
    )
    precision: int | None = strawberry.field(
        default=None,
        description=f"Decimal places of its readings (0–{MAX_PRECISION}); default 3 for "
        "water, 1 for electricity.",
    )
    initial_readings: list[MeterReadingInput] | None = strawberry.field(
        default=None,
        description="What it shows on installation, one per zone; default zero.",
    )


@strawberry.type(description="Result of `meterRegister`.")
class MeterRegisterPayload(Payload):
    meter: Meter | None = strawberry.field(default=None, description="The meter registered.")
    user_errors: list[MeterRegisterError] = user_errors_field()


def new_meter(input: MeterRegisterInput) -> meters.NewMeter:
    return meters.NewMeter(
        serial_number=input.serial_number,
        next_verification_on=input.next_verification_on,
        zones=input.zones,
        installed_on=input.installed_on,
        precision=input.precision,
        initial=given(input.initial_readings),
    )


@strawberry.type
class MeterRegisterMutation:
    @requires(
        Capability.METERS_MANAGE,
        input_premise,
        mutation=True,
        description="Register a meter of a premise (engineers and managers of the building's "
        "organisation), with what it shows on installation.",
    )
    async def meter_register(
        self, info: AppInfo, input: MutationInput[MeterRegisterInput]
    ) -> MeterRegisterPayload | None:
        context = info.context
        user_id = context.require_viewer()
        premise_id = expect_id(input.premise_id, "Premise", field="premiseId")
        new = new_meter(input)

        async def work(session: AsyncSession, outbox: Outbox) -> int:
            return await meters.register(
                session,
                premise_id=premise_id,
                kind=input.kind,
                new=new,
                user_id=user_id,
                now=context.now,
            )

        result = await commit(context, work)
        if isinstance(result, ServiceError):
            return MeterRegisterPayload.refused(result)
        return MeterRegisterPayload(meter=await meter_by_id(context, result))
