"""Batch loaders of repair requests and their photos."""

from __future__ import annotations

from aiodataloader import DataLoader
from sqlalchemy import select

from edom_graphql.core.db import Database, Prepared
from edom_graphql.core.loaders import KeyedQuery, RowByKeyLoader, RowsByKeyLoader, keys_param
from edom_graphql.repairs.models import RepairRequest as RequestRow
from edom_graphql.repairs.models import RepairRequestFollower as FollowerRow
from edom_graphql.repairs.models import RepairRequestPhoto as PhotoRow
from edom_graphql.repairs.types import (
    PHOTO_COLUMNS,
    REQUEST_COLUMNS,
    RepairRequest,
    RepairRequestPhoto,
    photo_from_row,
)

_REQUEST_BY_ID = KeyedQuery(REQUEST_COLUMNS, RequestRow.id, RepairRequest.from_row)
_PHOTOS_BY_REQUEST = KeyedQuery(PHOTO_COLUMNS, PhotoRow.request_id, photo_from_row)


def repair_request_loader(db: Database) -> RowByKeyLoader[RepairRequest]:
    """Requests by id, unfiltered: for objects reached through a visible path only."""
    return RowByKeyLoader(db, _REQUEST_BY_ID)


def repair_request_photos_loader(db: Database) -> RowsByKeyLoader[RepairRequestPhoto]:
    return RowsByKeyLoader(db, _PHOTOS_BY_REQUEST)


_FOLLOWED = Prepared(
    select(FollowerRow.request_id, FollowerRow.user_id).where(
        FollowerRow.request_id == keys_param(),
        FollowerRow.user_id == keys_param("users"),
    )
)


class FollowsLoader(DataLoader[tuple[int, int], bool]):
    """Whether user follows request, by ``(request_id, user_id)``: one statement a batch."""

    def __init__(self, db: Database) -> None:
        super().__init__(max_batch_size=1000)
        self._db = db

    async def batch_load_fn(self, keys: list[tuple[int, int]]) -> list[bool]:
        rows = await self._db.fetch(
            _FOLLOWED,
            keys=list({request for request, _ in keys}),
            users=list({user for _, user in keys}),
        )
        found = {(row[0], row[1]) for row in rows}
        return [key in found for key in keys]
