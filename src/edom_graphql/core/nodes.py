"""The Relay ``Node`` interface and the gatekeeper every object of a node type passes.

A node type says how to load its objects by primary key (:meth:`Node.load_nodes`) and
who may see one (:meth:`Node.is_visible`, its gatekeeper). ``node``/``nodes`` load and
then keep what the gatekeeper lets through, and the executor asks the same gatekeeper
for every object of the type it puts into a response, whatever field returned it
(:mod:`edom_graphql.core.execution`): an object the viewer may not see comes back as
null (or, in a non-null position, as a FORBIDDEN error), never as data.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

import strawberry

from edom_graphql.core.context import Context
from edom_graphql.core.ids import decode_id

Verdict = bool | Awaitable[bool]
"""A gatekeeper's answer: at once when it can be decided without I/O, else later."""
Gate = Callable[[Context, Any], Verdict]
N = TypeVar("N", bound="Node")


@strawberry.interface(description="An object with a global id; refetch it with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id of the object.")

    @classmethod
    async def load_nodes(cls: type[N], context: Context, pks: Sequence[int]) -> Sequence[N | None]:
        """The objects with these primary keys, in order (None where there is none),
        whoever may see them: callers pass them through :meth:`is_visible`."""
        raise NotImplementedError(f"{cls.__name__} cannot be loaded by id")

    @classmethod
    def is_visible(cls, context: Context, node: Any) -> Verdict:
        """The gatekeeper of the type: may the viewer of ``context`` see ``node``?"""
        raise NotImplementedError(f"{cls.__name__} has no gatekeeper")


def either(*checks: Callable[[], Verdict]) -> Verdict:
    """True when any check is, trying them in order and stopping at the first True;
    synchronous for as long as the checks are."""
    for position, check in enumerate(checks):
        verdict = check()
        if verdict is True:
            return True
        if verdict is not False:
            rest = checks[position + 1 :]
            # The last check's own awaitable (a loader's future) needs no coroutine around it.
            return _either_later(verdict, rest) if rest else verdict
    return False


async def _either_later(first: Awaitable[bool], rest: Sequence[Callable[[], Verdict]]) -> bool:
    if await first:
        return True
    for check in rest:
        verdict = check()
        if verdict if isinstance(verdict, bool) else await verdict:
            return True
    return False


def both(first: Verdict, then: Callable[[], Verdict]) -> Verdict:
    """True when ``first`` and then ``then()`` are, synchronous while both are."""
    if first is False:
        return False
    if first is True:
        return then()
    return _both_later(first, then)


async def _both_later(first: Awaitable[bool], then: Callable[[], Verdict]) -> bool:
    if not await first:
        return False
    verdict = then()
    return verdict if isinstance(verdict, bool) else await verdict


def remembered(context: Context, key: Any, decide: Callable[[], Verdict]) -> Verdict:
    """``decide()``, answered once per operation for ``key`` (later asks are synchronous
    once the first answer is in)."""
    found = context.memo.get(key)
    if isinstance(found, bool):
        return found
    if found is not None:
        return asyncio.shield(found)
    verdict = decide()
    if isinstance(verdict, bool):
        context.memo[key] = verdict
        return verdict
    future = asyncio.ensure_future(verdict)
    context.memo[key] = future

    def settle(done: asyncio.Future[bool]) -> None:
        if not done.cancelled() and done.exception() is None:
            context.memo[key] = done.result()
        elif context.memo.get(key) is done:
            del context.memo[key]

    future.add_done_callback(settle)
    # Shielded: one asker's cancellation (graphql-core cancels the rest of a list when
    # one item fails) must not cancel the decision the others await. A future, not a
    # coroutine: the compiled executor awaits it without a task of its own.
    return asyncio.shield(future)


class NodeTypes:
    """The node types of the schema, by GraphQL name and by class."""

    def __init__(self, types: Iterable[type[Node]]) -> None:
        self.by_name: dict[str, type[Node]] = {}
        self.gates: dict[type, Gate] = {}
        for node_type in types:
            definition = node_type.__strawberry_definition__  # type: ignore[attr-defined]
            for method in ("load_nodes", "is_visible"):
                if getattr(node_type, method).__func__ is getattr(Node, method).__func__:
                    raise TypeError(f"node type {node_type.__name__} must define {method}")
            self.by_name[definition.name] = node_type
            self.gates[node_type] = node_type.is_visible

    async def fetch(self, context: Context, ids: Sequence[str]) -> list[Any | None]:
        """Objects by global id, in order; None for malformed ids, unknown objects and
        objects the viewer may not see."""
        decoded = [decode_id(global_id) for global_id in ids]
        wanted: dict[str, list[int]] = {}
        for item in decoded:
            if item is not None and item[0] in self.by_name:
                wanted.setdefault(item[0], []).append(item[1])
        found: dict[tuple[str, int], Any] = {}
        for type_name, pks in wanted.items():
            unique = list(dict.fromkeys(pks))
            loaded = await self.by_name[type_name].load_nodes(context, unique)
            for pk, node in zip(unique, await visible_only(context, loaded), strict=True):
                if node is not None:
                    found[(type_name, pk)] = node
        return [found.get(item) if item is not None else None for item in decoded]


async def visible_only(context: Context, nodes: Sequence[N | None]) -> list[N | None]:
    """``nodes`` with those their type's gatekeeper refuses replaced by None."""
    verdicts: list[Verdict] = [
        False if node is None else type(node).is_visible(context, node) for node in nodes
    ]
    pending = [
        (position, verdict)
        for position, verdict in enumerate(verdicts)
        if inspect.isawaitable(verdict)
    ]
    if pending:
        settled = await asyncio.gather(*(verdict for _, verdict in pending))
        for (position, _), allowed in zip(pending, settled, strict=True):
            verdicts[position] = allowed
    return [
        node if verdict is True else None for node, verdict in zip(nodes, verdicts, strict=True)
    ]


async def visible(context: Context, node: N | None) -> N | None:
    """``node`` if its gatekeeper lets the viewer see it, else None."""
    (found,) = await visible_only(context, [node])
    return found


__all__ = [
    "Gate",
    "Node",
    "NodeTypes",
    "Verdict",
    "both",
    "either",
    "remembered",
    "visible",
    "visible_only",
]
