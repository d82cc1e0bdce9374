"""The face of notifications: the viewer's notifications, push devices and mutes."""

from edom_graphql.core.composition import Domain
from edom_graphql.notifications.mutations import NotificationMutations
from edom_graphql.notifications.queries import NotificationQueries
from edom_graphql.notifications.scheduled import push_delivery_task
from edom_graphql.notifications.subscriptions import NotificationSubscriptions
from edom_graphql.notifications.types import Device, Notification

DOMAIN = Domain(
    name="notifications",
    queries=[NotificationQueries],
    mutations=[NotificationMutations],
    subscriptions=[NotificationSubscriptions],
    node_types=[Notification, Device],
    scheduled=[push_delivery_task],  # notifications to the users' phones
)
