"""Batch loaders of repair requests and their photos."""

from __future__ import annotations

from edom_graphql.core.db import Database
from edom_graphql.core.loaders import KeyedQuery, RowByKeyLoader, RowsByKeyLoader
from edom_graphql.repairs.models import RepairRequest as RequestRow
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
