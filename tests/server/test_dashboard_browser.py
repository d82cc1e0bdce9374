"""The live repair desk at /dashboard, driven in headless Chromium (Debian's package,
through Playwright, never a downloaded browser) against the app on real PostgreSQL: the
board live, its filters and counts, in Russian (the default) and in English.

The browser reaches the app through a TCP proxy that the test can unplug, so a network
drop is a real one: both the browser and the server see the connection die."""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.async_api import Browser, Page, WebSocket, async_playwright, expect
from sqlalchemy import delete, update

from edom_graphql.buildings.models import Building, StaffMembership
from edom_graphql.core.ids import encode_id
from tests.factories import Api, Clock, Person, World, make_world
from tests.network import Cable

CHROMIUM = Path(os.environ.get("EDOM_CHROMIUM", "/usr/bin/chromium"))
HAVE_CHROMIUM = CHROMIUM.exists()
LIVE_TIMEOUT_MS = 5_000
"""How soon a change made through the API must show on the board."""
RECONNECT_TIMEOUT_MS = 20_000
"""Reconnecting backs off up to 15 s between attempts; the test unplugs for ~2 s."""


# -- the network between the browser and the app ------------------------------------------


@pytest.fixture
async def cable(server: Any) -> AsyncIterator[Cable]:
    cable = Cable(port=int(server.base_url.rsplit(":", 1)[1]))
    await cable.start()
    yield cable
    await cable.stop()


# -- the browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        message = f"no Chromium at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("EDOM_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        await browser.close()


class Desk:
    """One browser tab on /dashboard, with what it sent and received over its sockets."""

    def __init__(self, page: Page, base_url: str, locale: str = "ru-RU") -> None:
        self.page = page
        self.locale = locale
        self.base_url = base_url
        self.problems: list[str] = []
        self.sockets: list[WebSocket] = []
        self.sent: list[dict[str, Any]] = []
        self.received: list[tuple[int, dict[str, Any]]] = []  # (socket number, frame)
        self.desk_reads = 0
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("console", self._console)
        page.on("websocket", self._socket)
        page.on("request", self._request)

    def _console(self, message: Any) -> None:
        # The page itself logs nothing; a CSP violation or a script error shows here.
        if message.type in ("error", "warning") and "WebSocket" not in message.text:
            self.problems.append(f"console {message.type}: {message.text}")

    def _socket(self, socket: WebSocket) -> None:
        number = len(self.sockets)
        self.sockets.append(socket)
        socket.on("framesent", lambda frame: self.sent.append(json.loads(frame)))
        socket.on("framereceived", lambda frame: self.received.append((number, json.loads(frame))))

    def _request(self, request: Any) -> None:
        if request.method == "POST" and "DashboardDesk" in (request.post_data or ""):
            self.desk_reads += 1

    def column(self, status: str) -> Any:
        return self.page.locator(f'section.column[data-status="{status}"]')

    def card(self, request_id: str) -> Any:
        return self.page.locator(f'li.card[data-request-id="{request_id}"]')

    async def sign_in(self, person: Person) -> None:
        await self.page.goto(f"{self.base_url}/dashboard")
        await self.page.fill("#token", person.token or "")
        await self.page.click("#sign-in-button")
        await self.live()

    async def live(self, within_ms: int = LIVE_TIMEOUT_MS) -> None:
        await expect(self.page.locator("#connection")).to_have_attribute(
            "data-state", "live", timeout=within_ms
        )

    async def counts(self) -> dict[str, int]:
        counts: dict[str, int] = await self.page.eval_on_selector_all(
            "section.column",
            """columns => Object.fromEntries(columns.map(column => [
                column.dataset.status, column.querySelectorAll("li.card").length]))""",
        )
        shown: dict[str, int] = await self.page.eval_on_selector_all(
            "section.column",
            """columns => Object.fromEntries(columns.map(column => [
                column.dataset.status,
                Number(column.querySelector("[data-role=count]").textContent)]))""",
        )
        assert shown == counts, (shown, counts)
        return counts

    def query(self) -> dict[str, list[str]]:
        """The page address's query string."""
        return parse_qs(urlsplit(self.page.url).query)

    def subscriptions(self) -> list[dict[str, Any]]:
        return [
            frame["payload"]["variables"] for frame in self.sent if frame["type"] == "subscribe"
        ]

    def board_events(self, socket: int | None = None) -> list[dict[str, Any]]:
        """The board events received (over one socket, by its number, if given)."""
        return [
            frame["payload"]["data"]["repairRequestBoard"]
            for number, frame in self.received
            if frame.get("type") == "next" and socket in (None, number)
        ]


@pytest.fixture
async def desk(browser: Browser, cable: Cable, request: Any) -> AsyncIterator[Desk]:
    """A tab in a Russian browser (the page's default language), or in the locale given
    by ``@pytest.mark.parametrize("desk", ["en-US"], indirect=True)``."""
    locale = getattr(request, "param", "ru-RU")
    context = await browser.new_context(viewport={"width": 1600, "height": 900}, locale=locale)
    page = await context.new_page()
    desk = Desk(page, f"http://127.0.0.1:{cable.port}", locale)
    yield desk
    await context.close()
    assert desk.problems == []


# -- repair requests through the API ------------------------------------------------------

REQUEST_FIELDS = "id number status version"


async def file_request(api: Api, person: Person, **input: Any) -> dict[str, Any]:
    data = await api.gql(
        f"""mutation ($input: RepairRequestCreateInput!) {{
              repairRequestCreate(input: $input) {{
                repairRequest {{ {REQUEST_FIELDS} }} userErrors {{ code message }}
              }}
            }}""",
        {"input": input},
        as_=person,
    )
    payload = data["repairRequestCreate"]
    assert payload["userErrors"] == []
    request: dict[str, Any] = payload["repairRequest"]
    return request


async def act(api: Api, person: Person, verb: str, request_id: str, **input: Any) -> str:
    """Runs ``repairRequest<Verb>`` on the request; returns its new status."""
    field = f"repairRequest{verb}"
    data = await api.gql(
        f"""mutation ($input: RepairRequest{verb}Input!) {{
              {field}(input: $input) {{
                repairRequest {{ {REQUEST_FIELDS} }} userErrors {{ code message }}
              }}
            }}""",
        {"input": {"requestId": request_id, **input}},
        as_=person,
    )
    payload = data[field]
    assert payload["userErrors"] == [], payload
    status: str = payload["repairRequest"]["status"]
    return status


async def building_request(api: Api, world: World, person: str, description: str) -> str:
    request = await file_request(
        api,
        world[person],
        scope="BUILDING",
        buildingId=world.building_id,
        category="LIFT",
        description=description,
    )
    assert request["status"] == "NEW"
    request_id: str = request["id"]
    return request_id


async def options_of(desk: Desk, select: str) -> list[str]:
    values: list[str] = await desk.page.locator(f"{select} option").evaluate_all(
        "options => options.map(option => option.value)"
    )
    return values


EMPTY = {"NEW": 0, "ACCEPTED": 0, "IN_PROGRESS": 0, "DEFERRED": 0, "DONE": 0, "REOPENED": 0}


# -- tests --------------------------------------------------------------------------------


async def test_board_moves_a_card_when_its_status_changes_through_the_api(
    api: Api, desk: Desk
) -> None:
    world = await make_world(api)
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    roof = await building_request(api, world, "resident", "Течёт крыша над 9 этажом")
    assert await act(api, world["dispatcher"], "Accept", roof) == "ACCEPTED"

    await desk.sign_in(world["dispatcher"])

    await expect(desk.column("NEW").locator(desk.card(lift))).to_be_visible()
    await expect(desk.column("ACCEPTED").locator(desk.card(roof))).to_be_visible()
    assert await desk.counts() == {**EMPTY, "NEW": 1, "ACCEPTED": 1}
    assert await desk.card(lift).locator(".description").inner_text() == (
        "Лифт во втором подъезде стоит"
    )

    assert await act(api, world["dispatcher"], "Accept", lift) == "ACCEPTED"
    await expect(desk.column("ACCEPTED").locator(desk.card(lift))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    assert await desk.counts() == {**EMPTY, "ACCEPTED": 2}

    # Changes other than the status show too: a neighbour joins ("me too").
    await expect(desk.card(lift).locator(".badge-joined")).to_have_count(0)
    await act(api, world["registered"], "Join", lift)
    await expect(desk.card(lift).locator(".badge-joined")).to_have_text(
        "+1 присоединились", timeout=LIVE_TIMEOUT_MS
    )

    # A new request appears, and one that leaves the open statuses leaves the board.
    boiler = await building_request(api, world, "registered", "Нет горячей воды")
    await expect(desk.column("NEW").locator(desk.card(boiler))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    assert await act(api, world["dispatcher"], "Reject", roof, reason="Не наш дом") == "REJECTED"
    await expect(desk.card(roof)).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    assert await desk.counts() == {**EMPTY, "NEW": 1, "ACCEPTED": 1}
    # The desk was read once; everything since came over the subscription.
    assert desk.desk_reads == 1
    assert len(desk.sockets) == 1


async def test_board_of_an_organisation_without_requests_yet_goes_live(
    api: Api, desk: Desk
) -> None:
    # No board event yet: repairBoardCursor is null, the page subscribes without `after`
    # and reads the desk once more when the subscription is acknowledged.
    world = await make_world(api)
    await desk.sign_in(world["dispatcher"])
    assert await desk.counts() == EMPTY
    await expect(desk.column("NEW").locator(".empty")).to_have_text("Заявок нет")

    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    await expect(desk.column("NEW").locator(desk.card(lift))).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    assert desk.subscriptions() == [
        {"organisationId": encode_id("ManagementOrganisation", world.organisation_pk)}
    ]
    assert desk.desk_reads == 2
    assert await desk.counts() == {**EMPTY, "NEW": 1}
    await expect(desk.card(lift)).to_have_class("card is-fresh")


async def test_board_catches_up_after_a_network_drop_without_losing_or_repeating_moves(
    api: Api, desk: Desk, cable: Cable
) -> None:
    world = await make_world(api)
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    door = await building_request(api, world, "resident", "Не закрывается дверь подъезда")
    light = await building_request(api, world, "registered", "Не горит свет на 3 этаже")
    await desk.sign_in(world["dispatcher"])
    assert await desk.counts() == {**EMPTY, "NEW": 3}

    assert await act(api, world["dispatcher"], "Accept", light) == "ACCEPTED"
    await expect(desk.column("ACCEPTED").locator(desk.card(light))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    cursor_before_drop = desk.board_events()[-1]["cursor"]

    cable.unplug()
    await expect(desk.page.locator("#connection")).to_have_attribute(
        "data-state", "reconnecting", timeout=LIVE_TIMEOUT_MS
    )
    # While the page is cut off: one request moves twice and gets an engineer, one is
    # rejected, one is filed.
    assert await act(api, world["dispatcher"], "Accept", lift) == "ACCEPTED"
    engineer = world["engineer"]
    assert await act(api, world["dispatcher"], "Assign", lift, assigneeId=engineer.id) == "ACCEPTED"
    assert await act(api, engineer, "Start", lift) == "IN_PROGRESS"
    assert await act(api, world["dispatcher"], "Reject", door, reason="Дубликат") == "REJECTED"
    new = await building_request(api, world, "owner", "Сломана скамейка у подъезда")
    await asyncio.sleep(1.5)
    # Nothing reached the page.
    await expect(desk.column("NEW").locator(desk.card(lift))).to_be_visible()
    assert await desk.counts() == {**EMPTY, "NEW": 2, "ACCEPTED": 1}

    cable.plug()
    await desk.live(within_ms=RECONNECT_TIMEOUT_MS)
    await expect(desk.column("IN_PROGRESS").locator(desk.card(lift))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    await expect(desk.column("NEW").locator(desk.card(new))).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    await expect(desk.card(door)).to_have_count(0)
    assert await desk.counts() == {**EMPTY, "NEW": 1, "ACCEPTED": 1, "IN_PROGRESS": 1}

    # It resumed from the last cursor it had seen, over a new socket, without re-reading
    # the desk; the replay carried exactly the changes made during the drop.
    assert len(desk.sockets) >= 2
    first, *_, last = desk.subscriptions()
    assert last["after"] == cursor_before_drop
    assert first["after"] != cursor_before_drop
    assert desk.desk_reads == 1
    cursors = [event["cursor"] for event in desk.board_events()]
    assert len(cursors) == len(set(cursors))
    replayed = desk.board_events()[cursors.index(cursor_before_drop) + 1 :]
    assert [(e["request"]["id"], e["kind"], e["toStatus"]) for e in replayed] == [
        (lift, "STATUS_CHANGED", "ACCEPTED"),
        (lift, "ASSIGNED", None),
        (lift, "STATUS_CHANGED", "IN_PROGRESS"),
        (door, "STATUS_CHANGED", "REJECTED"),
        (new, "CREATED", "NEW"),
    ]
    assert await desk.card(lift).locator(".assignee").inner_text() == "Engineer"

    # And it stays live.
    assert await act(api, world["engineer"], "Complete", lift, comment="Заменён блок") == "DONE"
    await expect(desk.column("DONE").locator(desk.card(lift))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )


async def test_board_of_one_building_shows_and_follows_only_that_building(
    api: Api, desk: Desk
) -> None:
    world = await make_world(api)
    async with api.db.transaction() as (session, _):  # a second building of the organisation
        await session.execute(
            update(Building)
            .where(Building.id == world.other_building_pk)
            .values(organisation_id=world.organisation_pk)
        )
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    gate = (
        await file_request(
            api,
            world["stranger"],  # an owner in the other building
            scope="YARD",
            buildingId=world.other_building_id,
            category="YARD_UPKEEP",
            description="Не закрываются ворота во двор",
        )
    )["id"]
    await desk.sign_in(world["dispatcher"])
    assert await desk.counts() == {**EMPTY, "NEW": 2}

    organisation_id = encode_id("ManagementOrganisation", world.organisation_pk)
    assert await options_of(desk, "#scope") == [f"organisation:{organisation_id}"]
    assert await options_of(desk, "#filter-building") == [
        "",
        world.building_id,
        world.other_building_id,
    ]
    await desk.page.select_option("#filter-building", world.other_building_id)
    await desk.live()
    await expect(desk.card(lift)).to_have_count(0)
    await expect(desk.page.locator("#board-title")).to_have_text(re.compile(r"^Москва"))
    await expect(desk.column("NEW").locator(desk.card(gate))).to_be_visible()
    assert await desk.counts() == {**EMPTY, "NEW": 1}
    assert desk.subscriptions()[-1]["buildingId"] == world.other_building_id
    assert "organisationId" not in desk.subscriptions()[-1]

    assert await act(api, world["dispatcher"], "Accept", lift) == "ACCEPTED"
    assert await act(api, world["dispatcher"], "Accept", gate) == "ACCEPTED"
    await expect(desk.column("ACCEPTED").locator(desk.card(gate))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    # The other building's change never reached this board.
    assert await desk.counts() == {**EMPTY, "ACCEPTED": 1}
    assert [event["request"]["id"] for event in desk.board_events()] == [gate]

    # The choice is in the address: a reload keeps it.
    assert desk.query() == {"building": [world.other_building_id]}
    await desk.page.reload()
    await desk.live()
    await expect(desk.page.locator("#filter-building")).to_have_value(world.other_building_id)
    assert await desk.counts() == {**EMPTY, "ACCEPTED": 1}
    assert desk.subscriptions()[-1]["buildingId"] == world.other_building_id


async def test_board_notices_a_silently_dead_connection_by_its_pings(
    api: Api, desk: Desk, cable: Cable
) -> None:
    world = await make_world(api)
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    await desk.sign_in(world["dispatcher"])
    cursor = desk.subscriptions()[0]["after"]

    cable.freeze()  # no reset, no close: the bytes just stop
    assert await act(api, world["dispatcher"], "Accept", lift) == "ACCEPTED"
    # A ping every 10 s, 5 s for its pong: then the page gives the connection up.
    await expect(desk.page.locator("#connection")).to_have_attribute(
        "data-state", "reconnecting", timeout=20_000
    )
    await expect(desk.column("NEW").locator(desk.card(lift))).to_be_visible()
    assert {"type": "ping"} in desk.sent

    cable.thaw()
    await desk.live(within_ms=RECONNECT_TIMEOUT_MS)
    await expect(desk.column("ACCEPTED").locator(desk.card(lift))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    assert [subscription.get("after") for subscription in desk.subscriptions()] == [
        cursor,
        cursor,
    ]
    # The event held in the frozen connection came over the new one.
    assert [
        (e["request"]["id"], e["toStatus"]) for e in desk.board_events(socket=len(desk.sockets) - 1)
    ] == [(lift, "ACCEPTED")]
    assert await desk.counts() == {**EMPTY, "ACCEPTED": 1}


OVERDUE_TEXTS = {
    "ru-RU": ("Просрочена", "просрочено: 1", "Просрочено", "Диспетчерская · edom"),
    "en-US": ("Overdue", "1 overdue", "Overdue", "Repair desk · edom"),
}


@pytest.mark.parametrize("desk", list(OVERDUE_TEXTS), indirect=True)
async def test_board_highlights_overdue_requests(api: Api, desk: Desk, clock: Clock) -> None:
    """In Russian (the default) and, for a browser that asks for English first, English."""
    badge, column_count, summary, title = OVERDUE_TEXTS[desk.locale]
    world = await make_world(api)
    leak = (
        await file_request(
            api,
            world["owner"],
            scope="APARTMENT",
            buildingId=world.building_id,
            premiseId=world.premise_id("1"),
            category="LEAK",
            description="Вода с потолка в ванной",
        )
    )["id"]
    calm = await building_request(api, world, "resident", "Скрипит дверь лифта")
    clock.advance(timedelta(minutes=31))  # a leak is due within 30 minutes

    await desk.sign_in(world["dispatcher"])

    await expect(desk.card(leak)).to_have_class("card is-overdue")
    await expect(desk.card(leak).locator(".badge-overdue")).to_have_text(badge)
    await expect(desk.card(calm)).to_have_class("card")
    await expect(desk.column("NEW").locator(".overdue-count")).to_have_text(column_count)
    await expect(desk.page.locator("#overdue-total")).to_have_text("1")
    await expect(desk.page.locator("#overdue-summary dt")).to_have_text(summary)
    assert await desk.page.title() == title
    # Overdue cards come first.
    await expect(desk.column("NEW").locator("li.card").first).to_have_attribute(
        "data-request-id", leak
    )


async def test_board_shows_text_as_text(api: Api, desk: Desk) -> None:
    world = await make_world(api)
    description = '<img src=x onerror="document.title=1"> & <b>lift</b>'
    request = await building_request(api, world, "owner", description)

    await desk.sign_in(world["dispatcher"])

    card = desk.card(request)
    assert await card.locator(".description").inner_text() == description
    assert await card.locator("img, b").count() == 0
    assert await desk.page.title() == "Диспетчерская · edom"


async def test_sign_in_keeps_the_token_for_the_tab_and_refuses_non_staff(
    api: Api, desk: Desk
) -> None:
    world = await make_world(api)
    request = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")

    await desk.page.goto(f"{desk.base_url}/dashboard")
    await desk.page.fill("#token", world["owner"].token or "")
    await desk.page.click("#sign-in-button")
    await expect(desk.page.locator("#sign-in-error")).to_have_text(
        "Эта учётная запись не входит в штат управляющей организации."
    )
    assert await desk.page.evaluate("sessionStorage.length") == 0

    await desk.page.fill("#token", "not-a-token")
    await desk.page.click("#sign-in-button")
    await expect(desk.page.locator("#sign-in-error")).to_have_text(
        "Сервер не принял токен. Вставьте новый."
    )
    assert desk.problems == [
        "console error: Failed to load resource: the server responded with a status of 401 "
        "(Unauthorized)"
    ]
    desk.problems.clear()

    await desk.sign_in(world["dispatcher"])
    await expect(desk.card(request)).to_be_visible()
    await desk.page.reload()
    await desk.live()
    await expect(desk.card(request)).to_be_visible()
    memberships = await api.gql(
        "{ viewer { staffMemberships { organisation { name } } } }", as_=world["dispatcher"]
    )
    (membership,) = memberships["viewer"]["staffMemberships"]
    await expect(desk.page.locator("#board-title")).to_have_text(membership["organisation"]["name"])

    await desk.page.click("#sign-out")
    await expect(desk.page.locator("#sign-in")).to_be_visible()
    assert await desk.page.evaluate("sessionStorage.length") == 0

    # A login redirect hands the token over in the fragment, which the page then drops.
    await desk.page.goto(f"{desk.base_url}/dashboard#access_token={world['manager'].token}")
    await desk.live()
    await expect(desk.card(request)).to_be_visible()
    assert desk.page.url == f"{desk.base_url}/dashboard"
    assert await desk.page.evaluate("sessionStorage.getItem('edom.dashboard.token')") == (
        world["manager"].token
    )


async def test_board_stops_when_the_viewer_is_no_longer_staff(api: Api, desk: Desk) -> None:
    world = await make_world(api)
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    await desk.sign_in(world["dispatcher"])
    await expect(desk.column("NEW").locator(desk.card(lift))).to_be_visible()

    async with api.db.transaction() as (session, _):
        await session.execute(
            delete(StaffMembership).where(StaffMembership.user_id == world["dispatcher"].pk)
        )
    assert await act(api, world["manager"], "Accept", lift) == "ACCEPTED"

    await expect(desk.page.locator("#connection")).to_have_attribute(
        "data-state", "error", timeout=LIVE_TIMEOUT_MS
    )
    await expect(desk.page.locator("#connection-text")).to_have_text(
        "This requires the REPAIR_REQUEST_HANDLE capability here."
    )
    await asyncio.sleep(2)  # longer than the first reconnection delay
    assert len(desk.sockets) == 1
    # The event it was refused never reached the board.
    await expect(desk.column("NEW").locator(desk.card(lift))).to_be_visible()


async def summary(desk: Desk) -> tuple[str, str, str]:
    """What the head of the board counts: shown, open (not done), overdue."""
    return (
        await desk.page.locator("#shown-count").inner_text(),
        await desk.page.locator("#total-count").inner_text(),
        await desk.page.locator("#overdue-total").inner_text(),
    )


async def test_filters_narrow_the_board_and_its_counts_and_stay_in_the_address(
    api: Api, desk: Desk, clock: Clock
) -> None:
    world = await make_world(api)
    dispatcher, engineer = world["dispatcher"], world["engineer"]
    leak = (
        await file_request(
            api,
            world["owner"],
            scope="APARTMENT",
            buildingId=world.building_id,
            premiseId=world.premise_id("1"),
            category="LEAK",
            description="Вода с потолка в ванной",
        )
    )["id"]
    lift = await building_request(api, world, "resident", "Скрипит дверь лифта")
    done = await building_request(api, world, "registered", "Не горит свет в лифте")
    for request in (lift, done):
        assert await act(api, dispatcher, "Accept", request) == "ACCEPTED"
        await act(api, dispatcher, "Assign", request, assigneeId=engineer.id)
    assert await act(api, engineer, "Start", done) == "IN_PROGRESS"
    assert await act(api, engineer, "Complete", done, comment="Заменена лампа") == "DONE"
    clock.advance(timedelta(minutes=31))  # the leak is overdue

    await desk.sign_in(dispatcher)
    assert await desk.counts() == {**EMPTY, "NEW": 1, "ACCEPTED": 1, "DONE": 1}
    # "Open" leaves out what is done; "on the board" counts every card shown.
    assert await summary(desk) == ("3", "2", "1")
    await expect(desk.page.locator("#filter-assignee option")).to_have_text(
        ["Все исполнители", "Engineer"]
    )
    assert desk.query() == {}

    # One category: the desk is read again with it, the counts follow.
    reads = desk.desk_reads
    await desk.page.select_option("#filter-category", "LIFT")
    await desk.live()
    await expect(desk.card(leak)).to_have_count(0)
    assert await desk.counts() == {**EMPTY, "ACCEPTED": 1, "DONE": 1}
    assert await summary(desk) == ("2", "1", "0")
    assert desk.query() == {"category": ["LIFT"]}
    assert desk.desk_reads == reads + 1

    # Live events go through the same filter: a new lift request shows, a leak does not.
    stuck = await building_request(api, world, "owner", "Лифт застрял между этажами")
    await expect(desk.column("NEW").locator(desk.card(stuck))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    other_leak = (
        await file_request(
            api,
            world["registered"],
            scope="APARTMENT",
            buildingId=world.building_id,
            premiseId=world.premise_id("2"),
            category="LEAK",
            description="Капает с потолка на кухне",
        )
    )["id"]
    await expect(desk.column("NEW").locator(desk.card(stuck))).to_be_visible()
    await asyncio.sleep(0.5)
    await expect(desk.card(other_leak)).to_have_count(0)
    assert await desk.counts() == {**EMPTY, "NEW": 1, "ACCEPTED": 1, "DONE": 1}

    # And the assignee: only the engineer's lift requests.
    await desk.page.select_option("#filter-assignee", engineer.id)
    await desk.live()
    assert await desk.counts() == {**EMPTY, "ACCEPTED": 1, "DONE": 1}
    await expect(desk.card(stuck)).to_have_count(0)
    assert desk.query() == {"category": ["LIFT"], "assignee": [engineer.id]}

    # A reload keeps the filters (they are in the address).
    await desk.page.reload()
    await desk.live()
    await expect(desk.page.locator("#filter-category")).to_have_value("LIFT")
    await expect(desk.page.locator("#filter-assignee")).to_have_value(engineer.id)
    assert await desk.counts() == {**EMPTY, "ACCEPTED": 1, "DONE": 1}
    assert await summary(desk) == ("2", "1", "0")

    # Overdue only, over every category: the first leak (the second was filed after the
    # clock moved on, its 30 minutes still run), nothing else.
    await desk.page.select_option("#filter-category", "")
    await desk.page.select_option("#filter-assignee", "")
    await desk.live()
    await desk.page.select_option("#filter-overdue", "yes")
    await desk.live()
    await expect(desk.column("NEW").locator(desk.card(leak))).to_be_visible()
    assert await desk.counts() == {**EMPTY, "NEW": 1}
    assert await summary(desk) == ("1", "1", "1")
    assert desk.query() == {"overdue": ["yes"]}
    await desk.page.select_option("#filter-overdue", "no")
    await desk.live()
    await expect(desk.card(leak)).to_have_count(0)
    assert await desk.counts() == {**EMPTY, "NEW": 2, "ACCEPTED": 1, "DONE": 1}
    assert await summary(desk) == ("4", "3", "0")

    # Reset: everything again, and a clean address.
    await desk.page.click("#filter-reset")
    await desk.live()
    assert await desk.counts() == {**EMPTY, "NEW": 3, "ACCEPTED": 1, "DONE": 1}
    assert await summary(desk) == ("5", "4", "1")
    assert desk.query() == {}
    assert desk.page.url == f"{desk.base_url}/dashboard"


async def test_unknown_filters_in_the_address_are_dropped(api: Api, desk: Desk) -> None:
    world = await make_world(api)
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    await desk.sign_in(world["dispatcher"])
    await desk.page.goto(
        f"{desk.base_url}/dashboard?category=NOPE&overdue=maybe&assignee=x"
        f"&building={world.other_building_id}"
    )
    await desk.live()
    await expect(desk.card(lift)).to_be_visible()
    assert desk.query() == {}
    for name in ("building", "category", "overdue", "assignee"):
        await expect(desk.page.locator(f"#filter-{name}")).to_have_value("")
