"""Who may see and do what with meters: the gatekeepers of Meter and MeterReading, and the
scopes of the meters' fields and mutations.

- **Seeing** a premise's meters (``Premise.meters``, ``node``) and every reading of them
  is HOUSEHOLD_RECORDS_VIEW ("meter readings … staff: read only") measured *at that
  premise*: its occupants down to elevated guests (OWNER, REGISTERED, RESIDENT,
  GUEST_ELEVATED of that very premise, so a neighbour's apartment stays private) and
  the staff of the building's organisation, every role. Basic and initial guests,
  neighbours, other organisations' staff and the platform's support admin see none.
- **Submitting** readings is METER_READING_SUBMIT at the meter's premise: the same
  occupants; staff only read them.
- **Registering, replacing and retiring** meters is METERS_MANAGE at the premise: the
  engineers and managers of the building's organisation (dispatchers take requests,
  they do not install meters).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.ids import expect_id
from edom_graphql.core.nodes import Verdict
from edom_graphql.core.permissions import Target
from edom_graphql.meters.reads import MeterRefLoader

if TYPE_CHECKING:
    from edom_graphql.meters.types import Meter, MeterReading

RECORDS = Capability.HOUSEHOLD_RECORDS_VIEW
"""What seeing meters takes, measured at their premise."""


def may_see_meters(context: Context, premise_id: int) -> Verdict:
    """The viewer may see the meters of the premise and their readings."""
    return context.allows(RECORDS, premise_id=premise_id)


def meter_visible(context: Context, meter: Meter) -> Verdict:
    return may_see_meters(context, meter.premise_pk)


def reading_visible(context: Context, reading: MeterReading) -> Verdict:
    return may_see_meters(context, reading.premise_pk)


def source_premise(source: Any, kwargs: dict[str, Any]) -> Target | None:
    """The premise a field hangs on (``Premise.meters``)."""
    return Target(premise_id=source.pk)


async def input_premise(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    """The scope of a mutation whose input names a premise (``premiseId``)."""
    return Target(premise_id=expect_id(kwargs["input"].premise_id, "Premise", field="premiseId"))


async def input_meter_premise(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    """The scope of a mutation whose input names a meter (``meterId``): its premise."""
    meter_id = expect_id(kwargs["input"].meter_id, "Meter", field="meterId")
    meter = await MeterRefLoader.of(info.context).load(meter_id)
    return Target(premise_id=meter.premise_pk) if meter is not None else None


__all__ = [
    "RECORDS",
    "input_meter_premise",
    "input_premise",
    "may_see_meters",
    "meter_visible",
    "reading_visible",
    "source_premise",
]
