"""The face of chats: building, direct and management chats, and where they hang on
buildings, premises and the viewer."""

from edom_graphql.buildings.types import Building, Premise
from edom_graphql.chats.api import ChatMutations, ChatSubscriptions
from edom_graphql.chats.types import (
    BuildingChat,
    Chat,
    ChatMessage,
    PremiseManagementChat,
    ViewerChats,
)
from edom_graphql.core.composition import Domain
from edom_graphql.residents.types import Viewer

DOMAIN = Domain(
    name="chats",
    mutations=[ChatMutations],
    subscriptions=[ChatSubscriptions],
    node_types=[ChatMessage, Chat],
    extends={Building: [BuildingChat], Premise: [PremiseManagementChat], Viewer: [ViewerChats]},
)
