"""Points' root queries: the catalogue of rewards."""

from __future__ import annotations

from typing import Annotated

import strawberry

from edom_graphql.core.context import AppInfo
from edom_graphql.core.pagination import After, First
from edom_graphql.points.models import RewardKind
from edom_graphql.points.types import RewardConnection, catalogue_page


@strawberry.type
class PointQueries:
    @strawberry.field(
        description="The catalogue of rewards for city points: the active items with their "
        "price and stock, in the order they were added (every signed-in user)."
    )
    async def rewards(
        self,
        info: AppInfo,
        first: First,
        after: After = None,
        kind: Annotated[
            RewardKind | None, strawberry.argument(description="Only rewards of this kind.")
        ] = None,
    ) -> RewardConnection:
        return await catalogue_page(info.context, first=first, after=after, kind=kind)
