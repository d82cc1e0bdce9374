"""Per-user limits where abuse is cheap, each shown in the SDL (``@rateLimit``) and
refused with RATE_LIMITED and ``retryAfter`` once a window is full, nothing done; another
user is not held back, and the window frees with time."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from graphql import parse
from graphql.language import ObjectTypeDefinitionNode
from sqlalchemy import func, select

from edom_graphql.chats.models import ChatMessageReport
from edom_graphql.listings.models import Listing, ListingPhoto
from edom_graphql.polls.models import Poll
from edom_graphql.repairs.models import RepairRequest, RepairRequestEvent
from edom_graphql.residents.models import GuestInvitation
from edom_graphql.schema import build_schema
from tests.chats.operations import REPORT, building_chat_id, sent
from tests.factories import INVITE, Api, Clock, Person, World, make_world
from tests.listings.operations import CREATE as LISTING_CREATE
from tests.listings.operations import PNG, listing_input, upload
from tests.repairs import operations as repairs

POLL = """
mutation ($input: PollCreateInput!) { pollCreate(input: $input) { poll { id } } }
"""


def poll_input(world: World, n: int) -> dict[str, Any]:
    return {
        "input": {
            "buildingId": world.building_id,
            "question": f"Вопрос {n}?",
            "options": ["Да", "Нет"],
            "multipleChoice": False,
            "resultsVisibility": "AFTER_VOTE",
            "closesAt": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
        }
    }


async def stored(api: Api, table: Any) -> int:
    row = await api.db.fetch_one(select(func.count()).select_from(table))
    assert row is not None
    return int(row[0])


Call = Callable[[Api, World, Person, int, dict[str, str]], Awaitable[Any]]


async def create_poll(api: Api, world: World, person: Person, n: int, state: dict[str, str]) -> Any:
    return await api.post(POLL, poll_input(world, n), as_=person)


async def create_listing(
    api: Api, world: World, person: Person, n: int, state: dict[str, str]
) -> Any:
    return await api.post(
        LISTING_CREATE, {"input": listing_input(world, title=f"Вещь {n}")}, as_=person
    )


async def create_request(
    api: Api, world: World, person: Person, n: int, state: dict[str, str]
) -> Any:
    variables = {"input": repairs.create_input(world, description=f"Не работает лифт, {n}")}
    return await api.post(repairs.CREATE, variables, as_=person)


async def comment(api: Api, world: World, person: Person, n: int, state: dict[str, str]) -> Any:
    if "request" not in state:
        state["request"] = (await repairs.create(api, world, as_="co_owner"))["id"]
    variables = {"input": {"requestId": state["request"], "comment": f"Когда? ({n})"}}
    return await api.post(repairs.MUTATIONS["Comment"], variables, as_=person)


async def invite(api: Api, world: World, person: Person, n: int, state: dict[str, str]) -> Any:
    values = {
        "premiseId": world.premise_id("1"),
        "level": "BASIC",
        "expiresAt": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
    }
    return await api.post(INVITE, {"input": values}, as_=person)


async def report(api: Api, world: World, person: Person, n: int, state: dict[str, str]) -> Any:
    chat = await building_chat_id(api, world)
    message = await sent(api, world["resident"], chat, f"Грубость номер {n}")
    variables = {"input": {"messageId": message["id"], "reason": "Оскорбления"}}
    return await api.post(REPORT, variables, as_=person)


# (operation, the call, what it stores, hourly limit, who calls, who else may still call)
LIMITED: dict[str, tuple[Call, Any, int, str, str]] = {
    "pollCreate": (create_poll, Poll, 10, "owner", "registered"),
    "listingCreate": (create_listing, Listing, 10, "owner", "registered"),
    "repairRequestCreate": (create_request, RepairRequest, 10, "owner", "registered"),
    "repairRequestComment": (comment, RepairRequestEvent, 30, "owner", "co_owner"),
    "chatMessageReport": (report, ChatMessageReport, 10, "owner", "registered"),
    "guestInvitationCreate": (invite, GuestInvitation, 30, "owner", "co_owner"),
}


@pytest.mark.parametrize("operation", sorted(LIMITED))
async def test_a_full_window_refuses_and_stores_nothing(
    api: Api, clock: Clock, operation: str
) -> None:
    call, table, limit, who, other = LIMITED[operation]
    world = await make_world(api, premises=6)
    person = world[who]
    state: dict[str, str] = {}
    for n in range(limit):
        assert not (await call(api, world, person, n, state)).errors
    before = await stored(api, table)
    refused = await call(api, world, person, limit, state)
    assert refused.codes == ["RATE_LIMITED"], refused
    assert 0 < refused.errors[0]["extensions"]["retryAfter"] <= 3600
    assert refused.data in ({operation: None}, None)  # a non-null payload nulls the data
    assert await stored(api, table) == before
    # others are not held back; the window frees with time
    assert not (await call(api, world, world[other], limit + 1, state)).errors
    clock.advance(timedelta(hours=1, seconds=1))
    assert not (await call(api, world, person, limit + 2, state)).errors


async def test_uploads_are_limited_in_files_over_every_mutation(api: Api) -> None:
    world = await make_world(api)
    owner = world["owner"]
    photos = [(f"p{n}.png", PNG, "image/png") for n in range(5)]
    for n in range(12):  # 12 × 5 = 60 files in the hour
        result = await upload(api, owner, {"input": listing_input(world, title=f"Лот {n}")}, photos)
        if n >= 10:  # past ten listings an hour, the mutation itself refuses
            assert result.codes == ["RATE_LIMITED"], result
        else:
            assert result.ok()["listingCreate"]["userErrors"] == []
    before = await stored(api, ListingPhoto)
    refused = await upload(
        api, owner, {"input": listing_input(world)}, [("last.png", PNG, "image/png")]
    )
    assert refused.response.status_code == 429, refused
    assert refused.response.headers["retry-after"].isdigit()
    assert refused.codes == ["RATE_LIMITED"]
    assert await stored(api, ListingPhoto) == before


def test_every_limit_is_in_the_sdl() -> None:
    document = parse(build_schema().as_str())
    (mutation,) = [
        d
        for d in document.definitions
        if isinstance(d, ObjectTypeDefinitionNode) and d.name.value == "Mutation"
    ]
    limited = {
        field.name.value
        for field in mutation.fields or ()
        if any(directive.name.value == "rateLimit" for directive in field.directives or ())
    }
    assert set(LIMITED) | {"guestInvitationAccept"} <= limited
