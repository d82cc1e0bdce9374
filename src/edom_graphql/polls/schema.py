"""The face of polls: a building's non-binding polls."""

from edom_graphql.buildings.types import Building
from edom_graphql.core.composition import Domain
from edom_graphql.polls.mutations import PollMutations
from edom_graphql.polls.subscriptions import PollSubscriptions
from edom_graphql.polls.types import BuildingPolls, Poll

DOMAIN = Domain(
    name="polls",
    mutations=[PollMutations],
    subscriptions=[PollSubscriptions],
    node_types=[Poll],
    extends={Building: [BuildingPolls]},
)
