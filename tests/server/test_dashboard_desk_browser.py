"""Working requests from the repair desk at /dashboard: the card of one request and its
actions, in headless Chromium against the app on real PostgreSQL, in Russian (the
default) and in English."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from playwright.async_api import Browser, expect

from tests.factories import Api, make_world
from tests.network import Cable
from tests.server.test_dashboard_browser import (
    LIVE_TIMEOUT_MS,
    Desk,
    act,
    browser,
    building_request,
    cable,
)

__all__ = ["browser", "cable"]  # fixtures shared with the board's tests

OpenDesk = Callable[..., Awaitable[Desk]]


@pytest.fixture
async def open_desk(browser: Browser, cable: Cable) -> AsyncIterator[OpenDesk]:
    """Opens a new browser (its own storage) on /dashboard, in the given locale."""
    contexts: list[Any] = []
    desks: list[Desk] = []

    async def open_one(locale: str = "en-US") -> Desk:
        context = await browser.new_context(viewport={"width": 1600, "height": 900}, locale=locale)
        contexts.append(context)
        desk = Desk(await context.new_page(), f"http://127.0.0.1:{cable.port}")
        desks.append(desk)
        return desk

    yield open_one
    for context in contexts:
        await context.close()
    for desk in desks:
        assert desk.problems == []


def card_panel(desk: Desk) -> Any:
    return desk.page.locator("#request-card")


async def open_card(desk: Desk, request_id: str) -> Any:
    await desk.card(request_id).click()
    panel = card_panel(desk)
    await expect(panel).to_have_attribute("data-request-id", request_id)
    await expect(panel.locator('[data-role="status"] dd')).not_to_be_empty()
    return panel


async def test_card_shows_the_request_and_accepts_comments_and_rejects_it(
    api: Api, open_desk: OpenDesk
) -> None:
    world = await make_world(api)
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    desk = await open_desk()
    await desk.sign_in(world["dispatcher"])

    panel = await open_card(desk, lift)
    await expect(panel.locator("#request-card-title")).to_have_text(re.compile(r"^Request № \d+$"))
    await expect(panel.locator(".description")).to_have_text("Лифт во втором подъезде стоит")
    await expect(panel.locator('[data-role="author"] dd')).to_have_text("Owner")
    await expect(panel.locator('[data-role="status"] dd')).to_have_text("New")
    await expect(panel.locator('[data-role="assignee"] dd')).to_have_text("Unassigned")
    await expect(panel.locator("#request-card-thread .empty")).to_have_text("No comments")
    await expect(panel.locator('#request-card-history [data-kind="CREATED"]')).to_have_count(1)
    await expect(panel.locator("#request-card-buttons button")).to_have_text(
        ["Comment", "Accept", "Reject"]
    )

    # Accept: the card and the board move on.
    await panel.locator('button[data-action="accept"]').click()
    await expect(panel.locator('[data-role="status"] dd')).to_have_text("Accepted")
    await expect(desk.column("ACCEPTED").locator(desk.card(lift))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    await expect(
        panel.locator('#request-card-history [data-kind="STATUS_CHANGED"] .what')
    ).to_have_text(["New → Accepted"])
    await expect(panel.locator("#request-card-buttons button")).to_have_text(
        ["Comment", "Start work", "Defer", "Reject"]
    )

    # A comment lands in the thread, with who wrote it.
    await panel.locator("#request-card-note").fill("Мастер придёт завтра утром")
    await panel.locator('button[data-action="comment"]').click()
    comment = panel.locator("#request-card-thread .comment")
    await expect(comment.locator(".text")).to_have_text(["Мастер придёт завтра утром"])
    await expect(comment.locator(".who")).to_have_text(["Dispatcher"])
    await expect(panel.locator("#request-card-note")).to_have_value("")
    await expect(panel.locator("#request-card-errors li")).to_have_count(0)

    # Reject with a reason: it leaves the board, the card shows it rejected, with why.
    await panel.locator("#request-card-note").fill("Лифт обслуживает другая организация")
    await panel.locator('button[data-action="reject"]').click()
    await expect(panel.locator('[data-role="status"] dd')).to_have_text("Rejected")
    await expect(desk.card(lift)).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    rejected = panel.locator('#request-card-history [data-to-status="REJECTED"]')
    await expect(rejected.locator(".why")).to_have_text(" — Лифт обслуживает другая организация")
    await expect(panel.locator("#request-card-buttons button")).to_have_text(["Comment"])

    await panel.locator("#request-card-close").click()
    await expect(panel).to_be_hidden()


async def test_user_errors_show_on_the_card(api: Api, open_desk: OpenDesk) -> None:
    world = await make_world(api)
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    desk = await open_desk()
    await desk.sign_in(world["dispatcher"])
    panel = await open_card(desk, lift)

    # Rejecting without a reason: the server's userError is shown in place, nothing moves.
    await panel.locator('button[data-action="reject"]').click()
    error = panel.locator("#request-card-errors .user-error")
    await expect(error).to_have_count(1)
    await expect(error).to_have_attribute("data-code", "COMMENT_REQUIRED")
    await expect(error).not_to_be_empty()
    await expect(panel.locator('[data-role="status"] dd')).to_have_text("New")
    await expect(desk.column("NEW").locator(desk.card(lift))).to_be_visible()

    # An empty comment too; the next success clears the errors.
    await panel.locator('button[data-action="comment"]').click()
    await expect(error).to_have_attribute("data-code", "COMMENT_REQUIRED")
    await panel.locator('button[data-action="accept"]').click()
    await expect(panel.locator('[data-role="status"] dd')).to_have_text("Accepted")
    await expect(error).to_have_count(0)


async def test_two_dispatchers_at_once_the_second_reloads_with_a_notice(
    api: Api, open_desk: OpenDesk
) -> None:
    world = await make_world(api)
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    first = await open_desk()
    second = await open_desk()
    await first.sign_in(world["dispatcher"])
    await second.sign_in(world["dispatcher"])
    first_card = await open_card(first, lift)
    second_card = await open_card(second, lift)
    version = await second_card.get_attribute("data-version")

    await first_card.locator('button[data-action="accept"]').click()
    await expect(first_card.locator('[data-role="status"] dd')).to_have_text("Accepted")

    # The second still looks at the NEW request and rejects it: the server refuses the
    # stale version, the card reloads as it is now and says so.
    await second_card.locator("#request-card-note").fill("Дубликат")
    await second_card.locator('button[data-action="reject"]').click()
    await expect(second_card.locator("#request-card-notice")).to_have_text(
        "The request changed meanwhile. It is shown as it is now."
    )
    await expect(second_card.locator('[data-role="status"] dd')).to_have_text("Accepted")
    assert await second_card.get_attribute("data-version") != version
    await expect(second_card.locator("#request-card-errors li")).to_have_count(0)
    await expect(second.column("ACCEPTED").locator(second.card(lift))).to_be_visible()

    # Now it acts on what it sees, and that works.
    await second_card.locator('button[data-action="reject"]').click()
    await expect(second_card.locator('[data-role="status"] dd')).to_have_text("Rejected")
    await expect(second_card.locator("#request-card-notice")).to_be_hidden()
    await expect(first.card(lift)).to_have_count(0, timeout=LIVE_TIMEOUT_MS)


async def test_russian_by_default_and_english_on_request(api: Api, open_desk: OpenDesk) -> None:
    world = await make_world(api)
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    assert await act(api, world["dispatcher"], "Accept", lift) == "ACCEPTED"

    desk = await open_desk(locale="de-DE")  # neither Russian nor English: Russian
    await desk.sign_in(world["dispatcher"])
    page = desk.page
    assert await page.title() == "Диспетчерская · edom"
    assert await page.get_attribute("html", "lang") == "ru"
    await expect(desk.column("ACCEPTED").locator("h2")).to_have_text("Приняты")
    await expect(desk.column("NEW").locator(".empty")).to_have_text("Заявок нет")
    await expect(page.locator("#connection-text")).to_have_text("На связи")
    panel = await open_card(desk, lift)
    await expect(panel.locator('[data-role="status"] dd')).to_have_text("Принята")
    await expect(panel.locator('[data-role="category"] dd')).to_have_text("Лифт")
    await expect(panel.locator("#request-card-title")).to_have_text(re.compile(r"^Заявка № \d+$"))
    # Times are Moscow's, in Russian.
    data = await api.gql(
        "query ($id: ID!) { node(id: $id) { ... on RepairRequest { createdAt } } }",
        {"id": lift},
        as_=world["dispatcher"],
    )
    expected_time = await page.evaluate(
        """iso => new Intl.DateTimeFormat("ru-RU", {timeZone: "Europe/Moscow", day: "numeric",
               month: "long", year: "numeric", hour: "2-digit", minute: "2-digit",
               hourCycle: "h23"}).format(new Date(iso))""",
        data["node"]["createdAt"],
    )
    await expect(panel.locator('[data-role="created"] dd')).to_have_text(expected_time)
    await expect(page.locator("#language")).to_have_text("English")

    # Switching to English is remembered by this browser.
    await page.locator("#language").click()
    await desk.live()
    assert await page.title() == "Repair desk · edom"
    await expect(desk.column("ACCEPTED").locator("h2")).to_have_text("Accepted")
    await expect(page.locator("#language")).to_have_text("Русский")
    assert await page.evaluate("localStorage.getItem('edom.dashboard.language')") == "en"
    await page.reload()
    await desk.live()
    await expect(desk.column("NEW").locator(".empty")).to_have_text("No requests")
    panel = await open_card(desk, lift)
    await expect(panel.locator('[data-role="status"] dd')).to_have_text("Accepted")

    # And back to Russian.
    await page.locator("#language").click()
    await desk.live()
    await expect(desk.column("ACCEPTED").locator("h2")).to_have_text("Приняты")
