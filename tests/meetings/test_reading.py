"""Reading meetings: a page of a building's meetings with their agendas, tallies and the
viewer's entries costs the same statements for 2 meetings as for 12."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from tests.factories import Api, Clock
from tests.meetings.operations import CREATE, SCHEDULE
from tests.meetings.scene import OwnersBuilding, owners_building, sweep

PAGE = """
query Page($id: ID!) {
  building(id: $id) {
    meetings(first: 50) {
      nodes {
        id number state
        agenda { number title threshold }
        materials { url }
        initiator { id displayName }
        tally { ballots turnout { percentOfAll } questions { number } }
        viewerEntries { id share weight { percentOfAll } premise { number } viewerMayVote }
        register { id entries(first: 10) { nodes { id ballot { channel } } } }
      }
    }
  }
}
"""


async def voting_meetings(api: Api, clock: Clock, scene: OwnersBuilding, count: int) -> None:
    """``count`` scheduled meetings of the scene's building (each drafted while no
    administrator had been chosen, so each is administered by its initiator)."""
    starts = clock() + timedelta(days=15)
    for n in range(count):
        owner = scene.owners[n % len(scene.owners)].person  # a few each: creating is limited
        created = await api.gql(
            CREATE,
            {
                "input": {
                    "buildingId": scene.building_id,
                    "title": f"Собрание {n}",
                    "votingStartsAt": starts.isoformat(),
                    "votingEndsAt": (starts + timedelta(days=10)).isoformat(),
                    "decisionsPlace": "Кабинет УК",
                    "agenda": [
                        {
                            "title": "Выбор администратора",
                            "kind": "ADMINISTRATOR",
                            "administratorIsOrganisation": True,
                        },
                        {"title": f"Вопрос {n}"},
                    ],
                }
            },
            as_=owner,
        )
        meeting = created["meetingCreate"]["meeting"]
        await api.gql(SCHEDULE, {"input": {"meetingId": meeting["id"]}}, as_=owner)


async def statements_for(api: Api, clock: Clock, count: int) -> tuple[int, Any]:
    scene = await owners_building(
        api,
        [
            (Decimal("40.00"), [(1, 2), (1, 2)]),
            (Decimal("60.00"), [(1, 1)]),
            (Decimal("33.33"), [(1, 1)]),
        ],
    )
    await voting_meetings(api, clock, scene, count)
    clock.advance(timedelta(days=15, minutes=1))
    await sweep(api, clock)
    with api.count_statements() as statements:
        data = await api.gql(PAGE, {"id": scene.building_id}, as_=scene.owners[0].person)
    clock.reset()
    return len(statements), data


async def test_a_page_of_meetings_costs_no_statement_per_meeting(api: Api, clock: Clock) -> None:
    few, small = await statements_for(api, clock, 2)
    many, large = await statements_for(api, clock, 12)
    assert len(small["building"]["meetings"]["nodes"]) == 2
    nodes = large["building"]["meetings"]["nodes"]
    assert len(nodes) == 12
    assert all(node["state"] == "VOTING" for node in nodes)
    assert all(len(node["viewerEntries"]) == 1 for node in nodes)
    assert all(node["register"] is not None for node in nodes)
    assert many == few, (few, many)
