"""GraphQL types of city points: the viewer's ledger, the catalogue of rewards and the
redemptions."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import strawberry

from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.ids import encode_id
from edom_graphql.core.loaders import ByIdLoader, later
from edom_graphql.core.nodes import Node, Verdict, visible
from edom_graphql.core.pagination import After, Connection, First, build_connection, page_request
from edom_graphql.points import access, reads
from edom_graphql.points.models import RewardKind
from edom_graphql.points.reads import BalanceLoader
from edom_graphql.residents.types import Viewer

graphql_enum(
    RewardKind,
    "What a reward of the catalogue is.",
    {
        RewardKind.GOODS: "A partner's goods, from a limited stock.",
        RewardKind.SERVICE: "A partner's service (a ticket, a visit), from a limited stock.",
        RewardKind.PROMO_CODE: "A promo code of a partner, shown to whoever redeemed it only.",
        RewardKind.CHARITY: "A charity that takes donations of any number of points.",
    },
)


@strawberry.enum(description="Why a ledger entry was made.")
class PointReason(enum.Enum):
    POLL_CREATED = strawberry.enum_value("POLL_CREATED", description="A poll was created.")
    FIRST_LISTING = strawberry.enum_value(
        "FIRST_LISTING", description="The user's first listing on a board."
    )
    MEETING_CREATED = strawberry.enum_value(
        "MEETING_CREATED", description="An owners' meeting was initiated."
    )
    MEETING_ADMINISTERED = strawberry.enum_value(
        "MEETING_ADMINISTERED", description="An owners' meeting the user administered completed."
    )
    MEETING_VOTED = strawberry.enum_value(
        "MEETING_VOTED", description="The user voted in an owners' meeting (once a meeting)."
    )
    METER_READING = strawberry.enum_value(
        "METER_READING", description="A meter reading (once per meter and period)."
    )
    EPD_CASHBACK = strawberry.enum_value(
        "EPD_CASHBACK", description="A share of a single payment document paid on the platform."
    )
    REWARD_REDEEMED = strawberry.enum_value(
        "REWARD_REDEEMED", description="Spent on a reward of the catalogue."
    )
    DONATION = strawberry.enum_value("DONATION", description="Donated to a charity.")


@strawberry.type(description="One award (positive) or spend (negative) of the viewer's points.")
class PointEntry(Node):
    pk: strawberry.Private[int]
    user_pk: strawberry.Private[int]
    amount: int = strawberry.field(description="Points added (positive) or spent (negative).")
    reason: PointReason = strawberry.field(description="What the entry is for.")
    balance_after: int = strawberry.field(description="The balance right after this entry.")
    created_at: datetime = strawberry.field(description="When it was made.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> PointEntry:
        """Of a row of ``reads.ENTRY_COLUMNS``."""
        return cls(
            id=strawberry.ID(encode_id("PointEntry", row[0])),
            pk=row[0],
            user_pk=row[1],
            amount=int(row[2]),
            reason=PointReason(row[3]),
            balance_after=int(row[4]),
            created_at=row[5],
        )

    @staticmethod
    def sort_key(entry: PointEntry) -> tuple[int]:
        return (entry.pk,)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[PointEntry | None]:
        return await PointEntryByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: PointEntry) -> Verdict:
        return access.entry_visible(context, node)


@strawberry.type(description="An item of the catalogue of rewards for city points.")
class Reward(Node):
    pk: strawberry.Private[int]
    kind: RewardKind = strawberry.field(description="What it is.")
    title: str = strawberry.field(description="Its name.")
    description: str = strawberry.field(description="What one gets.")
    partner: str = strawberry.field(description="Who provides it.")
    price: int = strawberry.field(
        description="Points one item costs (0 for a charity, which takes any amount)."
    )
    stock: int | None = strawberry.field(description="Items left; null: unlimited.")
    active: bool = strawberry.field(
        description="Still in the catalogue (a withdrawn reward stays on its redemptions)."
    )

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Reward:
        """Of a row of ``reads.REWARD_COLUMNS``."""
        return cls(
            id=strawberry.ID(encode_id("Reward", row[0])),
            pk=row[0],
            kind=RewardKind(row[1]),
            title=row[2],
            description=row[3],
            partner=row[4],
            price=int(row[5]),
            stock=row[6],
            active=row[7],
        )

    @staticmethod
    def sort_key(reward: Reward) -> tuple[int]:
        return (reward.pk,)

    @classmethod
    async def load_nodes(cls, context: Context, pks: Sequence[int]) -> Sequence[Reward | None]:
        return await RewardByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: Reward) -> Verdict:
        return access.reward_visible(context, node)

    @strawberry.field(description="It can be redeemed now: active and not out of stock.")
    def available(self) -> bool:
        return self.active and (self.stock is None or self.stock > 0)


@strawberry.type(description="A reward the viewer redeemed, or a donation they made.")
class RewardRedemption(Node):
    pk: strawberry.Private[int]
    user_pk: strawberry.Private[int]
    reward_pk: strawberry.Private[int]
    entry_pk: strawberry.Private[int]
    code: strawberry.Private[str | None]
    points: int = strawberry.field(description="Points it cost (or the points donated).")
    created_at: datetime = strawberry.field(description="When it was redeemed.")

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> RewardRedemption:
        """Of a row of ``reads.REDEMPTION_COLUMNS``."""
        return cls(
            id=strawberry.ID(encode_id("RewardRedemption", row[0])),
            pk=row[0],
            user_pk=row[1],
            reward_pk=row[2],
            entry_pk=row[3],
            points=int(row[4]),
            created_at=row[5],
            code=row[6],
        )

    @staticmethod
    def sort_key(redemption: RewardRedemption) -> tuple[int]:
        return (redemption.pk,)

    @classmethod
    async def load_nodes(
        cls, context: Context, pks: Sequence[int]
    ) -> Sequence[RewardRedemption | None]:
        return await RewardRedemptionByIdLoader.of(context).load_many(list(pks))

    @classmethod
    def is_visible(cls, context: Context, node: RewardRedemption) -> Verdict:
        return access.redemption_visible(context, node)

    @strawberry.field(description="The reward (or charity).")
    def reward(self, info: AppInfo) -> Reward:
        return later(RewardByIdLoader.of(info.context).load(self.reward_pk))

    @strawberry.field(description="The ledger entry that paid for it, with the balance after.")
    def entry(self, info: AppInfo) -> PointEntry:
        return later(PointEntryByIdLoader.of(info.context).load(self.entry_pk))

    @strawberry.field(
        description="The promo code handed out (a PROMO_CODE reward); shown to the viewer "
        "who redeemed it only, null for everyone else and for other rewards."
    )
    def promo_code(self, info: AppInfo) -> str | None:
        return self.code if access.promo_code_visible(info.context, self) else None


class PointEntryByIdLoader(ByIdLoader[PointEntry]):
    query = reads.ENTRY_BY_ID
    convert = PointEntry.from_row


class RewardByIdLoader(ByIdLoader[Reward]):
    query = reads.REWARD_BY_ID
    convert = Reward.from_row


class RewardRedemptionByIdLoader(ByIdLoader[RewardRedemption]):
    query = reads.REDEMPTION_BY_ID
    convert = RewardRedemption.from_row


@strawberry.type(description="A page of ledger entries, newest first.")
class PointEntryConnection(Connection[PointEntry]):
    pass


@strawberry.type(description="A page of rewards, in catalogue order.")
class RewardConnection(Connection[Reward]):
    pass


@strawberry.type(description="A page of redemptions and donations, newest first.")
class RewardRedemptionConnection(Connection[RewardRedemption]):
    pass


@strawberry.type(
    description="The viewer's city points: the balance, the ledger that sums to it, and "
    "what they were spent on. Changes arrive live as notifications (`POINTS_AWARDED`, "
    "`POINTS_SPENT`, `POINTS_DONATED`) whose subject is the entry or the redemption."
)
class ViewerPoints:
    user_pk: strawberry.Private[int]

    @strawberry.field(description="Points now: the sum of the entries, never negative.")
    async def balance(self, info: AppInfo) -> int:
        return await BalanceLoader.of(info.context).load(self.user_pk)

    @strawberry.field(description="The ledger: every award and spend, newest first.")
    async def entries(
        self, info: AppInfo, first: First, after: After = None
    ) -> PointEntryConnection:
        page = page_request(first, after, types=(int,))
        rows = await reads.entries_of(info.context.db, self.user_pk, page)
        connection = build_connection(
            [PointEntry.from_row(row) for row in rows], page, PointEntry.sort_key
        )
        return PointEntryConnection(edges=connection.edges, page_info=connection.page_info)

    @strawberry.field(description="Rewards redeemed and donations made, newest first.")
    async def redemptions(
        self, info: AppInfo, first: First, after: After = None
    ) -> RewardRedemptionConnection:
        page = page_request(first, after, types=(int,))
        rows = await reads.redemptions_of(info.context.db, self.user_pk, page)
        connection = build_connection(
            [RewardRedemption.from_row(row) for row in rows], page, RewardRedemption.sort_key
        )
        return RewardRedemptionConnection(edges=connection.edges, page_info=connection.page_info)


def points_of(context: Context) -> ViewerPoints:
    """The signed-in viewer's points."""
    return ViewerPoints(user_pk=context.require_viewer())


async def catalogue_page(
    context: Context, *, first: int, after: str | None, kind: RewardKind | None
) -> RewardConnection:
    """A page of the active rewards (``Query.rewards``)."""
    context.require_viewer()
    page = page_request(first, after, types=(int,))
    rows = await reads.catalogue(context.db, page, kind)
    connection = build_connection([Reward.from_row(row) for row in rows], page, Reward.sort_key)
    return RewardConnection(edges=connection.edges, page_info=connection.page_info)


async def visible_redemption(context: Context, redemption_id: int) -> RewardRedemption | None:
    """The redemption, if the viewer may see it (their own)."""
    return await visible(context, await RewardRedemptionByIdLoader.of(context).load(redemption_id))


@strawberry.type
class ViewerPointsField:
    """``Viewer.points``."""

    @strawberry.field(description="The viewer's city points.")
    def points(self: Viewer, info: AppInfo) -> ViewerPoints:
        return ViewerPoints(user_pk=self.user_pk)


__all__ = [
    "PointEntry",
    "PointEntryByIdLoader",
    "PointReason",
    "Reward",
    "RewardByIdLoader",
    "RewardConnection",
    "RewardRedemption",
    "RewardRedemptionByIdLoader",
    "ViewerPoints",
    "ViewerPointsField",
    "catalogue_page",
    "points_of",
    "visible_redemption",
]
