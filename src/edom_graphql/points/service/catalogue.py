"""The catalogue: redeeming rewards and donating to charities, each paid with one spend of
the ledger, once per idempotency key.

A redemption locks the user's balance row first (so two spends of one user are decided
one after the other, on the balance as it is), spends the price, takes a promo code's one
free code ``FOR UPDATE SKIP LOCKED`` (racing redemptions take different codes without
waiting), and last takes one item of a limited stock with a single ``UPDATE … SET stock =
stock - 1 WHERE stock > 0 RETURNING`` (two users racing for the last item are decided by
the row's lock: one gets it, the other finds none and is refused). An unlimited reward's
row is not written at all. Everything is in the caller's transaction: a refusal at any
step leaves nothing behind.

The idempotency key names the request: the spend's source key is
``spend:<user>:<key>``, unique in the ledger, so a retried request finds its redemption
(under the balance lock, before anything is spent) and returns it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from edom_graphql.core.db import Outbox
from edom_graphql.core.errors import ServiceError
from edom_graphql.notifications.service import messages, notify
from edom_graphql.points.models import (
    MAX_CODE_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_PARTNER_LENGTH,
    MAX_TITLE_LENGTH,
    PointEntry,
    Reward,
    RewardCode,
    RewardKind,
    RewardRedemption,
    SpendReason,
)
from edom_graphql.points.service.ledger import Entry, debit, locked_balance

MAX_IDEMPOTENCY_KEY_LENGTH = 100
MAX_DONATION = 1_000_000
"""The most points one donation may give."""
MAX_PRICE = 10_000_000
MAX_STOCK = 1_000_000


def spend_source(user_id: int, idempotency_key: str) -> str:
    """The ledger source of the user's request with this idempotency key."""
    return f"spend:{user_id}:{idempotency_key}"


def check_idempotency_key(key: str) -> str:
    """The key, or INVALID_IDEMPOTENCY_KEY: 1–100 printable characters, not all blank."""
    if not key.strip() or len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not key.isprintable():
        raise ServiceError(
            "INVALID_IDEMPOTENCY_KEY",
            f"The idempotency key is 1–{MAX_IDEMPOTENCY_KEY_LENGTH} printable characters.",
            ["idempotencyKey"],
        )
    return key


@dataclass(frozen=True, slots=True)
class _Earlier:
    redemption_id: int
    reward_id: int
    points: int


async def _earlier(session: AsyncSession, source_key: str) -> _Earlier | None:
    """The redemption an earlier request with the same key made."""
    row = (
        await session.execute(
            select(RewardRedemption.id, RewardRedemption.reward_id, RewardRedemption.points)
            .join(PointEntry, PointEntry.id == RewardRedemption.entry_id)
            .where(PointEntry.source_key == source_key)
        )
    ).one_or_none()
    return _Earlier(int(row[0]), int(row[1]), int(row[2])) if row is not None else None


def _reused() -> ServiceError:
    return ServiceError(
        "IDEMPOTENCY_KEY_REUSED",
        "This idempotency key was used for another request; use a new key.",
        ["idempotencyKey"],
    )


def _insufficient(price: int, balance: int) -> ServiceError:
    return ServiceError(
        "INSUFFICIENT_POINTS", f"This needs {price} points; the balance is {balance}.", None
    )


@dataclass(frozen=True, slots=True)
class _Reward:
    kind: RewardKind
    price: int
    stock: int | None
    title: str


async def _reward(session: AsyncSession, reward_id: int, *, lock: bool) -> _Reward:
    statement = select(Reward.kind, Reward.price, Reward.stock, Reward.title, Reward.active).where(
        Reward.id == reward_id
    )
    if lock:
        statement = statement.with_for_update(read=True)
    row = (await session.execute(statement)).one_or_none()
    if row is None:
        raise ServiceError("REWARD_NOT_FOUND", "There is no such reward.", ["rewardId"])
    if not row[4]:
        raise ServiceError("NOT_ACTIVE", "This reward is no longer in the catalogue.", ["rewardId"])
    return _Reward(RewardKind(row[0]), int(row[1]), row[2], row[3])


def _out_of_stock() -> ServiceError:
    return ServiceError("OUT_OF_STOCK", "This reward is out of stock.", ["rewardId"])


async def _take_one(session: AsyncSession, reward_id: int, price: int) -> None:
    """Take one item of the reward's limited stock, sold at ``price``: OUT_OF_STOCK when
    none is left (the row's lock decides between racing redemptions, and it is held from
    here to the commit only), PRICE_CHANGED when the price is no longer the one paid."""
    sold_at = (
        await session.execute(
            update(Reward)
            .where(Reward.id == reward_id, Reward.active.is_(True), Reward.stock > 0)
            .values(stock=Reward.stock - 1)
            .returning(Reward.price)
        )
    ).scalar_one_or_none()
    if sold_at is None:
        raise _out_of_stock()
    if sold_at != price:
        raise ServiceError(
            "PRICE_CHANGED", "The reward's price changed meanwhile; look again.", ["rewardId"]
        )


async def _hand_out_code(session: AsyncSession, reward_id: int, redemption_id: int) -> None:
    code_id = (
        await session.execute(
            select(RewardCode.id)
            .where(RewardCode.reward_id == reward_id, RewardCode.redemption_id.is_(None))
            .order_by(RewardCode.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
    ).scalar_one_or_none()
    if code_id is None:
        raise ServiceError(
            "OUT_OF_STOCK", "This reward's promo codes are all given out.", ["rewardId"]
        )
    await session.execute(
        update(RewardCode).where(RewardCode.id == code_id).values(redemption_id=redemption_id)
    )


async def _record(
    session: AsyncSession,
    *,
    user_id: int,
    reward_id: int,
    points: int,
    reason: SpendReason,
    source_key: str,
    now: datetime,
) -> tuple[int, Entry]:
    # the balance is locked, found enough, and the source found not counted (``_earlier``)
    entry = await debit(
        session, user_id=user_id, amount=points, reason=reason.value, source_key=source_key
    )
    redemption_id: int = (
        await session.execute(
            insert(RewardRedemption)
            .values(
                user_id=user_id,
                reward_id=reward_id,
                entry_id=entry.id,
                points=points,
                created_at=now,
            )
            .returning(RewardRedemption.id)
        )
    ).scalar_one()
    return redemption_id, entry


async def redeem(
    session: AsyncSession,
    outbox: Outbox,
    *,
    user_id: int,
    reward_id: int,
    idempotency_key: str,
    now: datetime,
) -> int:
    """Redeem one item of a reward for its price; the redemption's id (the earlier one's
    for a retried key)."""
    source_key = spend_source(user_id, check_idempotency_key(idempotency_key))
    balance = await locked_balance(session, user_id)
    earlier = await _earlier(session, source_key)
    if earlier is not None:
        if earlier.reward_id != reward_id:
            raise _reused()
        return earlier.redemption_id
    reward = await _reward(session, reward_id, lock=False)
    if reward.kind is RewardKind.CHARITY:
        raise ServiceError(
            "IS_A_CHARITY", "Points go to a charity as a donation (pointsDonate).", ["rewardId"]
        )
    if reward.stock == 0:
        raise _out_of_stock()
    price = reward.price
    if balance < price:
        raise _insufficient(price, balance)
    redemption_id, entry = await _record(
        session,
        user_id=user_id,
        reward_id=reward_id,
        points=price,
        reason=SpendReason.REWARD_REDEEMED,
        source_key=source_key,
        now=now,
    )
    if reward.kind is RewardKind.PROMO_CODE:
        await _hand_out_code(session, reward_id, redemption_id)
    await notify(
        session,
        outbox,
        user_id=user_id,
        kind="POINTS_SPENT",
        message=messages.POINTS_SPENT(
            amount=price, title=reward.title, balance=entry.balance_after
        ),
        subject_type="RewardRedemption",
        subject_id=redemption_id,
        data={"amount": -price, "balance": entry.balance_after},
    )
    # last, so that racing redemptions of one reward wait for each other only this long
    if reward.stock is not None:
        await _take_one(session, reward_id, price)
    return redemption_id


async def donate(
    session: AsyncSession,
    outbox: Outbox,
    *,
    user_id: int,
    reward_id: int,
    points: int,
    idempotency_key: str,
    now: datetime,
) -> int:
    """Give ``points`` to a charity of the catalogue; the donation's id (the earlier
    one's for a retried key)."""
    source_key = spend_source(user_id, check_idempotency_key(idempotency_key))
    if not 1 <= points <= MAX_DONATION:
        raise ServiceError("INVALID_AMOUNT", f"Donate 1–{MAX_DONATION} points.", ["points"])
    balance = await locked_balance(session, user_id)
    earlier = await _earlier(session, source_key)
    if earlier is not None:
        if (earlier.reward_id, earlier.points) != (reward_id, points):
            raise _reused()
        return earlier.redemption_id
    reward = await _reward(session, reward_id, lock=True)
    if reward.kind is not RewardKind.CHARITY:
        raise ServiceError("NOT_A_CHARITY", "Points are donated to charities only.", ["rewardId"])
    if balance < points:
        raise _insufficient(points, balance)
    redemption_id, entry = await _record(
        session,
        user_id=user_id,
        reward_id=reward_id,
        points=points,
        reason=SpendReason.DONATION,
        source_key=source_key,
        now=now,
    )
    await notify(
        session,
        outbox,
        user_id=user_id,
        kind="POINTS_DONATED",
        message=messages.POINTS_DONATED(
            amount=points, title=reward.title, balance=entry.balance_after
        ),
        subject_type="RewardRedemption",
        subject_id=redemption_id,
        data={"amount": -points, "balance": entry.balance_after},
    )
    return redemption_id


# -- the catalogue's contents (operators, the demo) ------------------------------------------


@dataclass(frozen=True, slots=True)
class NewReward:
    kind: RewardKind
    title: str
    partner: str
    price: int
    """Points per item; 0 for a charity (it takes any amount)."""
    description: str = ""
    stock: int | None = None
    """Items available; None: unlimited. A promo-code reward has one per code."""
    codes: Sequence[str] = ()


def _checked(reward: NewReward) -> NewReward:
    for name, value, limit in (
        ("title", reward.title.strip(), MAX_TITLE_LENGTH),
        ("partner", reward.partner.strip(), MAX_PARTNER_LENGTH),
    ):
        if not value or len(value) > limit:
            raise ServiceError("INVALID", f"The {name} is 1–{limit} characters.", [name])
    if len(reward.description) > MAX_DESCRIPTION_LENGTH:
        raise ServiceError("INVALID", "The description is too long.", ["description"])
    charity = reward.kind is RewardKind.CHARITY
    if not (0 if charity else 1) <= reward.price <= MAX_PRICE:
        raise ServiceError("INVALID", f"The price is 1–{MAX_PRICE} points.", ["price"])
    if reward.stock is not None and not 0 <= reward.stock <= MAX_STOCK:
        raise ServiceError("INVALID", f"The stock is 0–{MAX_STOCK}.", ["stock"])
    if (reward.kind is RewardKind.PROMO_CODE) != bool(reward.codes):
        raise ServiceError("INVALID", "A promo-code reward, and only one, has codes.", ["codes"])
    codes = [code.strip() for code in reward.codes]
    if any(not code or len(code) > MAX_CODE_LENGTH for code in codes) or len(set(codes)) != len(
        codes
    ):
        raise ServiceError("INVALID", "Codes are distinct, 1–100 characters.", ["codes"])
    return reward


async def add_reward(session: AsyncSession, reward: NewReward) -> int:
    """Put a reward in the catalogue (active); its id. A promo-code reward's stock is its
    number of codes."""
    reward = _checked(reward)
    stock = len(reward.codes) if reward.kind is RewardKind.PROMO_CODE else reward.stock
    reward_id: int = (
        await session.execute(
            insert(Reward)
            .values(
                kind=reward.kind,
                title=reward.title.strip(),
                description=reward.description,
                partner=reward.partner.strip(),
                price=reward.price,
                stock=None if reward.kind is RewardKind.CHARITY else stock,
                active=True,
            )
            .returning(Reward.id)
        )
    ).scalar_one()
    if reward.codes:
        await session.execute(
            insert(RewardCode),
            [{"reward_id": reward_id, "code": code.strip()} for code in reward.codes],
        )
    return reward_id


async def withdraw_reward(session: AsyncSession, reward_id: int) -> None:
    """Take a reward out of the catalogue (its redemptions stay)."""
    await session.execute(update(Reward).where(Reward.id == reward_id).values(active=False))
