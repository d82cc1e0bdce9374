"""PostGraphile 5 on the bench database: the server, its queries, and their answers.

PostGraphile (``bench/postgraphile/``: ``package.json``, ``package-lock.json``,
``graphile.config.mjs``, ``server.mjs``) runs as one Node process in production settings
(``NODE_ENV=production``, no GraphiQL, no schema watching, no plan explanations) over
schema ``public`` of the bench database, with its default (Amber) inflection: tables as
``allRepairRequests``, ``buildingByRowId``, relations as ``premisesByBuildingId``, the
primary key ``id`` as ``rowId`` beside the node ``id``. Node 22 comes from npm with the
package (``npm ci`` installs it), so nothing is downloaded when the bench runs.

Each operation compared has its PostGraphile query here, asking for the same rows in the
same order as this project's (same columns where PostGraphile has them: what this project
computes, such as tiers or ``isOverdue``, has no column to ask for), and a function that
reduces each server's answer to the same plain rows, so that the two can be compared.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from bench import operations
from bench.dataset import Dataset
from bench.server import HOST, free_port
from edom_graphql.core.ids import decode_id

PACKAGE_DIR = Path(__file__).parent / "postgraphile"
NODE = PACKAGE_DIR / "node_modules" / ".bin" / "node"
POSTGRAPHILE = PACKAGE_DIR / "node_modules" / "postgraphile" / "package.json"
SERVER_SCRIPT = PACKAGE_DIR / "server.mjs"
INSTALL_COMMAND = "npm ci --prefix bench/postgraphile"
READY_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0


class NotInstalled(RuntimeError):
    """PostGraphile's packages are not installed under ``bench/postgraphile``."""


def installed() -> bool:
    return NODE.exists() and POSTGRAPHILE.exists()


def require_installed() -> None:
    if not installed():
        raise NotInstalled(
            f"PostGraphile is not installed: run `{INSTALL_COMMAND}` once (needs npm)"
        )


def version() -> str:
    document: dict[str, Any] = json.loads(POSTGRAPHILE.read_text())
    return str(document["version"])


def post(base_url: str, query: str, variables: dict[str, Any] | None = None) -> Any:
    """One GraphQL request over HTTP (setup and checks; the load goes through client.py)."""
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"{base_url}/graphql",
        data=body,
        headers={"Content-Type": "application/json", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


class PostGraphileServer:
    """``node server.mjs`` on a free local port, stopped always (a context manager)."""

    def __init__(self, *, database_url: str, log_path: Path) -> None:
        require_installed()
        self.database_url = database_url
        self.log_path = log_path
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def database_name(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/")

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def __enter__(self) -> PostGraphileServer:
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "HOST": HOST,
            "PORT": str(self.port),
            "NODE_ENV": "production",
        }
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            [str(NODE), str(SERVER_SCRIPT)],
            cwd=PACKAGE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        last = "no answer"
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"PostGraphile exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                answer = post(self.base_url, "{ __typename }")
                if answer.get("data", {}).get("__typename") == "Query":
                    return
                last = str(answer)[:300]
            except urllib.error.HTTPError as error:
                last = f"HTTP {error.code}: {error.read()[:300]!r}"
            except OSError as error:
                last = str(error)
            time.sleep(0.2)
        raise RuntimeError(f"PostGraphile was not ready in {READY_TIMEOUT:.0f} s ({last})")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None


# The queries, field for field the selections of bench/operations.py.
BUILDING_PREMISES_OWNERS_USERS = (
    "query BuildingPremisesOwners($id: BigInt!) { buildingByRowId(rowId: $id) { id address "
    "totalArea premisesByBuildingId(first: 20, orderBy: [NUMBER_SORT_ASC, NUMBER_ASC, "
    "ROW_ID_ASC]) { edges { node { id number area kind ownershipsByPremiseId(condition: "
    "{endedAt: null}, orderBy: ROW_ID_ASC) { nodes { shareNumerator shareDenominator "
    "startedAt userByUserId { id displayName } } } } } } } }"
)
REPAIR_REQUEST_DESK = (
    "query RepairRequestDesk($org: BigInt!, $after: Cursor) { allRepairRequests(condition: "
    "{organisationId: $org}, orderBy: ROW_ID_DESC, first: 20, after: $after) { edges { cursor "
    "node { id number status scope category description createdAt dueAt followerCount "
    "version buildingByBuildingId { id address } premisesByPremiseId { id number } "
    "userByAssigneeId { id displayName } } } pageInfo { hasNextPage endCursor } } }"
)
NODE_BUILDING = (
    "query NodeBuilding($id: BigInt!) { buildingByRowId(rowId: $id) { id address totalArea "
    "intercomCapable latitude longitude managementOrganisationByOrganisationId { id name "
    "phone } } }"
)
DESK_CURSOR_PROBE = (
    "query Probe($org: BigInt!) { allRepairRequests(condition: {organisationId: $org}, "
    "orderBy: ROW_ID_DESC, first: 1) { edges { cursor } } }"
)


def _body(query: str, name: str, variables: dict[str, Any]) -> bytes:
    document = {"query": query, "operationName": name, "variables": variables}
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def desk_cursor_digest(base_url: str, organisation_pk: int) -> str:
    """The digest PostGraphile puts in its cursors for the desk's ordering.

    A cursor is base64 of ``[digest, "<id>"]``; with it the bench asks for the page after
    any id, as it does of this project's desk (keyset: any id is a valid position)."""
    answer = post(base_url, DESK_CURSOR_PROBE, {"org": str(organisation_pk)})
    cursor = answer["data"]["allRepairRequests"]["edges"][0]["cursor"]
    digest = json.loads(base64.b64decode(cursor))[0]
    return str(digest)


def desk_cursor(digest: str, after_pk: int) -> str:
    return base64.b64encode(json.dumps([digest, str(after_pk)]).encode()).decode("ascii")


@dataclass(frozen=True)
class Context:
    """What the PostGraphile requests need besides the data set."""

    dataset: Dataset
    token: operations.TokenFor
    desk_digest: str


def building_premises_owners_users(context: Context) -> list[operations.Request]:
    return [
        operations.Request(
            context.token(owner.person),
            _body(
                BUILDING_PREMISES_OWNERS_USERS,
                "BuildingPremisesOwners",
                {"id": str(owner.building_pk)},
            ),
            (b'"buildingByRowId":{',),
        )
        for owner in context.dataset.bench_owners
    ]


def node_building(context: Context) -> list[operations.Request]:
    return [
        operations.Request(
            context.token(owner.person),
            _body(NODE_BUILDING, "NodeBuilding", {"id": str(owner.building_pk)}),
            (b'"buildingByRowId":{',),
        )
        for owner in context.dataset.bench_owners
    ]


def desk_pages(dataset: Dataset) -> list[tuple[int, Any, int | None]]:
    """``(organisation, dispatcher, after id)`` of each page ``operations.repair_request_desk``
    asks for, in its order: the first page and pages after ids spread over the requests."""
    first, last = dataset.repair_request_ids
    step = max(1, (last - first) // operations.DESK_PAGES)
    afters: list[int | None] = [None] + [
        last - page * step for page in range(1, operations.DESK_PAGES)
    ]
    return [
        (organisation, dispatcher, after)
        for organisation, dispatcher in sorted(dataset.dispatchers.items())
        for after in afters
    ]


def repair_request_desk(context: Context) -> list[operations.Request]:
    """The same pages as ``operations.repair_request_desk``, in the same order."""
    requests = []
    for organisation, dispatcher, after in desk_pages(context.dataset):
        variables: dict[str, Any] = {"org": str(organisation), "after": None}
        if after is not None:
            variables["after"] = desk_cursor(context.desk_digest, after)
        requests.append(
            operations.Request(
                context.token(dispatcher),
                _body(REPAIR_REQUEST_DESK, "RepairRequestDesk", variables),
                (b'"allRepairRequests":{', b'"number":'),
            )
        )
    return requests


# Answers reduced to plain rows: (what this project answers, what PostGraphile answers).
def _pk(node_id: str) -> int:
    """The primary key in a node id of this project (``Type:pk``) or of PostGraphile
    (``["Type","pk"]``)."""
    ours = decode_id(node_id)
    if ours is not None:
        return ours[1]
    decoded = json.loads(base64.b64decode(node_id))
    return int(decoded[-1])


def _optional_pk(node: dict[str, Any] | None) -> int | None:
    return None if node is None else _pk(node["id"])


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)).normalize()


def ours_building(data: dict[str, Any]) -> Any:
    building = data["building"]
    premises = [
        (
            _pk(node["id"]),
            node["number"],
            _decimal(node["area"]),
            [
                (
                    _pk(owner["user"]["id"]),
                    owner["user"]["displayName"],
                    owner["share"]["numerator"],
                    owner["share"]["denominator"],
                )
                for owner in node["owners"]
            ],
        )
        for node in (edge["node"] for edge in building["premises"]["edges"])
    ]
    return (_pk(building["id"]), building["address"], _decimal(building["totalArea"]), premises)


def theirs_building(data: dict[str, Any]) -> Any:
    building = data["buildingByRowId"]
    premises = [
        (
            _pk(node["id"]),
            node["number"],
            _decimal(node["area"]),
            [
                (
                    _pk(owner["userByUserId"]["id"]),
                    owner["userByUserId"]["displayName"],
                    owner["shareNumerator"],
                    owner["shareDenominator"],
                )
                for owner in node["ownershipsByPremiseId"]["nodes"]
            ],
        )
        for node in (edge["node"] for edge in building["premisesByBuildingId"]["edges"])
    ]
    return (_pk(building["id"]), building["address"], _decimal(building["totalArea"]), premises)


def ours_node_building(data: dict[str, Any]) -> Any:
    node = data["node"]
    organisation = node["managementOrganisation"]
    return (
        _pk(node["id"]),
        node["address"],
        _decimal(node["location"]["latitude"]),
        _decimal(node["location"]["longitude"]),
        _pk(organisation["id"]),
        organisation["name"],
    )


def theirs_node_building(data: dict[str, Any]) -> Any:
    node = data["buildingByRowId"]
    organisation = node["managementOrganisationByOrganisationId"]
    return (
        _pk(node["id"]),
        node["address"],
        _decimal(node["latitude"]),
        _decimal(node["longitude"]),
        _pk(organisation["id"]),
        organisation["name"],
    )


def ours_desk(data: dict[str, Any]) -> Any:
    desk = data["repairRequestDesk"]
    rows = [
        (
            _pk(node["id"]),
            int(node["number"]),
            node["status"],
            node["category"],
            _pk(node["building"]["id"]),
            _optional_pk(node["premise"]),
            _optional_pk(node["assignee"]),
        )
        for node in (edge["node"] for edge in desk["edges"])
    ]
    return rows, desk["pageInfo"]["hasNextPage"]


def theirs_desk(data: dict[str, Any]) -> Any:
    desk = data["allRepairRequests"]
    rows = [
        (
            _pk(node["id"]),
            int(node["number"]),
            node["status"],
            node["category"],
            _pk(node["buildingByBuildingId"]["id"]),
            _optional_pk(node["premisesByPremiseId"]),
            _optional_pk(node["userByAssigneeId"]),
        )
        for node in (edge["node"] for edge in desk["edges"])
    ]
    return rows, desk["pageInfo"]["hasNextPage"]


@dataclass(frozen=True)
class Pair:
    """One selection asked of both servers."""

    name: str
    description: str
    ours: Callable[[operations.Build], list[operations.Request]]
    theirs: Callable[[Context], list[operations.Request]]
    reduce_ours: Callable[[dict[str, Any]], Any]
    reduce_theirs: Callable[[dict[str, Any]], Any]


PAIRS: dict[str, Pair] = {
    pair.name: pair
    for pair in (
        Pair(
            "building_premises_owners_users",
            "building → 20 premises → owners → users",
            operations.building_premises_owners_users,
            building_premises_owners_users,
            ours_building,
            theirs_building,
        ),
        Pair(
            "repair_request_desk",
            "dispatcher's desk: 20 of an organisation's requests, pages at any depth",
            operations.repair_request_desk,
            repair_request_desk,
            ours_desk,
            theirs_desk,
        ),
        Pair(
            "node_building",
            "a building with its location and organisation",
            operations.node_building,
            node_building,
            ours_node_building,
            theirs_node_building,
        ),
    )
}
