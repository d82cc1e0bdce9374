"""The face of notifications."""

from edom_graphql.core.composition import Domain
from edom_graphql.notifications.mutations import NotificationMutations
from edom_graphql.notifications.subscriptions import NotificationSubscriptions
from edom_graphql.notifications.types import Notification

DOMAIN = Domain(
    name="notifications",
    mutations=[NotificationMutations],
    subscriptions=[NotificationSubscriptions],
    node_types=[Notification],
)
