"""The face of meters: a premise's water and electricity meters, their readings, and the
reminders when a reading window opens."""

from edom_graphql.buildings.types import Premise
from edom_graphql.core.composition import Domain
from edom_graphql.meters.mutations.register import MeterRegisterMutation
from edom_graphql.meters.mutations.replace import MeterReplaceMutations
from edom_graphql.meters.mutations.submit import MeterReadingMutations
from edom_graphql.meters.scheduled import reminders_task
from edom_graphql.meters.types import Meter, MeterReading, PremiseMeters, read_meters

DOMAIN = Domain(
    name="meters",
    mutations=[MeterReadingMutations, MeterRegisterMutation, MeterReplaceMutations],
    node_types=[Meter, MeterReading],
    extends={Premise: [PremiseMeters]},
    read_ahead={(Premise, "meters"): read_meters},
    scheduled=[reminders_task],
)
