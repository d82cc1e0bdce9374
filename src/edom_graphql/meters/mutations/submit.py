"""``meterReadingSubmit``: an occupant's readings of a meter in its window."""

from __future__ import annotations

from datetime import timedelta

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.ids import expect_id
from edom_graphql.core.mutation import MutationInput, Payload, commit, user_errors_field
from edom_graphql.core.permissions import requires
from edom_graphql.core.ratelimit import RateLimit, Window
from edom_graphql.meters.access import input_meter_premise
from edom_graphql.meters.errors import MeterReadingSubmitError
from edom_graphql.meters.models import MeterZone
from edom_graphql.meters.service import readings
from edom_graphql.meters.service.readings import GivenReading
from edom_graphql.meters.types import Meter, MeterReading, meter_by_id, readings_by_id

SUBMIT_LIMIT = RateLimit(
    "meter_reading_submit", (Window(30, timedelta(hours=1)), Window(100, timedelta(days=1)))
)


@strawberry.input(description="A reading of one zone.")
class MeterReadingInput:
    zone: MeterZone = strawberry.field(
        default=MeterZone.T1, description="The zone read (T1 for a water meter)."
    )
    value: str = strawberry.field(
        description='What the meter shows, a decimal string ("123.45" or "123,45") with at '
        "most the meter's decimal places; never a float."
    )


@strawberry.input(description="The readings of a meter, one per zone.")
class MeterReadingSubmitInput:
    meter_id: strawberry.ID = strawberry.field(description="The meter.")
    readings: list[MeterReadingInput] = strawberry.field(
        description="Exactly one reading of each of the meter's zones."
    )


@strawberry.type(description="Result of `meterReadingSubmit`.")
class MeterReadingSubmitPayload(Payload):
    meter: Meter | None = strawberry.field(default=None, description="The meter now.")
    readings: list[MeterReading] = strawberry.field(
        default_factory=list, description="The readings accepted, now current for the period."
    )
    points_awarded: int = strawberry.field(
        default=0,
        description="City points earned (once per meter and period; 0 for a resubmission).",
    )
    user_errors: list[MeterReadingSubmitError] = user_errors_field()


@strawberry.type
class MeterReadingMutations:
    @requires(
        Capability.METER_READING_SUBMIT,
        input_meter_premise,
        mutation=True,
        rate_limit=SUBMIT_LIMIT,
        description="Submit a meter's readings for its window open now (Moscow time: water "
        "from the 15th to the 3rd of the next month, electricity from the 15th to the 26th). "
        "A resubmission in the window replaces the period's reading; the history keeps both.",
    )
    async def meter_reading_submit(
        self, info: AppInfo, input: MutationInput[MeterReadingSubmitInput]
    ) -> MeterReadingSubmitPayload | None:
        context = info.context
        user_id = context.require_viewer()
        meter_id = expect_id(input.meter_id, "Meter", field="meterId")
        given = [GivenReading(reading.zone, reading.value) for reading in input.readings]

        async def work(session: AsyncSession, outbox: Outbox) -> readings.Submitted:
            return await readings.submit(
                session, outbox, meter_id=meter_id, user_id=user_id, readings=given, now=context.now
            )

        result = await commit(context, work)
        meter = await meter_by_id(context, meter_id)
        if isinstance(result, ServiceError):
            return MeterReadingSubmitPayload.refused(result, meter=meter)
        return MeterReadingSubmitPayload(
            meter=meter,
            readings=await readings_by_id(context, result.reading_ids),
            points_awarded=result.points,
        )
