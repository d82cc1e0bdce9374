"""`pollCreate` and its rules, through the served API. (The capability matrix cells are
in test_access_matrix.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import Api, make_world
from tests.polls.operations import CREATE, LIST, closes, create, create_input


async def test_create_poll(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world, question="  Где поставить лавочку?  ")
    assert poll["question"] == "Где поставить лавочку?"
    assert [(o["text"], o["position"]) for o in poll["options"]] == [
        ("У подъезда", 1),
        ("У детской площадки", 2),
        ("Не нужна", 3),
    ]
    assert poll["multipleChoice"] is False
    assert poll["resultsVisibility"] == "AFTER_VOTE"
    assert poll["isOpen"] is True
    assert poll["viewerHasVoted"] is False
    assert poll["viewerCanVote"] is True
    # the author always sees the results
    assert poll["results"] == {
        "pollId": poll["id"],
        "ballots": 0,
        "options": [{"option": {"id": o["id"]}, "votes": 0} for o in poll["options"]],
    }
    # the manager may create polls too (staff cannot vote in them)
    staff_poll = await create(api, world, as_="manager")
    assert staff_poll["viewerCanVote"] is False
    assert staff_poll["results"]["ballots"] == 0


CREATE_ERRORS = [
    ("TOO_FEW_OPTIONS", {"options": ["Да"]}, ["options"]),
    ("TOO_MANY_OPTIONS", {"options": [f"Вариант {i}" for i in range(11)]}, ["options"]),
    ("DUPLICATE_OPTION", {"options": ["Да", "Нет", " да "]}, ["options", "2"]),
    ("BLANK", {"question": "   "}, ["question"]),
    ("BLANK", {"options": ["Да", " "]}, ["options", "1"]),
    ("TOO_LONG", {"question": "?" * 501}, ["question"]),
    ("TOO_LONG", {"options": ["Да", "н" * 201]}, ["options", "1"]),
    ("CLOSES_IN_PAST", {"closesAt": closes(minutes=-1)}, ["closesAt"]),
    ("CLOSES_TOO_LATE", {"closesAt": closes(days=91)}, ["closesAt"]),
]


@pytest.mark.parametrize(("code", "overrides", "field"), CREATE_ERRORS)
async def test_create_user_errors(
    api: Api, code: str, overrides: dict[str, Any], field: list[str]
) -> None:
    world = await make_world(api)
    data = await api.gql(CREATE, create_input(world, **overrides), as_=world["owner"])
    payload = data["pollCreate"]
    assert payload["poll"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    listed = await api.gql(LIST, {"id": world.building_id, "first": 10}, as_=world["owner"])
    assert listed["building"]["polls"]["nodes"] == []


async def test_create_limits_are_inclusive(api: Api) -> None:
    world = await make_world(api)
    poll = await create(
        api,
        world,
        question="?" * 500,
        options=[f"{i}" * 200 for i in range(10)],
        closesAt=closes(days=89, hours=23),
    )
    assert len(poll["options"]) == 10
