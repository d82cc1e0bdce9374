"""Working requests from the repair desk at /dashboard: the card of one request and its
actions (assigning an engineer and deferring among them, two dispatchers at once), in
headless Chromium against the app on real PostgreSQL, in Russian (the default) and in
English."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import insert, select, update

from edom_graphql.buildings.models import StaffMembership
from edom_graphql.core.capabilities import StaffRole
from edom_graphql.core.ids import decode_id
from edom_graphql.repairs.models import RepairRequest
from edom_graphql.residents.models import User
from tests.factories import Api, World, make_world
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
        desk = Desk(await context.new_page(), f"http://127.0.0.1:{cable.port}", locale)
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


# -- assigning an engineer, deferring ------------------------------------------------------


async def add_engineer(api: Api, world: World, name: str) -> int:
    """Another engineer of the world's organisation; returns their user id."""
    async with api.db.transaction() as (session, _):
        user_pk: int = (
            await session.execute(
                insert(User)
                .values(subject=f"test|{uuid.uuid4().hex[:10]}|engineer", display_name=name)
                .returning(User.id)
            )
        ).scalar_one()
        await session.execute(
            insert(StaffMembership).values(
                organisation_id=world.organisation_pk, user_id=user_pk, role=StaffRole.ENGINEER
            )
        )
    return user_pk


async def assignee_of(api: Api, request_id: str) -> int | None:
    decoded = decode_id(request_id)
    assert decoded is not None
    async with api.db.transaction() as (session, _):
        assignee: int | None = (
            await session.execute(
                select(RepairRequest.assignee_id).where(RepairRequest.id == decoded[1])
            )
        ).scalar_one()
    return assignee


async def test_assign_an_engineer_from_the_card_in_russian(api: Api, open_desk: OpenDesk) -> None:
    world = await make_world(api)
    anna = await add_engineer(api, world, "Анна Сергеевна")
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    desk = await open_desk(locale="ru-RU")
    await desk.sign_in(world["dispatcher"])

    # A NEW request is accepted first: no assigning yet.
    panel = await open_card(desk, lift)
    assign = panel.locator("#request-card-assign")
    await expect(assign).to_be_hidden()
    await panel.locator('button[data-action="accept"]').click()
    await expect(panel.locator('[data-role="status"] dd')).to_have_text("Принята")

    # The organisation's engineers, by name; nobody chosen while nobody is assigned.
    await expect(assign).to_be_visible()
    select = panel.locator("#request-card-assignee")
    await expect(select.locator("option")).to_have_text(
        ["— выберите инженера —", "Engineer", "Анна Сергеевна"]
    )
    await expect(select).to_have_value("")
    await panel.locator("#request-card-assign-button").click()
    error = panel.locator("#request-card-errors .user-error")
    await expect(error).to_have_attribute("data-code", "ENGINEER_REQUIRED")
    assert await assignee_of(api, lift) is None

    await select.select_option(label="Engineer")
    await panel.locator("#request-card-assign-button").click()
    await expect(panel.locator('[data-role="assignee"] dd')).to_have_text("Engineer")
    await expect(error).to_have_count(0)
    await expect(panel.locator('#request-card-history [data-kind="ASSIGNED"] .what')).to_have_text(
        ["назначен исполнитель: Engineer"]
    )
    await expect(desk.card(lift).locator(".assignee")).to_have_text("Engineer")
    await expect(select).to_have_value(world["engineer"].id)
    await expect(select.locator("option")).to_have_text(["Engineer", "Анна Сергеевна"])
    assert await assignee_of(api, lift) == world["engineer"].pk

    # Anna leaves the organisation while the page still lists her: the server refuses
    # with NOT_AN_ENGINEER, shown in place; the engineer stays.
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(StaffMembership)
            .where(StaffMembership.user_id == anna)
            .values(ended_at=datetime.now(UTC))
        )
    await select.select_option(label="Анна Сергеевна")
    await panel.locator("#request-card-assign-button").click()
    await expect(error).to_have_attribute("data-code", "NOT_AN_ENGINEER")
    await expect(error).not_to_be_empty()
    await expect(panel.locator('[data-role="assignee"] dd')).to_have_text("Engineer")
    assert await assignee_of(api, lift) == world["engineer"].pk


async def test_two_dispatchers_assign_at_once(api: Api, open_desk: OpenDesk) -> None:
    world = await make_world(api)
    await add_engineer(api, world, "Anna")
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    assert await act(api, world["dispatcher"], "Accept", lift) == "ACCEPTED"
    first = await open_desk()
    second = await open_desk()
    await first.sign_in(world["dispatcher"])
    await second.sign_in(world["manager"])
    first_card = await open_card(first, lift)
    second_card = await open_card(second, lift)

    await first_card.locator("#request-card-assignee").select_option(label="Anna")
    await first_card.locator("#request-card-assign-button").click()
    await expect(first_card.locator('[data-role="assignee"] dd')).to_have_text("Anna")

    # The second still sees nobody assigned: its choice is refused as stale, the card
    # reloads with Anna, and nothing else changed.
    await second_card.locator("#request-card-assignee").select_option(label="Engineer")
    await second_card.locator("#request-card-assign-button").click()
    await expect(second_card.locator("#request-card-notice")).to_have_text(
        "The request changed meanwhile. It is shown as it is now."
    )
    await expect(second_card.locator('[data-role="assignee"] dd')).to_have_text("Anna")
    await expect(second_card.locator("#request-card-errors li")).to_have_count(0)
    await expect(second.card(lift).locator(".assignee")).to_have_text("Anna")
    assert await assignee_of(api, lift) != world["engineer"].pk

    # Acting on what it now sees works.
    await second_card.locator("#request-card-assignee").select_option(label="Engineer")
    await second_card.locator("#request-card-assign-button").click()
    await expect(second_card.locator('[data-role="assignee"] dd')).to_have_text("Engineer")
    await expect(second_card.locator("#request-card-notice")).to_be_hidden()
    await expect(first.card(lift).locator(".assignee")).to_have_text(
        "Engineer", timeout=LIVE_TIMEOUT_MS
    )
    assert await assignee_of(api, lift) == world["engineer"].pk


async def test_defer_and_take_up_again(api: Api, open_desk: OpenDesk) -> None:
    world = await make_world(api)
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    assert await act(api, world["dispatcher"], "Accept", lift) == "ACCEPTED"
    desk = await open_desk(locale="ru-RU")
    await desk.sign_in(world["dispatcher"])
    panel = await open_card(desk, lift)

    await panel.locator("#request-card-note").fill("Ждём запчасть")
    await panel.locator('button[data-action="defer"]').click()
    await expect(panel.locator('[data-role="status"] dd')).to_have_text("Отложена")
    await expect(desk.column("DEFERRED").locator(desk.card(lift))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    deferred = panel.locator('#request-card-history [data-to-status="DEFERRED"]')
    await expect(deferred.locator(".what")).to_have_text("Принята → Отложена")
    await expect(deferred.locator(".why")).to_have_text(" — Ждём запчасть")
    await expect(panel.locator("#request-card-buttons button")).to_have_text(
        ["Написать", "Начать работу"]
    )
    await expect(panel.locator("#request-card-assign")).to_be_visible()
    data = await api.gql(
        "query ($id: ID!) { node(id: $id) { ... on RepairRequest { status } } }",
        {"id": lift},
        as_=world["dispatcher"],
    )
    assert data["node"]["status"] == "DEFERRED"

    # Deferring again is not offered; the server would refuse it anyway.
    await expect(panel.locator('button[data-action="defer"]')).to_have_count(0)


async def test_the_engineer_starts_and_completes_from_the_card(
    api: Api, open_desk: OpenDesk
) -> None:
    world = await make_world(api)
    engineer = world["engineer"]
    lift = await building_request(api, world, "owner", "Лифт во втором подъезде стоит")
    assert await act(api, world["dispatcher"], "Accept", lift) == "ACCEPTED"
    assert await act(api, world["dispatcher"], "Assign", lift, assigneeId=engineer.id) == (
        "ACCEPTED"
    )
    desk = await open_desk(locale="ru-RU")
    await desk.sign_in(engineer)
    panel = await open_card(desk, lift)
    status = panel.locator('[data-role="status"] dd')

    await panel.locator('button[data-action="start"]').click()
    await expect(status).to_have_text("В работе")
    await expect(desk.column("IN_PROGRESS").locator(desk.card(lift))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    await expect(panel.locator("#request-card-buttons button")).to_have_text(
        ["Написать", "Выполнено", "Отложить"]
    )

    # Completing says what was done: without it the card refuses in place.
    await panel.locator('button[data-action="complete"]').click()
    await expect(panel.locator("#request-card-errors li")).to_have_count(1)
    await expect(status).to_have_text("В работе")
    await panel.locator("#request-card-note").fill("Заменили контактор привода")
    await panel.locator('button[data-action="complete"]').click()
    await expect(status).to_have_text("Выполнена")
    await expect(panel.locator("#request-card-errors li")).to_have_count(0)
    done = panel.locator('#request-card-history [data-to-status="DONE"]')
    await expect(done.locator(".what")).to_have_text("В работе → Выполнена")
    await expect(done.locator(".why")).to_have_text(" — Заменили контактор привода")
    await expect(desk.column("DONE").locator(desk.card(lift))).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    data = await api.gql(
        "query ($id: ID!) { node(id: $id) { ... on RepairRequest { status } } }",
        {"id": lift},
        as_=world["owner"],
    )
    assert data["node"]["status"] == "DONE"
