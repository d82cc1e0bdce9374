"""Live `pollResults`: sent while the viewer may see them, ended once they may not see the
poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from edom_graphql.residents.models import GuestGrant
from tests.factories import Api, make_world
from tests.live import signed_in
from tests.polls.operations import RESULTS, counts, create, vote


async def test_live_results_as_others_vote(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world, multipleChoice=True)
    async with (
        signed_in(api, world["dispatcher"]) as staff,
        signed_in(api, world["resident"]) as resident,
    ):
        await staff.subscribe("s", RESULTS, {"pollId": poll["id"]})
        first = (await staff.next("s"))["pollResults"]  # sent after subscribing: in sync now
        assert first["pollId"] == poll["id"]
        assert (first["ballots"], counts(first)) == (0, [0, 0, 0])

        # the resident sees nothing before voting (AFTER_VOTE)
        await resident.subscribe("r", RESULTS, {"pollId": poll["id"]})
        await vote(api, world["owner"], poll, 0, 1)
        update_1 = (await staff.next("s"))["pollResults"]
        assert (update_1["ballots"], counts(update_1)) == (1, [1, 1, 0])
        await vote(api, world["registered"], poll, 2)
        update_2 = (await staff.next("s"))["pollResults"]
        assert (update_2["ballots"], counts(update_2)) == (2, [1, 1, 1])
        await resident.assert_quiet()

        await vote(api, world["resident"], poll, 2)
        mine = (await resident.next("r"))["pollResults"]
        assert (mine["ballots"], counts(mine)) == (3, [1, 1, 2])
        assert (await staff.next("s"))["pollResults"] == mine

        # a refused vote changes nothing and sends nothing
        await vote(api, world["resident"], poll, 0)
        await staff.assert_quiet()
        await resident.assert_quiet()


async def test_live_results_end_when_access_is_lost(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world)
    guest = world["guest_elevated"]
    await vote(api, guest, poll, 0)
    async with signed_in(api, guest) as client:
        await client.subscribe("g", RESULTS, {"pollId": poll["id"]})
        assert counts((await client.next("g"))["pollResults"]) == [1, 0, 0]
        async with api.db.transaction() as (session, _):
            await session.execute(
                update(GuestGrant)
                .where(GuestGrant.id == world.grants["guest_elevated"])
                .values(revoked_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        await vote(api, world["owner"], poll, 1)
        message = await client.receive("g")
        assert message["type"] == "next", message
        assert message["payload"].get("data") is None, message
        codes = [error["extensions"]["code"] for error in message["payload"]["errors"]]
        assert codes == ["FORBIDDEN"], message
        assert (await client.receive("g"))["type"] == "complete"
        await client.assert_quiet()


async def test_live_results_refused_to_who_cannot_see_the_poll(api: Api) -> None:
    world = await make_world(api)
    poll = await create(api, world)
    async with signed_in(api, world["stranger"]) as client:
        await client.subscribe("x", RESULTS, {"pollId": poll["id"]})
        message = await client.receive("x")
        codes = [error["extensions"]["code"] for error in message["payload"]["errors"]]
        assert codes == ["FORBIDDEN"], message
        assert (await client.receive("x"))["type"] == "complete"
        await vote(api, world["owner"], poll, 1)
        await client.assert_quiet()
