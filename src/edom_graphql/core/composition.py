"""How the schema is composed of domains, each of which stays in its own folder.

A domain's face (``<domain>/schema.py``) is a :class:`Domain`: its root types, its node
types, the fields it adds to types of the domains below it (a building's polls are the
polls domain's, though they hang on ``Building``), and the children it reads ahead for a
page of another domain's objects (a page of premises and its owners). The top-level
schema takes a list of domains and builds one Strawberry schema from them; nothing is
registered by importing a module.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from strawberry.types.base import get_object_definition

from edom_graphql.core.context import AppInfo, Context, Services
from edom_graphql.core.nodes import Node
from edom_graphql.core.selection import selects

if TYPE_CHECKING:
    from edom_graphql.core.loaders import Loader

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

ReadAhead = Callable[[Context, Any, Sequence[Any]], Awaitable[None]]
"""``(context, parent, children)``: load what the children's field will need, for all of
them at once (attached to the children, or decided in the context)."""


@dataclass(frozen=True)
class JoinedReadAhead:
    """A read-ahead made in the statement of the children's page itself, one statement
    fewer: ``pages`` maps a page loader of the children to the loader of the same pages
    with the field's data joined on, which gives it to the loader the read-ahead reads
    from (so that the read-ahead, still run for its access decisions, reads nothing
    more). ``wanted(context, parent)`` says whether to join: only where the viewer may
    see the field, so that nothing is read for one who may not."""

    pages: Mapping[type, type]
    wanted: Callable[[Context, Any], bool | Awaitable[bool]]


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
    selects ``owners`` (see :func:`read_page`)."""
    joined: Mapping[tuple[type, str], JoinedReadAhead] = field(default_factory=dict)
    """Read-aheads that can be joined onto the page's statement (see :func:`read_page`)."""
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


@dataclass(frozen=True)
class ReadAheads:
    """Every domain's read-aheads, by the type of the children they are for."""

    loads: Mapping[type, Sequence[tuple[str, ReadAhead]]]
    joined: Mapping[tuple[type, str], JoinedReadAhead]


def read_ahead_of(domains: Sequence[Domain]) -> ReadAheads:
    loads: dict[type, list[tuple[str, ReadAhead]]] = {}
    joined: dict[tuple[type, str], JoinedReadAhead] = {}
    for domain in domains:
        for (child_type, field_name), load in domain.read_ahead.items():
            loads.setdefault(child_type, []).append((field_name, load))
        joined.update(domain.joined)
    return ReadAheads(loads, joined)


_NONE = ReadAheads({}, {})


async def read_page(
    info: AppInfo, child_type: type, parent: Any, loader: type[Loader[K, list[V]]], key: K
) -> list[V]:
    """``loader``'s page of children at ``key`` (a connection field's), and the
    read-aheads of ``child_type`` whose field the query selects below it (``edges {
    node { field } }`` or ``nodes { field }``): joined onto the page's own statement
    where a domain can join one (and the viewer may see it), each by a statement of
    its own otherwise."""
    context = info.context
    registry: ReadAheads = (info._raw_info.schema.extensions or {}).get(READ_AHEAD_KEY, _NONE)
    selected = [
        (field_name, load)
        for field_name, load in registry.loads.get(child_type, ())
        if selects(info, ("edges", "node", field_name), ("nodes", field_name))
    ]
    chosen: type[Loader[K, list[V]]] = loader
    for field_name, _ in selected:
        join = registry.joined.get((child_type, field_name))
        if join is not None and loader in join.pages:
            wanted = join.wanted(context, parent)
            if wanted is True or (wanted is not False and await wanted):
                chosen = join.pages[loader]
                break
    children = await chosen.of(context).load(key)
    if children:
        for _, load in selected:
            await load(context, parent, children)
    return children


__all__ = [
    "READ_AHEAD_KEY",
    "Domain",
    "JoinedReadAhead",
    "PhotoTable",
    "ReadAhead",
    "ReadAheads",
    "ScheduledJob",
    "extend_type",
    "read_ahead_of",
    "read_page",
]
