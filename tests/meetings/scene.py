"""Buildings made for meetings: premises with given areas, each owned in given shares by
users of their own, and the organisation's manager."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import insert

from edom_graphql.buildings.models import (
    Building,
    ManagementOrganisation,
    Premise,
    PremiseKind,
    StaffMembership,
)
from edom_graphql.buildings.service import premise_sort_key
from edom_graphql.core.capabilities import StaffRole
from edom_graphql.core.ids import encode_id
from edom_graphql.meetings.service.closing import advance
from edom_graphql.residents.models import Ownership, User
from tests.factories import Api, Clock, GraphQLResult, Person

Holding = tuple[Decimal, Sequence[tuple[int, int]]]
"""A premise: its area and the shares (numerator, denominator) of its owners."""


@dataclass
class Owning:
    person: Person
    premise: str
    area: Decimal
    share: Fraction


@dataclass
class OwnersBuilding:
    building_pk: int
    organisation_pk: int
    manager: Person
    dispatcher: Person
    total_area: Decimal
    owners: list[Owning] = field(default_factory=list)

    @property
    def building_id(self) -> str:
        return encode_id("Building", self.building_pk)

    def weight(self, owning: Owning) -> Fraction:
        return Fraction(owning.area) * owning.share / Fraction(self.total_area)


async def owners_building(
    api: Api, holdings: Sequence[Holding], *, unowned: Sequence[Decimal] = ()
) -> OwnersBuilding:
    """A building whose premises are owned as ``holdings`` say, plus ``unowned`` premises
    (areas) whose owners are not on the platform."""
    tag = uuid.uuid4().hex[:10]
    async with api.db.transaction() as (session, _):
        organisation = (
            await session.execute(
                insert(ManagementOrganisation)
                .values(name=f"УК {tag}", inn=uuid.uuid4().hex[:12])
                .returning(ManagementOrganisation.id)
            )
        ).scalar_one()
        areas = [area for area, _ in holdings] + list(unowned)
        building = (
            await session.execute(
                insert(Building)
                .values(
                    organisation_id=organisation,
                    address=f"Москва, ул. Собраний, {tag}",
                    latitude=Decimal("55.75"),
                    longitude=Decimal("37.61"),
                    total_area=sum(areas, Decimal(0)),
                )
                .returning(Building.id)
            )
        ).scalar_one()
        premises = (
            await session.execute(
                insert(Premise).returning(Premise.id, Premise.number),
                [
                    {
                        "building_id": building,
                        "kind": PremiseKind.APARTMENT,
                        "number": str(n),
                        "number_sort": premise_sort_key(PremiseKind.APARTMENT, str(n)),
                        "area": area,
                    }
                    for n, area in enumerate(areas, start=1)
                ],
            )
        ).all()
        pk_of_number = {number: pk for pk, number in premises}

        async def user(key: str) -> Person:
            subject = f"test|{tag}|{key}"
            pk = (
                await session.execute(
                    insert(User)
                    .values(subject=subject, display_name=key, full_name=f"{key} Полное Имя")
                    .returning(User.id)
                )
            ).scalar_one()
            return Person(key, pk, subject, api.token(subject, key))

        manager = await user("manager")
        dispatcher = await user("dispatcher")
        await session.execute(
            insert(StaffMembership),
            [
                {"organisation_id": organisation, "user_id": manager.pk, "role": StaffRole.MANAGER},
                {
                    "organisation_id": organisation,
                    "user_id": dispatcher.pk,
                    "role": StaffRole.DISPATCHER,
                },
            ],
        )
        scene = OwnersBuilding(
            building_pk=building,
            organisation_pk=organisation,
            manager=manager,
            dispatcher=dispatcher,
            total_area=sum(areas, Decimal(0)),
        )
        rows: list[dict[str, Any]] = []
        for n, (area, shares) in enumerate(holdings, start=1):
            for index, (numerator, denominator) in enumerate(shares):
                person = await user(f"owner{n}_{index}")
                scene.owners.append(Owning(person, str(n), area, Fraction(numerator, denominator)))
                rows.append(
                    {
                        "premise_id": pk_of_number[str(n)],
                        "building_id": building,
                        "user_id": person.pk,
                        "share_numerator": numerator,
                        "share_denominator": denominator,
                    }
                )
        if rows:
            await session.execute(insert(Ownership), rows)
    return scene


async def sweep(api: Api, clock: Clock) -> None:
    """Run the meetings' time-driven steps as a server process would, until nothing is due."""
    while await advance(api.db, api.app.state.services.storage, clock()):
        pass


def later(clock: Clock, **delta: float) -> datetime:
    return clock() + timedelta(**delta)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def multipart(
    api: Api,
    person: Person,
    query: str,
    input: dict[str, Any],
    files: dict[str, bytes],
) -> GraphQLResult:
    """A GraphQL multipart request: ``files`` maps an input path ("scan", "materials.0")
    to the file's bytes."""
    variables = {"input": dict(input)}
    for path in files:
        target = variables["input"]
        *parents, last = path.split(".")
        for part in parents:
            target = target.setdefault(part, [])
        if last.isdigit():
            assert isinstance(target, list)
            target.append(None)
        else:
            target[last] = None
    operations = {"query": query, "variables": variables}
    mapping = {str(i): [f"variables.input.{path}"] for i, path in enumerate(files)}
    response = await api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files={
            str(i): (f"f{i}", data, "application/octet-stream")
            for i, data in enumerate(files.values())
        },
        headers=person.headers,
    )
    result = GraphQLResult(response)
    await api.assert_visible(result.data, person.headers.get("Authorization"))
    return result


async def put_to_vote(api: Api, clock: Clock, person: Person, input: dict[str, Any]) -> str:
    """Draft the meeting ``input`` describes as ``person`` (who administers it), schedule it
    and move the clock to its voting start, opening voting: the meeting's id."""
    from tests.meetings.operations import CREATE, SCHEDULE

    created = (await api.gql(CREATE, {"input": input}, as_=person))["meetingCreate"]
    assert created["userErrors"] == [], created
    meeting_id: str = created["meeting"]["id"]
    scheduled = await api.gql(SCHEDULE, {"input": {"meetingId": meeting_id}}, as_=person)
    assert scheduled["meetingSchedule"]["userErrors"] == [], scheduled
    clock.advance(datetime.fromisoformat(input["votingStartsAt"]) - clock())
    await sweep(api, clock)
    return meeting_id


async def end_voting(api: Api, clock: Clock, input: dict[str, Any]) -> None:
    """Move the clock to the end of the voting ``input`` set, and count the meeting."""
    clock.advance(max(datetime.fromisoformat(input["votingEndsAt"]) - clock(), timedelta()))
    await sweep(api, clock)


def meeting_input(
    building_id: str,
    title: str,
    questions: Sequence[str],
    *,
    starts: datetime,
    days: float = 10,
    choose_organisation: bool = False,
) -> dict[str, Any]:
    """A meeting's input: ``questions`` (GENERAL), after a question choosing the
    organisation as administrator of later meetings where ``choose_organisation``."""
    agenda: list[dict[str, Any]] = []
    if choose_organisation:
        agenda.append(
            {
                "title": "Выбор администратора общих собраний",
                "kind": "ADMINISTRATOR",
                "administratorIsOrganisation": True,
            }
        )
    agenda += [{"title": question} for question in questions]
    return {
        "buildingId": building_id,
        "title": title,
        "votingStartsAt": starts.isoformat(),
        "votingEndsAt": (starts + timedelta(days=days)).isoformat(),
        "decisionsPlace": "Кабинет УК, 1 этаж",
        "agenda": agenda,
    }


async def drafted(
    api: Api, person: Person, input: dict[str, Any], files: dict[str, bytes] | None = None
) -> str:
    """The id of the meeting ``person`` drafts (which must work)."""
    from tests.meetings.operations import CREATE

    if files:
        result = await multipart(api, person, CREATE, input, files)
    else:
        result = await api.post(CREATE, {"input": input}, as_=person)
    payload = result.ok()["meetingCreate"]
    assert payload["userErrors"] == [], payload
    meeting_id: str = payload["meeting"]["id"]
    return meeting_id


async def scheduled(api: Api, person: Person, meeting_id: str) -> None:
    """``person`` puts the meeting to the owners (which must work)."""
    from tests.meetings.operations import SCHEDULE

    data = await api.gql(SCHEDULE, {"input": {"meetingId": meeting_id}}, as_=person)
    assert data["meetingSchedule"]["userErrors"] == [], data


async def voting_since(
    api: Api,
    clock: Clock,
    initiator: Person,
    administrator: Person,
    input: dict[str, Any],
    *,
    days: float = 5,
    files: dict[str, bytes] | None = None,
) -> str:
    """A meeting whose voting opened ``days`` ago, by the clock as it is: drafted by
    ``initiator`` and scheduled by ``administrator`` with the clock set back (15 days
    before voting started), opened by a sweep once the clock is restored. ``input``'s
    voting starts are moved, its length kept. The meeting's id."""
    offset = clock.offset
    starts = clock() - timedelta(days=days)
    length = datetime.fromisoformat(input["votingEndsAt"]) - datetime.fromisoformat(
        input["votingStartsAt"]
    )
    dated = {
        **input,
        "votingStartsAt": starts.isoformat(),
        "votingEndsAt": (starts + length).isoformat(),
    }
    clock.offset = offset - timedelta(days=days + 15)
    try:
        meeting_id = await drafted(api, initiator, dated, files)
        await scheduled(api, administrator, meeting_id)
    finally:
        clock.offset = offset
    await sweep(api, clock)
    return meeting_id


async def registered_attorney(
    api: Api,
    administrator: Person,
    meeting_id: str,
    principal: Person,
    representative: Person,
    *,
    valid_from: datetime,
    valid_until: datetime,
    number: str = "77 АБ 1234567",
) -> str:
    """The id of the power of attorney ``administrator`` registers (which must work)."""
    from tests.meetings.operations import ATTORNEY

    result = await multipart(
        api,
        administrator,
        ATTORNEY,
        {
            "meetingId": meeting_id,
            "principalId": principal.id,
            "representativeId": representative.id,
            "documentNumber": number,
            "validFrom": valid_from.isoformat(),
            "validUntil": valid_until.isoformat(),
        },
        {"scan": PDF},
    )
    payload = result.ok()["powerOfAttorneyRegister"]
    assert payload["userErrors"] == [], payload
    attorney_id: str = payload["powerOfAttorney"]["id"]
    return attorney_id


async def entries_by_owner(api: Api, viewer: Person, meeting_id: str) -> dict[str, str]:
    """The ids of a meeting's register entries by their owner's user id (as ``viewer``,
    who sees the register, reads it)."""
    from tests.meetings.operations import REGISTER

    data = await api.gql(REGISTER, {"id": meeting_id}, as_=viewer)
    nodes = data["node"]["register"]["entries"]["nodes"]
    return {entry["owner"]["id"]: entry["id"] for entry in nodes}


async def add_owners(
    api: Api, building_pk: int, premises: dict[str, int], numbers: Sequence[str]
) -> dict[str, Person]:
    """A user of their own owning each premise ``numbers`` names whole, by that number."""
    tag = uuid.uuid4().hex[:10]
    owners: dict[str, Person] = {}
    async with api.db.transaction() as (session, _):
        for number in numbers:
            key = f"owner_of_{number}"
            subject = f"test|{tag}|{key}"
            pk = (
                await session.execute(
                    insert(User)
                    .values(subject=subject, display_name=key, full_name=f"{key} Полное Имя")
                    .returning(User.id)
                )
            ).scalar_one()
            owners[number] = Person(key, pk, subject, api.token(subject, key))
        await session.execute(
            insert(Ownership),
            [
                {
                    "premise_id": premises[number],
                    "building_id": building_pk,
                    "user_id": person.pk,
                    "share_numerator": 1,
                    "share_denominator": 1,
                }
                for number, person in owners.items()
            ],
        )
    return owners
