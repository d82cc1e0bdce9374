"""Connecting an entrance: submitted → approved | rejected (reason) → connected.

Every step is recorded (``intercom_application_steps``) and notified: the organisation's
engineers and managers on submission, the applicant on every decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.buildings.models import Building, Premise, StaffMembership
from edom_graphql.core.capabilities import MATRIX, Capability
from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.intercom.models import (
    MAX_PANEL_NAME_LENGTH,
    MAX_REASON_LENGTH,
    MAX_SECRET_LENGTH,
    MAX_URL_LENGTH,
    ApplicationStatus,
    BuildingEntrance,
    IntercomApplication,
    IntercomApplicationStep,
    IntercomPanel,
)
from edom_graphql.notifications.service import messages, notify
from edom_graphql.notifications.service.messages import Text

KIND = "INTERCOM_APPLICATION_{}"
"""The notification kind of a step: ``INTERCOM_APPLICATION_SUBMITTED`` and so on."""
MAX_PANELS = 8


@dataclass(frozen=True, slots=True)
class NewPanel:
    name: str
    api_url: str
    secret: str


async def ensure_entrance(session: AsyncSession, building_id: int, number: int) -> int:
    """The entrance of the building with this number, made on first use."""
    await session.execute(
        pg_insert(BuildingEntrance)
        .values(building_id=building_id, number=number)
        .on_conflict_do_nothing(index_elements=["building_id", "number"])
    )
    entrance_id: int = (
        await session.execute(
            select(BuildingEntrance.id).where(
                BuildingEntrance.building_id == building_id, BuildingEntrance.number == number
            )
        )
    ).scalar_one()
    return entrance_id


async def _step(
    session: AsyncSession,
    application_id: int,
    status: ApplicationStatus,
    actor_id: int,
    reason: str | None,
    now: datetime,
) -> None:
    await session.execute(
        pg_insert(IntercomApplicationStep).values(
            application_id=application_id, status=status, actor_id=actor_id, reason=reason, at=now
        )
    )


async def apply(
    session: AsyncSession, outbox: Outbox, *, premise_id: int, applicant_id: int, now: datetime
) -> int:
    """Submit an application for the premise's entrance; its id."""
    found = (
        await session.execute(
            select(Premise.building_id, Premise.entrance, Building.intercom_capable, Premise.number)
            .join(Building, Building.id == Premise.building_id)
            .where(Premise.id == premise_id)
        )
    ).one()
    building_id, number, capable, premise_number = found
    if not capable:
        raise ServiceError(
            "NOT_CAPABLE",
            "The building does not meet the technical requirements for the smart intercom "
            "(the organisation has not confirmed its wiring and power at the entrances).",
            ["premiseId"],
        )
    if number is None:
        raise ServiceError("NO_ENTRANCE", "The premise has no entrance to connect.", ["premiseId"])
    entrance_id = await ensure_entrance(session, building_id, number)
    application_id = (
        await session.execute(
            pg_insert(IntercomApplication)
            .values(
                building_id=building_id,
                entrance_id=entrance_id,
                premise_id=premise_id,
                applicant_id=applicant_id,
                status=ApplicationStatus.SUBMITTED,
                updated_at=now,
            )
            .on_conflict_do_nothing()
            .returning(IntercomApplication.id)
        )
    ).scalar_one_or_none()
    if application_id is None:
        raise ServiceError(
            "ALREADY_APPLIED",
            f"Entrance {number} already has an application under way or is connected.",
            ["premiseId"],
        )
    await _step(session, application_id, ApplicationStatus.SUBMITTED, applicant_id, None, now)
    reviewers = MATRIX[Capability.INTERCOM_MANAGE].staff
    staff = await session.execute(
        select(StaffMembership.user_id)
        .join(Building, Building.organisation_id == StaffMembership.organisation_id)
        .where(
            Building.id == building_id,
            StaffMembership.role.in_(list(reviewers)),
            StaffMembership.ended_at.is_(None),
        )
        .distinct()
    )
    for user_id in sorted(staff.scalars()):
        await notify(
            session,
            outbox,
            user_id=user_id,
            kind=KIND.format("SUBMITTED"),
            message=messages.INTERCOM_REQUESTED(entrance=number, apartment=premise_number),
            subject_type="IntercomApplication",
            subject_id=application_id,
        )
    return application_id


async def _locked(session: AsyncSession, application_id: int) -> tuple[ApplicationStatus, int, int]:
    row = (
        await session.execute(
            select(
                IntercomApplication.status,
                IntercomApplication.applicant_id,
                IntercomApplication.entrance_id,
            )
            .where(IntercomApplication.id == application_id)
            .with_for_update()
        )
    ).one_or_none()
    if row is None:
        raise ServiceError("NOT_FOUND", "There is no such application.", ["applicationId"])
    return ApplicationStatus(row[0]), int(row[1]), int(row[2])


async def _move(
    session: AsyncSession,
    outbox: Outbox,
    application_id: int,
    applicant_id: int,
    status: ApplicationStatus,
    actor_id: int,
    reason: str | None,
    message: Text,
    now: datetime,
) -> None:
    await session.execute(
        update(IntercomApplication)
        .where(IntercomApplication.id == application_id)
        .values(status=status, reason=reason, updated_at=now)
    )
    await _step(session, application_id, status, actor_id, reason, now)
    await notify(
        session,
        outbox,
        user_id=applicant_id,
        kind=KIND.format(status.value),
        message=message,
        subject_type="IntercomApplication",
        subject_id=application_id,
        data={"reason": reason} if reason else None,
    )


async def review(
    session: AsyncSession,
    outbox: Outbox,
    *,
    application_id: int,
    reviewer_id: int,
    approve: bool,
    reason: str | None,
    now: datetime,
) -> int:
    """Approve or reject (with a reason) a submitted application."""
    reason = reason.strip() if reason is not None else None
    if not approve and not reason:
        raise ServiceError("REASON_REQUIRED", "Say why the application is rejected.", ["reason"])
    if reason is not None and len(reason) > MAX_REASON_LENGTH:
        raise ServiceError(
            "REASON_TOO_LONG", f"The reason is over {MAX_REASON_LENGTH} characters.", ["reason"]
        )
    status, applicant_id, _ = await _locked(session, application_id)
    if status is not ApplicationStatus.SUBMITTED:
        raise ServiceError(
            "WRONG_STATUS", f"The application is {status.value}, not SUBMITTED.", ["applicationId"]
        )
    new = ApplicationStatus.APPROVED if approve else ApplicationStatus.REJECTED
    message = messages.INTERCOM_APPROVED() if approve else messages.INTERCOM_REJECTED(reason=reason)
    await _move(
        session, outbox, application_id, applicant_id, new, reviewer_id, reason, message, now
    )
    return application_id


def _panel_error(position: int, field: str, message: str) -> ServiceError:
    return ServiceError("INVALID_PANEL", message, ["panels", str(position), field])


def check_panels(panels: Sequence[NewPanel]) -> None:
    if not 1 <= len(panels) <= MAX_PANELS:
        raise ServiceError("INVALID_PANEL", f"Give 1–{MAX_PANELS} panels.", ["panels"])
    for position, panel in enumerate(panels):
        if not panel.name.strip() or len(panel.name) > MAX_PANEL_NAME_LENGTH:
            raise _panel_error(position, "name", "A panel's name is 1–100 characters.")
        if not panel.api_url.startswith(("http://", "https://")) or len(panel.api_url) > (
            MAX_URL_LENGTH
        ):
            raise _panel_error(position, "apiUrl", "A panel's API URL is an http(s) URL.")
        if not 16 <= len(panel.secret) <= MAX_SECRET_LENGTH:
            raise _panel_error(position, "secret", "A panel's secret is 16–200 characters.")


async def connect(
    session: AsyncSession,
    outbox: Outbox,
    *,
    application_id: int,
    actor_id: int,
    panels: Sequence[NewPanel],
    now: datetime,
) -> list[int]:
    """Connect an approved application's entrance with its panels; their ids."""
    check_panels(panels)
    status, applicant_id, entrance_id = await _locked(session, application_id)
    if status is not ApplicationStatus.APPROVED:
        raise ServiceError(
            "WRONG_STATUS", f"The application is {status.value}, not APPROVED.", ["applicationId"]
        )
    building_id = (
        await session.execute(
            select(BuildingEntrance.building_id).where(BuildingEntrance.id == entrance_id)
        )
    ).scalar_one()
    ids = (
        await session.execute(
            pg_insert(IntercomPanel).returning(IntercomPanel.id),
            [
                {
                    "building_id": building_id,
                    "entrance_id": entrance_id,
                    "name": panel.name.strip(),
                    "api_url": panel.api_url,
                    "secret": panel.secret,
                }
                for panel in panels
            ],
        )
    ).scalars()
    found = sorted(int(pk) for pk in ids)
    await _move(
        session,
        outbox,
        application_id,
        applicant_id,
        ApplicationStatus.CONNECTED,
        actor_id,
        None,
        messages.INTERCOM_CONNECTED(),
        now,
    )
    return found
