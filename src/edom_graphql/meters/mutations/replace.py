"""``meterReplace`` and ``meterRetire``: staff take a meter out of service, with or
without a successor."""

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
from edom_graphql.meters.access import input_meter_premise
from edom_graphql.meters.errors import MeterReplaceError, MeterRetireError
from edom_graphql.meters.models import MAX_PRECISION
from edom_graphql.meters.mutations.register import given
from edom_graphql.meters.mutations.submit import MeterReadingInput
from edom_graphql.meters.service import meters
from edom_graphql.meters.types import Meter, meter_by_id

FINAL_READINGS = (
    "What the meter showed when taken out, one per zone (it counts for the latest period "
    "opened and must not be below its readings); omit if it could not be read."
)


@strawberry.input(description="A meter to replace, and its successor.")
class MeterReplaceInput:
    meter_id: strawberry.ID = strawberry.field(description="The meter taken out.")
    serial_number: str = strawberry.field(description="The new meter's serial number.")
    next_verification_on: date = strawberry.field(
        description="When the new meter's next verification is due."
    )
    installed_on: date | None = strawberry.field(
        default=None, description="When the new meter was installed; default today."
    )
    zones: int | None = strawberry.field(
        default=None, description="The new meter's tariff zones; default the old one's."
    )
    precision: int | None = strawberry.field(
        default=None,
        description=f"The new meter's decimal places (0–{MAX_PRECISION}); default the old one's.",
    )
    final_readings: list[MeterReadingInput] | None = strawberry.field(
        default=None, description=FINAL_READINGS
    )
    initial_readings: list[MeterReadingInput] | None = strawberry.field(
        default=None, description="What the new meter shows on installation; default zero."
    )


@strawberry.type(description="Result of `meterReplace`.")
class MeterReplacePayload(Payload):
    meter: Meter | None = strawberry.field(default=None, description="The new meter.")
    replaced: Meter | None = strawberry.field(
        default=None, description="The meter taken out (as it is now)."
    )
    user_errors: list[MeterReplaceError] = user_errors_field()


@strawberry.input(description="A meter to take out of service.")
class MeterRetireInput:
    meter_id: strawberry.ID = strawberry.field(description="The meter.")
    final_readings: list[MeterReadingInput] | None = strawberry.field(
        default=None, description=FINAL_READINGS
    )


@strawberry.type(description="Result of `meterRetire`.")
class MeterRetirePayload(Payload):
    meter: Meter | None = strawberry.field(default=None, description="The meter as it is now.")
    user_errors: list[MeterRetireError] = user_errors_field()


@strawberry.type
class MeterReplaceMutations:
    @requires(
        Capability.METERS_MANAGE,
        input_meter_premise,
        mutation=True,
        description="Replace a meter: retire it (with its removal readings) and register its "
        "successor of the same kind at the premise, which continues its history.",
    )
    async def meter_replace(
        self, info: AppInfo, input: MutationInput[MeterReplaceInput]
    ) -> MeterReplacePayload | None:
        context = info.context
        user_id = context.require_viewer()
        meter_id = expect_id(input.meter_id, "Meter", field="meterId")
        new = meters.NewMeter(
            serial_number=input.serial_number,
            next_verification_on=input.next_verification_on,
            zones=input.zones,
            installed_on=input.installed_on,
            precision=input.precision,
            initial=given(input.initial_readings),
        )
        final = given(input.final_readings)

        async def work(session: AsyncSession, outbox: Outbox) -> int:
            return await meters.replace(
                session, meter_id=meter_id, new=new, final=final, user_id=user_id, now=context.now
            )

        result = await commit(context, work)
        replaced = await meter_by_id(context, meter_id)
        if isinstance(result, ServiceError):
            return MeterReplacePayload.refused(result, replaced=replaced)
        return MeterReplacePayload(meter=await meter_by_id(context, result), replaced=replaced)

    @requires(
        Capability.METERS_MANAGE,
        input_meter_premise,
        mutation=True,
        description="Take a meter out of service without a successor; it takes no readings "
        "after, and its history stays.",
    )
    async def meter_retire(
        self, info: AppInfo, input: MutationInput[MeterRetireInput]
    ) -> MeterRetirePayload | None:
        context = info.context
        user_id = context.require_viewer()
        meter_id = expect_id(input.meter_id, "Meter", field="meterId")
        final = given(input.final_readings)

        async def work(session: AsyncSession, outbox: Outbox) -> None:
            await meters.retire(
                session, meter_id=meter_id, final=final, user_id=user_id, now=context.now
            )

        result = await commit(context, work)
        return MeterRetirePayload.of(result, meter=await meter_by_id(context, meter_id))
