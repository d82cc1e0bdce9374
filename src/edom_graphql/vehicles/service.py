"""Business rules of vehicles: plate numbers, the viewer's cars, contacting an owner."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.notifications.service import messages, notify
from edom_graphql.vehicles.models import Vehicle

MAX_VEHICLES_PER_USER = 10
MIN_PLATE_LENGTH = 5
MAX_PLATE_LENGTH = 12
MAX_PLATE_INPUT = 40
VEHICLE_LOCK_CLASS = 1_003

# Cyrillic letters that look like Latin ones on Russian plates, folded to Latin, so
# that a plate typed in either alphabet (or a mix) is one plate.
LOOK_ALIKES = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")
SEPARATORS = re.compile(r"[\s\-]+")
PLATE = re.compile(r"[A-Z0-9]+")


class VehicleContactTemplate(enum.Enum):
    BLOCKING_EXIT = "BLOCKING_EXIT"
    LIGHTS_ON = "LIGHTS_ON"
    ALARM_SOUNDING = "ALARM_SOUNDING"
    WINDOW_OPEN = "WINDOW_OPEN"
    TOW_TRUCK_NEARBY = "TOW_TRUCK_NEARBY"


CONTACT_MESSAGES = {
    VehicleContactTemplate.BLOCKING_EXIT: messages.VEHICLE_BLOCKING_EXIT,
    VehicleContactTemplate.LIGHTS_ON: messages.VEHICLE_LIGHTS_ON,
    VehicleContactTemplate.ALARM_SOUNDING: messages.VEHICLE_ALARM_SOUNDING,
    VehicleContactTemplate.WINDOW_OPEN: messages.VEHICLE_WINDOW_OPEN,
    VehicleContactTemplate.TOW_TRUCK_NEARBY: messages.VEHICLE_TOW_TRUCK_NEARBY,
}


@dataclass(frozen=True, slots=True)
class Plate:
    normalized: str
    """Upper case, Latin letters and digits only: the form plates are compared in."""
    display: str
    """As the user wrote it: upper case, separators collapsed to one space."""


def invalid_plate() -> ServiceError:
    return ServiceError(
        "INVALID_PLATE",
        f"A plate number has {MIN_PLATE_LENGTH}–{MAX_PLATE_LENGTH} letters and digits, "
        "e.g. А123ВС77.",
        ["plate"],
    )


def normalize_plate(plate: str) -> Plate:
    """Fold a plate as typed (any case, Cyrillic or Latin look-alikes, spaces, hyphens)
    into its comparable form; refuse anything that is not a plausible plate."""
    if len(plate) > MAX_PLATE_INPUT:
        raise invalid_plate()
    upper = plate.upper()
    normalized = SEPARATORS.sub("", upper).translate(LOOK_ALIKES)
    if not (
        MIN_PLATE_LENGTH <= len(normalized) <= MAX_PLATE_LENGTH
        and PLATE.fullmatch(normalized)
        and normalized.isascii()
    ):
        raise invalid_plate()
    display = SEPARATORS.sub(" ", upper).strip()
    if len(display) > 20:
        display = normalized
    return Plate(normalized=normalized, display=display)


async def add_vehicle(session: AsyncSession, *, user_id: int, plate: str) -> int:
    """Register a plate as the user's; the id of the new vehicle."""
    parsed = normalize_plate(plate)
    # Serialise one user's additions so that the count below cannot be raced past.
    await session.execute(select(func.pg_advisory_xact_lock(VEHICLE_LOCK_CLASS, user_id)))
    existing = (
        await session.execute(
            select(Vehicle.id).where(
                Vehicle.user_id == user_id, Vehicle.plate_normalized == parsed.normalized
            )
        )
    ).first()
    if existing is not None:
        raise ServiceError("ALREADY_ADDED", "You have already added this plate.", ["plate"])
    count = (
        await session.execute(select(func.count()).where(Vehicle.user_id == user_id))
    ).scalar_one()
    if count >= MAX_VEHICLES_PER_USER:
        raise ServiceError(
            "TOO_MANY_VEHICLES",
            f"You can add at most {MAX_VEHICLES_PER_USER} vehicles; remove one first.",
            None,
        )
    vehicle_id: int | None = (
        await session.execute(
            pg_insert(Vehicle)
            .values(
                user_id=user_id,
                plate_normalized=parsed.normalized,
                plate_display=parsed.display,
            )
            .on_conflict_do_nothing()
            .returning(Vehicle.id)
        )
    ).scalar_one_or_none()
    if vehicle_id is None:
        raise ServiceError("ALREADY_ADDED", "You have already added this plate.", ["plate"])
    return vehicle_id


async def remove_vehicle(session: AsyncSession, *, user_id: int, vehicle_id: int) -> None:
    """Remove one of the user's vehicles; another user's vehicle is "not found"."""
    removed = (
        await session.execute(
            delete(Vehicle)
            .where(Vehicle.id == vehicle_id, Vehicle.user_id == user_id)
            .returning(Vehicle.id)
        )
    ).first()
    if removed is None:
        raise ServiceError("NOT_FOUND", "You have no such vehicle.", ["vehicleId"])


async def contact_owners(
    session: AsyncSession,
    outbox: Outbox,
    *,
    sender_id: int,
    plate: Plate,
    template: VehicleContactTemplate,
) -> int:
    """Notify every user (but the sender) who registered the plate; how many were.

    The count is for the caller's logs and tests only: the sender must never learn it.
    """
    owners = (
        await session.execute(
            select(Vehicle.user_id, Vehicle.id, Vehicle.plate_display)
            .where(Vehicle.plate_normalized == plate.normalized, Vehicle.user_id != sender_id)
            .order_by(Vehicle.user_id)
        )
    ).all()
    for owner_id, vehicle_id, display in owners:
        await notify(
            session,
            outbox,
            user_id=owner_id,
            kind="VEHICLE_OWNER_CONTACT",
            message=CONTACT_MESSAGES[template](plate=display),
            subject_type="Vehicle",
            subject_id=vehicle_id,
            data={"template": template.value},
        )
    return len(owners)
