"""Repair requests of residents, handled by the building's management organisation."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Enum,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    SmallInteger,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from edom_graphql.core.db import Base
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.models import BigId

MAX_DESCRIPTION_LENGTH = 2000
MIN_DESCRIPTION_LENGTH = 10
MAX_COMMENT_LENGTH = 2000
AUTO_CLOSE_AFTER = timedelta(hours=72)
"""A request DONE this long without a reaction from its author is closed."""

NUMBERS = Sequence("repair_request_numbers", metadata=Base.metadata)
"""The platform-wide request number shown to people (№ 1, 2, …)."""


class RepairRequestScope(enum.Enum):
    APARTMENT = "APARTMENT"
    BUILDING = "BUILDING"
    YARD = "YARD"


class RepairCategory(enum.Enum):
    LEAK = "LEAK"
    BLOCKAGE = "BLOCKAGE"
    EMERGENCY_DAMAGE = "EMERGENCY_DAMAGE"
    PLUMBING = "PLUMBING"
    HEATING = "HEATING"
    ELECTRICITY = "ELECTRICITY"
    LIFT = "LIFT"
    ROOF = "ROOF"
    ENTRANCE = "ENTRANCE"
    INTERCOM = "INTERCOM"
    CLEANING = "CLEANING"
    YARD_UPKEEP = "YARD_UPKEEP"
    OTHER = "OTHER"


LEGAL_DEADLINES: dict[RepairCategory, timedelta] = {
    RepairCategory.LEAK: timedelta(minutes=30),
    RepairCategory.BLOCKAGE: timedelta(hours=2),
    RepairCategory.EMERGENCY_DAMAGE: timedelta(days=3),
}
"""Emergencies and their deadlines from filing (Government Decree No. 416 §13):
localise an accident within 30 minutes, clear a blockage within 2 hours, repair
emergency damage within 3 days. Other categories carry no legal deadline."""


class RepairRequestStatus(enum.Enum):
    NEW = "NEW"
    ACCEPTED = "ACCEPTED"
    IN_PROGRESS = "IN_PROGRESS"
    DEFERRED = "DEFERRED"
    DONE = "DONE"
    CLOSED = "CLOSED"
    REJECTED = "REJECTED"
    CANCELLED = "CANCELLED"
    REOPENED = "REOPENED"


FINISHED = frozenset(
    {RepairRequestStatus.CLOSED, RepairRequestStatus.REJECTED, RepairRequestStatus.CANCELLED}
)
"""Nothing more happens to a request in these states."""
OPEN = frozenset(RepairRequestStatus) - FINISHED - {RepairRequestStatus.DONE}
"""Someone still has work to do: the request can be joined, and can be overdue."""


class RepairRequestEventKind(enum.Enum):
    CREATED = "CREATED"
    STATUS_CHANGED = "STATUS_CHANGED"
    ASSIGNED = "ASSIGNED"
    COMMENTED = "COMMENTED"
    JOINED = "JOINED"
    RATED = "RATED"


graphql_enum(
    RepairRequestScope,
    "What a repair request concerns.",
    {
        RepairRequestScope.APARTMENT: "One apartment (needs a premise of the author).",
        RepairRequestScope.BUILDING: "Common parts of the building: entrances, lifts, roofs…",
        RepairRequestScope.YARD: "The yard around the building.",
    },
)
graphql_enum(
    RepairCategory,
    "What needs repair. LEAK, BLOCKAGE and EMERGENCY_DAMAGE are emergencies with legal "
    "deadlines (Government Decree No. 416 §13).",
    {
        RepairCategory.LEAK: "An accident to localise (a burst pipe, a leak): due within "
        "30 minutes.",
        RepairCategory.BLOCKAGE: "A blockage (sewer, drain) to clear: due within 2 hours.",
        RepairCategory.EMERGENCY_DAMAGE: "Emergency damage to repair: due within 3 days.",
        RepairCategory.PLUMBING: "Taps, pipes, fittings (no emergency).",
        RepairCategory.HEATING: "Radiators and heating.",
        RepairCategory.ELECTRICITY: "Wiring, lighting, switchboards.",
        RepairCategory.LIFT: "Lifts.",
        RepairCategory.ROOF: "Roof, attic, gutters.",
        RepairCategory.ENTRANCE: "Entrances, stairs, doors, windows of common parts.",
        RepairCategory.INTERCOM: "Intercom and entrance doors' locks.",
        RepairCategory.CLEANING: "Cleaning of common parts.",
        RepairCategory.YARD_UPKEEP: "Yard, playground, lawns, snow.",
        RepairCategory.OTHER: "Anything else.",
    },
)
graphql_enum(
    RepairRequestStatus,
    "Where a repair request is in its life.",
    {
        RepairRequestStatus.NEW: "Filed, not yet seen by the organisation.",
        RepairRequestStatus.ACCEPTED: "Accepted by the organisation.",
        RepairRequestStatus.IN_PROGRESS: "An engineer is working on it.",
        RepairRequestStatus.DEFERRED: "Put off by the organisation (work resumes later).",
        RepairRequestStatus.DONE: "The work is done; the author may confirm or reopen it "
        "(closed automatically after 72 hours without a reaction).",
        RepairRequestStatus.CLOSED: "Confirmed by the author, or closed 72 hours after DONE.",
        RepairRequestStatus.REJECTED: "Rejected by the organisation, with a reason.",
        RepairRequestStatus.CANCELLED: "Withdrawn by its author.",
        RepairRequestStatus.REOPENED: "The author was not satisfied with the work.",
    },
)
graphql_enum(
    RepairRequestEventKind,
    "What happened to a repair request.",
    {
        RepairRequestEventKind.CREATED: "It was filed.",
        RepairRequestEventKind.STATUS_CHANGED: "Its status changed.",
        RepairRequestEventKind.ASSIGNED: "An engineer was assigned.",
        RepairRequestEventKind.COMMENTED: "Someone wrote in its thread.",
        RepairRequestEventKind.JOINED: "A neighbour joined it (\u201cme too\u201d).",
        RepairRequestEventKind.RATED: "Its author rated the work.",
    },
)

repair_request_scope = Enum(RepairRequestScope, name="repair_request_scope")
repair_category = Enum(RepairCategory, name="repair_category")
repair_request_status = Enum(RepairRequestStatus, name="repair_request_status")
repair_request_event_kind = Enum(RepairRequestEventKind, name="repair_request_event_kind")


class RepairRequest(Base):
    __tablename__ = "repair_requests"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint(
            "(scope = 'APARTMENT') = (premise_id IS NOT NULL)", name="premise_iff_apartment"
        ),
        # the desk: an organisation's requests newest first, by status, by assignee
        Index("ix_repair_requests_organisation_id_id", "organisation_id", "id"),
        Index("ix_repair_requests_organisation_id_status_id", "organisation_id", "status", "id"),
        Index("ix_repair_requests_assignee_id_id", "assignee_id", "id"),
        Index(
            "ix_repair_requests_due",
            "organisation_id",
            "id",
            postgresql_where=text("due_at IS NOT NULL"),
        ),
        # residents: a building's requests; the auto-close sweep
        Index("ix_repair_requests_building_id_id", "building_id", "id"),
        Index("ix_repair_requests_author_id_id", "author_id", "id"),
        Index("ix_repair_requests_done_at", "done_at", postgresql_where=text("status = 'DONE'")),
    )

    id: Mapped[BigId]
    number: Mapped[int] = mapped_column(BigInteger, unique=True)
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    organisation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("management_organisations.id")
    )
    premise_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("premises.id"))
    author_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"))
    scope: Mapped[RepairRequestScope] = mapped_column(repair_request_scope)
    category: Mapped[RepairCategory] = mapped_column(repair_category)
    description: Mapped[str] = mapped_column(String(MAX_DESCRIPTION_LENGTH))
    status: Mapped[RepairRequestStatus] = mapped_column(repair_request_status)
    assignee_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    follower_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))


class RepairRequestPhoto(Base):
    """A photo of a repair request; the bytes live in storage under ``storage_key``."""

    __tablename__ = "repair_request_photos"
    __table_args__ = (UniqueConstraint("request_id", "position"),)

    id: Mapped[BigId]
    request_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("repair_requests.id", ondelete="CASCADE")
    )
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    storage_key: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(SmallInteger)


class RepairRequestFollower(Base):
    """A neighbour who joined a building or yard request ("me too")."""

    __tablename__ = "repair_request_followers"
    __table_args__ = (Index("ix_repair_request_followers_user_id", "user_id", "request_id"),)

    request_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("repair_requests.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("users.id"), primary_key=True)
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RepairRequestEvent(Base):
    """One change of a repair request. Ids are drawn under the organisation's stream lock,
    so within an organisation (and so within a building or a request) id order is commit
    order: the history can be followed by id without gaps."""

    __tablename__ = "repair_request_events"
    __table_args__ = (
        Index("ix_repair_request_events_request_id_id", "request_id", "id"),
        Index("ix_repair_request_events_organisation_id_id", "organisation_id", "id"),
        Index("ix_repair_request_events_building_id_id", "building_id", "id"),
    )

    id: Mapped[BigId]
    request_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("repair_requests.id", ondelete="CASCADE")
    )
    building_id: Mapped[int] = mapped_column(BigInteger, ForeignKey("buildings.id"))
    organisation_id: Mapped[int] = mapped_column(
        BigInteger, ForeignKey("management_organisations.id")
    )
    actor_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    kind: Mapped[RepairRequestEventKind] = mapped_column(repair_request_event_kind)
    from_status: Mapped[RepairRequestStatus | None] = mapped_column(repair_request_status)
    to_status: Mapped[RepairRequestStatus | None] = mapped_column(repair_request_status)
    assignee_id: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("users.id"))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(String(MAX_COMMENT_LENGTH))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
