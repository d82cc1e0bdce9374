"""Access to owners' meetings, cell by cell, through the API: who lists a building's
meetings, who gets past each meeting mutation's ``@requires`` and what the service then
answers, who sees the register, the running totals, the stored documents and scans.

The columns are the people of ``make_world`` (tests/access/test_access_matrix.py). The
building also has owners of apartments 2–4, so that its first meeting (the owner's, who
administered it) had a quorum and chose the management organisation to administer later
meetings: the owner initiates those, the organisation's manager administers them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import delete, select

from edom_graphql.core.ids import decode_id
from edom_graphql.core.ratelimit import RateLimitHit
from edom_graphql.meetings.models import (
    BuildingMeetingRules,
    Meeting,
    MeetingBallot,
    MeetingDecision,
    MeetingMaterial,
    MeetingQuestion,
    MeetingRegisterEntry,
    PowerOfAttorney,
)
from edom_graphql.notifications.models import Notification
from tests.access.test_access_matrix import (
    PEOPLE,
    PERSON_COLUMN,
    allowed,
    assert_denied,
    person,
    read,
)
from tests.factories import (
    Api,
    Clock,
    GraphQLResult,
    Person,
    World,
    let_in,
    make_user,
    make_world,
)
from tests.meetings.operations import (
    ATTORNEY,
    BUILDING_MEETINGS,
    CANCEL,
    CREATE,
    MEETING_FILES,
    MEETING_TALLY,
    PAPER,
    POWER_OF_ATTORNEY,
    REGISTER,
    SCHEDULE,
    VIEWER_ENTRY_IDS,
    VOTE,
    VOTE_BY_ATTORNEY,
)
from tests.meetings.scene import (
    PDF,
    add_owners,
    drafted,
    entries_by_owner,
    meeting_input,
    multipart,
    registered_attorney,
    scheduled,
    sweep,
    voting_since,
)

# -- who is who, by hand -----------------------------------------------------------------


def holders(capability: str) -> set[str]:
    """The people of make_world the matrix gives ``capability`` in the building."""
    return {key for key in PEOPLE if allowed(capability, PERSON_COLUMN[key])}


SEES_MEETINGS = holders("MEETING_RESULTS_VIEW")  # every tier, the staff, the admin
REGISTER_READERS = holders("OWNERS_REGISTER")  # the owners and the staff
STAFF = {"dispatcher", "engineer", "manager"}
REPRESENTATIVE = "resident"
"""Represents the co-owner at the voting meeting (and signed her paper decision at the
first meeting)."""


def test_who_is_who() -> None:
    """The sets above spelt out, to catch a slip in the matrix they are read from."""
    assert holders("MEETING_RESULTS_VIEW") == {
        "owner",
        "co_owner",
        "registered",
        "resident",
        "guest_elevated",
        "guest_basic",
        "guest_initial",
        "dispatcher",
        "engineer",
        "manager",
        "admin",
    }
    assert holders("OWNERS_REGISTER") == {"owner", "co_owner", *STAFF}
    assert holders("MEETING_INITIATE") == {"owner", "co_owner", "manager"}
    assert holders("MEETING_VOTE") == {"owner", "co_owner"}
    # measured on the representative a power of attorney names: nobody by tier or role
    assert holders("MEETING_VOTE_BY_ATTORNEY") == set()


# -- the scene -----------------------------------------------------------------------------


@dataclass
class Scene:
    world: World
    neighbours: dict[str, Person]
    """Owners of apartments 2, 3 and 4, by number."""
    first: str
    """The first meeting, completed: the owner administered it."""
    voting: str
    """Voting now (since five days, for five more): the organisation administers it."""
    scheduled: str
    draft: str
    """The owner's draft, which the organisation would administer."""
    entries: dict[str, str]
    """Register entries of the voting meeting, by owner key (and neighbour number)."""
    attorney: str
    """At the voting meeting: the resident represents the co-owner."""
    files: dict[str, str] = field(default_factory=dict)
    """Media URLs by name."""

    def __getitem__(self, key: str) -> Person:
        return person(self.world, key)

    @property
    def owners(self) -> list[Person]:
        return [self["owner"], self["co_owner"], *self.neighbours.values()]


def decisions(*marks: str) -> list[dict[str, Any]]:
    return [{"number": n, "decision": mark} for n, mark in enumerate(marks, start=1)]


def pk_of(global_id: str) -> int:
    decoded = decode_id(global_id)
    assert decoded is not None, global_id
    return decoded[1]


async def vote(api: Api, voter: Person, entry_id: str, *marks: str) -> None:
    data = await api.gql(
        VOTE, {"input": {"entryId": entry_id, "decisions": decisions(*marks)}}, as_=voter
    )
    assert data["meetingVoteCast"]["userErrors"] == [], data


def later_input(world: World, clock: Clock, title: str, *, days: float = 15) -> dict[str, Any]:
    """A later meeting of the building, voting from ``days`` from now, for ten days."""
    return meeting_input(
        world.building_id,
        title,
        ["Ремонт кровли", "Замена почтовых ящиков"],
        starts=clock() + timedelta(days=days),
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scene(api: Api, clock: Clock) -> Scene:
    world = await make_world(api)
    neighbours = await add_owners(api, world.building_pk, world.premises, ["2", "3", "4"])
    owner, co_owner, manager = world["owner"], world["co_owner"], world["manager"]
    representative = world[REPRESENTATIVE]
    offset = clock.offset

    # The first meeting, drafted and scheduled 40 days ago, voting 25 to 15 days ago.
    clock.offset = offset - timedelta(days=40)
    first = await drafted(
        api,
        owner,
        meeting_input(
            world.building_id,
            "Первое собрание в системе",
            ["Установка домофона"],
            starts=clock() + timedelta(days=15),
            choose_organisation=True,
        ),
        {"materials.0": PDF},
    )
    await scheduled(api, owner, first)
    clock.offset = offset - timedelta(days=20)
    await sweep(api, clock)
    first_entries = await entries_by_owner(api, owner, first)
    for voter, marks in (
        (owner, ("FOR", "FOR")),
        (neighbours["2"], ("FOR", "FOR")),
        (neighbours["3"], ("FOR", "AGAINST")),
        (neighbours["4"], ("FOR", "ABSTAIN")),
    ):
        await vote(api, voter, first_entries[voter.id], *marks)
    # the co-owner's paper decision, signed by her representative
    first_attorney = await registered_attorney(
        api,
        owner,
        first,
        co_owner,
        representative,
        valid_from=clock() - timedelta(days=1),
        valid_until=clock() + timedelta(days=3),
        number="77 АА 0000001",
    )
    paper = await multipart(
        api,
        owner,
        PAPER,
        {
            "entryId": first_entries[co_owner.id],
            "decisions": decisions("FOR", "AGAINST"),
            "receivedOn": (clock() - timedelta(hours=1)).isoformat(),
            "powerOfAttorneyId": first_attorney,
        },
        {"scan": PDF},
    )
    assert paper.ok()["meetingPaperBallotEnter"]["userErrors"] == [], paper
    clock.offset = offset
    await sweep(api, clock)  # counts it: a quorum, and the organisation administers now

    voting = await voting_since(
        api,
        clock,
        owner,
        manager,
        meeting_input(
            world.building_id,
            "Ремонт кровли",
            ["Ремонт кровли", "Замена лифта"],
            starts=clock(),
        ),
        files={"materials.0": PDF},
    )
    scheduled_id = await drafted(api, owner, later_input(world, clock, "Субботник"))
    await scheduled(api, manager, scheduled_id)
    draft = await drafted(
        api, owner, later_input(world, clock, "Шлагбаум", days=20), {"materials.0": PDF}
    )
    by_user = await entries_by_owner(api, manager, voting)
    entries = {"owner": by_user[owner.id], "co_owner": by_user[co_owner.id]}
    entries |= {number: by_user[neighbour.id] for number, neighbour in neighbours.items()}
    await vote(api, owner, entries["owner"], "FOR", "AGAINST")
    attorney = await registered_attorney(
        api,
        manager,
        voting,
        co_owner,
        representative,
        valid_from=clock() - timedelta(hours=1),
        valid_until=clock() + timedelta(days=2),
    )
    scene = Scene(world, neighbours, first, voting, scheduled_id, draft, entries, attorney)

    documents = (await api.gql(MEETING_FILES, {"id": first}, as_=owner))["node"]
    (material,) = documents["materials"]
    scene.files["first_materials"] = material["url"]
    scene.files["first_protocol"] = documents["protocol"]["document"]["url"]
    scene.files["first_annex"] = documents["register"]["annex"]["url"]
    (scan,) = [
        entry["ballot"]["scan"]["url"]
        for entry in documents["register"]["entries"]["nodes"]
        if entry["owner"]["id"] == co_owner.id
    ]
    scene.files["paper_scan"] = scan
    for name, meeting_id in (("voting_materials", voting), ("draft_materials", draft)):
        files = (await api.gql(MEETING_FILES, {"id": meeting_id}, as_=owner))["node"]
        (material,) = files["materials"]
        scene.files[name] = material["url"]
    power = (await api.gql(POWER_OF_ATTORNEY, {"id": attorney}, as_=manager))["node"]
    scene.files["attorney_scan"] = power["scan"]["url"]
    # the owner drafted four meetings within the hour: let tests start uncounted
    async with api.db.transaction() as (session, _):
        await session.execute(delete(RateLimitHit))
    return scene


async def fresh_voting(
    api: Api, clock: Clock, scene: Scene, title: str
) -> tuple[str, dict[str, str]]:
    """A later meeting voting now (the owner's, the manager scheduled it), and its register
    entries by owner user id."""
    meeting_id = await voting_since(
        api,
        clock,
        scene["owner"],
        scene["manager"],
        later_input(scene.world, clock, title),
    )
    return meeting_id, await entries_by_owner(api, scene["manager"], meeting_id)


async def fresh_scheduled(api: Api, clock: Clock, scene: Scene, title: str) -> str:
    meeting_id = await drafted(api, scene["owner"], later_input(scene.world, clock, title))
    await scheduled(api, scene["manager"], meeting_id)
    return meeting_id


# -- refusals change nothing ---------------------------------------------------------------


async def snapshot(api: Api, scene: Scene) -> dict[str, Any]:
    """Every row of the building's meetings, and the notifications of everyone in it."""
    building = scene.world.building_pk
    meetings = select(Meeting.id).where(Meeting.building_id == building)
    rows: dict[str, Any] = {}
    for table in (
        Meeting,
        MeetingQuestion,
        MeetingMaterial,
        MeetingRegisterEntry,
        MeetingBallot,
        PowerOfAttorney,
    ):
        rows[table.__tablename__] = await read(
            api,
            select(table.__table__).where(table.building_id == building).order_by(table.id),
        )
    rows["decisions"] = await read(
        api,
        select(MeetingDecision.__table__)
        .where(MeetingDecision.meeting_id.in_(meetings))
        .order_by(MeetingDecision.id),
    )
    rows["rules"] = await read(
        api,
        select(BuildingMeetingRules.__table__).where(BuildingMeetingRules.building_id == building),
    )
    users = [p.pk for p in scene.world.people.values()] + [p.pk for p in scene.neighbours.values()]
    rows["notifications"] = await read(
        api,
        select(Notification.__table__)
        .where(Notification.user_id.in_(users))
        .order_by(Notification.id),
    )
    storage = api.app.state.services.storage
    rows["stored files"] = sorted(await storage.saved_before(datetime.now(UTC) + timedelta(days=1)))
    return rows


DONE = "done"
HIDDEN = "hidden"
"""Past the directive, but the meeting is a draft the caller may not see: FORBIDDEN."""


def outcome(capability: str, key: str, past_directive: dict[str, str]) -> str:
    """What ``key``'s call gets: UNAUTHENTICATED, FORBIDDEN by the directive, or (for those
    the matrix lets past it) what ``past_directive`` says."""
    assert set(past_directive) == holders(capability), past_directive
    if key == "anonymous":
        return "UNAUTHENTICATED"
    return past_directive.get(key, "FORBIDDEN")


async def refused(
    api: Api,
    scene: Scene,
    result: GraphQLResult,
    name: str,
    expected: str,
    capability: str,
    before: dict[str, Any],
    *,
    uploads: bool = False,
) -> bool:
    """Whether the call was to be refused; if so, that it was (one error at the mutation's
    path, or the service's user error) and that nothing changed. ``uploads``: a multipart
    request."""
    if expected == DONE:
        return False
    if expected == "UNAUTHENTICATED" and uploads:
        # uploads are for signed-in users: the request is refused before it is executed
        assert result.response.status_code == 401, result
        assert result.codes == ["UNAUTHENTICATED"], result
        assert result.data is None
    elif expected in ("UNAUTHENTICATED", "FORBIDDEN", HIDDEN):
        assert_denied(result, "FORBIDDEN" if expected == HIDDEN else expected, [name])
        assert result.data == {name: None}
        (error,) = result.errors
        if expected == "FORBIDDEN":  # the directive's refusal names the capability
            assert error["extensions"]["capability"] == capability, result
        else:
            assert "capability" not in error["extensions"], result
    else:
        payload = result.ok()[name]
        assert [e["code"] for e in payload["userErrors"]] == [expected], payload
    assert await snapshot(api, scene) == before
    return True


# -- Building.meetings @requires(MEETING_RESULTS_VIEW) -------------------------------------


@pytest.mark.parametrize("key", PEOPLE)
async def test_building_meetings(api: Api, scene: Scene, key: str) -> None:
    """Meetings put to the owners for whoever sees the building, newest first; a draft
    for its initiator and the organisation's manager, who would administer it."""
    world = scene.world
    result = await api.post(BUILDING_MEETINGS, {"id": world.building_id}, as_=scene[key])
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["building"])
        assert result.data == {"building": None}
        return
    if key not in SEES_MEETINGS:
        assert result.ok() == {"building": None}
        return
    nodes = result.ok()["building"]["meetings"]["nodes"]
    numbers = [node["number"] for node in nodes]
    assert numbers == sorted(numbers, reverse=True)
    ours = {scene.draft, scene.scheduled, scene.voting, scene.first}
    expected = [
        {"id": scene.draft, "state": "DRAFT", "number": 4},
        {"id": scene.scheduled, "state": "SCHEDULED", "number": 3},
        {"id": scene.voting, "state": "VOTING", "number": 2},
        {"id": scene.first, "state": "COMPLETED", "number": 1},
    ]
    if key not in ("owner", "manager"):
        expected = expected[1:]
    assert [node for node in nodes if node["id"] in ours] == expected
    # drafts other tests of this module made: theirs, or the manager's to administer
    drafts = [pk_of(node["id"]) for node in nodes if node["state"] == "DRAFT"]
    initiators = {
        initiator
        for (initiator,) in await read(
            api, select(Meeting.initiator_id).where(Meeting.id.in_(drafts))
        )
    }
    assert key == "manager" or initiators <= {world[key].pk}


# -- meetingCreate @requires(MEETING_INITIATE) ---------------------------------------------


@pytest.mark.parametrize("key", PEOPLE)
async def test_meeting_create(api: Api, scene: Scene, clock: Clock, key: str) -> None:
    """Owners draft as themselves, the manager on behalf of the organisation; the
    organisation the owners chose administers every later meeting."""
    expected = outcome("MEETING_INITIATE", key, {"owner": DONE, "co_owner": DONE, "manager": DONE})
    values = {
        **later_input(scene.world, clock, f"Собрание от {key}"),
        "onBehalfOfOrganisation": key == "manager",
    }
    before = await snapshot(api, scene)
    result = await multipart(api, scene[key], CREATE, values, {"materials.0": PDF})
    name = "meetingCreate"
    if await refused(api, scene, result, name, expected, "MEETING_INITIATE", before, uploads=True):
        return
    payload = result.ok()["meetingCreate"]
    assert payload["userErrors"] == []
    meeting = payload["meeting"]
    assert (meeting["title"], meeting["state"], meeting["isFirstMeeting"]) == (
        f"Собрание от {key}",
        "DRAFT",
        False,
    )
    assert meeting["viewerAdministers"] is (key == "manager")
    assert [(m["contentType"], m["sizeBytes"]) for m in meeting["materials"]] == [
        ("application/pdf", len(PDF))
    ]
    ((initiator, on_behalf, administrator_user, administrator_organisation),) = await read(
        api,
        select(
            Meeting.initiator_id,
            Meeting.initiator_organisation_id,
            Meeting.administrator_user_id,
            Meeting.administrator_organisation_id,
        ).where(Meeting.id == pk_of(meeting["id"])),
    )
    organisation = scene.world.organisation_pk
    assert initiator == scene[key].pk
    assert on_behalf == (organisation if key == "manager" else None)
    assert (administrator_user, administrator_organisation) == (None, organisation)


# -- meetingSchedule @requires(MEETING_INITIATE) -------------------------------------------


@pytest.mark.parametrize("key", PEOPLE)
async def test_meeting_schedule(api: Api, scene: Scene, clock: Clock, key: str) -> None:
    """The administrator (the manager) puts the owner's draft to the owners; the owner,
    who initiated it, does not administer it; the co-owner does not see it."""
    expected = outcome(
        "MEETING_INITIATE",
        key,
        {"manager": DONE, "owner": "NOT_ADMINISTRATOR", "co_owner": HIDDEN},
    )
    meeting_id = scene.draft
    if expected == DONE:
        meeting_id = await drafted(api, scene["owner"], later_input(scene.world, clock, "Лифт"))
    before = await snapshot(api, scene)
    result = await api.post(SCHEDULE, {"input": {"meetingId": meeting_id}}, as_=scene[key])
    if await refused(api, scene, result, "meetingSchedule", expected, "MEETING_INITIATE", before):
        return
    payload = result.ok()["meetingSchedule"]
    assert payload["userErrors"] == []
    assert payload["meeting"]["state"] == "SCHEDULED"
    told = await read(
        api,
        select(Notification.user_id)
        .where(
            Notification.kind == "MEETING_SCHEDULED",
            Notification.subject_type == "Meeting",
            Notification.subject_id == pk_of(meeting_id),
        )
        .order_by(Notification.user_id),
    )
    assert [user for (user,) in told] == sorted(owner.pk or 0 for owner in scene.owners)


# -- meetingCancel @requires(MEETING_INITIATE) ---------------------------------------------


@pytest.mark.parametrize("key", PEOPLE)
async def test_meeting_cancel(api: Api, scene: Scene, clock: Clock, key: str) -> None:
    """Its initiator (the owner) or administrator (the manager) cancels a scheduled
    meeting; the co-owner sees it but does neither."""
    expected = outcome(
        "MEETING_INITIATE",
        key,
        {"owner": DONE, "manager": DONE, "co_owner": "NOT_ADMINISTRATOR"},
    )
    meeting_id = scene.scheduled
    if expected == DONE:
        meeting_id = await fresh_scheduled(api, clock, scene, f"Отменит {key}")
    before = await snapshot(api, scene)
    variables = {"input": {"meetingId": meeting_id, "reason": "Перенос на осень"}}
    result = await api.post(CANCEL, variables, as_=scene[key])
    if await refused(api, scene, result, "meetingCancel", expected, "MEETING_INITIATE", before):
        return
    payload = result.ok()["meetingCancel"]
    assert payload["userErrors"] == []
    meeting = payload["meeting"]
    assert (meeting["id"], meeting["state"], meeting["cancelReason"]) == (
        meeting_id,
        "CANCELLED",
        "Перенос на осень",
    )


# -- meetingPaperBallotEnter @requires(MEETING_INITIATE) -----------------------------------


@pytest.mark.parametrize("key", PEOPLE)
async def test_meeting_paper_ballot_enter(api: Api, scene: Scene, clock: Clock, key: str) -> None:
    """The administrator (the manager) enters a paper decision; owners may not."""
    expected = outcome(
        "MEETING_INITIATE",
        key,
        {"manager": DONE, "owner": "NOT_ADMINISTRATOR", "co_owner": "NOT_ADMINISTRATOR"},
    )
    entry_id = scene.entries["2"]
    if expected == DONE:
        _, by_user = await fresh_voting(api, clock, scene, "Бумажные решения")
        entry_id = by_user[scene.neighbours["2"].id]
    values = {
        "entryId": entry_id,
        "decisions": decisions("AGAINST", "FOR"),
        "receivedOn": (clock() - timedelta(hours=2)).isoformat(),
    }
    before = await snapshot(api, scene)
    result = await multipart(api, scene[key], PAPER, values, {"scan": PDF})
    name = "meetingPaperBallotEnter"
    if await refused(api, scene, result, name, expected, "MEETING_INITIATE", before, uploads=True):
        return
    payload = result.ok()[name]
    assert payload["userErrors"] == []
    ballot = payload["entry"]["ballot"]
    assert (ballot["channel"], ballot["castBy"], ballot["powerOfAttorney"]) == (
        "PAPER",
        {"id": scene["manager"].id},
        None,
    )
    assert ballot["decisions"] == decisions("AGAINST", "FOR")
    assert ballot["scan"]["contentType"] == "application/pdf"


# -- powerOfAttorneyRegister @requires(MEETING_INITIATE) -----------------------------------


@pytest.mark.parametrize("key", PEOPLE)
async def test_power_of_attorney_register(api: Api, scene: Scene, clock: Clock, key: str) -> None:
    """The administrator (the manager) registers a power of attorney; owners may not."""
    expected = outcome(
        "MEETING_INITIATE",
        key,
        {"manager": DONE, "owner": "NOT_ADMINISTRATOR", "co_owner": "NOT_ADMINISTRATOR"},
    )
    meeting_id = scene.voting
    if expected == DONE:
        meeting_id = await fresh_scheduled(api, clock, scene, "Доверенности")
    principal, representative = scene.neighbours["3"], scene["registered"]
    values = {
        "meetingId": meeting_id,
        "principalId": principal.id,
        "representativeId": representative.id,
        "documentNumber": "50 АГ 3141592",
        "validFrom": (clock() - timedelta(days=1)).isoformat(),
        "validUntil": (clock() + timedelta(days=60)).isoformat(),
    }
    before = await snapshot(api, scene)
    result = await multipart(api, scene[key], ATTORNEY, values, {"scan": PDF})
    name = "powerOfAttorneyRegister"
    if await refused(api, scene, result, name, expected, "MEETING_INITIATE", before, uploads=True):
        return
    payload = result.ok()[name]
    assert payload["userErrors"] == []
    power = payload["powerOfAttorney"]
    assert (power["documentNumber"], power["principal"], power["representative"]) == (
        "50 АГ 3141592",
        {"id": principal.id},
        {"id": representative.id},
    )
    assert power["scan"]["contentType"] == "application/pdf"


# -- meetingVoteCast @requires(MEETING_VOTE) -----------------------------------------------


@pytest.mark.parametrize("key", PEOPLE)
async def test_meeting_vote_cast(api: Api, scene: Scene, clock: Clock, key: str) -> None:
    """Owners vote their own ownership records, and only those."""
    expected = outcome("MEETING_VOTE", key, {"owner": DONE, "co_owner": DONE})
    voter = scene[key]
    variables = {
        "input": {"entryId": scene.entries["co_owner"], "decisions": decisions("FOR", "FOR")}
    }
    if expected == DONE:
        # past the directive, an owner still votes only their own record
        other = "co_owner" if key == "owner" else "owner"
        before = await snapshot(api, scene)
        result = await api.post(
            VOTE,
            {"input": {"entryId": scene.entries[other], "decisions": decisions("FOR", "FOR")}},
            as_=voter,
        )
        await refused(
            api, scene, result, "meetingVoteCast", "NOT_YOUR_OWNERSHIP", "MEETING_VOTE", before
        )
        _, by_user = await fresh_voting(api, clock, scene, f"Голосует {key}")
        variables["input"]["entryId"] = by_user[voter.id]
    before = await snapshot(api, scene)
    result = await api.post(VOTE, variables, as_=voter)
    if await refused(api, scene, result, "meetingVoteCast", expected, "MEETING_VOTE", before):
        return
    payload = result.ok()["meetingVoteCast"]
    assert payload["userErrors"] == []
    entry = payload["entry"]
    assert entry["owner"] == {"id": voter.id}
    assert entry["viewerMayVote"] is False
    ballot = entry["ballot"]
    assert (ballot["channel"], ballot["castBy"], ballot["powerOfAttorney"]) == (
        "ONLINE",
        {"id": voter.id},
        None,
    )
    assert ballot["decisions"] == decisions("FOR", "FOR")


# -- meetingVoteCastByAttorney @requires(MEETING_VOTE_BY_ATTORNEY) -------------------------


@pytest.mark.parametrize("key", PEOPLE)
async def test_meeting_vote_cast_by_attorney(
    api: Api, scene: Scene, clock: Clock, key: str
) -> None:
    """Only the representative the power of attorney names gets past the directive: not
    the owner represented, nor the administrator, nor anyone else."""
    if key == "anonymous":
        expected = "UNAUTHENTICATED"
    else:
        expected = DONE if key == REPRESENTATIVE else "FORBIDDEN"
    entry_id, attorney_id = scene.entries["co_owner"], scene.attorney
    if expected == DONE:
        meeting_id, by_user = await fresh_voting(api, clock, scene, "Голос по доверенности")
        entry_id = by_user[scene["co_owner"].id]
        attorney_id = await registered_attorney(
            api,
            scene["manager"],
            meeting_id,
            scene["co_owner"],
            scene[REPRESENTATIVE],
            valid_from=clock() - timedelta(hours=1),
            valid_until=clock() + timedelta(days=2),
        )
    variables = {
        "input": {
            "entryId": entry_id,
            "powerOfAttorneyId": attorney_id,
            "decisions": decisions("ABSTAIN", "FOR"),
        }
    }
    before = await snapshot(api, scene)
    result = await api.post(VOTE_BY_ATTORNEY, variables, as_=scene[key])
    name = "meetingVoteCastByAttorney"
    if await refused(api, scene, result, name, expected, "MEETING_VOTE_BY_ATTORNEY", before):
        return
    payload = result.ok()[name]
    assert payload["userErrors"] == []
    entry = payload["entry"]
    assert entry["owner"] == {"id": scene["co_owner"].id}
    ballot = entry["ballot"]
    assert (ballot["channel"], ballot["castBy"], ballot["powerOfAttorney"]) == (
        "ONLINE",
        {"id": scene[REPRESENTATIVE].id},
        {"id": attorney_id},
    )
    assert ballot["decisions"] == decisions("ABSTAIN", "FOR")


# -- the register ----------------------------------------------------------------------------


def fraction(numerator: int, denominator: int) -> dict[str, str]:
    return {"numerator": str(numerator), "denominator": str(denominator)}


@pytest.mark.parametrize("key", PEOPLE)
async def test_register(api: Api, scene: Scene, key: str) -> None:
    """Names and how each ownership voted: the building's owners and staff (the manager
    also administers); whoever else sees the meeting gets a null register."""
    result = await api.post(REGISTER, {"id": scene.voting}, as_=scene[key])
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["node"])
        assert result.data == {"node": None}
        return
    data = result.ok()
    if key not in SEES_MEETINGS:
        assert data == {"node": None}
        return
    register = data["node"]["register"]
    if key not in REGISTER_READERS:
        assert data == {"node": {"id": scene.voting, "register": None}}
        return
    assert register["totalArea"] == "261.00"
    assert register["annex"] is None
    owners = [scene["owner"], scene["co_owner"], *scene.neighbours.values()]
    rows = [
        (
            entry["owner"]["id"],
            entry["premise"]["number"],
            entry["share"],
            entry["weight"]["numerator"],
            entry["weight"]["denominator"],
            entry["ballot"] and entry["ballot"]["decisions"],
        )
        for entry in register["entries"]["nodes"]
    ]
    assert rows == [
        (owners[0].id, "1", "1/2", "41", "522", decisions("FOR", "AGAINST")),
        (owners[1].id, "1", "1/2", "41", "522", None),
        (owners[2].id, "2", "1/1", "14", "87", None),
        (owners[3].id, "3", "1/1", "43", "261", None),
        (owners[4].id, "4", "1/1", "44", "261", None),
    ]
    assert [entry["id"] for entry in register["entries"]["nodes"]] == [
        scene.entries[k] for k in ("owner", "co_owner", "2", "3", "4")
    ]


@pytest.mark.parametrize("key", PEOPLE)
async def test_viewer_entries(api: Api, scene: Scene, key: str) -> None:
    """The records the viewer votes: their own, and the co-owner's for the resident, whom
    a power of attorney names as her representative."""
    result = await api.post(VIEWER_ENTRY_IDS, {"id": scene.voting}, as_=scene[key])
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["node"])
        return
    data = result.ok()
    if key not in SEES_MEETINGS:
        assert data == {"node": None}
        return
    votes = {"owner": "owner", "co_owner": "co_owner", REPRESENTATIVE: "co_owner"}
    expected = [{"id": scene.entries[votes[key]]}] if key in votes else []
    assert data == {"node": {"id": scene.voting, "viewerEntries": expected}}


# -- running totals ----------------------------------------------------------------------------

ZERO = {**fraction(0, 1), "percentOfAll": "0.00"}


def totals(value: dict[str, str], all_: str, cast: str | None) -> dict[str, Any]:
    return {**value, "percentOfAll": all_, "percentOfCast": cast}


@pytest.mark.parametrize("key", PEOPLE)
async def test_tally_while_voting(api: Api, scene: Scene, key: str) -> None:
    """Turnout for whoever sees the meeting; per-question totals only for its initiator
    (the owner) and administrator (the manager) while voting runs."""
    result = await api.post(MEETING_TALLY, {"id": scene.voting}, as_=scene[key])
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["node"])
        return
    data = result.ok()
    if key not in SEES_MEETINGS:
        assert data == {"node": None}
        return
    tally = data["node"]["tally"]
    assert (tally["meetingId"], tally["state"], tally["ballots"], tally["quorumReached"]) == (
        scene.voting,
        "VOTING",
        1,
        False,
    )
    assert tally["turnout"] == {**fraction(41, 522), "percentOfAll": "7.85"}
    if key not in ("owner", "manager"):
        assert tally["questions"] is None
        return
    nothing = totals(fraction(0, 1), "0.00", "0.00")
    owners_half = totals(fraction(41, 522), "7.85", "100.00")
    assert tally["questions"] == [
        {
            "number": 1,
            "adopted": None,
            "votesFor": owners_half,
            "against": nothing,
            "abstain": nothing,
        },
        {
            "number": 2,
            "adopted": None,
            "votesFor": nothing,
            "against": owners_half,
            "abstain": nothing,
        },
    ]


@pytest.mark.parametrize("key", PEOPLE)
async def test_tally_after_voting(api: Api, scene: Scene, key: str) -> None:
    """Once voting has ended, everyone who sees the meeting sees the totals."""
    result = await api.post(MEETING_TALLY, {"id": scene.first}, as_=scene[key])
    if key == "anonymous":
        assert_denied(result, "UNAUTHENTICATED", ["node"])
        return
    data = result.ok()
    if key not in SEES_MEETINGS:
        assert data == {"node": None}
        return
    tally = data["node"]["tally"]
    assert (tally["state"], tally["ballots"], tally["quorumReached"]) == ("COMPLETED", 5, True)
    assert tally["turnout"] == {**fraction(170, 261), "percentOfAll": "65.13"}
    assert tally["questions"] == [
        {
            "number": 1,
            "adopted": True,
            "votesFor": totals(fraction(170, 261), "65.13", "100.00"),
            "against": totals(fraction(0, 1), "0.00", "0.00"),
            "abstain": totals(fraction(0, 1), "0.00", "0.00"),
        },
        {
            "number": 2,
            "adopted": False,
            "votesFor": totals(fraction(125, 522), "23.95", "36.76"),
            "against": totals(fraction(127, 522), "24.33", "37.35"),
            "abstain": totals(fraction(44, 261), "16.86", "25.88"),
        },
    ]


# -- stored documents and scans: /media/<key> ----------------------------------------------

ADMINISTRATOR = "manager"
MEDIA: dict[str, set[str]] = {
    # the first meeting's materials and protocol: whoever sees the meeting
    "first_materials": SEES_MEETINGS,
    "first_protocol": SEES_MEETINGS,
    "voting_materials": SEES_MEETINGS,
    # the register's annex (names, how each voted): who sees the register (the first
    # meeting's administrator, the owner, is an owner)
    "first_annex": REGISTER_READERS,
    # a paper decision's scan: who sees its entry: the register's readers, and the
    # representative who signed it for the co-owner
    "paper_scan": REGISTER_READERS | {REPRESENTATIVE},
    # a draft's materials: its initiator and its administrator
    "draft_materials": {"owner", ADMINISTRATOR},
    # a power of attorney's scan: the administrator, the staff, the principal and the
    # representative (not the owner, who initiated the meeting but does not administer it)
    "attorney_scan": STAFF | {ADMINISTRATOR, "co_owner", REPRESENTATIVE},
}


@pytest.mark.parametrize("key", PEOPLE)
@pytest.mark.parametrize("target", MEDIA)
async def test_media(api: Api, scene: Scene, target: str, key: str) -> None:
    response = await api.client.get(scene.files[target], headers=scene[key].headers)
    if key in MEDIA[target]:
        assert response.status_code == 200, response.text
        assert response.content.startswith(b"%PDF-")
        assert response.headers["content-type"] == "application/pdf"
    else:
        assert response.status_code == 404, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


# -- a guest loses the meeting with the grant ------------------------------------------------

MEETING_SEEN = """
query ($building: ID!, $meeting: ID!) {
  building(id: $building) { meetings(first: 50) { nodes { id } } }
  node(id: $meeting) { ... on Meeting { id state } }
}
"""


@dataclass
class Guest:
    person: Person
    grant_id: str


async def make_user_guest(api: Api, scene: Scene) -> Guest:
    """A new user the owner lets in to apartment 1 as a basic guest."""
    guest = await make_user(api, "guest")
    grant_id = await let_in(
        api,
        scene["owner"],
        guest,
        scene.world.premise_id("1"),
        expires_at=datetime.now(UTC) + timedelta(days=3),
    )
    return Guest(guest, grant_id)


async def test_revoked_guest_loses_the_meeting_at_once(api: Api, scene: Scene) -> None:
    world = scene.world
    guest = await make_user_guest(api, scene)
    variables = {"building": world.building_id, "meeting": scene.voting}
    data = await api.gql(MEETING_SEEN, variables, as_=guest.person)
    assert {"id": scene.voting} in data["building"]["meetings"]["nodes"]
    assert data["node"] == {"id": scene.voting, "state": "VOTING"}
    material = await api.client.get(scene.files["voting_materials"], headers=guest.person.headers)
    assert material.status_code == 200

    revoked = await api.gql(
        """
        mutation ($input: GuestAccessRevokeInput!) {
          guestAccessRevoke(input: $input) { grant { isActive } userErrors { code } }
        }
        """,
        {"input": {"grantId": guest.grant_id}},
        as_=world["owner"],
    )
    assert revoked == {"guestAccessRevoke": {"grant": {"isActive": False}, "userErrors": []}}
    assert await api.gql(MEETING_SEEN, variables, as_=guest.person) == {
        "building": None,
        "node": None,
    }
    material = await api.client.get(scene.files["voting_materials"], headers=guest.person.headers)
    assert material.status_code == 404
