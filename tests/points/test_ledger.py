"""The ledger: an award is made once per source however it is raced, the balance is the
sum of the entries after every write, and a spend never takes it below zero."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select, update

from edom_graphql.core.errors import ServiceError
from edom_graphql.points.models import AwardReason, PointAward, PointEntry
from edom_graphql.points.service import ledger
from tests.factories import Api, Person, make_user
from tests.points.operations import assert_balanced, rows


async def award(
    api: Api, person: Person, source: str, points: int | None = None
) -> ledger.Entry | None:
    assert person.pk is not None
    async with api.db.transaction() as (session, outbox):
        return await ledger.award(
            session,
            outbox,
            user_id=person.pk,
            reason=AwardReason.METER_READING,
            source_key=source,
            points=points,
        )


async def spend(api: Api, person: Person, amount: int, source: str) -> ledger.Entry | None:
    assert person.pk is not None
    async with api.db.transaction() as (session, _):
        return await ledger.spend(
            session, user_id=person.pk, amount=amount, reason="REWARD_REDEEMED", source_key=source
        )


async def test_ten_concurrent_awards_for_one_source_make_one_entry(api: Api) -> None:
    person = await make_user(api, "awarded")
    source = f"meter:{uuid.uuid4().hex}:2026-11"
    entries = await asyncio.gather(*(award(api, person, source, 25) for _ in range(10)))
    made = [entry for entry in entries if entry is not None]
    assert len(made) == 1
    assert (made[0].amount, made[0].balance_after) == (25, 25)
    assert await rows(api, select(PointEntry.amount).where(PointEntry.source_key == source)) == [
        (25,)
    ]
    assert await assert_balanced(api, person) == 25


async def test_concurrent_awards_for_many_sources_all_count(api: Api) -> None:
    person = await make_user(api, "busy")
    sources = [f"test:{uuid.uuid4().hex}" for _ in range(20)]
    entries = await asyncio.gather(
        *(award(api, person, source, n + 1) for n, source in enumerate(sources))
    )
    assert all(entry is not None for entry in entries)
    assert await assert_balanced(api, person) == sum(range(1, 21))


async def test_the_amount_comes_from_the_table_of_awards(api: Api) -> None:
    person = await make_user(api, "tabled")
    (default,) = await rows(
        api, select(PointAward.points).where(PointAward.reason == "METER_READING")
    )
    entry = await award(api, person, f"test:{uuid.uuid4().hex}")
    assert entry is not None
    assert entry.amount == default[0]
    async with api.db.transaction() as (session, _):
        await session.execute(
            update(PointAward).where(PointAward.reason == "METER_READING").values(points=0)
        )
    try:
        assert await award(api, person, f"test:{uuid.uuid4().hex}") is None
    finally:
        async with api.db.transaction() as (session, _):
            await session.execute(
                update(PointAward)
                .where(PointAward.reason == "METER_READING")
                .values(points=default[0])
            )
    assert await award(api, person, f"test:{uuid.uuid4().hex}", points=0) is None
    assert await award(api, person, f"test:{uuid.uuid4().hex}", points=-5) is None
    assert await assert_balanced(api, person) == default[0]


async def test_an_award_notifies_with_the_entry_and_the_balance(api: Api) -> None:
    person = await make_user(api, "notified")
    entry = await award(api, person, f"test:{uuid.uuid4().hex}", 40)
    assert entry is not None
    data = await api.gql(
        "{ viewer { notifications(first: 5) { nodes { kind message subjectId } } } }",
        as_=person,
    )
    (notification,) = data["viewer"]["notifications"]["nodes"]
    assert notification["kind"] == "POINTS_AWARDED"
    assert notification["message"] == "Начислено баллов города: +40; баланс 40."
    node = await api.gql(
        "query ($id: ID!) { node(id: $id) { ... on PointEntry { amount balanceAfter } } }",
        {"id": notification["subjectId"]},
        as_=person,
    )
    assert node == {"node": {"amount": 40, "balanceAfter": 40}}


async def test_a_spend_is_made_once_per_source_and_never_overdraws(api: Api) -> None:
    person = await make_user(api, "spender")
    source = f"spend:{uuid.uuid4().hex}"
    with pytest.raises(ServiceError) as refused:
        await spend(api, person, 10, source)  # no balance at all yet
    assert refused.value.code == "INSUFFICIENT_POINTS"
    await award(api, person, f"test:{uuid.uuid4().hex}", 30)
    first = await spend(api, person, 30, source)
    assert first is not None
    assert first.balance_after == 0
    assert await spend(api, person, 30, source) is None  # a retry: nothing more
    for amount in (0, -3):
        with pytest.raises(ServiceError) as invalid:
            await spend(api, person, amount, f"spend:{uuid.uuid4().hex}")
        assert invalid.value.code == "INVALID_AMOUNT"
    assert await assert_balanced(api, person) == 0


async def test_concurrent_spends_leave_the_balance_at_zero_at_worst(api: Api) -> None:
    person = await make_user(api, "racer")
    await award(api, person, f"test:{uuid.uuid4().hex}", 100)
    codes: list[str] = []

    async def attempt() -> bool:
        try:
            return await spend(api, person, 30, f"spend:{uuid.uuid4().hex}") is not None
        except ServiceError as error:
            codes.append(error.code)
            return False

    outcomes = await asyncio.gather(*(attempt() for _ in range(10)))
    assert outcomes.count(True) == 3
    assert codes == ["INSUFFICIENT_POINTS"] * 7
    assert await assert_balanced(api, person) == 10


async def test_cashback_is_whole_points_rounded_down() -> None:
    assert ledger.cashback(123_456, 5) == 61  # 1234.56 ₽ × 5 % = 61.728
    assert ledger.cashback(1_999, 5) == 0
    assert ledger.cashback(2_000, 5) == 1
    assert ledger.cashback(0, 5) == 0
