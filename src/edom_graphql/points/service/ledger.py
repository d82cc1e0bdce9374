"""The ledger: awards and spends, each exactly once per source key, in the caller's
transaction.

An award is an entry with a unique source key (``poll:17``, ``meter:4:2026-11``): a second
award for the same action, however raced, inserts nothing. The balance is kept in the same
transaction (one row per user, updated by the entry's amount) and has a ``balance >= 0``
check, so a spend that would overdraw is refused by the database (and, before that, by
:func:`spend` under the balance row's lock). Other domains award through :func:`award`
inside their own transactions: the award commits with the action or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.notifications.service import messages, notify
from edom_graphql.points.models import AwardReason, PointAward, PointBalance, PointEntry

EPD_CASHBACK_DEFAULT_PERCENT = 5


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    amount: int
    balance_after: int


async def locked_balance(session: AsyncSession, user_id: int) -> int:
    """The user's balance, its row locked for this transaction (0 without a row yet): a
    spend decided on it is not raced by another spend of the same user."""
    balance = (
        await session.execute(
            select(PointBalance.balance).where(PointBalance.user_id == user_id).with_for_update()
        )
    ).scalar_one_or_none()
    return int(balance or 0)


async def counted(session: AsyncSession, source_key: str) -> bool:
    """Whether the source already has its entry."""
    found = (
        await session.execute(select(PointEntry.id).where(PointEntry.source_key == source_key))
    ).first()
    return found is not None


async def amount_of(session: AsyncSession, reason: AwardReason) -> int:
    """Points the reason earns now, from the ``point_awards`` table (0 when it has no row)."""
    points = (
        await session.execute(select(PointAward.points).where(PointAward.reason == reason.value))
    ).scalar_one_or_none()
    return int(points or 0)


def cashback(paid_kopecks: int, percent: int) -> int:
    """``percent`` of a payment, in whole points (one point a rouble), rounded down."""
    return paid_kopecks * percent // 10_000


async def _write(
    session: AsyncSession, *, user_id: int, amount: int, reason: str, source_key: str
) -> Entry:
    """The award's entry; raises _AlreadyCounted when the source already has one (within a
    savepoint, which undoes the balance change, so the caller's transaction goes on)."""
    async with session.begin_nested():
        balance = (
            await session.execute(
                pg_insert(PointBalance)
                .values(user_id=user_id, balance=amount)
                .on_conflict_do_update(
                    index_elements=["user_id"],
                    set_={"balance": PointBalance.balance + amount},
                )
                .returning(PointBalance.balance)
            )
        ).scalar_one()
        entry_id = (
            await session.execute(
                pg_insert(PointEntry)
                .values(
                    user_id=user_id,
                    amount=amount,
                    reason=reason,
                    source_key=source_key,
                    balance_after=balance,
                )
                .on_conflict_do_nothing(index_elements=["source_key"])
                .returning(PointEntry.id)
            )
        ).scalar_one_or_none()
        if entry_id is None:
            # the source was counted before: undo the balance change with the savepoint
            raise _AlreadyCounted
    return Entry(int(entry_id), amount, int(balance))


class _AlreadyCounted(Exception):
    pass


async def award(
    session: AsyncSession,
    outbox: Outbox,
    *,
    user_id: int,
    reason: AwardReason,
    source_key: str,
    points: int | None = None,
) -> Entry | None:
    """Award the points of ``reason`` (or ``points``) for the action ``source_key``, once:
    None when nothing was awarded (already awarded, or the award is 0)."""
    amount = await amount_of(session, reason) if points is None else points
    if amount <= 0:
        return None
    try:
        entry = await _write(
            session, user_id=user_id, amount=amount, reason=reason.value, source_key=source_key
        )
    except _AlreadyCounted:
        return None
    await notify(
        session,
        outbox,
        user_id=user_id,
        kind="POINTS_AWARDED",
        message=messages.POINTS_AWARDED(amount=amount, balance=entry.balance_after),
        subject_type="PointEntry",
        subject_id=entry.id,
        data={"amount": amount, "balance": entry.balance_after, "reason": reason.value},
    )
    return entry


async def spend(
    session: AsyncSession, *, user_id: int, amount: int, reason: str, source_key: str
) -> Entry | None:
    """Spend ``amount`` points for ``source_key``, once: None when that source was spent
    before; INSUFFICIENT_POINTS when the balance would go below zero."""
    if amount <= 0:
        raise ServiceError("INVALID_AMOUNT", "Spend a positive number of points.", ["amount"])
    # Under the balance's lock a source spent before is found before the balance is
    # touched: a retry is a no-op even when what is left would not pay for it again.
    balance = await locked_balance(session, user_id)
    if await counted(session, source_key):
        return None
    if balance < amount:
        raise ServiceError(
            "INSUFFICIENT_POINTS", f"This needs {amount} points; the balance is {balance}.", None
        )
    return await debit(
        session, user_id=user_id, amount=amount, reason=reason, source_key=source_key
    )


async def debit(
    session: AsyncSession, *, user_id: int, amount: int, reason: str, source_key: str
) -> Entry:
    """Take ``amount`` (> 0) off the balance with an entry for ``source_key``, for a caller
    that holds the balance's lock (:func:`locked_balance`) and has found the balance enough
    and the source not counted (as :func:`spend` does). The ``balance >= 0`` check and the
    unique source key still stand behind it: a caller that did not check fails."""
    balance = (
        await session.execute(
            update(PointBalance)
            .where(PointBalance.user_id == user_id)
            .values(balance=PointBalance.balance - amount)
            .returning(PointBalance.balance)
        )
    ).scalar_one()
    entry_id = (
        await session.execute(
            pg_insert(PointEntry)
            .values(
                user_id=user_id,
                amount=-amount,
                reason=reason,
                source_key=source_key,
                balance_after=balance,
            )
            .returning(PointEntry.id)
        )
    ).scalar_one()
    return Entry(int(entry_id), -amount, int(balance))
