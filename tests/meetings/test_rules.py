"""The rules of an owners' meeting through the API, with the server's clock under the
test's control: the timeline's edges, the agenda's refusals, who initiates and who
cancels, every threshold and the quorum at their exact edges, the administrator the
owners choose, and the three notices each owner gets once however the sweep runs."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import insert, text

from edom_graphql.core.ids import decode_id, encode_id
from edom_graphql.meetings.service.closing import advance
from edom_graphql.residents.models import Registration
from tests.factories import Api, Clock, Person, make_user, make_world
from tests.meetings.operations import (
    ADMINISTRATION,
    BUILDING_MEETINGS,
    CANCEL,
    CREATE,
    PROTOCOL_EXACT,
    SCHEDULE,
    VIEWER_ENTRY_IDS,
    VOTE_QUIET,
)
from tests.meetings.scene import (
    OwnersBuilding,
    end_voting,
    owners_building,
    put_to_vote,
    sweep,
)

AREA = Decimal("33.33")
PLACE = "Кабинет УК, ул. Собраний, 1"
CHOOSE_ORGANISATION = {
    "title": "Выбор администратора общего собрания",
    "kind": "ADMINISTRATOR",
    "administratorIsOrganisation": True,
}
ROOF = {"title": "Ремонт крыши за счёт фонда капитального ремонта", "kind": "CAPITAL_REPAIR"}
MARKS = {"F": "FOR", "A": "AGAINST", "X": "ABSTAIN"}
Agenda = list[dict[str, Any]]


@contextmanager
def frozen(clock: Clock) -> Iterator[datetime]:
    """The server's clock stands still for the block (``advance`` still moves it), so a
    time the test computes from it is exactly the server's now; yields the reading."""
    standing = datetime.now(UTC)
    running = Clock.__call__
    Clock.__call__ = lambda self: standing + self.offset  # type: ignore[method-assign]
    try:
        yield clock()
    finally:
        Clock.__call__ = running  # type: ignore[method-assign]


def draft(
    scene: OwnersBuilding,
    starts: datetime,
    *,
    length: timedelta = timedelta(days=10),
    agenda: Agenda | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A meeting's input: voting from ``starts`` for ``length``."""
    return {
        "buildingId": scene.building_id,
        "title": "Общее собрание собственников",
        "votingStartsAt": starts.isoformat(),
        "votingEndsAt": (starts + length).isoformat(),
        "decisionsPlace": PLACE,
        "agenda": [CHOOSE_ORGANISATION, ROOF] if agenda is None else agenda,
        **extra,
    }


def pk(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None
    return decoded[1]


async def count_rows(api: Api, table: str, where: str = "TRUE") -> int:
    async with api.db.transaction() as (session, _):
        count: int = (
            await session.execute(text(f"SELECT count(*) FROM {table} WHERE {where}"))
        ).scalar_one()
    return count


async def notices(api: Api, meeting_id: str) -> Counter[tuple[int, str]]:
    """How many notifications about the meeting each user got, by kind."""
    async with api.db.transaction() as (session, _):
        rows = await session.execute(
            text(
                "SELECT user_id, kind FROM notifications"
                " WHERE subject_type = 'Meeting' AND subject_id = :id"
            ),
            {"id": pk(meeting_id)},
        )
        return Counter((user_id, kind) for user_id, kind in rows)


def each_owner(scene: OwnersBuilding, *kinds: str) -> Counter[tuple[int, str]]:
    return Counter({(owning.person.pk, kind): 1 for owning in scene.owners for kind in kinds})


def errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["userErrors"]]


async def create(api: Api, person: Person, input: dict[str, Any]) -> dict[str, Any]:
    payload: dict[str, Any] = (await api.gql(CREATE, {"input": input}, as_=person))["meetingCreate"]
    return payload


async def refused_create(
    api: Api, person: Person, input: dict[str, Any]
) -> list[tuple[str, list[str] | None]]:
    """The refusals of a create that must write nothing."""
    before = (await count_rows(api, "meetings"), await count_rows(api, "meeting_questions"))
    payload = await create(api, person, input)
    assert payload["meeting"] is None
    assert (await count_rows(api, "meetings"), await count_rows(api, "meeting_questions")) == (
        before
    )
    return errors(payload)


async def schedule(api: Api, person: Person, meeting_id: str) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await api.gql(SCHEDULE, {"input": {"meetingId": meeting_id}}, as_=person)
    )["meetingSchedule"]
    return payload


async def cancel(api: Api, person: Person, meeting_id: str, reason: str) -> dict[str, Any]:
    payload: dict[str, Any] = (
        await api.gql(CANCEL, {"input": {"meetingId": meeting_id, "reason": reason}}, as_=person)
    )["meetingCancel"]
    return payload


async def administration(api: Api, person: Person, meeting_id: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = (await api.gql(ADMINISTRATION, {"id": meeting_id}, as_=person))[
        "node"
    ]
    return node


async def vote(api: Api, person: Person, meeting_id: str, marks: str) -> None:
    """``person`` casts their one ballot: a letter per question (F, A or X to abstain)."""
    node = (await api.gql(VIEWER_ENTRY_IDS, {"id": meeting_id}, as_=person))["node"]
    (entry,) = node["viewerEntries"]
    decisions = [{"number": n, "decision": MARKS[m]} for n, m in enumerate(marks, start=1)]
    cast = await api.gql(
        VOTE_QUIET, {"input": {"entryId": entry["id"], "decisions": decisions}}, as_=person
    )
    assert cast["meetingVoteCast"]["userErrors"] == [], cast
    assert cast["meetingVoteCast"]["entry"]["ballot"]["channel"] == "ONLINE"


async def hold(
    api: Api, clock: Clock, scene: OwnersBuilding, agenda: Agenda, marks: Mapping[int, str]
) -> tuple[str, dict[str, Any]]:
    """A meeting the first owner initiates, voted as ``marks`` says (owner index → a
    letter per question; owners not in it do not vote), counted: its id and protocol."""
    input = draft(scene, clock() + timedelta(days=15), agenda=agenda)
    meeting_id = await put_to_vote(api, clock, scene.owners[0].person, input)
    await asyncio.gather(
        *(vote(api, scene.owners[index].person, meeting_id, m) for index, m in marks.items())
    )
    await end_voting(api, clock, input)
    node: dict[str, Any] = (
        await api.gql(PROTOCOL_EXACT, {"id": meeting_id}, as_=scene.owners[-1].person)
    )["node"]
    return meeting_id, node


def fraction(share: dict[str, Any]) -> tuple[str, str]:
    return share["numerator"], share["denominator"]


def question(
    protocol: dict[str, Any], number: int
) -> tuple[tuple[str, str], tuple[str, str], tuple[str, str], bool]:
    found = protocol["questions"][number - 1]
    assert found["number"] == number
    return (
        fraction(found["votesFor"]),
        fraction(found["against"]),
        fraction(found["abstain"]),
        found["adopted"],
    )


# -- the timeline ------------------------------------------------------------------------

TIMELINE = [
    pytest.param(
        timedelta(days=14, minutes=-1),
        timedelta(days=10),
        ("TOO_SOON", ["votingStartsAt"]),
        id="starts-in-13d23h59m",
    ),
    pytest.param(timedelta(days=14), timedelta(days=10), None, id="starts-in-14d"),
    pytest.param(
        timedelta(days=15),
        timedelta(days=7, minutes=-1),
        ("VOTING_TOO_SHORT", ["votingEndsAt"]),
        id="lasts-6d23h59m",
    ),
    pytest.param(
        timedelta(days=15),
        timedelta(days=6),
        ("VOTING_TOO_SHORT", ["votingEndsAt"]),
        id="lasts-6d",
    ),
    pytest.param(timedelta(days=15), timedelta(days=7), None, id="lasts-7d"),
    pytest.param(timedelta(days=15), timedelta(days=60), None, id="lasts-60d"),
    pytest.param(
        timedelta(days=15),
        timedelta(days=60, minutes=1),
        ("VOTING_TOO_LONG", ["votingEndsAt"]),
        id="lasts-60d1m",
    ),
    pytest.param(
        timedelta(days=15),
        timedelta(days=61),
        ("VOTING_TOO_LONG", ["votingEndsAt"]),
        id="lasts-61d",
    ),
]


@pytest.mark.parametrize(("lead", "length", "refusal"), TIMELINE)
async def test_voting_period_edges(
    api: Api,
    clock: Clock,
    lead: timedelta,
    length: timedelta,
    refusal: tuple[str, list[str]] | None,
) -> None:
    """Voting starts at least 14 days after the draft and lasts 7–60 days, to the minute."""
    scene = await owners_building(api, [(AREA, [(1, 1)])])
    owner = scene.owners[0].person
    with frozen(clock) as now:
        input = draft(scene, now + lead, length=length)
        if refusal is not None:
            assert await refused_create(api, owner, input) == [refusal]
            return
        payload = await create(api, owner, input)
    assert payload["userErrors"] == []
    meeting = payload["meeting"]
    assert meeting["state"] == "DRAFT"
    assert datetime.fromisoformat(meeting["votingStartsAt"]) == now + lead
    assert datetime.fromisoformat(meeting["votingEndsAt"]) == now + lead + length


@pytest.mark.parametrize(
    ("waited", "refusal"),
    [
        pytest.param(timedelta(days=5), None, id="10d-before-voting"),
        pytest.param(
            timedelta(days=5, minutes=1),
            ("TOO_LATE_TO_SCHEDULE", None),
            id="9d23h59m-before-voting",
        ),
    ],
)
async def test_schedule_notice_edges(
    api: Api, clock: Clock, waited: timedelta, refusal: tuple[str, None] | None
) -> None:
    """Owners are notified at least 10 days before voting starts, to the minute."""
    scene = await owners_building(api, [(AREA, [(1, 1)]), (AREA, [(1, 2), (1, 2)])])
    owner = scene.owners[0].person
    with frozen(clock) as now:
        created = await create(api, owner, draft(scene, now + timedelta(days=15)))
        meeting_id = created["meeting"]["id"]
        clock.advance(waited)
        payload = await schedule(api, owner, meeting_id)
        if refusal is not None:
            assert errors(payload) == [refusal]
            assert payload["meeting"] == {"id": meeting_id, "state": "DRAFT", "scheduledAt": None}
            assert await notices(api, meeting_id) == Counter()
            return
    assert payload["userErrors"] == []
    assert payload["meeting"]["state"] == "SCHEDULED"
    assert datetime.fromisoformat(payload["meeting"]["scheduledAt"]) == now + waited
    assert await notices(api, meeting_id) == each_owner(scene, "MEETING_SCHEDULED")


# -- the agenda --------------------------------------------------------------------------

VAGUE = [
    "разное",
    "Прочее.",
    "ДРУГОЕ",
    "иное",
    "и т.д.",
    "И т. д.",
    "miscellaneous",
    "Other",
    "etc.",
]
BUNDLED = [
    "Утвердить смету ремонта? Выбрать подрядчика?",
    "Утвердить смету ремонта; выбрать подрядчика",
    "1) Утвердить смету ремонта 2) выбрать подрядчика",
    "Утвердить смету ремонта, а также выбрать подрядчика",
]
AgendaOf = Callable[[OwnersBuilding], Agenda]


def _with(question: dict[str, Any]) -> AgendaOf:
    return lambda scene: [CHOOSE_ORGANISATION, question]


AGENDA_REFUSALS = [
    *(
        pytest.param(
            _with({"title": title}), ("VAGUE_QUESTION", ["agenda", "1", "title"]), id=title
        )
        for title in VAGUE
    ),
    *(
        pytest.param(
            _with({"title": title}), ("BUNDLED_QUESTION", ["agenda", "1", "title"]), id=title
        )
        for title in BUNDLED
    ),
    pytest.param(
        lambda scene: [
            CHOOSE_ORGANISATION,
            {"title": "Ремонт крыши"},
            {"title": " ремонт КРЫШИ. "},
        ],
        ("DUPLICATE_QUESTION", ["agenda", "2", "title"]),
        id="duplicate",
    ),
    pytest.param(lambda scene: [], ("EMPTY_AGENDA", ["agenda"]), id="empty"),
    pytest.param(
        _with({**ROOF, "threshold": "MAJORITY_OF_VOTES_CAST"}),
        ("THRESHOLD_OF_KIND", ["agenda", "1", "threshold"]),
        id="capital-repair-by-majority",
    ),
    pytest.param(
        _with(
            {"title": "Присоединить часть подвала", "kind": "COMMON_PROPERTY_ANNEX"}
            | {"threshold": "TWO_THIRDS_OF_ALL"}
        ),
        ("THRESHOLD_OF_KIND", ["agenda", "1", "threshold"]),
        id="annex-by-two-thirds",
    ),
    pytest.param(
        lambda scene: [{**CHOOSE_ORGANISATION, "threshold": "UNANIMOUS"}],
        ("THRESHOLD_OF_KIND", ["agenda", "0", "threshold"]),
        id="administrator-unanimously",
    ),
    pytest.param(
        lambda scene: [{"title": "Выбор администратора", "kind": "ADMINISTRATOR"}, ROOF],
        ("ADMINISTRATOR_CANDIDATE", ["agenda", "0", "administrator"]),
        id="administrator-without-candidate",
    ),
    pytest.param(
        lambda scene: [{**CHOOSE_ORGANISATION, "administratorId": scene.owners[1].person.id}],
        ("ADMINISTRATOR_CANDIDATE", ["agenda", "0", "administrator"]),
        id="administrator-owner-and-organisation",
    ),
    pytest.param(
        lambda scene: [
            {
                "title": "Выбор администратора",
                "kind": "ADMINISTRATOR",
                "administratorId": scene.manager.id,
            }
        ],
        ("ADMINISTRATOR_CANDIDATE", ["agenda", "0", "administrator"]),
        id="administrator-not-an-owner",
    ),
    pytest.param(
        lambda scene: [
            {
                "title": "Выбор администратора",
                "kind": "ADMINISTRATOR",
                "administratorId": scene.building_id,
            }
        ],
        ("ADMINISTRATOR_CANDIDATE", ["agenda", "0", "administrator"]),
        id="administrator-not-a-user-id",
    ),
    pytest.param(
        _with({**ROOF, "administratorIsOrganisation": True}),
        ("ADMINISTRATOR_CANDIDATE", ["agenda", "1", "administrator"]),
        id="candidate-on-another-question",
    ),
    pytest.param(
        lambda scene: [
            CHOOSE_ORGANISATION,
            {
                "title": "Выбор другого администратора",
                "kind": "ADMINISTRATOR",
                "administratorId": scene.owners[0].person.id,
            },
        ],
        ("ADMINISTRATOR_CANDIDATE", ["agenda"]),
        id="two-administrator-questions",
    ),
]


@pytest.mark.parametrize(("agenda", "refusal"), AGENDA_REFUSALS)
async def test_agenda_refusals(
    api: Api, clock: Clock, agenda: AgendaOf, refusal: tuple[str, list[str]]
) -> None:
    """A refused agenda is reported with the question's path, and nothing is written."""
    scene = await owners_building(api, [(AREA, [(1, 1)]), (AREA, [(1, 1)])])
    input = draft(scene, clock() + timedelta(days=15), agenda=agenda(scene))
    assert await refused_create(api, scene.owners[0].person, input) == [refusal]


async def test_single_decisions_that_look_vague_or_bundled_are_accepted(
    api: Api, clock: Clock
) -> None:
    """A word like "other" inside a sentence, or one question mark, is one decision."""
    scene = await owners_building(api, [(AREA, [(1, 1)])])
    titles = [
        "Replace the other lift",
        "Заменить другое освещение во дворе",
        "Установить шлагбаум во дворе?",
        "Прочее имущество передать в аренду",
    ]
    agenda = [CHOOSE_ORGANISATION, *({"title": title} for title in titles)]
    payload = await create(
        api, scene.owners[0].person, draft(scene, clock() + timedelta(days=15), agenda=agenda)
    )
    assert payload["userErrors"] == []
    assert [q["title"] for q in payload["meeting"]["agenda"]] == [
        CHOOSE_ORGANISATION["title"],
        *titles,
    ]


async def test_kinds_give_their_thresholds(api: Api, clock: Clock) -> None:
    """The law's threshold for a kind (given or not); a GENERAL question's is chosen."""
    scene = await owners_building(api, [(AREA, [(1, 1)])])
    agenda = [
        CHOOSE_ORGANISATION,
        {"title": "Выбор способа управления домом", "kind": "MANAGEMENT_METHOD"},
        ROOF,
        {"title": "Ремонт фасада", "kind": "CAPITAL_REPAIR", "threshold": "TWO_THIRDS_OF_ALL"},
        {"title": "Сдать крышу в аренду оператору связи", "kind": "COMMON_PROPERTY_USE"},
        {"title": "Присоединить часть подвала к кв. 1", "kind": "COMMON_PROPERTY_ANNEX"},
        {"title": "Установить шлагбаум во дворе"},
        {"title": "Покрасить скамейки", "threshold": "MAJORITY_OF_VOTES_CAST"},
        {"title": "Поставить видеокамеры", "threshold": "MORE_THAN_HALF_OF_ALL"},
        {"title": "Озеленить двор", "threshold": "TWO_THIRDS_OF_ALL"},
        {"title": "Переименовать двор", "kind": "GENERAL", "threshold": "UNANIMOUS"},
    ]
    payload = await create(
        api, scene.owners[0].person, draft(scene, clock() + timedelta(days=15), agenda=agenda)
    )
    assert payload["userErrors"] == []
    assert [(q["number"], q["kind"], q["threshold"]) for q in payload["meeting"]["agenda"]] == [
        (1, "ADMINISTRATOR", "MAJORITY_OF_VOTES_CAST"),
        (2, "MANAGEMENT_METHOD", "MORE_THAN_HALF_OF_ALL"),
        (3, "CAPITAL_REPAIR", "TWO_THIRDS_OF_ALL"),
        (4, "CAPITAL_REPAIR", "TWO_THIRDS_OF_ALL"),
        (5, "COMMON_PROPERTY_USE", "TWO_THIRDS_OF_ALL"),
        (6, "COMMON_PROPERTY_ANNEX", "UNANIMOUS"),
        (7, "GENERAL", "MAJORITY_OF_VOTES_CAST"),
        (8, "GENERAL", "MAJORITY_OF_VOTES_CAST"),
        (9, "GENERAL", "MORE_THAN_HALF_OF_ALL"),
        (10, "GENERAL", "TWO_THIRDS_OF_ALL"),
        (11, "GENERAL", "UNANIMOUS"),
    ]


async def test_first_meeting_needs_the_administrator_question_to_be_scheduled(
    api: Api, clock: Clock
) -> None:
    """Without the question the draft is kept, but it cannot go to the owners."""
    scene = await owners_building(api, [(AREA, [(1, 1)]), (AREA, [(1, 1)])])
    owner = scene.owners[0].person
    created = await create(api, owner, draft(scene, clock() + timedelta(days=15), agenda=[ROOF]))
    assert created["userErrors"] == []
    meeting = created["meeting"]
    assert (meeting["state"], meeting["isFirstMeeting"], meeting["viewerAdministers"]) == (
        "DRAFT",
        True,
        True,
    )
    payload = await schedule(api, owner, meeting["id"])
    assert errors(payload) == [("ADMINISTRATOR_QUESTION_MISSING", None)]
    assert payload["meeting"] == {"id": meeting["id"], "state": "DRAFT", "scheduledAt": None}
    assert await notices(api, meeting["id"]) == Counter()


# -- who initiates and cancels -----------------------------------------------------------


@pytest.mark.parametrize("who", ["registered", "resident", "dispatcher", "other_staff"])
async def test_only_owners_and_managers_initiate(api: Api, clock: Clock, who: str) -> None:
    """Anyone else is refused by the directive, and nothing is written."""
    world = await make_world(api)
    input = {
        "buildingId": world.building_id,
        "title": "Общее собрание",
        "votingStartsAt": (clock() + timedelta(days=15)).isoformat(),
        "votingEndsAt": (clock() + timedelta(days=25)).isoformat(),
        "decisionsPlace": PLACE,
        "agenda": [CHOOSE_ORGANISATION],
    }
    before = await count_rows(api, "meetings")
    result = await api.post(CREATE, {"input": input}, as_=world[who])
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"], result
    assert result.data == {"meetingCreate": None}
    assert await count_rows(api, "meetings") == before
    # the owner of the same building may
    assert (await create(api, world["owner"], input))["userErrors"] == []


async def test_a_registered_non_owner_of_an_owners_building_cannot_initiate(
    api: Api, clock: Clock
) -> None:
    """Registration at an address is not ownership."""
    scene = await owners_building(api, [(AREA, [(1, 1)])], unowned=[AREA])
    tenant = await make_user(api, "tenant")
    async with api.db.transaction() as (session, _):
        premise = (
            await session.execute(
                text("SELECT id FROM premises WHERE building_id = :b AND number = '2'"),
                {"b": scene.building_pk},
            )
        ).scalar_one()
        await session.execute(
            insert(Registration).values(
                user_id=tenant.pk, premise_id=premise, building_id=scene.building_pk
            )
        )
    before = await count_rows(api, "meetings")
    result = await api.post(
        CREATE, {"input": draft(scene, clock() + timedelta(days=15))}, as_=tenant
    )
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"], result
    assert await count_rows(api, "meetings") == before
    # registered there, the tenant does see the building's meetings
    listed = await api.gql(BUILDING_MEETINGS, {"id": scene.building_id}, as_=tenant)
    assert listed == {"building": {"meetings": {"nodes": []}}}


async def test_manager_initiates_on_behalf_of_the_organisation(api: Api, clock: Clock) -> None:
    """The organisation then administers the meeting: its manager schedules it."""
    scene = await owners_building(api, [(AREA, [(1, 1)]), (AREA, [(1, 1)])])
    payload = await create(
        api,
        scene.manager,
        draft(scene, clock() + timedelta(days=15), onBehalfOfOrganisation=True),
    )
    assert payload["userErrors"] == []
    meeting_id = payload["meeting"]["id"]
    organisation = {"id": encode_id("ManagementOrganisation", scene.organisation_pk)}
    assert await administration(api, scene.manager, meeting_id) == {
        "id": meeting_id,
        "state": "DRAFT",
        "isFirstMeeting": True,
        "viewerAdministers": True,
        "initiator": {"id": scene.manager.id},
        "administrator": None,
        "administratorOrganisation": organisation,
        "initiatingOrganisation": organisation,
    }
    # an owner sees no draft but their own
    assert await administration(api, scene.owners[0].person, meeting_id) is None
    assert (await schedule(api, scene.manager, meeting_id))["userErrors"] == []
    seen = await administration(api, scene.owners[0].person, meeting_id)
    assert seen is not None
    assert (seen["state"], seen["viewerAdministers"]) == ("SCHEDULED", False)
    assert await notices(api, meeting_id) == each_owner(scene, "MEETING_SCHEDULED")


async def test_manager_must_act_for_the_organisation_and_owner_for_themself(
    api: Api, clock: Clock
) -> None:
    """A manager is no owner; an owner is no manager."""
    scene = await owners_building(api, [(AREA, [(1, 1)])])
    input = draft(scene, clock() + timedelta(days=15))
    assert await refused_create(api, scene.manager, input) == [
        ("NOT_AN_OWNER", ["onBehalfOfOrganisation"])
    ]
    assert await refused_create(
        api, scene.owners[0].person, {**input, "onBehalfOfOrganisation": True}
    ) == [("NOT_A_MANAGER", ["onBehalfOfOrganisation"])]


async def test_initiator_cancels_a_draft(api: Api, clock: Clock) -> None:
    """Nobody was told of the draft, so nobody is told it is off."""
    scene = await owners_building(api, [(AREA, [(1, 1)]), (AREA, [(1, 1)])])
    owner = scene.owners[0].person
    meeting_id = (await create(api, owner, draft(scene, clock() + timedelta(days=15))))["meeting"][
        "id"
    ]
    # a neighbour does not see the draft at all
    result = await api.post(
        CANCEL,
        {"input": {"meetingId": meeting_id, "reason": "Не нужно"}},
        as_=scene.owners[1].person,
    )
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"], result
    assert (await administration(api, owner, meeting_id))["state"] == "DRAFT"
    with frozen(clock) as now:
        payload = await cancel(api, owner, meeting_id, "  Повестка будет другой  ")
    assert payload["userErrors"] == []
    meeting = payload["meeting"]
    assert meeting["state"] == "CANCELLED"
    assert datetime.fromisoformat(meeting["cancelledAt"]) == now
    assert meeting["cancelReason"] == "Повестка будет другой"
    assert await notices(api, meeting_id) == Counter()


async def test_administrator_cancels_a_scheduled_meeting(api: Api, clock: Clock) -> None:
    """Owners told of the meeting are told it is off; an owner who does not run it
    cannot call it off."""
    scene = await owners_building(api, [(AREA, [(1, 1)]), (AREA, [(1, 3), (2, 3)])])
    owner = scene.owners[0].person
    meeting_id = (await create(api, owner, draft(scene, clock() + timedelta(days=15))))["meeting"][
        "id"
    ]
    assert (await schedule(api, owner, meeting_id))["userErrors"] == []
    refused = await cancel(api, scene.owners[1].person, meeting_id, "Не согласен")
    assert errors(refused) == [("NOT_ADMINISTRATOR", None)]
    assert refused["meeting"]["state"] == "SCHEDULED"
    assert refused["meeting"]["cancelledAt"] is None
    payload = await cancel(api, owner, meeting_id, "Перенос сроков")
    assert payload["userErrors"] == []
    assert payload["meeting"]["state"] == "CANCELLED"
    assert await notices(api, meeting_id) == each_owner(
        scene, "MEETING_SCHEDULED", "MEETING_CANCELLED"
    )


async def test_no_cancelling_once_voting_started(api: Api, clock: Clock) -> None:
    """From the moment voting starts (swept or not yet) the meeting stands."""
    scene = await owners_building(api, [(AREA, [(1, 1)])])
    owner = scene.owners[0].person
    with frozen(clock) as now:
        input = draft(scene, now + timedelta(days=15))
        meeting_id = (await create(api, owner, input))["meeting"]["id"]
        assert (await schedule(api, owner, meeting_id))["userErrors"] == []
        clock.advance(timedelta(days=15))
        refused = await cancel(api, owner, meeting_id, "Поздно")
        assert errors(refused) == [("VOTING_STARTED", None)]
        assert refused["meeting"]["state"] == "SCHEDULED"
        await sweep(api, clock)
        refused = await cancel(api, owner, meeting_id, "Поздно")
    assert errors(refused) == [("VOTING_STARTED", None)]
    assert refused["meeting"] == {
        "id": meeting_id,
        "state": "VOTING",
        "cancelledAt": None,
        "cancelReason": None,
    }
    assert await notices(api, meeting_id) == each_owner(
        scene, "MEETING_SCHEDULED", "MEETING_VOTING_STARTED"
    )


# -- thresholds and quorum ---------------------------------------------------------------


async def test_thresholds_at_their_edges(api: Api, clock: Clock) -> None:
    """Six premises of 33.33 m² (one held 1/2 + 1/2), 1/6 of the votes each; the owner of
    the fifth does not vote, so 5/6 take part. Each threshold is met exactly or missed by
    one co-owner's 1/12."""
    scene = await owners_building(api, [*[(AREA, [(1, 1)])] * 5, (AREA, [(1, 2), (1, 2)])])
    agenda = [
        CHOOSE_ORGANISATION,
        ROOF,
        {"title": "Сдать крышу в аренду оператору связи", "kind": "COMMON_PROPERTY_USE"},
        {"title": "Выбор способа управления домом", "kind": "MANAGEMENT_METHOD"},
        {"title": "Поставить видеокамеры", "threshold": "MORE_THAN_HALF_OF_ALL"},
        {"title": "Установить шлагбаум во дворе"},
        {"title": "Покрасить скамейки"},
    ]
    marks = {
        0: "FFFFFFF",
        1: "FFFFFFF",
        2: "FFFFFXF",
        3: "FFAAAXX",
        5: "FXFAFFX",
        6: "FAAXAAX",
    }
    _, node = await hold(api, clock, scene, agenda, marks)
    assert (node["state"], node["quorum"]) == ("COMPLETED", True)
    protocol = node["protocol"]
    assert fraction(protocol["turnout"]) == ("5", "6")
    assert protocol["totalArea"] == "199.98"
    assert question(protocol, 1) == (("5", "6"), ("0", "1"), ("0", "1"), True)
    # two thirds of all: exactly 2/3 is enough, 7/12 is not
    assert question(protocol, 2) == (("2", "3"), ("1", "12"), ("1", "12"), True)
    assert question(protocol, 3) == (("7", "12"), ("1", "4"), ("0", "1"), False)
    # more than half of all: exactly 1/2 is not, 7/12 is
    assert question(protocol, 4) == (("1", "2"), ("1", "4"), ("1", "12"), False)
    assert question(protocol, 5) == (("7", "12"), ("1", "4"), ("0", "1"), True)
    # a majority of the votes cast, abstentions counted in: 5/12 of 5/6 is not
    assert question(protocol, 6) == (("5", "12"), ("1", "12"), ("1", "3"), False)
    assert question(protocol, 7) == (("1", "2"), ("0", "1"), ("1", "3"), True)
    second = protocol["questions"][1]["votesFor"]
    assert (second["percentOfAll"], second["percentOfCast"]) == ("66.67", "80.00")
    sixth = protocol["questions"][5]["votesFor"]
    assert (sixth["percentOfAll"], sixth["percentOfCast"]) == ("41.67", "50.00")
    assert [q["adopted"] for q in node["agenda"]] == [True, True, False, False, True, False, True]


async def test_unanimity(api: Api, clock: Clock) -> None:
    """All votes of all owners FOR (shares 1/3 + 2/3 and 2/7 + 5/7); one abstention fails."""
    scene = await owners_building(
        api, [(Decimal("33.33"), [(1, 3), (2, 3)]), (Decimal("66.67"), [(2, 7), (5, 7)])]
    )
    agenda = [
        CHOOSE_ORGANISATION,
        {"title": "Присоединить часть подвала к кв. 1", "kind": "COMMON_PROPERTY_ANNEX"},
        {"title": "Переименовать двор", "threshold": "UNANIMOUS"},
    ]
    _, node = await hold(api, clock, scene, agenda, {0: "FFF", 1: "FFF", 2: "FFX", 3: "FFF"})
    assert (node["state"], node["quorum"]) == ("COMPLETED", True)
    protocol = node["protocol"]
    assert fraction(protocol["turnout"]) == ("1", "1")
    assert question(protocol, 2) == (("1", "1"), ("0", "1"), ("0", "1"), True)
    # 66.67 × 2/7 of 100.00 abstained
    assert question(protocol, 3) == (("28333", "35000"), ("0", "1"), ("6667", "35000"), False)


async def test_quorum_just_above_half_and_an_owner_off_the_platform(api: Api, clock: Clock) -> None:
    """50.00 m² of 99.99 take part: a quorum by 1/19998. The 49.99 m² whose owner is not
    on the platform did not vote, so nothing is unanimous; the administrator question
    voted down leaves the building without an administrator."""
    scene = await owners_building(api, [(Decimal("50.00"), [(1, 1)])], unowned=[Decimal("49.99")])
    agenda = [
        CHOOSE_ORGANISATION,
        {"title": "Присоединить часть подвала к кв. 1", "kind": "COMMON_PROPERTY_ANNEX"},
        {"title": "Выбор способа управления домом", "kind": "MANAGEMENT_METHOD"},
        ROOF,
        {"title": "Установить шлагбаум во дворе"},
    ]
    _, node = await hold(api, clock, scene, agenda, {0: "AFFFF"})
    assert (node["state"], node["quorum"]) == ("COMPLETED", True)
    protocol = node["protocol"]
    assert fraction(protocol["turnout"]) == ("5000", "9999")
    assert protocol["turnout"]["percentOfAll"] == "50.01"
    assert question(protocol, 1) == (("0", "1"), ("5000", "9999"), ("0", "1"), False)
    assert question(protocol, 2) == (("5000", "9999"), ("0", "1"), ("0", "1"), False)
    assert question(protocol, 3) == (("5000", "9999"), ("0", "1"), ("0", "1"), True)
    assert question(protocol, 4)[3] is False
    assert question(protocol, 5)[3] is True

    owner = scene.owners[0].person
    later = draft(scene, clock() + timedelta(days=15), agenda=[ROOF])
    created = await create(api, owner, later)
    assert created["userErrors"] == []
    assert (created["meeting"]["isFirstMeeting"], created["meeting"]["viewerAdministers"]) == (
        True,
        True,
    )
    assert errors(await schedule(api, owner, created["meeting"]["id"])) == [
        ("ADMINISTRATOR_QUESTION_MISSING", None)
    ]


async def test_quorum_of_exactly_half_fails(api: Api, clock: Clock) -> None:
    """Owners of exactly 50.00 of 100.00 m² all vote FOR: no quorum, nothing is decided,
    the protocol is still formed, and the building still has no administrator."""
    scene = await owners_building(
        api,
        [(Decimal("33.33"), [(1, 3), (2, 3)]), (Decimal("16.67"), [(1, 1)])],
        unowned=[Decimal("50.00")],
    )
    agenda = [CHOOSE_ORGANISATION, {"title": "Установить шлагбаум во дворе"}]
    meeting_id, node = await hold(api, clock, scene, agenda, {0: "FF", 1: "FF", 2: "FF"})
    assert (node["state"], node["quorum"]) == ("FAILED", False)
    assert [q["adopted"] for q in node["agenda"]] == [False, False]
    protocol = node["protocol"]
    assert protocol["quorum"] is False
    assert fraction(protocol["turnout"]) == ("1", "2")
    assert protocol["turnout"]["percentOfAll"] == "50.00"
    assert question(protocol, 1) == (("1", "2"), ("0", "1"), ("0", "1"), False)
    assert question(protocol, 2) == (("1", "2"), ("0", "1"), ("0", "1"), False)
    document = protocol["document"]
    assert document["contentType"] == "application/pdf"
    pdf = await api.client.get(document["url"], headers=scene.owners[0].person.headers)
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF-")
    assert await notices(api, meeting_id) == each_owner(
        scene, "MEETING_SCHEDULED", "MEETING_VOTING_STARTED", "MEETING_RESULTS"
    )

    later = await create(
        api, scene.owners[2].person, draft(scene, clock() + timedelta(days=15), agenda=[ROOF])
    )
    assert later["userErrors"] == []
    assert (later["meeting"]["isFirstMeeting"], later["meeting"]["viewerAdministers"]) == (
        True,
        True,
    )


async def test_chosen_owner_administers_later_meetings(api: Api, clock: Clock) -> None:
    """A passed administrator question makes its owner the administrator of the next
    meeting, with the voting length and place it set; that owner schedules and cancels."""
    scene = await owners_building(api, [(AREA, [(1, 1)]), (AREA, [(1, 1)]), (AREA, [(1, 1)])])
    initiator, chosen, third = (owning.person for owning in scene.owners)
    choose = {
        "title": "Выбор администратора общего собрания",
        "kind": "ADMINISTRATOR",
        "administratorId": chosen.id,
        "votingDays": 12,
        "decisionsPlace": "Квартира 2",
    }
    _, node = await hold(api, clock, scene, [choose, ROOF], {0: "FA", 1: "FA", 2: "AA"})
    assert node["state"] == "COMPLETED"
    assert question(node["protocol"], 1) == (("2", "3"), ("1", "3"), ("0", "1"), True)

    starts = clock() + timedelta(days=15)
    later = draft(scene, starts, length=timedelta(days=10), agenda=[ROOF])
    del later["decisionsPlace"]
    assert await refused_create(api, initiator, later) == [
        ("VOTING_PERIOD_AS_DECIDED", ["votingEndsAt"])
    ]
    later["votingEndsAt"] = (starts + timedelta(days=12)).isoformat()
    created = await create(api, initiator, later)
    assert created["userErrors"] == []
    meeting = created["meeting"]
    assert (meeting["isFirstMeeting"], meeting["viewerAdministers"]) == (False, False)
    assert meeting["decisionsPlace"] == "Квартира 2"
    seen = await administration(api, chosen, meeting["id"])
    assert seen is not None
    assert (seen["isFirstMeeting"], seen["viewerAdministers"]) == (False, True)
    assert seen["administrator"] == {"id": chosen.id}
    assert seen["initiator"] == {"id": initiator.id}
    assert seen["administratorOrganisation"] is None
    assert await administration(api, third, meeting["id"]) is None
    assert await administration(api, scene.manager, meeting["id"]) is None
    assert errors(await schedule(api, initiator, meeting["id"])) == [("NOT_ADMINISTRATOR", None)]
    assert (await schedule(api, chosen, meeting["id"]))["userErrors"] == []
    cancelled = await cancel(api, chosen, meeting["id"], "Собрание переносится")
    assert cancelled["userErrors"] == []
    assert cancelled["meeting"]["state"] == "CANCELLED"
    assert await notices(api, meeting["id"]) == each_owner(
        scene, "MEETING_SCHEDULED", "MEETING_CANCELLED"
    ) + Counter({(chosen.pk, "MEETING_TO_ADMINISTER"): 1})


# -- the three notices -------------------------------------------------------------------


async def test_each_owner_is_notified_three_times_however_the_sweep_runs(
    api: Api, clock: Clock
) -> None:
    """Sweeps run twice in a row and two at once: each meeting moves once, and every
    owner gets one notice when it is scheduled, one when voting starts and one with the
    results."""
    scene = await owners_building(
        api, [(AREA, [(1, 1)]), (AREA, [(1, 2), (1, 2)]), (AREA, [(2, 7)])]
    )
    owner = scene.owners[0].person
    input = draft(scene, clock() + timedelta(days=15))
    meeting_id = (await create(api, owner, input))["meeting"]["id"]
    assert (await schedule(api, owner, meeting_id))["userErrors"] == []
    assert await notices(api, meeting_id) == each_owner(scene, "MEETING_SCHEDULED")

    db, storage = api.db, api.app.state.services.storage
    clock.advance(datetime.fromisoformat(input["votingStartsAt"]) - clock())
    await asyncio.gather(advance(db, storage, clock()), advance(db, storage, clock()))
    await sweep(api, clock)
    await sweep(api, clock)
    where = f"meeting_id = {pk(meeting_id)}"
    assert await count_rows(api, "meeting_register_entries", where) == len(scene.owners)
    assert await notices(api, meeting_id) == each_owner(
        scene, "MEETING_SCHEDULED", "MEETING_VOTING_STARTED"
    )
    await asyncio.gather(*(vote(api, owning.person, meeting_id, "FF") for owning in scene.owners))

    clock.advance(datetime.fromisoformat(input["votingEndsAt"]) - clock())
    await asyncio.gather(advance(db, storage, clock()), advance(db, storage, clock()))
    await sweep(api, clock)
    await sweep(api, clock)
    node = (await api.gql(PROTOCOL_EXACT, {"id": meeting_id}, as_=owner))["node"]
    assert (node["state"], node["quorum"]) == ("COMPLETED", True)
    assert await count_rows(api, "meeting_ballots", where) == len(scene.owners)
    assert await notices(api, meeting_id) == each_owner(
        scene, "MEETING_SCHEDULED", "MEETING_VOTING_STARTED", "MEETING_RESULTS"
    )
