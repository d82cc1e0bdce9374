"""The face of notices: the management organisation's notices to a building."""

from edom_graphql.buildings.types import Building
from edom_graphql.core.composition import Domain
from edom_graphql.notices.mutations import NoticeMutations
from edom_graphql.notices.types import BuildingNotices, Notice, ViewerNoticeSettings
from edom_graphql.residents.types import Viewer

DOMAIN = Domain(
    name="notices",
    mutations=[NoticeMutations],
    node_types=[Notice],
    extends={Building: [BuildingNotices], Viewer: [ViewerNoticeSettings]},
)
