"""The demo's smart intercom in Tverskaya 7: entrance 1 connected (applied for by Анна,
approved by the manager and connected by the engineer, each step notified) with a main
door panel of the device simulator (``python -m edom_graphql.intercom.service.simulator``
on its default port, device ``tverskaya-7-1``); entrance 2 known but not connected. The
entry log of apartment 1 has openings from the app and by a key fob, and apartment 1 has
a missed call from the panel.

The simulator knows the panel once it is told its secret and callback (see
``docs/intercom-protocol.md``): ``POST /devices/tverskaya-7-1/config`` with
:data:`DEMO_PANEL_SECRET` and ``http://127.0.0.1:8000/intercom/devices/<panel id>/events``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import insert

from edom_graphql.core.db import Database
from edom_graphql.intercom.models import (
    CallState,
    DoorOutcome,
    EntryMethod,
    IntercomCall,
    IntercomCallEvent,
    IntercomEntry,
)
from edom_graphql.intercom.service import applications

DEMO_DEVICE_URL = "http://127.0.0.1:8020/devices/tverskaya-7-1"
DEMO_PANEL_SECRET = "edom-demo-panel-secret-tverskaya-7-1"  # noqa: S105 (demo only)


async def load_intercom(
    db: Database,
    *,
    building_id: int,
    apartment_1: int,
    users: dict[str, int],
    now: datetime,
) -> None:
    """Load the demo's intercom (see the module)."""
    applied_at = now - timedelta(days=20)
    async with db.transaction() as (session, outbox):
        application_id = await applications.apply(
            session, outbox, premise_id=apartment_1, applicant_id=users["owner"], now=applied_at
        )
        await applications.review(
            session,
            outbox,
            application_id=application_id,
            reviewer_id=users["manager"],
            approve=True,
            reason=None,
            now=applied_at + timedelta(days=2),
        )
        (panel_id,) = await applications.connect(
            session,
            outbox,
            application_id=application_id,
            actor_id=users["engineer"],
            panels=[applications.NewPanel("Главный вход", DEMO_DEVICE_URL, DEMO_PANEL_SECRET)],
            now=applied_at + timedelta(days=9),
        )
        await applications.ensure_entrance(session, building_id, 2)
        entry = {"building_id": building_id, "panel_id": panel_id, "outcome": DoorOutcome.OPENED}
        await session.execute(
            insert(IntercomEntry),
            [
                {
                    **entry,
                    "premise_id": apartment_1,
                    "method": EntryMethod.APP,
                    "user_id": users["owner"],
                    "at": now - timedelta(days=1, hours=3),
                },
                {
                    **entry,
                    "premise_id": None,
                    "method": EntryMethod.KEY_FOB,
                    "fob": "04A2-19",
                    "at": now - timedelta(hours=20),
                },
                {
                    **entry,
                    "premise_id": apartment_1,
                    "method": EntryMethod.APP,
                    "user_id": users["owner"],
                    "at": now - timedelta(hours=2),
                },
            ],
        )
        rang_at = now - timedelta(hours=5)
        call_id = (
            await session.execute(
                insert(IntercomCall)
                .values(
                    building_id=building_id,
                    panel_id=panel_id,
                    premise_id=apartment_1,
                    device_call_id="demo-call-1",
                    media_url=None,
                    state=CallState.MISSED,
                    rang_at=rang_at,
                    ended_at=rang_at + timedelta(seconds=45),
                )
                .returning(IntercomCall.id)
            )
        ).scalar_one()
        await session.execute(
            insert(IntercomCallEvent),
            [
                {"call_id": call_id, "premise_id": apartment_1, "state": state, "at": at}
                for state, at in (
                    (CallState.RINGING, rang_at),
                    (CallState.MISSED, rang_at + timedelta(seconds=45)),
                )
            ],
        )
