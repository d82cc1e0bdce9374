"""When a reading window opens, the occupants of every premise with a meter of that
window in service (owners, registered residents, residents, elevated guests) are
reminded once per premise, window and period, however many sweeps run at once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from edom_graphql.meters.models import MeterWindowReminder
from edom_graphql.meters.service.reminders import NOTIFICATION_KIND, send_reminders
from edom_graphql.notifications.models import Notification
from tests.factories import Api, Clock, World, make_world
from tests.meters.operations import RETIRE
from tests.meters.scene import months_ahead, moscow, notifications_of, register, rows, set_clock

MONTHS = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
          "сентября", "октября", "ноября", "декабря"]  # fmt: skip


def opening(months: int = 0) -> datetime:
    """Five minutes after the windows of the month ``months`` after next open."""
    year, month = months_ahead(1 + months)
    return moscow(year, month, 15, 0, 5)


async def furnished(api: Api, now: datetime) -> World:
    """A world (its guests' grants running at ``now``) whose apartment 1 has a water and
    an electricity meter, apartment 2 an electricity meter, and apartment 3 only a
    retired one."""
    world = await make_world(api, now=now)
    await register(api, world, premise="1")
    await register(api, world, premise="1", kind="ELECTRICITY", zones=2)
    await register(api, world, premise="2", kind="ELECTRICITY")
    retired = await register(api, world, premise="3", kind="HOT_WATER")
    payload = await api.gql(RETIRE, {"input": {"meterId": retired["id"]}}, as_=world["engineer"])
    assert payload["meterRetire"]["userErrors"] == []
    return world


async def sweep(api: Api, clock: Clock) -> int:
    """Every pass it takes to remind everyone due: how many premises were reminded."""
    total = 0
    while reminded := await send_reminders(api.db, clock()):
        total += reminded
    return total


async def reminders(api: Api, world: World) -> dict[str, list[tuple[Any, ...]]]:
    return {
        key: await notifications_of(api, world[key].pk or 0, NOTIFICATION_KIND)
        for key in world.people
    }


async def claimed(api: Api, world: World) -> int:
    ((count,),) = await rows(
        api,
        select(func.count())
        .select_from(MeterWindowReminder)
        .where(MeterWindowReminder.building_id == world.building_pk),
    )
    return int(count)


def expected(world: World, months: int = 0) -> dict[str, list[tuple[Any, ...]]]:
    """Who is reminded of the windows of the month ``months`` after next, and of what."""
    year, month = months_ahead(1 + months)
    after_year, after_month = months_ahead(2 + months)
    period = f"{year}-{month:02d}"
    water = {
        "window": "WATER",
        "period": period,
        "closesAt": moscow(after_year, after_month, 3, 23, 59)
        .replace(second=59)
        .astimezone(UTC)
        .isoformat(),
    }
    power = {
        "window": "ELECTRICITY",
        "period": period,
        "closesAt": moscow(year, month, 26, 23, 59).replace(second=59).astimezone(UTC).isoformat(),
    }
    one, two = ("Premise", world.premises["1"]), ("Premise", world.premises["2"])
    found: dict[str, list[tuple[Any, ...]]] = {key: [] for key in world.people}
    for key in ("owner", "co_owner", "guest_elevated"):  # apartment 1: water, electricity
        found[key] = [(*one, water), (*one, power)]
    found["registered"] = [(*two, power)]  # apartment 2: electricity
    return found


async def test_the_occupants_are_reminded_once_when_a_window_opens(api: Api, clock: Clock) -> None:
    world = await furnished(api, opening())
    year, month = months_ahead(1)
    set_clock(clock, moscow(year, month, 14, 23, 59))  # both windows closed
    assert await send_reminders(api.db, clock()) == 0
    assert await reminders(api, world) == {key: [] for key in world.people}

    set_clock(clock, opening())
    assert await sweep(api, clock) >= 3
    assert await reminders(api, world) == expected(world)
    assert await claimed(api, world) == 3
    # later passes in the same windows remind nobody again
    assert await sweep(api, clock) == 0
    clock.advance(timedelta(days=10))
    assert await sweep(api, clock) == 0
    assert await reminders(api, world) == expected(world)
    assert await claimed(api, world) == 3

    # a meter registered in apartment 3 while the windows are open: its resident is
    # reminded of the water window by the next pass, once
    await register(api, world, premise="3")
    assert await sweep(api, clock) == 1
    assert await sweep(api, clock) == 0
    (reminder,) = await notifications_of(api, world["resident"].pk or 0, NOTIFICATION_KIND)
    assert reminder == ("Premise", world.premises["3"], expected(world)["owner"][0][2])
    assert await claimed(api, world) == 4


async def test_the_reminder_names_the_premise_and_the_window(api: Api, clock: Clock) -> None:
    world = await furnished(api, opening())
    set_clock(clock, opening())
    await sweep(api, clock)
    messages = await rows(
        api,
        select(Notification.message).where(
            Notification.user_id == world["registered"].pk, Notification.kind == NOTIFICATION_KIND
        ),
    )
    year, month = months_ahead(1)
    name = MONTHS[month - 1]
    assert [message for (message,) in messages] == [
        "Передайте показания счётчиков электроэнергии по помещению 2: их принимают "
        f"с 15 {name} {year}, 00:00 по 26 {name} {year}, 23:59:59 (по московскому времени)."
    ]


async def test_concurrent_sweeps_remind_each_premise_once(api: Api, clock: Clock) -> None:
    """The next month's windows, swept by four processes at once."""
    world = await furnished(api, opening(1))
    set_clock(clock, opening(1))
    counts = await asyncio.gather(*(send_reminders(api.db, clock()) for _ in range(4)))
    assert sum(counts) >= 3
    await sweep(api, clock)
    assert await reminders(api, world) == expected(world, 1)
    assert await claimed(api, world) == 3
