"""The named operations of the benchmark, and the requests each one sends.

Every operation is a GraphQL document plus, per request, the bearer token and variables.
Read operations cycle over the bench users (each an OWNER in the building asked about);
``staff_owners_register`` is asked by the MANAGER of the building's organisation;
``guest_invitation_accept`` has a fresh guest accept the invitation prepared for them, so
no two grants collide.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bench.dataset import Dataset, Person
from edom_graphql.core.ids import encode_id
from edom_graphql.core.pagination import encode_cursor

BUILDING_PREMISES_OWNERS_USERS = (
    "query BuildingPremisesOwners($id: ID!) { building(id: $id) { id address totalArea "
    "premises(first: 20) { edges { node { id number area kind owners { share { numerator "
    "denominator } since user { id displayName } } } } } } }"
)
VIEWER = (
    "query Viewer { viewer { user { id displayName fullName phone email } "
    "premises { tier premise { id number kind area building { id address viewerTier } } } "
    "staffMemberships { role } buildings(first: 10) { edges { node { id address "
    "viewerCapabilities } } } unreadNotificationCount } }"
)
NODE_BUILDING = (
    "query NodeBuilding($id: ID!) { node(id: $id) { id ... on Building { address totalArea "
    "intercomCapable location { latitude longitude } managementOrganisation { id name phone } "
    "viewerTier } } }"
)
NEIGHBOURS_PAGE = (
    "query Neighbours($id: ID!) { building(id: $id) { id neighbours(first: 50) { edges { "
    "cursor node { displayName premiseNumber user { id displayName } } } pageInfo { "
    "hasNextPage endCursor } } } }"
)
NOTIFICATIONS_PAGE = (
    "query Notifications { viewer { unreadNotificationCount notifications(first: 20) { "
    "edges { cursor node { id kind message createdAt readAt subjectId } } pageInfo { "
    "hasNextPage endCursor } } } }"
)
GUEST_INVITATION_ACCEPT = (
    "mutation GuestInvitationAccept($input: GuestInvitationAcceptInput!) { "
    "guestInvitationAccept(input: $input) { grant { id level startsAt expiresAt isActive "
    "premise { id number } grantee { id displayName } } userErrors { code message field } } }"
)
STAFF_OWNERS_REGISTER = (
    "query StaffOwnersRegister($id: ID!) { building(id: $id) { id premises(first: 20) { "
    "totalCount edges { node { id number owners { share { numerator denominator } user { "
    "id displayName fullName phone email } } } } } } }"
)
EVENTS_NEARBY = (
    "query EventsNearby($id: ID!) { building(id: $id) { id eventsNearby(radiusKm: 3, first: 20) "
    "{ edges { cursor distanceKm node { id title place location { latitude longitude } startsAt "
    "endsAt } } pageInfo { hasNextPage endCursor } } } }"
)
REPAIR_REQUEST_DESK = (
    "query RepairRequestDesk($org: ID!, $after: String, $filter: RepairRequestDeskFilter) { "
    "repairRequestDesk(organisationId: $org, first: 20, after: $after, filter: $filter) { "
    "edges { cursor node { id number status scope category description createdAt dueAt "
    "isOverdue followerCount version building { id address } premise { id number } "
    "assignee { id displayName } } } pageInfo { hasNextPage endCursor } } }"
)
PRIME = "query Prime { viewer { user { id } } }"

NO_ERRORS = b'"errors":'


@dataclass(frozen=True)
class Request:
    token: str
    body: bytes
    expect: tuple[bytes, ...] = ()
    """Byte strings a successful response body contains."""


TokenFor = Callable[[Person], str]


@dataclass(frozen=True)
class Build:
    """What building requests needs: the data set, tokens, and which pass asks."""

    dataset: Dataset
    token: TokenFor
    count_pass: bool = False
    """The in-process statement-counting pass (uses its own grantees)."""


def _body(query: str, operation_name: str, variables: dict[str, Any] | None = None) -> bytes:
    document: dict[str, Any] = {"query": query, "operationName": operation_name}
    if variables:
        document["variables"] = variables
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def _building_requests(build: Build, query: str, name: str, expect: bytes) -> list[Request]:
    return [
        Request(
            build.token(owner.person),
            _body(query, name, {"id": encode_id("Building", owner.building_pk)}),
            (expect,),
        )
        for owner in build.dataset.bench_owners
    ]


def building_premises_owners_users(build: Build) -> list[Request]:
    return _building_requests(
        build, BUILDING_PREMISES_OWNERS_USERS, "BuildingPremisesOwners", b'"building":{'
    )


def viewer(build: Build) -> list[Request]:
    return [
        Request(build.token(owner.person), _body(VIEWER, "Viewer"), (b'"viewer":{',))
        for owner in build.dataset.bench_owners
    ]


def node_building(build: Build) -> list[Request]:
    return _building_requests(build, NODE_BUILDING, "NodeBuilding", b'"node":{')


def neighbours_page(build: Build) -> list[Request]:
    return _building_requests(build, NEIGHBOURS_PAGE, "Neighbours", b'"neighbours":{')


def events_nearby(build: Build) -> list[Request]:
    return _building_requests(build, EVENTS_NEARBY, "EventsNearby", b'"distanceKm":')


def notifications_page(build: Build) -> list[Request]:
    return [
        Request(
            build.token(owner.person),
            _body(NOTIFICATIONS_PAGE, "Notifications"),
            (b'"notifications":{',),
        )
        for owner in build.dataset.bench_owners
    ]


def staff_owners_register(build: Build) -> list[Request]:
    return [
        Request(
            build.token(build.dataset.managers[owner.organisation_pk]),
            _body(
                STAFF_OWNERS_REGISTER,
                "StaffOwnersRegister",
                {"id": encode_id("Building", owner.building_pk)},
            ),
            (b'"building":{', b'"fullName":"'),
        )
        for owner in build.dataset.bench_owners
    ]


DESK_PAGES = 10
"""Pages asked per organisation: the first, and pages starting deeper in the list."""


def _desk_requests(build: Build, filter: dict[str, Any] | None) -> list[Request]:
    """The dispatcher of each organisation reads its desk: the first page, and pages after
    cursors spread over the data set's requests (keyset: any id is a valid position)."""
    dataset = build.dataset
    first, last = dataset.repair_request_ids
    step = max(1, (last - first) // DESK_PAGES)
    afters: list[str | None] = [None] + [
        encode_cursor((last - page * step,)) for page in range(1, DESK_PAGES)
    ]
    requests = []
    for organisation, dispatcher in sorted(dataset.dispatchers.items()):
        for after in afters:
            variables: dict[str, Any] = {
                "org": encode_id("ManagementOrganisation", organisation),
                "after": after,
            }
            if filter is not None:
                variables["filter"] = filter
            requests.append(
                Request(
                    build.token(dispatcher),
                    _body(REPAIR_REQUEST_DESK, "RepairRequestDesk", variables),
                    (b'"repairRequestDesk":{', b'"number":'),
                )
            )
    return requests


def repair_request_desk(build: Build) -> list[Request]:
    return _desk_requests(build, None)


def repair_request_desk_filtered(build: Build) -> list[Request]:
    return _desk_requests(
        build, {"statuses": ["NEW", "ACCEPTED"], "categories": ["LIFT", "LEAK", "ROOF"]}
    )


def guest_invitation_accept(build: Build) -> list[Request]:
    """One request per fresh guest, accepting the open invitation prepared for them (their
    grantors take turns, each at their own premise)."""
    dataset = build.dataset
    grantees = dataset.count_pass_grantees if build.count_pass else dataset.grantees
    return [
        Request(
            build.token(grantee),
            _body(
                GUEST_INVITATION_ACCEPT,
                "GuestInvitationAccept",
                {"input": {"code": dataset.invitation_codes[grantee.pk]}},
            ),
            (b'"userErrors":[]', b'"grant":{'),
        )
        for grantee in grantees
    ]


@dataclass(frozen=True)
class Operation:
    name: str
    description: str
    requests: Callable[[Build], list[Request]]
    mutation: bool = False


OPERATIONS: dict[str, Operation] = {
    op.name: op
    for op in (
        Operation(
            "building_premises_owners_users",
            "building → 20 premises → owners → user (the budgeted query, ~160 fields)",
            building_premises_owners_users,
        ),
        Operation("viewer", "viewer with user, premises and tiers, buildings", viewer),
        Operation("node_building", "node(id:) of a building", node_building),
        Operation("neighbours_page", "building.neighbours(first: 50)", neighbours_page),
        Operation("events_nearby", "building.eventsNearby(radiusKm: 3, first: 20)", events_nearby),
        Operation("notifications_page", "viewer.notifications(first: 20)", notifications_page),
        Operation(
            "staff_owners_register",
            "staff manager: 20 premises with owners' personal data",
            staff_owners_register,
        ),
        Operation(
            "repair_request_desk",
            "dispatcher: repairRequestDesk(first: 20) over 100k requests, pages at any depth",
            repair_request_desk,
        ),
        Operation(
            "repair_request_desk_filtered",
            "dispatcher: the desk filtered by 2 statuses and 3 categories",
            repair_request_desk_filtered,
        ),
        Operation(
            "guest_invitation_accept",
            "mutation: a fresh guest accepts an invitation",
            guest_invitation_accept,
            mutation=True,
        ),
    )
}
BUDGETED = "building_premises_owners_users"


def prime_requests(tokens: list[str]) -> list[Request]:
    """One cheap request per token, so the server has seen every subject before measuring."""
    body = _body(PRIME, "Prime")
    return [Request(token, body, (b'"viewer":{',)) for token in tokens]
