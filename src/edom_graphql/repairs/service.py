"""Business rules of repair requests: filing, the state machine, joining, auto-close.

The state machine lives in :data:`RULES` and nowhere else: for every action, the
statuses it may start from, the status it leads to, and who may take it. Every change
takes the request's row lock, checks the optional expected version, applies the rule,
bumps the version and records a :class:`RepairRequestEvent` in the same transaction;
the author and followers are notified in that transaction too.

Event ids are drawn under the organisation's stream lock (:func:`serialise_writers`),
so within an organisation, and so within each of its buildings and requests, id order
is commit order: the history and the boards can be followed by id without gaps.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, literal_column, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.access.profiles import load_profiles_in
from edom_graphql.buildings.models import Building, Premise, StaffMembership
from edom_graphql.core.capabilities import StaffRole
from edom_graphql.core.db import Database, Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.core.periodic import repeat, running
from edom_graphql.core.photos import StoredPhoto
from edom_graphql.core.streams import serialise_writers
from edom_graphql.notifications.service import notify
from edom_graphql.repairs.access import may_see_request
from edom_graphql.repairs.models import (
    AUTO_CLOSE_AFTER,
    LEGAL_DEADLINES,
    MAX_COMMENT_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MIN_DESCRIPTION_LENGTH,
    NUMBERS,
    OPEN,
    RepairCategory,
    RepairRequest,
    RepairRequestEvent,
    RepairRequestEventKind,
    RepairRequestFollower,
    RepairRequestPhoto,
    RepairRequestScope,
    RepairRequestStatus,
)

if TYPE_CHECKING:
    from edom_graphql.core.context import Services

log = logging.getLogger("edom_graphql.repairs")

STREAM_LOCK_CLASS = 1_002
"""Advisory lock class of the organisations' repair streams (notifications use 1_001)."""
SIMILAR_LIMIT = 5
AUTO_CLOSE_BATCH = 100
AUTO_CLOSE_INTERVAL_SECONDS = 60.0

S = RepairRequestStatus


def request_channel(request_id: int) -> str:
    return f"repair_request.{request_id}.events"


def organisation_channel(organisation_id: int) -> str:
    return f"repair_board.organisation.{organisation_id}"


def building_channel(building_id: int) -> str:
    return f"repair_board.building.{building_id}"


# -- the state machine, as data ---------------------------------------------------------


class Role(enum.Enum):
    """How the actor relates to the request."""

    AUTHOR = "AUTHOR"
    FOLLOWER = "FOLLOWER"
    DISPATCHER = "DISPATCHER"
    MANAGER = "MANAGER"
    ENGINEER = "ENGINEER"
    ASSIGNEE = "ASSIGNEE"
    """An engineer of the organisation to whom the request is assigned."""
    SYSTEM = "SYSTEM"
    """The server itself (auto-close)."""


class Action(enum.Enum):
    ACCEPT = "ACCEPT"
    REJECT = "REJECT"
    DEFER = "DEFER"
    ASSIGN = "ASSIGN"
    START = "START"
    COMPLETE = "COMPLETE"
    CANCEL = "CANCEL"
    CONFIRM = "CONFIRM"
    REOPEN = "REOPEN"
    RATE = "RATE"
    COMMENT = "COMMENT"
    AUTO_CLOSE = "AUTO_CLOSE"


class Comment(enum.Enum):
    NONE = "NONE"
    OPTIONAL = "OPTIONAL"
    REQUIRED = "REQUIRED"


@dataclass(frozen=True, slots=True)
class Rule:
    sources: frozenset[RepairRequestStatus]
    """The statuses the action may start from."""
    target: RepairRequestStatus | None
    """The status it leads to; None for actions that keep the status."""
    roles: frozenset[Role]
    """Who may take it."""
    kind: RepairRequestEventKind
    comment: Comment = Comment.OPTIONAL


_DESK = frozenset({Role.DISPATCHER, Role.MANAGER})
_STAFF = frozenset({Role.DISPATCHER, Role.MANAGER, Role.ENGINEER, Role.ASSIGNEE})
_AUTHOR = frozenset({Role.AUTHOR})
_CHANGED = RepairRequestEventKind.STATUS_CHANGED

RULES: dict[Action, Rule] = {
    # the organisation's desk (dispatchers and managers)
    Action.ACCEPT: Rule(frozenset({S.NEW}), S.ACCEPTED, _DESK, _CHANGED),
    Action.REJECT: Rule(
        frozenset({S.NEW, S.ACCEPTED}), S.REJECTED, _DESK, _CHANGED, Comment.REQUIRED
    ),
    Action.DEFER: Rule(
        frozenset({S.ACCEPTED, S.IN_PROGRESS, S.REOPENED}), S.DEFERRED, _DESK, _CHANGED
    ),
    Action.ASSIGN: Rule(
        frozenset({S.ACCEPTED, S.IN_PROGRESS, S.DEFERRED, S.REOPENED}),
        None,
        _DESK,
        RepairRequestEventKind.ASSIGNED,
    ),
    # the assigned engineer
    Action.START: Rule(
        frozenset({S.ACCEPTED, S.DEFERRED, S.REOPENED}),
        S.IN_PROGRESS,
        frozenset({Role.ASSIGNEE}),
        _CHANGED,
    ),
    Action.COMPLETE: Rule(
        frozenset({S.IN_PROGRESS}), S.DONE, frozenset({Role.ASSIGNEE}), _CHANGED, Comment.REQUIRED
    ),
    # the author
    Action.CANCEL: Rule(frozenset({S.NEW, S.ACCEPTED}), S.CANCELLED, _AUTHOR, _CHANGED),
    Action.CONFIRM: Rule(frozenset({S.DONE}), S.CLOSED, _AUTHOR, _CHANGED),
    Action.REOPEN: Rule(frozenset({S.DONE}), S.REOPENED, _AUTHOR, _CHANGED, Comment.REQUIRED),
    Action.RATE: Rule(frozenset({S.DONE, S.CLOSED}), None, _AUTHOR, RepairRequestEventKind.RATED),
    # the thread: author, followers and staff, while the request is not finished
    Action.COMMENT: Rule(
        frozenset(OPEN | {S.DONE}),
        None,
        _AUTHOR | {Role.FOLLOWER} | _STAFF,
        RepairRequestEventKind.COMMENTED,
        Comment.REQUIRED,
    ),
    # the server: DONE for 72 hours without a reaction
    Action.AUTO_CLOSE: Rule(frozenset({S.DONE}), S.CLOSED, frozenset({Role.SYSTEM}), _CHANGED),
}

_STAFF_ROLES = {
    StaffRole.DISPATCHER: Role.DISPATCHER,
    StaffRole.MANAGER: Role.MANAGER,
    StaffRole.ENGINEER: Role.ENGINEER,
}


def may(action: Action, status: RepairRequestStatus, roles: frozenset[Role]) -> bool:
    """Whether someone with ``roles`` may take ``action`` on a request in ``status``."""
    rule = RULES[action]
    return status in rule.sources and bool(rule.roles & roles)


def is_open(column: Any) -> Any:
    """SQL: the status is one of :data:`OPEN` (inlined, so prepared statements keep it)."""
    return column.in_(
        [literal_column(f"'{status.value}'") for status in sorted(OPEN, key=lambda s: s.value)]
    )


def due_at(category: RepairCategory, created_at: datetime) -> datetime | None:
    """The legal deadline of an emergency; None for other categories."""
    deadline = LEGAL_DEADLINES.get(category)
    return created_at + deadline if deadline is not None else None


def is_overdue(status: RepairRequestStatus, due: datetime | None, now: datetime) -> bool:
    """Past its legal deadline while someone still has work to do."""
    return due is not None and status in OPEN and now > due


# -- validation --------------------------------------------------------------------------


def _text(value: str, field: str, *, minimum: int, maximum: int, what: str) -> str:
    text = value.strip()
    if not text:
        raise ServiceError("BLANK", f"The {what} must not be empty.", [field])
    if len(text) < minimum:
        raise ServiceError("TOO_SHORT", f"The {what} has at least {minimum} characters.", [field])
    if len(text) > maximum:
        raise ServiceError("TOO_LONG", f"The {what} has at most {maximum} characters.", [field])
    return text


def validate_description(description: str) -> str:
    return _text(
        description,
        "description",
        minimum=MIN_DESCRIPTION_LENGTH,
        maximum=MAX_DESCRIPTION_LENGTH,
        what="description",
    )


def validate_comment(action: Action, comment: str | None, *, field: str = "comment") -> str | None:
    """The comment as stored (trimmed), or the rule it breaks."""
    need = RULES[action].comment
    if comment is None or not comment.strip():
        if need is Comment.REQUIRED:
            raise ServiceError("COMMENT_REQUIRED", f"Give a {field}.", [field])
        return None
    if need is Comment.NONE:
        return None
    return _text(comment, field, minimum=1, maximum=MAX_COMMENT_LENGTH, what=field)


def validate_rating(rating: int) -> int:
    if not 1 <= rating <= 5:
        raise ServiceError("INVALID_RATING", "A rating is 1 to 5.", ["rating"])
    return rating


# -- filing ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewRequest:
    building_id: int
    scope: RepairRequestScope
    category: RepairCategory
    description: str
    premise_id: int | None


def check_new_request(
    *,
    request: NewRequest,
    author_premises: Mapping[int, int],
) -> str:
    """The description as stored, or the first rule the new request breaks.

    ``author_premises`` maps the author's premises to their buildings (from the access
    profile): an APARTMENT request needs one of them in the building; others need none.
    """
    description = validate_description(request.description)
    if request.scope is RepairRequestScope.APARTMENT:
        if request.premise_id is None:
            raise ServiceError(
                "PREMISE_REQUIRED", "An apartment request names the apartment.", ["premiseId"]
            )
        if author_premises.get(request.premise_id) != request.building_id:
            raise ServiceError(
                "NOT_YOUR_PREMISE",
                "You may file apartment requests only for your own premises in this building.",
                ["premiseId"],
            )
    elif request.premise_id is not None:
        raise ServiceError(
            "PREMISE_NOT_ALLOWED",
            "Building and yard requests name no apartment.",
            ["premiseId"],
        )
    return description


async def create_request(
    session: AsyncSession,
    outbox: Outbox,
    *,
    request: NewRequest,
    description: str,
    author_id: int,
    photos: Sequence[StoredPhoto],
    now: datetime,
) -> int:
    """File a checked request (see :func:`check_new_request`); its id."""
    organisation_id: int = (
        await session.execute(
            select(Building.organisation_id).where(Building.id == request.building_id)
        )
    ).scalar_one()
    if request.premise_id is not None:
        premise_building = (
            await session.execute(
                select(Premise.building_id).where(Premise.id == request.premise_id)
            )
        ).scalar_one_or_none()
        if premise_building != request.building_id:
            raise ServiceError(
                "NOT_YOUR_PREMISE", "The premise is not in this building.", ["premiseId"]
            )
    request_id: int = (
        await session.execute(
            insert(RepairRequest)
            .values(
                number=NUMBERS.next_value(),
                building_id=request.building_id,
                organisation_id=organisation_id,
                premise_id=request.premise_id,
                author_id=author_id,
                scope=request.scope,
                category=request.category,
                description=description,
                status=S.NEW,
                created_at=now,
                updated_at=now,
                due_at=due_at(request.category, now),
            )
            .returning(RepairRequest.id)
        )
    ).scalar_one()
    if photos:
        await session.execute(
            insert(RepairRequestPhoto),
            [
                {
                    "request_id": request_id,
                    "building_id": request.building_id,
                    "storage_key": photo.key,
                    "content_type": photo.content_type,
                    "size_bytes": photo.size_bytes,
                    "position": position,
                }
                for position, photo in enumerate(photos, start=1)
            ],
        )
    await _record(
        session,
        outbox,
        request_id=request_id,
        building_id=request.building_id,
        organisation_id=organisation_id,
        actor_id=author_id,
        kind=RepairRequestEventKind.CREATED,
        from_status=None,
        to_status=S.NEW,
        comment=None,
        now=now,
    )
    return request_id


# -- the state machine at work -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Locked:
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


_LOCKED_COLUMNS = (
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


async def _lock(session: AsyncSession, request_id: int) -> Locked:
    row = (
        await session.execute(
            select(*_LOCKED_COLUMNS).where(RepairRequest.id == request_id).with_for_update()
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
    roles = {_STAFF_ROLES[role] for role in staff_roles.get(request.organisation_id, ())}
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
    request = await _lock(session, request_id)
    await _apply(
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


async def _apply(
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
    event_id = await _record(
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
            message=f"Repair request No. {request.number} was assigned to you.",
            subject_type="RepairRequest",
            subject_id=request.id,
        )


def _message(number: int, action: Action, target: RepairRequestStatus | None) -> str:
    if target is not None:
        return f"Repair request No. {number} is now {target.value.replace('_', ' ').lower()}."
    if action is Action.ASSIGN:
        return f"An engineer was assigned to repair request No. {number}."
    if action is Action.COMMENT:
        return f"New comment on repair request No. {number}."
    return f"Repair request No. {number} was rated."


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


async def _record(
    session: AsyncSession,
    outbox: Outbox,
    *,
    request_id: int,
    building_id: int,
    organisation_id: int,
    actor_id: int | None,
    kind: RepairRequestEventKind,
    from_status: RepairRequestStatus | None,
    to_status: RepairRequestStatus | None,
    comment: str | None,
    now: datetime,
    assignee_id: int | None = None,
    rating: int | None = None,
) -> int:
    """Append an event to the request's history and announce it after commit."""
    await serialise_writers(session, STREAM_LOCK_CLASS, organisation_id)
    event_id: int = (
        await session.execute(
            insert(RepairRequestEvent)
            .values(
                request_id=request_id,
                building_id=building_id,
                organisation_id=organisation_id,
                actor_id=actor_id,
                kind=kind,
                from_status=from_status,
                to_status=to_status,
                assignee_id=assignee_id,
                rating=rating,
                comment=comment,
                at=now,
            )
            .returning(RepairRequestEvent.id)
        )
    ).scalar_one()
    message = {"id": event_id}
    outbox.add(request_channel(request_id), message)
    outbox.add(organisation_channel(organisation_id), message)
    outbox.add(building_channel(building_id), message)
    return event_id


# -- joining ("me too") ------------------------------------------------------------------


async def join_request(
    session: AsyncSession, outbox: Outbox, *, request_id: int, user_id: int, now: datetime
) -> bool:
    """The user follows an open building or yard request; False if they already did."""
    request = await _lock(session, request_id)
    if request.scope is RepairRequestScope.APARTMENT:
        raise ServiceError(
            "NOT_JOINABLE", "Only building and yard requests can be joined.", ["requestId"]
        )
    if request.author_id == user_id:
        raise ServiceError("OWN_REQUEST", "This is your own request.", ["requestId"])
    if request.status not in OPEN:
        raise ServiceError(
            "ILLEGAL_TRANSITION",
            f"A request that is {request.status.value} can no longer be joined.",
            None,
        )
    joined = (
        await session.execute(
            pg_insert(RepairRequestFollower)
            .values(
                request_id=request_id,
                user_id=user_id,
                building_id=request.building_id,
                joined_at=now,
            )
            .on_conflict_do_nothing()
            .returning(RepairRequestFollower.user_id)
        )
    ).first()
    if joined is None:
        return False  # joining twice changes nothing
    await session.execute(
        update(RepairRequest)
        .where(RepairRequest.id == request_id)
        .values(
            follower_count=RepairRequest.follower_count + 1,
            updated_at=now,
            version=RepairRequest.version + 1,
        )
    )
    await _record(
        session,
        outbox,
        request_id=request_id,
        building_id=request.building_id,
        organisation_id=request.organisation_id,
        actor_id=user_id,
        kind=RepairRequestEventKind.JOINED,
        from_status=None,
        to_status=None,
        comment=None,
        now=now,
    )
    return True


# -- auto-close ----------------------------------------------------------------------------


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
                    select(*_LOCKED_COLUMNS)
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
            await _apply(
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


def _sweep(services: Services) -> Callable[[], Awaitable[bool]]:
    """One auto-close pass; True while a backlog remains."""

    async def sweep() -> bool:
        return await close_expired(services.db, services.clock()) == AUTO_CLOSE_BATCH

    return sweep


async def run_auto_close(
    services: Services, *, interval_seconds: float = AUTO_CLOSE_INTERVAL_SECONDS
) -> None:
    """Sweep with :func:`close_expired` every ``interval_seconds``, until cancelled.

    Safe to run in every server process.
    """
    await repeat(_sweep(services), interval_seconds=interval_seconds, what="auto-close sweep")


@contextlib.asynccontextmanager
async def auto_close_task(
    services: Services, *, interval_seconds: float | None = None
) -> AsyncIterator[asyncio.Task[None] | None]:
    """The auto-close sweep running in the background for the duration of the block.

    Every ``interval_seconds`` (default: the ``repair_auto_close_interval_seconds``
    setting); 0 runs no sweep in this process. For the app's lifespan.
    """
    if interval_seconds is None:
        interval_seconds = services.settings.repair_auto_close_interval_seconds
    sweep = _sweep(services)
    async with running(sweep, interval_seconds=interval_seconds, what="auto-close sweep") as task:
        yield task


__all__ = [
    "RULES",
    "Action",
    "NewRequest",
    "Role",
    "act",
    "auto_close_task",
    "close_expired",
    "create_request",
    "due_at",
    "is_overdue",
    "join_request",
    "may",
    "run_auto_close",
]
