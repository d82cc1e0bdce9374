"""Helpers shared by the tests: a controllable clock, an API client, and a builder of
test worlds (buildings with people of every tier, inserted straight into PostgreSQL)."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import uvicorn
from sqlalchemy import event, insert
from starlette.applications import Starlette

from edom_graphql.buildings.models import (
    Building,
    ManagementOrganisation,
    Premise,
    PremiseKind,
    StaffMembership,
)
from edom_graphql.buildings.service import premise_sort_key
from edom_graphql.core.auth import issue_dev_token
from edom_graphql.core.capabilities import StaffRole
from edom_graphql.core.compiled import in_shadow_run
from edom_graphql.core.db import Database
from edom_graphql.core.execution import node_types_of
from edom_graphql.core.ids import decode_id, encode_id
from edom_graphql.residents.models import (
    GuestGrant,
    GuestLevel,
    Ownership,
    Registration,
    ResidencyConfirmation,
    User,
)
from edom_graphql.schema import build_schema
from edom_graphql.server.sockets import SocketProtocol
from edom_graphql.settings import Settings


@asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    """``app`` served by uvicorn on a free local port in this event loop: its base URL."""
    async with uvicorn_serving(app) as (base_url, _):
        yield base_url


@asynccontextmanager
async def uvicorn_serving(
    app: Any, *, lifespan: str = "on"
) -> AsyncIterator[tuple[str, uvicorn.Server]]:
    """``app`` served by uvicorn as :func:`serving` does: its base URL and the server."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        loop="none",
        lifespan=lifespan,
        log_config=None,
        access_log=False,
        ws=SocketProtocol,
        # Longer than httpx's keep-alive expiry (5 s): with both at 5 s, a client could
        # reuse an idle connection just as the server closes it (a ReadError).
        timeout_keep_alive=75,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.should_exit = True
        await task


class Clock:
    """The server's clock: real time plus an offset that tests may move."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta

    def reset(self) -> None:
        self.offset = timedelta()


@dataclass
class Person:
    key: str
    pk: int | None
    subject: str
    token: str | None

    @property
    def id(self) -> str:
        assert self.pk is not None
        return encode_id("User", self.pk)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}


ANONYMOUS = Person("anonymous", None, "", None)


class GraphQLResult:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.body: dict[str, Any] = response.json()
        self.data: Any = self.body.get("data")
        self.errors: list[dict[str, Any]] = self.body.get("errors") or []

    @property
    def codes(self) -> list[str]:
        return [error.get("extensions", {}).get("code") for error in self.errors]

    def ok(self) -> Any:
        assert self.response.status_code == 200, self.body
        assert not self.errors, self.errors
        return self.data

    def __repr__(self) -> str:
        return json.dumps(self.body, ensure_ascii=False)


VISIBILITY_CHECK = "query VisibilityInvariant($ids: [ID!]!) { nodes(ids: $ids) { id } }"
NODE_TYPE_NAMES = frozenset(node_types_of(build_schema()._schema).by_name)
"""Every node type of the schema (ids of other types are not objects' ids)."""


def global_ids(data: Any) -> list[str]:
    """The ids of the objects in a response (every ``id`` that names a node type)."""
    found: list[str] = []
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            value = item.get("id")
            if isinstance(value, str):
                decoded = decode_id(value)
                if decoded is not None and decoded[0] in NODE_TYPE_NAMES:
                    found.append(value)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return list(dict.fromkeys(found))


class Api:
    """Calls the served API over real HTTP.

    Every response is checked against the visibility invariant: each object with an id
    in it must be one that ``node(id)`` returns to the same viewer, the moment after
    (see :meth:`assert_visible`). A nested field that hands out an object its type's
    gatekeeper refuses fails the test that received it.
    """

    def __init__(self, client: httpx.AsyncClient, settings: Settings, app: Starlette) -> None:
        self.client = client
        self.settings = settings
        self.app = app
        self._paused = False

    @property
    def db(self) -> Database:
        db: Database = self.app.state.services.db
        return db

    @property
    def ws_url(self) -> str:
        return str(self.client.base_url).replace("http://", "ws://") + "/graphql"

    def token(self, subject: str, name: str = "Test User", **kwargs: Any) -> str:
        return issue_dev_token(self.settings, subject=subject, name=name, **kwargs)

    async def post(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        as_: Person | None = None,
        headers: dict[str, str] | None = None,
        operation_name: str | None = None,
    ) -> GraphQLResult:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        if operation_name is not None:
            body["operationName"] = operation_name
        all_headers = {**(as_.headers if as_ else {}), **(headers or {})}
        result = GraphQLResult(await self.client.post("/graphql", json=body, headers=all_headers))
        if operation_name != "VisibilityInvariant":
            await self.assert_visible(result.data, all_headers.get("Authorization"))
        return result

    async def assert_visible(self, data: Any, authorization: str | None) -> None:
        """Every object with an id in ``data`` is one ``nodes`` returns to the viewer
        with this ``Authorization``; the statements of the check are not counted."""
        if not authorization or not data:
            return
        ids = global_ids(data)
        if not ids:
            return
        self._paused = True
        try:
            for start in range(0, len(ids), 100):
                batch = ids[start : start + 100]
                response = await self.client.post(
                    "/graphql",
                    json={
                        "query": VISIBILITY_CHECK,
                        "variables": {"ids": batch},
                        "operationName": "VisibilityInvariant",
                    },
                    headers={"Authorization": authorization},
                )
                if response.status_code == 401:
                    return  # the token has expired meanwhile: nothing to compare with
                body = response.json()
                assert response.status_code == 200, body
                assert not body.get("errors"), body
                hidden = [
                    (global_id, decode_id(global_id))
                    for global_id, node in zip(batch, body["data"]["nodes"], strict=True)
                    if node is None
                ]
                assert not hidden, (
                    f"the response holds objects that node(id) does not return to the same "
                    f"viewer: {hidden}"
                )
        finally:
            self._paused = False

    async def gql(self, query: str, variables: dict[str, Any] | None = None, *, as_: Person) -> Any:
        """The data of a query that must succeed."""
        return (await self.post(query, variables, as_=as_)).ok()

    @contextmanager
    def count_statements(self) -> Iterator[list[str]]:
        """Every SQL statement the server sends while the block runs."""
        statements: list[str] = []

        # Differential mode checks every compiled query against graphql-core: the
        # checking execution's statements are not the request's.
        def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if not self._paused and not in_shadow_run():
                statements.append(statement)

        def read(sql: str) -> None:
            if not self._paused and not in_shadow_run():
                statements.append(sql)

        engine = self.db.engine.sync_engine
        event.listen(engine, "before_cursor_execute", record)
        self.db.statement_listeners.append(read)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", record)
            self.db.statement_listeners.remove(read)


@dataclass
class World:
    """One building with a person of every tier, and a second building elsewhere."""

    organisation_pk: int
    building_pk: int
    other_organisation_pk: int
    other_building_pk: int
    premises: dict[str, int] = field(default_factory=dict)
    other_premises: dict[str, int] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    grants: dict[str, int] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Person:
        return self.people[key]

    @property
    def building_id(self) -> str:
        return encode_id("Building", self.building_pk)

    @property
    def other_building_id(self) -> str:
        return encode_id("Building", self.other_building_pk)

    def premise_id(self, number: str) -> str:
        return encode_id("Premise", self.premises[number])

    def payer_code(self, number: str) -> str:
        return f"{self.code_prefix}{int(number):05d}"

    code_prefix: str = ""


TIER_PEOPLE = (
    "owner",
    "co_owner",
    "registered",
    "resident",
    "guest_elevated",
    "guest_basic",
    "guest_initial",
)
GUEST_LEVELS = {
    "guest_elevated": GuestLevel.ELEVATED,
    "guest_basic": GuestLevel.BASIC,
    "guest_initial": GuestLevel.INITIAL,
}
STAFF_PEOPLE = {
    "dispatcher": StaffRole.DISPATCHER,
    "engineer": StaffRole.ENGINEER,
    "manager": StaffRole.MANAGER,
}
ALL_PEOPLE = (
    *TIER_PEOPLE,
    "guest_expired",
    "guest_revoked",
    *STAFF_PEOPLE,
    "other_staff",
    "stranger",
    "newcomer",
    "admin",
)


async def _premises(
    db_session: Any, building_id: int, count: int, code_prefix: str | None
) -> dict[str, int]:
    rows = [
        {
            "building_id": building_id,
            "kind": PremiseKind.APARTMENT,
            "number": str(n),
            "number_sort": premise_sort_key(PremiseKind.APARTMENT, str(n)),
            "area": Decimal("40.00") + Decimal(n % 7),
            "entrance": 1,
            "floor": (n - 1) // 4 + 1,
            "payer_code": f"{code_prefix}{n:05d}" if code_prefix else None,
        }
        for n in range(1, count + 1)
    ]
    result = await db_session.execute(insert(Premise).returning(Premise.id, Premise.number), rows)
    return {number: pk for pk, number in result}


_CODE_PREFIXES = itertools.count(uuid.uuid4().int % 50_000)


def _code_prefix() -> str:
    """Unique within a test run (each run has fresh databases)."""
    return f"{next(_CODE_PREFIXES) % 100_000:05d}"


async def make_world(api: Api, *, premises: int = 6, now: datetime | None = None) -> World:
    """A fresh building (``premises`` apartments) with everyone of ``ALL_PEOPLE``."""
    now = now or datetime.now(UTC)
    tag = uuid.uuid4().hex[:10]
    prefix = _code_prefix()
    async with api.db.transaction() as (session, _):

        async def organisation() -> int:
            return (
                await session.execute(
                    insert(ManagementOrganisation)
                    .values(name=f"УК {tag}", inn=uuid.uuid4().hex[:12])
                    .returning(ManagementOrganisation.id)
                )
            ).scalar_one()

        async def building(organisation_pk: int) -> int:
            return (
                await session.execute(
                    insert(Building)
                    .values(
                        organisation_id=organisation_pk,
                        address=f"Москва, тестовая ул., {tag}",
                        latitude=Decimal("55.75"),
                        longitude=Decimal("37.61"),
                        total_area=Decimal("1000.00"),
                        intercom_capable=True,
                    )
                    .returning(Building.id)
                )
            ).scalar_one()

        org = await organisation()
        other_org = await organisation()
        building_pk = await building(org)
        other_building_pk = await building(other_org)
        world = World(
            organisation_pk=org,
            building_pk=building_pk,
            other_organisation_pk=other_org,
            other_building_pk=other_building_pk,
            code_prefix=prefix,
        )
        world.premises = await _premises(session, building_pk, premises, prefix)
        world.other_premises = await _premises(session, other_building_pk, 2, None)
        for key in ALL_PEOPLE:
            subject = f"test|{tag}|{key}"
            pk = (
                await session.execute(
                    insert(User)
                    .values(
                        subject=subject,
                        display_name=key.replace("_", " ").title(),
                        full_name=f"{key} full name",
                        phone="+79990000000",
                        email=f"{key}@example.org",
                        is_admin=key == "admin",
                    )
                    .returning(User.id)
                )
            ).scalar_one()
            world.people[key] = Person(key, pk, subject, api.token(subject, key))

        def relation(key: str, premise: str) -> dict[str, Any]:
            return {
                "user_id": world[key].pk,
                "premise_id": world.premises[premise],
                "building_id": building_pk,
            }

        await session.execute(
            insert(Ownership),
            [
                {**relation("owner", "1"), "share_numerator": 1, "share_denominator": 2},
                {**relation("co_owner", "1"), "share_numerator": 1, "share_denominator": 2},
            ],
        )
        await session.execute(
            insert(Ownership),
            [
                {
                    "user_id": world["stranger"].pk,
                    "premise_id": world.other_premises["1"],
                    "building_id": other_building_pk,
                    "share_numerator": 1,
                    "share_denominator": 1,
                }
            ],
        )
        await session.execute(insert(Registration), [relation("registered", "2")])
        await session.execute(insert(ResidencyConfirmation), [relation("resident", "3")])
        for key, level in (
            *GUEST_LEVELS.items(),
            ("guest_expired", GuestLevel.ELEVATED),
            ("guest_revoked", GuestLevel.ELEVATED),
        ):
            expired = key == "guest_expired"
            world.grants[key] = (
                await session.execute(
                    insert(GuestGrant)
                    .values(
                        premise_id=world.premises["1"],
                        building_id=building_pk,
                        grantor_id=world["owner"].pk,
                        grantee_id=world[key].pk,
                        level=level,
                        starts_at=now - timedelta(days=2),
                        expires_at=now - timedelta(days=1) if expired else now + timedelta(days=30),
                        revoked_at=now - timedelta(hours=1) if key == "guest_revoked" else None,
                    )
                    .returning(GuestGrant.id)
                )
            ).scalar_one()
        await session.execute(
            insert(StaffMembership),
            [
                *(
                    {"organisation_id": org, "user_id": world[key].pk, "role": role}
                    for key, role in STAFF_PEOPLE.items()
                ),
                {
                    "organisation_id": other_org,
                    "user_id": world["other_staff"].pk,
                    "role": StaffRole.MANAGER,
                },
            ],
        )
    return world


async def make_user(api: Api, key: str = "user") -> Person:
    """A signed-in user with no premises (provisioned on first sight by the API)."""
    subject = f"test|{uuid.uuid4().hex[:10]}|{key}"
    person = Person(key, None, subject, api.token(subject, key))
    data = await api.gql("{ viewer { user { id } } }", as_=person)
    from edom_graphql.core.ids import decode_id

    decoded = decode_id(data["viewer"]["user"]["id"])
    assert decoded is not None
    person.pk = decoded[1]
    return person


INVITE = """
mutation Invite($input: GuestInvitationCreateInput!) {
  guestInvitationCreate(input: $input) {
    invitation { id status level startsAt expiresAt acceptBy }
    code
    userErrors { __typename code field message }
  }
}
"""
ACCEPT = """
mutation Accept($input: GuestInvitationAcceptInput!) {
  guestInvitationAccept(input: $input) {
    grant { id level startsAt expiresAt isActive premise { id number } grantor { id } }
    userErrors { __typename code field message }
  }
}
"""


async def invite(
    api: Api,
    grantor: Person,
    premise_id: str,
    *,
    level: str = "BASIC",
    expires_at: datetime | None = None,
    starts_at: datetime | None = None,
) -> str:
    """The code of a new invitation to ``premise_id`` by ``grantor`` (which must work)."""
    values: dict[str, Any] = {
        "premiseId": premise_id,
        "level": level,
        "expiresAt": (expires_at or datetime.now(UTC) + timedelta(days=7)).isoformat(),
    }
    if starts_at is not None:
        values["startsAt"] = starts_at.isoformat()
    payload = (await api.post(INVITE, {"input": values}, as_=grantor)).ok()["guestInvitationCreate"]
    assert payload["userErrors"] == [], payload
    code: str = payload["code"]
    return code


async def accept(api: Api, guest: Person, code: str) -> str:
    """The id of the grant ``guest`` gets by accepting ``code`` (which must work)."""
    payload = (await api.post(ACCEPT, {"input": {"code": code}}, as_=guest)).ok()[
        "guestInvitationAccept"
    ]
    assert payload["userErrors"] == [], payload
    grant_id: str = payload["grant"]["id"]
    return grant_id


async def let_in(
    api: Api,
    grantor: Person,
    guest: Person,
    premise_id: str,
    *,
    level: str = "BASIC",
    expires_at: datetime | None = None,
    starts_at: datetime | None = None,
) -> str:
    """Guest access for ``guest`` through the API (an invitation it accepts): the grant id."""
    code = await invite(
        api, grantor, premise_id, level=level, expires_at=expires_at, starts_at=starts_at
    )
    return await accept(api, guest, code)
