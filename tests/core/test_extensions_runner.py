"""``core.observability.ExtensionsRunner``: a stream's per-result hooks are found once for
the operation and still run for every result, in the extensions' order; only extensions
with results of their own are asked for them."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterator
from typing import Any

import strawberry
from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import ExtensionContextManagerBase

from edom_graphql.core.observability import ExtensionsRunner

seen_results: list[tuple[str, Any]] = []


class Recording(SchemaExtension):
    def on_stream_result(self, result: Any) -> Iterator[None]:
        seen_results.append(("before", result.data))
        yield
        seen_results.append(("after", result.data))


class Counting(SchemaExtension):
    def on_stream_result(self, result: Any) -> None:
        seen_results.append(("counted", result.data))

    def get_results(self) -> dict[str, Any]:
        return {"counted": True}


class Silent(SchemaExtension):
    """No hooks, no results."""


@strawberry.type
class Query:
    ok: bool = True


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncGenerator[int, None]:
        for tick in range(3):
            yield tick


class RunnerSchema(strawberry.Schema):
    def create_extensions_runner(self, execution_context: Any, extensions: Any) -> Any:
        return ExtensionsRunner(execution_context=execution_context, extensions=extensions)


async def test_every_result_passes_every_hook_found_once(monkeypatch: Any) -> None:
    looked_up: list[str] = []
    get_hook = ExtensionContextManagerBase.get_hook

    def counted_get_hook(self: Any, extension: SchemaExtension) -> Any:
        looked_up.append(f"{self.HOOK_NAME}:{type(extension).__name__}")
        return get_hook(self, extension)

    monkeypatch.setattr(ExtensionContextManagerBase, "get_hook", counted_get_hook)
    seen_results.clear()
    schema = RunnerSchema(
        query=Query, subscription=Subscription, extensions=[Silent, Recording, Counting]
    )
    stream = await schema.subscribe("subscription { ticks }")
    results = [result async for result in stream]  # type: ignore[union-attr]

    assert [r.data for r in results] == [{"ticks": 0}, {"ticks": 1}, {"ticks": 2}]
    assert all(r.extensions == {"counted": True} for r in results)
    expected: list[tuple[str, Any]] = []
    for tick in range(3):
        data = {"ticks": tick}
        expected += [("before", data), ("counted", data), ("after", data)]
    assert seen_results == expected
    stream_lookups = [name for name in looked_up if name.startswith("on_stream_result:")]
    assert len(stream_lookups) == 3  # one per extension, for the operation, not per result
