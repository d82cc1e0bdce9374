"""Values shared by several fields of an operation survive the cancellation of one asker.

graphql-core gives up on the rest of a list when one item fails in a way that nulls the
list, and cancels the items still running. An item that was awaiting a value another
field also awaits (a loader's, a remembered decision's) must not take that value down
with it: the other field would get a ``CancelledError``, which is no ``Exception`` and
escaped as a 500 before.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import strawberry

from edom_graphql.core.loaders import Loader
from edom_graphql.core.nodes import remembered


class SlowLoader(Loader[int, int]):
    async def batch_load_fn(self, keys: list[int]) -> list[int]:
        await asyncio.sleep(0.05)
        return [key * 10 for key in keys]


async def _slow_decision() -> bool:
    await asyncio.sleep(0.05)
    return True


async def _shared(info: Any, how: str) -> int:
    context = info.context
    if how == "loader":
        value: int = await SlowLoader.of(context).load(1)
        return value
    decided = remembered(context, ("thing", 1), _slow_decision)
    assert not isinstance(decided, bool)
    return 10 if await decided else 0


@strawberry.type
class Item:
    n: int
    how: strawberry.Private[str]

    @strawberry.field
    async def value(self, info: strawberry.Info) -> int:
        if self.n == 0:
            await asyncio.sleep(0.01)
            raise ValueError("this item fails, and its list is nulled")
        return await _shared(info, self.how)


@strawberry.type
class Query:
    @strawberry.field
    def items(self, how: str) -> list[Item] | None:
        return [Item(n=0, how=how), Item(n=1, how=how)]

    @strawberry.field
    async def other(self, info: strawberry.Info, how: str) -> int:
        return await _shared(info, how)


SCHEMA = strawberry.Schema(query=Query)


async def _run(how: str) -> Any:
    context = SimpleNamespace(loaders={}, memo={}, db=None)
    query = "query ($how: String!) { items(how: $how) { value } other(how: $how) }"
    return await SCHEMA.execute(query, {"how": how}, context_value=context)


async def test_a_loaders_value_survives_a_cancelled_asker() -> None:
    result = await _run("loader")
    assert result.data == {"items": None, "other": 10}
    assert [error.message for error in result.errors or []] == [
        "this item fails, and its list is nulled"
    ]


async def test_a_remembered_decision_survives_a_cancelled_asker() -> None:
    result = await _run("remembered")
    assert result.data == {"items": None, "other": 10}
