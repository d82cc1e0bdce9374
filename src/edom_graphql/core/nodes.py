"""The Relay ``Node`` interface and the registry that refetches any object by id.

Each domain registers, per type name, a function that loads objects by primary
key *and* drops those the viewer may not see; ``node``/``nodes`` go through it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import strawberry

from edom_graphql.core.context import Context


@strawberry.interface(description="An object with a global id; refetch it with `node(id:)`.")
class Node:
    id: strawberry.ID = strawberry.field(description="Opaque global id of the object.")


NodeFetcher = Callable[[Context, Sequence[int]], Awaitable[Sequence[Any | None]]]
NODE_FETCHERS: dict[str, NodeFetcher] = {}


def node_fetcher(type_name: str) -> Callable[[NodeFetcher], NodeFetcher]:
    def register(fetch: NodeFetcher) -> NodeFetcher:
        NODE_FETCHERS[type_name] = fetch
        return fetch

    return register
