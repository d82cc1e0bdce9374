"""Reads of repair requests that are plain values (whether a user follows a request)."""

from __future__ import annotations

from sqlalchemy import select

from edom_graphql.core.db import Prepared
from edom_graphql.core.loaders import Loader, keys_param
from edom_graphql.repairs.models import RepairRequestFollower as FollowerRow

_FOLLOWED = Prepared(
    select(FollowerRow.request_id, FollowerRow.user_id).where(
        FollowerRow.request_id == keys_param(),
        FollowerRow.user_id == keys_param("users"),
    )
)


class FollowsLoader(Loader[tuple[int, int], bool]):
    """Whether user follows request, by ``(request_id, user_id)``: one statement a batch."""

    async def batch_load_fn(self, keys: list[tuple[int, int]]) -> list[bool]:
        rows = await self.db.fetch(
            _FOLLOWED,
            keys=list({request for request, _ in keys}),
            users=list({user for _, user in keys}),
        )
        found = {(row[0], row[1]) for row in rows}
        return [key in found for key in keys]
