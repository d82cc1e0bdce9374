"""The demo's city points: a catalogue of rewards (partner goods with stock, one of them
out of stock, a service, a promo-code reward with its codes, a charity) and, on top of
the awards the demo's meetings, meter readings and payments earned the demo owner as they
were made, the award for her first listing (before the demo's time), one promo code she
redeemed and a donation. It loads last, so her ledger is the whole story.

Everything is written by the domain's own service (the ledger's award, the catalogue's
redemption and donation), so the demo's ledger balances as the platform's would.
"""

from __future__ import annotations

from datetime import datetime

from edom_graphql.core.db import Database
from edom_graphql.points.models import AwardReason, RewardKind
from edom_graphql.points.service import catalogue
from edom_graphql.points.service.ledger import award

CATALOGUE = (
    catalogue.NewReward(
        kind=RewardKind.GOODS,
        title="Термокружка «Москва»",
        partner="Мосгортранс",
        description="Стальная кружка 350 мл с видом на Тверскую. Выдача в центрах «Мои документы».",
        price=300,
        stock=25,
    ),
    catalogue.NewReward(
        kind=RewardKind.GOODS,
        title="Набор значков «Метро»",
        partner="Московский метрополитен",
        description="Пять значков со станциями кольцевой линии.",
        price=150,
        stock=0,
    ),
    catalogue.NewReward(
        kind=RewardKind.SERVICE,
        title="Экскурсия по парку «Зарядье»",
        partner="Парк «Зарядье»",
        description="Билет на обзорную экскурсию для одного человека.",
        price=800,
        stock=40,
    ),
    catalogue.NewReward(
        kind=RewardKind.PROMO_CODE,
        title="Скидка 10 % на такси",
        partner="Городское такси",
        description="Промокод на одну поездку по Москве.",
        price=150,
        codes=tuple(f"EDOM-TAXI-{n:04d}" for n in range(1, 11)),
    ),
    catalogue.NewReward(
        kind=RewardKind.CHARITY,
        title="Фонд «Старость в радость»",
        partner="Благотворительный фонд",
        description="Баллы переводятся в помощь пожилым людям в домах престарелых.",
        price=0,
    ),
)


async def load_points(db: Database, *, owner_id: int, now: datetime) -> None:
    """The catalogue, and the demo owner's first-listing award, redemption and donation."""
    async with db.transaction() as (session, outbox):
        rewards = [await catalogue.add_reward(session, reward) for reward in CATALOGUE]
        await award(
            session,
            outbox,
            user_id=owner_id,
            reason=AwardReason.FIRST_LISTING,
            source_key=f"first-listing:{owner_id}",
        )
    async with db.transaction() as (session, outbox):
        await catalogue.redeem(
            session,
            outbox,
            user_id=owner_id,
            reward_id=rewards[3],
            idempotency_key="demo-taxi",
            now=now,
        )
        await catalogue.donate(
            session,
            outbox,
            user_id=owner_id,
            reward_id=rewards[4],
            points=20,
            idempotency_key="demo-donation",
            now=now,
        )
