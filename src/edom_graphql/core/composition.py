"""How the schema is composed of domains, each of which stays in its own folder.

A domain's face (``<domain>/schema.py``) is a :class:`Domain`: its root types, its node
types, the fields it adds to types of the domains below it (a building's polls are the
polls domain's, though they hang on ``Building``), and the children it reads ahead for a
page of another domain's objects (a page of premises and its owners). The top-level
schema takes a list of domains and builds one Strawberry schema from them; nothing is
registered by importing a module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from strawberry.types.base import get_object_definition

from edom_graphql.core.context import AppInfo, Context, Services
from edom_graphql.core.nodes import Node
from edom_graphql.core.selection import selects

ReadAhead = Callable[[Context, Any, Sequence[Any]], Awaitable[None]]
"""``(context, parent, children)``: load what the children's field will need, for all of
them at once (attached to the children, or decided in the context)."""


ScheduledJob = Callable[[Services], AbstractAsyncContextManager[Any]]
"""A periodic job run for the app's lifespan: ``async with job(services): ...``."""


@dataclass(frozen=True)
class PhotoTable:
    """A table of a domain's stored photos: the server finds the owner of a stored file
    by its key (to serve it to whoever may see the owner, by the owner type's
    gatekeeper) and which stored files no row references (to sweep them)."""

    owner_type: type[Node]
    key: Any
    """The column of the storage key."""
    owner_id: Any
    """The column of the owner's primary key."""
    content_type: Any
    """The column of the media type."""


@dataclass(frozen=True)
class Domain:
    """One domain's contribution to the schema."""

    name: str
    queries: Sequence[type] = ()
    mutations: Sequence[type] = ()
    subscriptions: Sequence[type] = ()
    node_types: Sequence[type] = ()
    extends: Mapping[type, Sequence[type]] = field(default_factory=dict)
    """Fields this domain adds to another's type: ``{Building: [BuildingPolls]}``, each
    value a Strawberry type whose fields join the key's."""
    read_ahead: Mapping[tuple[type, str], ReadAhead] = field(default_factory=dict)
    """``{(Premise, "owners"): read_owners}``: run for a page of premises whose query
    selects ``owners`` (see :func:`read_ahead`)."""
    photos: Sequence[PhotoTable] = ()
    scheduled: Sequence[ScheduledJob] = ()


def extend_type(target: type, addition: type) -> None:
    """Add the fields of the Strawberry type ``addition`` to ``target`` (once)."""
    definition = get_object_definition(target, strict=True)
    extra = get_object_definition(addition, strict=True)
    present = {f.python_name for f in definition.fields}
    for added in extra.fields:
        if added.python_name not in present:
            definition.fields.append(added)


READ_AHEAD_KEY = "edom_graphql.read_ahead"


def read_ahead_of(domains: Sequence[Domain]) -> dict[type, list[tuple[str, ReadAhead]]]:
    found: dict[type, list[tuple[str, ReadAhead]]] = {}
    for domain in domains:
        for (child_type, field_name), load in domain.read_ahead.items():
            found.setdefault(child_type, []).append((field_name, load))
    return found


async def read_ahead(info: AppInfo, child_type: type, parent: Any, children: Sequence[Any]) -> None:
    """Run the read-aheads of ``child_type`` whose field the query selects below this
    connection field (``edges { node { field } }`` or ``nodes { field }``)."""
    if not children:
        return
    registry: dict[type, list[tuple[str, ReadAhead]]] = (
        info._raw_info.schema.extensions or {}
    ).get(READ_AHEAD_KEY, {})
    for field_name, load in registry.get(child_type, ()):
        if selects(info, ("edges", "node", field_name), ("nodes", field_name)):
            await load(info.context, parent, children)


__all__ = [
    "READ_AHEAD_KEY",
    "Domain",
    "PhotoTable",
    "ReadAhead",
    "ScheduledJob",
    "extend_type",
    "read_ahead",
    "read_ahead_of",
]
