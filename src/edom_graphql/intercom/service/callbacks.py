"""The devices' callback: ``POST /intercom/devices/<panel id>/events``.

A callback is authenticated with its panel's secret (signature over the event id,
timestamp and raw body; the timestamp within the tolerance) before anything is read; a
bad one is answered 401 and changes nothing. An authentic event is recorded once per
(panel, event id) in the transaction that applies it, so a replayed or concurrent copy
changes nothing (``DUPLICATE``). The answer is 2xx once that has committed.

Events (JSON): ``{"type": "entry", "method": "CODE", "code_id"}`` or ``{"type": "entry",
"method": "KEY_FOB", "fob"}`` (the door was opened at the panel), ``{"type": "ring",
"call_id", "apartment", "media_url"}`` (a call to an apartment), ``{"type":
"call_ended", "call_id"}`` (the caller hung up).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.access.profiles import premise_occupants
from edom_graphql.buildings.models import Premise, PremiseKind
from edom_graphql.core.context import Services
from edom_graphql.core.db import Outbox
from edom_graphql.intercom.models import (
    MAX_DEVICE_REF_LENGTH,
    MAX_URL_LENGTH,
    BuildingEntrance,
    DoorOutcome,
    EntryMethod,
    IntercomCode,
    IntercomDeviceEvent,
    IntercomEntry,
)
from edom_graphql.intercom.service import calls
from edom_graphql.intercom.service.devices import verify
from edom_graphql.intercom.service.doors import PanelRef, panel

MAX_CALLBACK_BYTES = 16 * 1024

Answer = tuple[int, dict[str, Any]]


def _text(value: object, limit: int = MAX_DEVICE_REF_LENGTH) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= limit else None


async def _entry(
    session: AsyncSession, ref: PanelRef, event: Mapping[str, Any], now: datetime
) -> str:
    method = event.get("method")
    values: dict[str, Any] = {
        "building_id": ref.building_id,
        "panel_id": ref.pk,
        "outcome": DoorOutcome.OPENED,
        "at": now,
    }
    if method == "CODE":
        code_ref = _text(event.get("code_id"))
        if code_ref is None or not code_ref.isdigit() or len(code_ref) > 18:
            return "BAD_EVENT"
        premise_id = (
            await session.execute(
                select(IntercomCode.premise_id).where(
                    IntercomCode.id == int(code_ref), IntercomCode.entrance_id == ref.entrance_id
                )
            )
        ).scalar_one_or_none()
        if premise_id is None:
            return "UNKNOWN_CODE"
        values.update(method=EntryMethod.CODE, code_id=int(code_ref), premise_id=premise_id)
    elif method == "KEY_FOB":
        values.update(method=EntryMethod.KEY_FOB, fob=_text(event.get("fob")))
    else:
        return "BAD_EVENT"
    await session.execute(insert(IntercomEntry).values(**values))
    return "APPLIED"


async def _apartment(session: AsyncSession, ref: PanelRef, number: str) -> tuple[int, str] | None:
    """The apartment with this number in the panel's entrance."""
    row = (
        await session.execute(
            select(Premise.id, Premise.number)
            .join(
                BuildingEntrance,
                (BuildingEntrance.building_id == Premise.building_id)
                & (BuildingEntrance.number == Premise.entrance),
            )
            .where(
                BuildingEntrance.id == ref.entrance_id,
                Premise.kind == PremiseKind.APARTMENT,
                Premise.number == number,
            )
        )
    ).one_or_none()
    return (int(row[0]), row[1]) if row is not None else None


async def _apply(
    services: Services,
    session: AsyncSession,
    outbox: Outbox,
    ref: PanelRef,
    event: Mapping[str, Any],
    now: datetime,
) -> str:
    kind = event.get("type")
    if kind == "entry":
        return await _entry(session, ref, event, now)
    call_ref = _text(event.get("call_id"))
    if call_ref is None:
        return "BAD_EVENT"
    if kind == "call_ended":
        changed = await calls.hang_up(
            session, outbox, panel_id=ref.pk, device_call_id=call_ref, now=now
        )
        return "APPLIED" if changed else "IGNORED"
    if kind != "ring":
        return "IGNORED"
    number = _text(event.get("apartment"), 16)
    found = await _apartment(session, ref, number) if number is not None else None
    if found is None:
        return "UNKNOWN_APARTMENT"
    premise_id, premise_number = found
    media_url = _text(event.get("media_url"), MAX_URL_LENGTH)
    if media_url is not None and not media_url.startswith(("http://", "https://")):
        media_url = None
    occupants = await premise_occupants(services.db, premise_id=premise_id, now=now)
    call_id = await calls.ring(
        session,
        outbox,
        building_id=ref.building_id,
        panel_id=ref.pk,
        premise_id=premise_id,
        premise_number=premise_number,
        device_call_id=call_ref,
        media_url=media_url,
        occupants=sorted(occupants),
        now=now,
    )
    return "APPLIED" if call_id is not None else "DUPLICATE"


async def _read(stream: AsyncIterator[bytes]) -> bytes | None:
    body = b""
    async for chunk in stream:
        body += chunk
        if len(body) > MAX_CALLBACK_BYTES:
            return None
    return body


async def receive_device_event(
    services: Services, panel_key: str, headers: Mapping[str, str], stream: AsyncIterator[bytes]
) -> Answer:
    """Authenticate and apply one device callback; the HTTP status and answer."""
    unknown: Answer = (404, {"error": "unknown panel"})
    if not panel_key.isdigit() or len(panel_key) > 18:
        return unknown
    ref = await panel(services.db, int(panel_key))
    if ref is None:
        return unknown
    body = await _read(stream)
    if body is None:
        return 413, {"error": "too large"}
    event_id = verify(ref.address.secret, headers, body, now=time.time())
    if event_id is None:
        return 401, {"error": "bad signature"}
    try:
        event = json.loads(body)
    except ValueError:
        return 400, {"error": "bad json"}
    if not isinstance(event, dict):
        return 400, {"error": "bad json"}
    now = services.clock()
    async with services.db.transaction() as (session, outbox):
        recorded = (
            await session.execute(
                pg_insert(IntercomDeviceEvent)
                .values(
                    panel_id=ref.pk,
                    event_id=event_id,
                    kind=str(event.get("type", ""))[:40],
                    received_at=now,
                )
                .on_conflict_do_nothing(index_elements=["panel_id", "event_id"])
                .returning(IntercomDeviceEvent.id)
            )
        ).scalar_one_or_none()
        if recorded is None:
            return 200, {"outcome": "DUPLICATE"}
        outcome = await _apply(services, session, outbox, ref, event, now)
    return 200, {"outcome": outcome}
