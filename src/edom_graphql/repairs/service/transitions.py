"""The state machine at work: every change takes the request's row lock, checks the
optional expected version, applies the rule of :data:`~.rules.RULES`, bumps the version
and records an event in the same transaction; the author and the followers who may
still see the request are notified in that transaction too."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import literal_column, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.access.profiles import load_profiles_in
from edom_graphql.buildings.models import StaffMembership
from edom_graphql.core.capabilities import StaffRole
from edom_graphql.core.db import Database, Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.notifications.service import messages, notify
from edom_graphql.notifications.service.messages import Text
from edom_graphql.repairs.access import may_see_request
from edom_graphql.repairs.models import (
    AUTO_CLOSE_AFTER,
    RepairRequest,
    RepairRequestFollower,
    RepairRequestScope,
    RepairRequestStatus,
)
from edom_graphql.repairs.service.history import record
from edom_graphql.repairs.service.rules import (
    RULES,
    STAFF_ROLES,
    Action,
    Role,
    may,
    validate_comment,
    validate_rating,
)

AUTO_CLOSE_BATCH = 100
S = RepairRequestStatus


@dataclass(frozen=True, slots=True)
class Locked:
    """What a change decides on: the request's columns, read under its row lock."""

    id: int
    number: int
    building_id: int
    organisation_id: int
    premise_id: int | None
    author_id: int
    scope: RepairRequestScope
    status: RepairRequestStatus
    assignee_id: int | None
    rating: int | None
    version: int


LOCKED_COLUMNS = (
    RepairRequest.id,
    RepairRequest.number,
    RepairRequest.building_id,
    RepairRequest.organisation_id,
    RepairRequest.premise_id,
    RepairRequest.author_id,
    RepairRequest.scope,
    RepairRequest.status,
    RepairRequest.assignee_id,
    RepairRequest.rating,
    RepairRequest.version,
)


async def lock(session: AsyncSession, request_id: int) -> Locked:
    """The request, locked for the rest of the transaction."""
    row = (
        await session.execute(
            select(*LOCKED_COLUMNS).where(RepairRequest.id == request_id).with_for_update()
        )
    ).one()
    return Locked(**row._asdict())


async def _is_follower(session: AsyncSession, request_id: int, user_id: int) -> bool:
    found = (
        await session.execute(
            select(RepairRequestFollower.user_id).where(
                RepairRequestFollower.request_id == request_id,
                RepairRequestFollower.user_id == user_id,
            )
        )
    ).first()
    return found is not None


async def roles_of(
    session: AsyncSession,
    request: Locked,
    *,
    actor_id: int | None,
    staff_roles: Mapping[int, frozenset[StaffRole]],
) -> frozenset[Role]:
    """How the actor relates to the request (None: the server itself)."""
    if actor_id is None:
        return frozenset({Role.SYSTEM})
    roles = {STAFF_ROLES[role] for role in staff_roles.get(request.organisation_id, ())}
    if Role.ENGINEER in roles and request.assignee_id == actor_id:
        roles.add(Role.ASSIGNEE)
    if request.author_id == actor_id:
        roles.add(Role.AUTHOR)
    elif await _is_follower(session, request.id, actor_id):
        roles.add(Role.FOLLOWER)
    return frozenset(roles)


async def _check_engineer(session: AsyncSession, organisation_id: int, user_id: int) -> None:
    found = (
        await session.execute(
            select(StaffMembership.id).where(
                StaffMembership.organisation_id == organisation_id,
                StaffMembership.user_id == user_id,
                StaffMembership.role == StaffRole.ENGINEER,
                StaffMembership.ended_at.is_(None),
            )
        )
    ).first()
    if found is None:
        raise ServiceError(
            "NOT_AN_ENGINEER",
            "Assign the request to an engineer of the organisation.",
            ["assigneeId"],
        )


async def act(
    session: AsyncSession,
    outbox: Outbox,
    *,
    request_id: int,
    action: Action,
    actor_id: int | None,
    staff_roles: Mapping[int, frozenset[StaffRole]],
    now: datetime,
    expected_version: int | None = None,
    comment: str | None = None,
    comment_field: str = "comment",
    assignee_id: int | None = None,
    rating: int | None = None,
) -> None:
    """Take ``action`` on the request, as the state machine allows, or refuse."""
    text = validate_comment(action, comment, field=comment_field)
    if action is Action.RATE:
        rating = validate_rating(rating or 0)
    request = await lock(session, request_id)
    await apply(
        session,
        outbox,
        request,
        action=action,
        actor_id=actor_id,
        roles=await roles_of(session, request, actor_id=actor_id, staff_roles=staff_roles),
        now=now,
        expected_version=expected_version,
        comment=text,
        assignee_id=assignee_id,
        rating=rating,
    )


async def apply(
    session: AsyncSession,
    outbox: Outbox,
    request: Locked,
    *,
    action: Action,
    actor_id: int | None,
    roles: frozenset[Role],
    now: datetime,
    expected_version: int | None,
    comment: str | None,
    assignee_id: int | None,
    rating: int | None,
) -> None:
    """Apply the rule of ``action`` to a locked request, or refuse: the change, its
    event, and the notifications of it."""
    if expected_version is not None and expected_version != request.version:
        raise ServiceError(
            "VERSION_CONFLICT",
            f"The request has changed (version {request.version}); reload it and try again.",
            ["expectedVersion"],
        )
    rule = RULES[action]
    if not may(action, request.status, roles):
        raise ServiceError(
            "ILLEGAL_TRANSITION",
            f"You may not {action.value.lower().replace('_', ' ')} a request that is "
            f"{request.status.value}.",
            None,
        )
    values: dict[str, Any] = {}
    if rule.target is not None:
        values["status"] = rule.target
        if rule.target is S.DONE:
            values["done_at"] = now
    if action is Action.ASSIGN:
        assert assignee_id is not None
        await _check_engineer(session, request.organisation_id, assignee_id)
        values["assignee_id"] = assignee_id
    if action is Action.RATE:
        if request.rating is not None:
            raise ServiceError("ALREADY_RATED", "You have rated this request.", ["rating"])
        values["rating"] = rating
    if values:  # the request itself changes: a new version
        await session.execute(
            update(RepairRequest)
            .where(RepairRequest.id == request.id)
            .values(**values, updated_at=now, version=RepairRequest.version + 1)
        )
    event_id = await record(
        session,
        outbox,
        request_id=request.id,
        building_id=request.building_id,
        organisation_id=request.organisation_id,
        actor_id=actor_id,
        kind=rule.kind,
        from_status=request.status if rule.target is not None else None,
        to_status=rule.target,
        comment=comment,
        now=now,
        assignee_id=assignee_id if action is Action.ASSIGN else None,
        rating=rating if action is Action.RATE else None,
    )
    recipients = await _residents(session, request, now)
    message = _message(request.number, action, rule.target)
    for user_id in sorted(recipients - {actor_id}):  # sorted: lock order across writers
        await notify(
            session,
            outbox,
            user_id=user_id,
            kind="REPAIR_REQUEST_UPDATED",
            message=message,
            subject_type="RepairRequest",
            subject_id=request.id,
            data={"eventId": event_id},
        )
    if action is Action.ASSIGN and assignee_id is not None and assignee_id != actor_id:
        await notify(
            session,
            outbox,
            user_id=assignee_id,
            kind="REPAIR_REQUEST_ASSIGNED",
            message=messages.REPAIR_ASSIGNED(number=request.number),
            subject_type="RepairRequest",
            subject_id=request.id,
        )


def _message(number: int, action: Action, target: RepairRequestStatus | None) -> Text:
    if target is not None:
        return messages.REPAIR_STATUS(
            number=number,
            status_ru=messages.REPAIR_STATUS_RU[target.value],
            status_en=target.value.replace("_", " ").lower(),
        )
    if action is Action.ASSIGN:
        return messages.REPAIR_ENGINEER_ASSIGNED(number=number)
    if action is Action.COMMENT:
        return messages.REPAIR_COMMENTED(number=number)
    return messages.REPAIR_RATED(number=number)


async def _residents(session: AsyncSession, request: Locked, now: datetime) -> set[int]:
    """The author and the followers who may still see the request: the residents told
    about every change (a guest whose grant ended, a resident who moved out, are not)."""
    followers = set(
        (
            await session.execute(
                select(RepairRequestFollower.user_id).where(
                    RepairRequestFollower.request_id == request.id
                )
            )
        ).scalars()
    )
    people = {request.author_id, *followers}
    profiles = await load_profiles_in(session, user_ids=sorted(people), now=now)
    return {
        user_id
        for user_id in people
        if may_see_request(
            profiles[user_id],
            building_id=request.building_id,
            organisation_id=request.organisation_id,
            scope=request.scope,
            premise_id=request.premise_id,
            author_id=request.author_id,
            follower=user_id in followers,
        )
    }


async def close_expired(db: Database, now: datetime, *, limit: int = AUTO_CLOSE_BATCH) -> int:
    """Close requests DONE for :data:`AUTO_CLOSE_AFTER` without a reaction; how many.

    Each request is closed in a transaction of its own, claimed with ``FOR UPDATE SKIP
    LOCKED``: any number of server processes may sweep at once, each request is closed
    (and its event recorded) exactly once, and an author confirming or reopening at the
    same moment either wins the row lock first or finds the request CLOSED.
    """
    closed = 0
    while closed < limit:
        async with db.transaction() as (session, outbox):
            row = (
                await session.execute(
                    select(*LOCKED_COLUMNS)
                    .where(
                        # inlined, so that the partial index ix_repair_requests_done_at applies
                        RepairRequest.status == literal_column("'DONE'"),
                        RepairRequest.done_at <= now - AUTO_CLOSE_AFTER,
                    )
                    .order_by(RepairRequest.done_at)
                    .limit(1)
                    .with_for_update(skip_locked=True)
                )
            ).first()
            if row is None:
                return closed
            await apply(
                session,
                outbox,
                Locked(**row._asdict()),
                action=Action.AUTO_CLOSE,
                actor_id=None,
                roles=frozenset({Role.SYSTEM}),
                now=now,
                expected_version=None,
                comment=None,
                assignee_id=None,
                rating=None,
            )
        closed += 1
    return closed
