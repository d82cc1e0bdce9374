"""The face of chats: building, direct and management chats, and where they hang on
buildings, premises and the viewer."""

from edom_graphql.buildings.types import Building, Premise
from edom_graphql.chats.mutations.delete import ChatMessageDeleteMutation
from edom_graphql.chats.mutations.direct_open import ChatDirectOpenMutation
from edom_graphql.chats.mutations.edit import ChatMessageEditMutation
from edom_graphql.chats.mutations.mark_read import ChatMarkReadMutation
from edom_graphql.chats.mutations.remove import ChatMessageRemoveMutation
from edom_graphql.chats.mutations.report import ChatMessageReportMutation
from edom_graphql.chats.mutations.send import ChatMessageSendMutation
from edom_graphql.chats.subscriptions import ChatSubscriptions
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
    mutations=[
        ChatMessageSendMutation,
        ChatMessageEditMutation,
        ChatMessageDeleteMutation,
        ChatMessageRemoveMutation,
        ChatMessageReportMutation,
        ChatMarkReadMutation,
        ChatDirectOpenMutation,
    ],
    subscriptions=[ChatSubscriptions],
    node_types=[ChatMessage, Chat],
    extends={Building: [BuildingChat], Premise: [PremiseManagementChat], Viewer: [ViewerChats]},
)
