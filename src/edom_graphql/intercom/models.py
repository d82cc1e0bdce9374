"""The smart intercom: a building's entrances, the applications to connect one, the
panels of a connected entrance, entrance codes (stored hashed), the entry log, the calls
from a panel to an apartment with their history, and the device events received.

Entrances belong to the intercom domain rather than to buildings: nothing else reads
them yet, and a premise links to its entrance by its existing ``premises.entrance``
number (the entrance of a building with that number), so buildings stay untouched.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.models import BigId, CreatedAt

MAX_REASON_LENGTH = 1000
MAX_PANEL_NAME_LENGTH = 100
MAX_URL_LENGTH = 500
MAX_SECRET_LENGTH = 200
MAX_DEVICE_REF_LENGTH = 100


class ApplicationStatus(enum.Enum):
    SUBMITTED = "SUBMITTED"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    CONNECTED = "CONNECTED"


class EntryMethod(enum.Enum):
    APP = "APP"
    CODE = "CODE"
    KEY_FOB = "KEY_FOB"
    CALL = "CALL"


class DoorOutcome(enum.Enum):
    OPENED = "OPENED"
    DEVICE_OFFLINE = "DEVICE_OFFLINE"
    TIMEOUT = "TIMEOUT"


class CallState(enum.Enum):
    RINGING = "RINGING"
    ANSWERED = "ANSWERED"
    MISSED = "MISSED"
    ENDED = "ENDED"


application_status = Enum(ApplicationStatus, name="intercom_application_status")
entry_method = Enum(EntryMethod, name="intercom_entry_method")
door_outcome = Enum(DoorOutcome, name="intercom_door_outcome")
call_state = Enum(CallState, name="intercom_call_state")


class BuildingEntrance(Base):
    """An entrance (подъезд) of a building; its premises are those with its number."""

    __tablename__ = "building_entrances"
    __table_args__ = (UniqueConstraint("building_id", "number"),)

    id: Mapped[BigId]
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    number: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[CreatedAt]


class IntercomApplication(Base):
    """An application to connect an entrance to the smart intercom."""

    __tablename__ = "intercom_applications"
    __table_args__ = (
        # At most one application of an entrance that is not rejected.
        Index(
            "uq_intercom_applications_entrance_active",
            "entrance_id",
            unique=True,
            postgresql_where=text("status <> 'REJECTED'"),
        ),
    )

    id: Mapped[BigId]
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"), index=True)
    entrance_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("building_entrances.id"))
    premise_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("premises.id"))
    applicant_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    status: Mapped[ApplicationStatus] = mapped_column(application_status)
    reason: Mapped[str | None] = mapped_column(String(MAX_REASON_LENGTH))
    created_at: Mapped[CreatedAt]
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IntercomApplicationStep(Base):
    """One step of an application: who moved it to which status, when and why."""

    __tablename__ = "intercom_application_steps"

    id: Mapped[BigId]
    application_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("intercom_applications.id"), index=True
    )
    status: Mapped[ApplicationStatus] = mapped_column(application_status)
    actor_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(String(MAX_REASON_LENGTH))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IntercomPanel(Base):
    """A panel (a door's intercom device) of a connected entrance, reached through its
    device API at ``api_url``; ``secret`` signs what goes either way."""

    __tablename__ = "intercom_panels"

    id: Mapped[BigId]
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    entrance_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("building_entrances.id"), index=True
    )
    name: Mapped[str] = mapped_column(String(MAX_PANEL_NAME_LENGTH))
    api_url: Mapped[str] = mapped_column(String(MAX_URL_LENGTH))
    secret: Mapped[str] = mapped_column(String(MAX_SECRET_LENGTH))
    created_at: Mapped[CreatedAt]


class IntercomCode(Base):
    """An entrance code of a premise: only its SHA-256 is kept (the device holds the code)."""

    __tablename__ = "intercom_codes"
    __table_args__ = (Index("ix_intercom_codes_premise_id_id", "premise_id", "id"),)

    id: Mapped[BigId]
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    entrance_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("building_entrances.id"))
    premise_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("premises.id"))
    creator_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[CreatedAt]


class IntercomCall(Base):
    """A ring at a panel for an apartment."""

    __tablename__ = "intercom_calls"
    __table_args__ = (
        UniqueConstraint("panel_id", "device_call_id"),
        Index("ix_intercom_calls_state_rang_at", "state", "rang_at"),
    )

    id: Mapped[BigId]
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    panel_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("intercom_panels.id"))
    premise_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("premises.id"), index=True)
    device_call_id: Mapped[str] = mapped_column(String(MAX_DEVICE_REF_LENGTH))
    media_url: Mapped[str | None] = mapped_column(String(MAX_URL_LENGTH))
    state: Mapped[CallState] = mapped_column(call_state)
    rang_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answered_by: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IntercomCallEvent(Base):
    """A premise's call stream: each ring and each change of a call's state."""

    __tablename__ = "intercom_call_events"
    __table_args__ = (Index("ix_intercom_call_events_premise_id_id", "premise_id", "id"),)

    id: Mapped[BigId]
    call_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("intercom_calls.id"))
    premise_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("premises.id"))
    state: Mapped[CallState] = mapped_column(call_state)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IntercomEntry(Base):
    """An opening of a door (or an attempt from the app, with the device's outcome)."""

    __tablename__ = "intercom_entries"
    __table_args__ = (Index("ix_intercom_entries_premise_id_id", "premise_id", "id"),)

    id: Mapped[BigId]
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    panel_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("intercom_panels.id"))
    premise_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("premises.id"))
    method: Mapped[EntryMethod] = mapped_column(entry_method)
    outcome: Mapped[DoorOutcome] = mapped_column(door_outcome)
    user_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    code_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("intercom_codes.id"))
    call_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("intercom_calls.id"))
    fob: Mapped[str | None] = mapped_column(String(MAX_DEVICE_REF_LENGTH))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class IntercomDeviceEvent(Base):
    """A device's callback event, once per (panel, event id): a replay changes nothing."""

    __tablename__ = "intercom_device_events"
    __table_args__ = (UniqueConstraint("panel_id", "event_id"),)

    id: Mapped[BigId]
    panel_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("intercom_panels.id"))
    event_id: Mapped[str] = mapped_column(String(MAX_DEVICE_REF_LENGTH))
    kind: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
