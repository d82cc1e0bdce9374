"""Root fields of residents."""

from __future__ import annotations

import strawberry

from edom_graphql.core.context import AppInfo
from edom_graphql.residents.types import Viewer


@strawberry.type
class ResidentQueries:
    @strawberry.field(description="The signed-in user.")
    def viewer(self, info: AppInfo) -> Viewer:
        return Viewer(user_pk=info.context.require_viewer())
