"""The notification catalogue: every message in Russian and English with the same
placeholders, and the notifications of each domain, triggered over HTTP, arriving in each
recipient's own language."""

from __future__ import annotations

import random
import re
import string
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from edom_graphql.notifications.service import messages
from edom_graphql.notifications.service.messages import LOCALES, Message, Text
from edom_graphql.settings import Settings
from tests.billing.conftest import (  # noqa: F401  (fixtures of the billing server)
    billing_server,
    billing_settings,
    sandbox_process,
)
from tests.billing.scene import EPD_AMOUNT, SandboxClient, make_bill, provider_id, started
from tests.chats.operations import OPEN_DIRECT, management_chat_id, sent
from tests.factories import Api, Clock, Person, World, make_user, make_world
from tests.meetings.scene import owners_building
from tests.notices.scene import post

NOTIFICATIONS = """
{ viewer { notifications(first: 100) { nodes { kind message subjectId } } } }
"""
PROFILE = """
mutation ($input: ProfileUpdateInput!) {
  profileUpdate(input: $input) { userErrors { code } }
}
"""
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def catalogue() -> dict[str, Message]:
    return {name: value for name, value in vars(messages).items() if isinstance(value, Message)}


def word_lists() -> dict[str, dict[str, Text]]:
    return {
        name: value
        for name, value in vars(messages).items()
        if isinstance(value, dict) and value and all(isinstance(v, Text) for v in value.values())
    }


def placeholders(template: str) -> set[str]:
    """The named values of a template (``status_ru`` and ``status_en`` are one value,
    given in each language)."""
    return {
        re.sub(r"_(ru|en)$", "", name)
        for _, name, _, _ in string.Formatter().parse(template)
        if name is not None
    }


# -- the catalogue itself -------------------------------------------------------------------


def test_the_catalogue_covers_every_domain() -> None:
    prefixes = {name.split("_")[0] for name in catalogue()}
    assert {
        "REPAIR",
        "CHAT",
        "INTERCOM",
        "MEETING",
        "METER",
        "POINTS",
        "PAYMENT",
        "GUEST",
        "NOTICE",
        "VEHICLE",
    } <= prefixes


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_every_message_has_both_languages_with_the_same_placeholders(name: str) -> None:
    message = catalogue()[name]
    assert LOCALES == ("ru", "en")
    assert message.ru.strip(), name
    assert message.en.strip(), name
    assert placeholders(message.ru) == placeholders(message.en), name
    # named values only (never positional ``{}``), so a template cannot take them in order
    assert all(value.isidentifier() for value in placeholders(message.ru)), name
    # each template is written in its own language
    assert CYRILLIC.search(message.ru), name
    assert not CYRILLIC.search(message.en), name


@pytest.mark.parametrize("name", sorted(word_lists()))
def test_every_word_put_into_a_message_has_both_languages(name: str) -> None:
    for key, text in word_lists()[name].items():
        assert text.ru.strip(), (name, key)
        assert text.en.strip(), (name, key)
        assert CYRILLIC.search(text.ru), (name, key)
        assert not CYRILLIC.search(text.en), (name, key)


def test_a_text_value_is_put_in_each_language() -> None:
    text = messages.PAYMENT_SUCCEEDED(amount="10,00 ₽", status=messages.BILL_STATUS["PAID"])
    assert text == Text(
        ru="Платёж на 10,00 ₽ прошёл; счёт оплачен.",
        en="The payment of 10,00 ₽ went through; the bill is paid.",
    )
    day = messages.day_text(datetime(2026, 12, 15, tzinfo=UTC).date())
    assert day == Text(ru="15 декабря 2026", en="15 December 2026")


# -- the notifications, end to end ------------------------------------------------------------


async def speaks(api: Api, person: Person, locale: str) -> None:
    data = await api.gql(PROFILE, {"input": {"locale": locale}}, as_=person)
    assert data["profileUpdate"]["userErrors"] == []


async def received(api: Api, person: Person, kind: str) -> list[str]:
    data = await api.gql(NOTIFICATIONS, as_=person)
    return [n["message"] for n in data["viewer"]["notifications"]["nodes"] if n["kind"] == kind]


async def test_chat_messages_in_each_members_language(api: Api) -> None:
    world = await make_world(api)
    owner, co_owner, registered = world["owner"], world["co_owner"], world["registered"]
    await speaks(api, owner, "en")
    # a direct message to an English and to a Russian reader
    for reader in (owner, co_owner):
        opened = await api.gql(OPEN_DIRECT, {"input": {"userId": reader.id}}, as_=registered)
        await sent(api, registered, opened["chatDirectOpen"]["chat"]["id"], "Зайдёте?")
    assert await received(api, owner, "CHAT_MESSAGE") == ["Direct message: “Зайдёте?”"]
    assert await received(api, co_owner, "CHAT_MESSAGE") == ["Личное сообщение: «Зайдёте?»"]
    # the organisation's answer in a premise's management chat reaches both occupants
    chat_id = await management_chat_id(api, world, "1")
    await sent(api, world["dispatcher"], chat_id, "Сегодня к 18:00")
    assert (await received(api, owner, "CHAT_MESSAGE"))[0] == (
        "Reply from the management company: “Сегодня к 18:00”"
    )
    assert (await received(api, co_owner, "CHAT_MESSAGE"))[0] == (
        "Ответ управляющей организации: «Сегодня к 18:00»"
    )


async def test_a_scheduled_meeting_in_each_owners_language(api: Api, clock: Clock) -> None:
    scene = await owners_building(api, [(Decimal("40"), [(1, 1)]), (Decimal("60"), [(1, 1)])])
    english, russian = scene.owners[0].person, scene.owners[1].person
    await speaks(api, english, "en")
    starts = (clock() + timedelta(days=15)).replace(second=0, microsecond=0)
    ends = starts + timedelta(days=10)
    created = await api.gql(
        """mutation ($input: MeetingCreateInput!) {
             meetingCreate(input: $input) { meeting { id number } userErrors { code } } }""",
        {
            "input": {
                "buildingId": scene.building_id,
                "title": "Общее собрание собственников",
                "votingStartsAt": starts.isoformat(),
                "votingEndsAt": ends.isoformat(),
                "decisionsPlace": "Кабинет УК, 1 этаж",
                "agenda": [
                    {
                        "title": "Выбор администратора общих собраний",
                        "kind": "ADMINISTRATOR",
                        "administratorIsOrganisation": True,
                    },
                    {"title": "Ремонт крыши"},
                ],
            }
        },
        as_=russian,
    )
    assert created["meetingCreate"]["userErrors"] == []
    meeting = created["meetingCreate"]["meeting"]
    scheduled = await api.gql(
        """mutation ($input: MeetingScheduleInput!) {
             meetingSchedule(input: $input) { userErrors { code } } }""",
        {"input": {"meetingId": meeting["id"]}},
        as_=russian,
    )
    assert scheduled["meetingSchedule"]["userErrors"] == []
    span = (f"{starts:%d.%m.%Y %H:%M}", f"{ends:%d.%m.%Y %H:%M}")
    number = meeting["number"]
    assert await received(api, english, "MEETING_SCHEDULED") == [
        f"Owners' meeting No. {number}: voting runs from {span[0]} to {span[1]} UTC."
    ]
    assert await received(api, russian, "MEETING_SCHEDULED") == [
        f"Общее собрание собственников № {number}: голосование с {span[0]} по {span[1]} (UTC)."
    ]


async def test_a_vehicle_contact_in_each_owners_language(api: Api) -> None:
    english, russian = await make_user(api, "english"), await make_user(api, "russian")
    sender = await make_user(api, "sender")
    await speaks(api, english, "en")
    digits = random.randrange(1_000_000)
    plate = f"A{digits // 1000:03d}BC{digits % 1000:03d}"
    for owner in (english, russian):
        added = await api.gql(
            "mutation ($input: VehicleAddInput!) { vehicleAdd(input: $input) "
            "{ vehicle { plate } userErrors { code } } }",
            {"input": {"plate": plate}},
            as_=owner,
        )
        assert added["vehicleAdd"]["userErrors"] == []
    contacted = await api.gql(
        "mutation ($input: VehicleOwnerContactInput!) { vehicleOwnerContact(input: $input) "
        "{ sent userErrors { code } } }",
        {"input": {"plate": plate, "template": "LIGHTS_ON"}},
        as_=sender,
    )
    assert contacted["vehicleOwnerContact"] == {"sent": True, "userErrors": []}
    assert await received(api, english, "VEHICLE_OWNER_CONTACT") == [
        f"Your car {plate} has its lights on."
    ]
    assert await received(api, russian, "VEHICLE_OWNER_CONTACT") == [
        f"У вашего автомобиля {plate} включены фары."
    ]


async def test_a_notice_in_each_residents_language(api: Api) -> None:
    world = await make_world(api)
    owner, co_owner = world["owner"], world["co_owner"]
    await speaks(api, co_owner, "en")
    await post(api, world, title="Отключение горячей воды")
    assert await received(api, owner, "NOTICE_POSTED") == ["Объявление: Отключение горячей воды"]
    assert await received(api, co_owner, "NOTICE_POSTED") == ["Notice: Отключение горячей воды"]


# -- payments: the billing server, whose sandbox provider sends the webhooks -----------------


@pytest.fixture
async def billing_api(
    billing_server: Any,  # noqa: F811
    billing_settings: Settings,  # noqa: F811
    sandbox_process: SandboxClient,  # noqa: F811
) -> AsyncIterator[Api]:
    await sandbox_process.configure(
        webhook_url=f"{billing_server.base_url}/payments/webhook/sandbox", retry_delays=[]
    )
    async with httpx.AsyncClient(base_url=billing_server.base_url, timeout=30) as client:
        yield Api(client, billing_settings, billing_server.app)


async def test_payments_in_each_payers_language(
    billing_api: Api,
    sandbox_process: SandboxClient,  # noqa: F811
) -> None:
    api = billing_api
    world: World = await make_world(api)
    owner, co_owner = world["owner"], world["co_owner"]
    await speaks(api, owner, "en")
    bill_id = await make_bill(api, world)
    first = await started(api, owner, bill_id, 1_000)
    await sandbox_process.complete(await provider_id(api, first))
    rest = await started(api, co_owner, bill_id, EPD_AMOUNT - 1_000)
    await sandbox_process.complete(await provider_id(api, rest))
    assert await received(api, owner, "PAYMENT_SUCCEEDED") == [
        "The payment of 10,00 ₽ went through; the bill is partially paid."
    ]
    assert await received(api, co_owner, "PAYMENT_SUCCEEDED") == [
        "Платёж на 4\u00a0432,12 ₽ прошёл; счёт оплачен."
    ]
