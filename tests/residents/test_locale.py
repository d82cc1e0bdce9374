"""The viewer's language (`profileUpdate(locale:)`, `viewer.locale`) and notifications
written in each recipient's own language."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from edom_graphql.core.ids import encode_id
from edom_graphql.notifications.service import notify, notify_many
from edom_graphql.notifications.service.messages import Message
from edom_graphql.residents.models import User
from tests.factories import Api, Person, make_world

UPDATE = """
mutation ($input: ProfileUpdateInput!) {
  profileUpdate(input: $input) { user { id } userErrors { code field message } }
}
"""
LOCALE = "{ viewer { locale } }"
NOTIFICATIONS = "{ viewer { notifications(first: 10) { nodes { kind message } } } }"


async def set_locale(api: Api, person: Person, locale: str) -> list[dict[str, Any]]:
    data = await api.gql(UPDATE, {"input": {"locale": locale}}, as_=person)
    errors: list[dict[str, Any]] = data["profileUpdate"]["userErrors"]
    return errors


async def stored_locale(api: Api, person: Person) -> str:
    row = await api.db.fetch_one(select(User.locale).where(User.id == person.pk))
    assert row is not None
    return str(row[0])


async def messages(api: Api, person: Person) -> list[tuple[str, str]]:
    data = await api.gql(NOTIFICATIONS, as_=person)
    return [(node["kind"], node["message"]) for node in data["viewer"]["notifications"]["nodes"]]


async def act(api: Api, person: Person, verb: str, request_id: str, **input: Any) -> None:
    field = f"repairRequest{verb}"
    data = await api.gql(
        f"""mutation ($input: RepairRequest{verb}Input!) {{
              {field}(input: $input) {{ userErrors {{ code }} }} }}""",
        {"input": {"requestId": request_id, **input}},
        as_=person,
    )
    assert data[field]["userErrors"] == []


async def test_locale_is_russian_by_default_and_can_be_set(api: Api) -> None:
    world = await make_world(api)
    owner = world["owner"]
    assert (await api.gql(LOCALE, as_=owner))["viewer"]["locale"] == "ru"

    assert await set_locale(api, owner, "en") == []
    assert (await api.gql(LOCALE, as_=owner))["viewer"]["locale"] == "en"
    assert await stored_locale(api, owner) == "en"

    assert await set_locale(api, owner, "ru") == []
    assert await stored_locale(api, owner) == "ru"


async def test_an_unknown_locale_is_refused_with_a_code(api: Api) -> None:
    world = await make_world(api)
    owner = world["owner"]
    assert await set_locale(api, owner, "en") == []
    for bad in ("de", "EN", "", "ru-RU"):
        errors = await set_locale(api, owner, bad)
        assert [(error["code"], error["field"]) for error in errors] == [
            ("INVALID_LOCALE", ["locale"])
        ], bad
        assert await stored_locale(api, owner) == "en"


async def test_notifications_arrive_in_each_recipients_language(api: Api) -> None:
    world = await make_world(api)
    owner, neighbour = world["owner"], world["registered"]
    dispatcher, engineer = world["dispatcher"], world["engineer"]
    assert await set_locale(api, owner, "en") == []
    created = await api.gql(
        """mutation ($input: RepairRequestCreateInput!) {
             repairRequestCreate(input: $input) {
               repairRequest { id number } userErrors { code } } }""",
        {
            "input": {
                "scope": "BUILDING",
                "buildingId": world.building_id,
                "category": "LIFT",
                "description": "Лифт стоит",
            }
        },
        as_=owner,
    )
    request = created["repairRequestCreate"]["repairRequest"]
    number = request["number"]
    await act(api, neighbour, "Join", request["id"])
    await act(api, dispatcher, "Accept", request["id"])
    await act(api, dispatcher, "Assign", request["id"], assigneeId=encode_id("User", engineer.pk))

    owner_messages = await messages(api, owner)
    neighbour_messages = await messages(api, neighbour)
    accepted = ("REPAIR_REQUEST_UPDATED", f"Repair request No. {number} is now accepted.")
    assert accepted in owner_messages
    assert (
        "REPAIR_REQUEST_UPDATED",
        f"An engineer was assigned to repair request No. {number}.",
    ) in owner_messages
    assert ("REPAIR_REQUEST_UPDATED", f"Заявка № {number}: принята.") in neighbour_messages
    assert (
        "REPAIR_REQUEST_UPDATED",
        f"По заявке № {number} назначен инженер.",
    ) in neighbour_messages
    # One language per user: nothing English reaches the Russian reader and vice versa.
    assert all("Заявка" not in text and "заявке" not in text for _, text in owner_messages)
    assert all("Repair request" not in text for _, text in neighbour_messages)
    assert ("REPAIR_REQUEST_ASSIGNED", f"Заявка № {number} назначена вам.") in await messages(
        api, engineer
    )

    # Switching takes effect for the next notification.
    assert await set_locale(api, engineer, "en") == []
    await act(api, dispatcher, "Comment", request["id"], comment="Бригада выехала")
    assert ("REPAIR_REQUEST_UPDATED", f"New comment on repair request No. {number}.") in (
        await messages(api, owner)
    )
    assert ("REPAIR_REQUEST_UPDATED", f"Новый комментарий к заявке № {number}.") in (
        await messages(api, neighbour)
    )


async def test_one_notification_to_many_is_written_in_each_recipients_language(
    api: Api,
) -> None:
    world = await make_world(api)
    reader_en, reader_ru = world["owner"], world["resident"]
    assert reader_en.pk is not None
    assert reader_ru.pk is not None
    assert await set_locale(api, reader_en, "en") == []
    text = Message(ru="Собрание {day}", en="Meeting on {day}")(day=5)
    async with api.db.transaction() as (session, outbox):
        await notify_many(
            session,
            outbox,
            user_ids=[reader_ru.pk, reader_en.pk],
            kind="MEETING_SCHEDULED",
            message=text,
        )
        await notify(session, outbox, user_id=reader_ru.pk, kind="MEETING_SCHEDULED", message=text)
    # Each notification is announced to its own recipient's stream.
    assert sorted(channel for channel, _ in outbox.events) == sorted(
        [f"user.{reader_ru.pk}.notifications"] * 2 + [f"user.{reader_en.pk}.notifications"]
    )
    assert await messages(api, reader_en) == [("MEETING_SCHEDULED", "Meeting on 5")]
    assert await messages(api, reader_ru) == [("MEETING_SCHEDULED", "Собрание 5")] * 2
