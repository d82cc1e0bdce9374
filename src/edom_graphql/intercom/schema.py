"""The face of the intercom: entrances and their connection, opening doors, entrance
codes, the entry log and calls from the panels."""

from edom_graphql.buildings.types import Building, Premise
from edom_graphql.core.composition import Domain
from edom_graphql.intercom.mutations.applications import IntercomApplicationMutations
from edom_graphql.intercom.mutations.calls import IntercomCallMutations
from edom_graphql.intercom.mutations.codes import IntercomCodeMutations
from edom_graphql.intercom.mutations.door import IntercomDoorMutations
from edom_graphql.intercom.scheduled import missed_calls_task
from edom_graphql.intercom.subscriptions import IntercomSubscriptions
from edom_graphql.intercom.types.fields import BuildingIntercom, PremiseIntercom
from edom_graphql.intercom.types.nodes import (
    Entrance,
    IntercomApplication,
    IntercomCall,
    IntercomCode,
    IntercomEntry,
    IntercomPanel,
)

DOMAIN = Domain(
    name="intercom",
    mutations=[
        IntercomApplicationMutations,
        IntercomDoorMutations,
        IntercomCodeMutations,
        IntercomCallMutations,
    ],
    subscriptions=[IntercomSubscriptions],
    node_types=[
        Entrance,
        IntercomPanel,
        IntercomApplication,
        IntercomCode,
        IntercomEntry,
        IntercomCall,
    ],
    extends={Building: [BuildingIntercom], Premise: [PremiseIntercom]},
    scheduled=[missed_calls_task],
)
