"""Opening a door from the app (or from a call): the device decides the outcome, and
every attempt is written to the entry log with it."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from edom_graphql.core.db import Database
from edom_graphql.core.ratelimit import RateLimit, Window
from edom_graphql.intercom.models import DoorOutcome, EntryMethod, IntercomEntry, IntercomPanel
from edom_graphql.intercom.service.devices import PanelAddress, device_for

OPEN_LIMIT = RateLimit(
    "intercom_open", (Window(10, timedelta(minutes=1)), Window(200, timedelta(days=1)))
)
"""Openings from the app (and from calls) per user."""


@dataclass(frozen=True, slots=True)
class PanelRef:
    pk: int
    building_id: int
    entrance_id: int
    address: PanelAddress


_PANEL = select(
    IntercomPanel.id,
    IntercomPanel.building_id,
    IntercomPanel.entrance_id,
    IntercomPanel.api_url,
    IntercomPanel.secret,
)


def _ref(row: Sequence[Any]) -> PanelRef:
    pk, building_id, entrance_id, api_url, secret = row
    return PanelRef(int(pk), int(building_id), int(entrance_id), PanelAddress(api_url, secret))


async def panel(db: Database, panel_id: int) -> PanelRef | None:
    row = await db.fetch_one(_PANEL.where(IntercomPanel.id == panel_id))
    return _ref(row) if row is not None else None


async def main_panel(db: Database, entrance_id: int) -> PanelRef | None:
    """The first panel of an entrance (its main door), if it is connected."""
    row = await db.fetch_one(
        _PANEL.where(IntercomPanel.entrance_id == entrance_id).order_by(IntercomPanel.id).limit(1)
    )
    return _ref(row) if row is not None else None


async def open_door(
    db: Database,
    ref: PanelRef,
    *,
    method: EntryMethod,
    user_id: int,
    premise_id: int,
    call_id: int | None = None,
    now: datetime,
) -> tuple[DoorOutcome, int]:
    """Ask the panel to open and log the attempt with the device's outcome; the outcome
    and the entry's id. No transaction is open while the device is asked."""
    outcome = await device_for(ref.address).open_door(secrets.token_hex(12))
    async with db.transaction() as (session, _):
        entry_id: int = (
            await session.execute(
                insert(IntercomEntry)
                .values(
                    building_id=ref.building_id,
                    panel_id=ref.pk,
                    premise_id=premise_id,
                    method=method,
                    outcome=outcome,
                    user_id=user_id,
                    call_id=call_id,
                    at=now,
                )
                .returning(IntercomEntry.id)
            )
        ).scalar_one()
    return outcome, entry_id
