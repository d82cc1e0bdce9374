"""GraphiQL at ``GET /graphql``: the page and its files come from the package, never from
a CDN. Over HTTP: the page, its policy and its files. In headless Chromium (Debian's
package, through Playwright): every request off the server's origin is refused, and the
page still renders GraphiQL, runs a query with the token typed in its Headers editor and
shows a subscription's events, with no CSP violation."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from importlib.resources import files
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, WebSocket, expect

from edom_graphql.server.app import create_app
from edom_graphql.server.graphiql.routes import ASSET_TYPES
from edom_graphql.settings import Settings
from tests.factories import Api, World, make_world
from tests.server.test_dashboard_browser import browser

__all__ = ["browser"]  # the shared Chromium fixture

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
"""What a browser sends when it navigates to a page."""
PACKAGE = files("edom_graphql.server.graphiql")
REFERENCE = re.compile(r'(?:src|href)="([^"]*)"')
NONCE = re.compile(r'data-style-nonce="([^"]+)"')
TIMEOUT_MS = 10_000


# -- HTTP ---------------------------------------------------------------------------------


async def page_response(api: Api) -> Any:
    response = await api.client.get("/graphql", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 200
    return response


async def test_a_browser_gets_our_page_with_a_strict_policy(api: Api) -> None:
    response = await page_response(api)

    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    (nonce,) = NONCE.findall(page)
    host = response.request.headers["host"]
    assert response.headers["content-security-policy"] == (
        "default-src 'none'; script-src 'self'; "
        f"style-src 'self' 'nonce-{nonce}'; connect-src 'self' ws://{host}; "
        "img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'; font-src 'self' data:"
    )
    for name, value in {
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
        "cache-control": "no-cache",
    }.items():
        assert response.headers[name] == value
    # Nothing inline, nothing from another origin, and not Strawberry's page.
    assert "<script>" not in page
    assert "style=" not in page
    assert "http://" not in page
    assert "https://" not in page
    assert "Strawberry" not in page
    # Every response has its own nonce.
    again = await page_response(api)
    assert NONCE.findall(again.text) != [nonce]
    assert f"'nonce-{nonce}'" not in again.headers["content-security-policy"]


async def test_every_file_the_page_references_is_served(api: Api) -> None:
    page = (await page_response(api)).text
    references = REFERENCE.findall(page)
    assert sorted(references) == sorted(f"/graphiql/static/{name}" for name in ASSET_TYPES)
    for reference in references:
        response = await api.client.get(reference)
        name = reference.rsplit("/", 1)[1]
        assert response.status_code == 200, reference
        expected = "text/css" if name.endswith(".css") else "text/javascript"
        assert response.headers["content-type"] == f"{expected}; charset=utf-8"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content == PACKAGE.joinpath(name).read_bytes()
        assert response.content, reference
        # Unchanged files are not sent again.
        etag = response.headers["etag"]
        cached = await api.client.get(reference, headers={"If-None-Match": etag})
        assert cached.status_code == 304
        assert cached.content == b""
    # The stylesheets fetch nothing more from elsewhere (GraphiQL's fonts are data: URLs).
    for name in ASSET_TYPES:
        if name.endswith(".css"):
            text = PACKAGE.joinpath(name).read_text(encoding="utf-8")
            assert "@import" not in text
            assert not re.search(r"url\(\s*['\"]?(?!data:)", text), name


async def test_unknown_files_are_not_found(api: Api) -> None:
    for name in ("index.html", "routes.py", "..%2Fhttp.py", "LICENSE.react.txt", "missing.js"):
        response = await api.client.get(f"/graphiql/static/{name}")
        assert response.status_code == 404, name


async def test_api_clients_still_get_json(api: Api) -> None:
    response = await api.client.get(
        "/graphql", params={"query": "{ __typename }"}, headers={"Accept": BROWSER_ACCEPT}
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


async def test_no_ide_where_introspection_is_off(settings: Settings, database_url: str) -> None:
    """Production (introspection off by default): a browser gets the endpoint's coded
    answer, not an IDE that could not load the schema."""
    app = create_app(
        settings.model_copy(update={"introspection": False}), database_url=database_url
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/graphql", headers={"Accept": BROWSER_ACCEPT})
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "GraphiQL is served where introspection is on" in error["message"]


# -- the browser --------------------------------------------------------------------------

FILE_REQUEST = """mutation ($input: RepairRequestCreateInput!) {
  repairRequestCreate(input: $input) { repairRequest { id } userErrors { code } }
}"""
ACCEPT_REQUEST = """mutation ($input: RepairRequestAcceptInput!) {
  repairRequestAccept(input: $input) { repairRequest { status } userErrors { code } }
}"""
CREATED_CURSOR = """query ($id: ID!) {
  node(id: $id) { ... on RepairRequest { history(first: 1) { edges { node { cursor kind } } } } }
}"""


async def file_request(api: Api, world: World) -> tuple[str, str]:
    """A request the owner files for the building: its id and its CREATED event's cursor."""
    input = {
        "scope": "BUILDING",
        "buildingId": world.building_id,
        "category": "LIFT",
        "description": "Лифт во втором подъезде стоит",
    }
    data = await api.gql(FILE_REQUEST, {"input": input}, as_=world["owner"])
    assert data["repairRequestCreate"]["userErrors"] == []
    request_id: str = data["repairRequestCreate"]["repairRequest"]["id"]
    history = await api.gql(CREATED_CURSOR, {"id": request_id}, as_=world["owner"])
    (created,) = history["node"]["history"]["edges"]
    assert created["node"]["kind"] == "CREATED"
    return request_id, created["node"]["cursor"]


class Tab:
    """A browser tab that may reach the server only: what it tried elsewhere, and every
    problem the page reported (script errors, CSP violations)."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.blocked: list[str] = []
        self.problems: list[str] = []
        self.sockets: list[WebSocket] = []
        self.connection_inits: list[object] = []  # payloads, one per socket
        self.closed: list[asyncio.Event] = []  # one per socket
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", self._console)
        page.on("websocket", self._socket)

    def _socket(self, socket: WebSocket) -> None:
        self.sockets.append(socket)
        closed = asyncio.Event()
        self.closed.append(closed)
        socket.on("close", lambda _: closed.set())

        def sent(frame: str | bytes) -> None:
            message = json.loads(frame)
            if message["type"] == "connection_init":
                self.connection_inits.append(message.get("payload"))

        socket.on("framesent", sent)

    def _console(self, message: Any) -> None:
        # Chromium reports a refused WebSocket (the anonymous subscription) as an error.
        if "WebSocket" in message.text:
            return
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type}: {message.text}")

    async def route(self, route: Route) -> None:
        url = route.request.url
        if url == self.origin or url.startswith(f"{self.origin}/"):
            await route.continue_()
        else:
            self.blocked.append(url)
            await route.abort("blockedbyclient")

    async def violations(self) -> list[str]:
        found: list[str] = await self.page.evaluate("window.__violations")
        return found

    async def editor(self, selector: str, text: str) -> None:
        """Replaces an editor's text, typed as a person pastes it."""
        await self.page.locator(f"{selector} .CodeMirror").click()
        await self.page.keyboard.press("ControlOrMeta+A")
        await self.page.keyboard.insert_text(text)
        # GraphiQL reads the document's operations (the one to run) after a short debounce.
        await self.page.wait_for_timeout(500)

    async def run(self) -> None:
        await self.page.locator(".graphiql-execute-button").click()

    def result(self) -> Any:
        return self.page.locator(".graphiql-response .CodeMirror")


VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
HEADERS_EDITOR = ".graphiql-editor-tool .graphiql-editor:not(.hidden)"
QUERY_EDITOR = ".graphiql-query-editor"


@pytest.fixture
async def tab(browser: Browser, server: Any) -> AsyncIterator[Tab]:
    context = await browser.new_context(viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    tab = Tab(page, server.base_url)
    await context.route("**/*", tab.route)
    await context.add_init_script(VIOLATIONS)
    yield tab
    violations = await tab.violations()
    await context.close()
    assert tab.blocked == []
    assert violations == []
    assert tab.problems == []
    host = server.base_url.removeprefix("http://")
    assert all(socket.url == f"ws://{host}/graphql" for socket in tab.sockets)


async def test_graphiql_runs_queries_and_subscriptions_offline(api: Api, tab: Tab) -> None:
    world = await make_world(api)
    owner = world["owner"]
    lift, created = await file_request(api, world)

    await tab.page.goto(f"{tab.origin}/graphql")
    await expect(tab.page.locator(f"{QUERY_EDITOR} .CodeMirror")).to_be_visible(timeout=TIMEOUT_MS)
    await expect(tab.page.locator(f"{QUERY_EDITOR} .CodeMirror")).to_contain_text(
        "edom-graphql token owner"
    )
    await expect(tab.page.locator(f"{HEADERS_EDITOR} .CodeMirror")).to_contain_text("Bearer")

    # The schema is read by introspection: the documentation explorer shows it.
    await tab.page.get_by_label("Show Documentation Explorer").click()
    explorer = tab.page.locator(".graphiql-doc-explorer")
    await explorer.get_by_text("Query", exact=True).click()
    await explorer.get_by_text("viewer", exact=True).click()
    await expect(explorer).to_contain_text("The signed-in user.", timeout=TIMEOUT_MS)
    # A dialog locks scrolling with a <style> element: allowed by the page's nonce only.
    await tab.page.get_by_label("Open settings dialog").click()
    await expect(tab.page.get_by_role("dialog")).to_be_visible()
    await tab.page.keyboard.press("Escape")
    await expect(tab.page.get_by_role("dialog")).to_have_count(0)

    # Anonymous: the default query reaches the server and is refused, and so is a
    # subscription's WebSocket.
    await tab.run()
    await expect(tab.result()).to_contain_text("UNAUTHENTICATED", timeout=TIMEOUT_MS)
    subscription = (
        f'subscription {{ repairRequestEvents(requestId: "{lift}", '
        f'after: "{created}") {{ kind fromStatus toStatus }} }}'
    )
    await tab.editor(QUERY_EDITOR, subscription)
    await tab.run()
    await expect(tab.result()).to_contain_text("The WebSocket closed (4403", timeout=TIMEOUT_MS)
    assert tab.connection_inits == [{}]

    await tab.editor(HEADERS_EDITOR, f'{{"Authorization": "Bearer {owner.token}"}}')
    await tab.editor(QUERY_EDITOR, "{ viewer { user { id displayName } } }")
    await tab.run()
    await expect(tab.result()).to_contain_text('"displayName": "Owner"', timeout=TIMEOUT_MS)
    assert len(tab.sockets) == 1  # queries go over HTTP

    # The subscription with the token, resumed after the CREATED event, so the change
    # below reaches it whether it is made before or after the server starts listening.
    await tab.editor(QUERY_EDITOR, subscription)
    await tab.run()
    accepted = await api.gql(
        ACCEPT_REQUEST, {"input": {"requestId": lift}}, as_=world["dispatcher"]
    )
    assert accepted["repairRequestAccept"] == {
        "repairRequest": {"status": "ACCEPTED"},
        "userErrors": [],
    }
    await expect(tab.result()).to_contain_text('"toStatus": "ACCEPTED"', timeout=TIMEOUT_MS)
    await expect(tab.result()).to_contain_text('"kind": "STATUS_CHANGED"')
    assert tab.connection_inits == [{}, {"authorization": f"Bearer {owner.token}"}]

    # Another token: the running subscription is stopped, a new socket carries it.
    await tab.run()  # the button stops a running subscription
    dispatcher = world["dispatcher"]
    await tab.editor(HEADERS_EDITOR, f'{{"Authorization": "Bearer {dispatcher.token}"}}')
    await tab.page.locator(".graphiql-response").evaluate(
        "node => node.querySelector('.CodeMirror').CodeMirror.setValue('')"
    )
    await tab.run()
    await expect(tab.result()).to_contain_text('"toStatus": "ACCEPTED"', timeout=TIMEOUT_MS)
    assert tab.connection_inits[2:] == [{"authorization": f"Bearer {dispatcher.token}"}]
    assert len(tab.sockets) == 3
    # The owner's socket was closed.
    await asyncio.wait_for(tab.closed[1].wait(), TIMEOUT_MS / 1000)
