"""The per-operation context: who is asking, the gate that decides what they may do, and
the operation's loaders and memos.

The floor knows what an access decision looks like (:class:`AccessGate`), not how one is
made: the access layer (:mod:`edom_graphql.access`) makes them, and the composition root
hands it in as :attr:`Services.access`.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from strawberry.types import Info

from edom_graphql.core.capabilities import Capability, Tier
from edom_graphql.core.errors import Unauthenticated
from edom_graphql.core.live import LiveReads
from edom_graphql.core.profile import AccessProfile

if TYPE_CHECKING:
    from edom_graphql.core.auth import Claims, TokenVerifier
    from edom_graphql.core.db import Database
    from edom_graphql.core.pubsub import PubSub
    from edom_graphql.core.storage import Storage
    from edom_graphql.settings import Settings

L = TypeVar("L")


class AccessGate(Protocol):
    """One operation's access decisions (see :mod:`edom_graphql.access.gate`)."""

    organisations: dict[int, int]
    """Organisations of buildings already known in this operation, by building."""

    @property
    def loaded_profile(self) -> AccessProfile | None: ...

    def prefetch_profile(self) -> None: ...

    async def profile(self) -> AccessProfile: ...

    def use_profile(self, profile: AccessProfile) -> None: ...

    async def profile_of(self, user_id: int) -> AccessProfile: ...

    async def can(
        self,
        capability: Capability,
        *,
        building_id: int | None = None,
        premise_id: int | None = None,
        user_id: int | None = None,
        organisation_id: int | None = None,
    ) -> bool: ...

    def allows(
        self,
        capability: Capability,
        *,
        building_id: int | None = None,
        premise_id: int | None = None,
        user_id: int | None = None,
        organisation_id: int | None = None,
    ) -> bool | Awaitable[bool]: ...

    def decided(self, capability: Capability, target: Any) -> bool | None: ...

    def remember(
        self,
        capability: Capability,
        allowed: bool,
        *,
        building_id: int | None = None,
        premise_id: int | None = None,
        user_id: int | None = None,
        organisation_id: int | None = None,
    ) -> None: ...

    async def organisation_of(self, building_id: int) -> int | None: ...

    async def learn_organisations(self, building_ids: Iterable[int]) -> None: ...

    async def occupants(self, premise_id: int) -> dict[int, Tier]: ...

    def standing(
        self, user_id: int, building_id: int
    ) -> asyncio.Future[tuple[AccessProfile, int | None]]:
        """The user's standing as it is now, shared with the other askers of the turn
        (one future each: see :mod:`edom_graphql.access.live`)."""
        ...


class AccessProvider(Protocol):
    """Makes each operation's gate (one per process)."""

    def gate(self, context: Context) -> AccessGate: ...


class SubjectCache:
    """The user id of recently seen token subjects (least recently used go first), so
    that a request does not look its user up by subject."""

    def __init__(self, size: int = 10_000) -> None:
        self._size = size
        self._ids: OrderedDict[str, int] = OrderedDict()

    def get(self, subject: str) -> int | None:
        user_id = self._ids.get(subject)
        if user_id is not None:
            self._ids.move_to_end(subject)
        return user_id

    def put(self, subject: str, user_id: int) -> None:
        self._ids[subject] = user_id
        if len(self._ids) > self._size:
            self._ids.popitem(last=False)

    def forget(self, subject: str) -> None:
        self._ids.pop(subject, None)


@dataclass(slots=True)
class Services:
    """Process-wide collaborators, created once at start-up by the composition root."""

    settings: Settings
    db: Database
    pubsub: PubSub
    verifier: TokenVerifier
    clock: Callable[[], datetime]
    access: AccessProvider
    storage: Storage
    live: LiveReads = field(init=False)
    subjects: SubjectCache = field(default_factory=SubjectCache)

    def __post_init__(self) -> None:
        self.live = LiveReads()


def weakly(context: Context) -> Context:
    """A reference to ``context`` that does not keep it alive.

    What an operation's context holds (its gate, its loaders) refers back to it through
    this: were the references strong, every operation's whole graph of rows, objects and
    futures would be a reference cycle, left for the cycle collector to find and free
    (tens of milliseconds a pass under load), instead of being freed as soon as the
    operation is done."""
    if type(context) in weakref.ProxyTypes:
        return context
    try:
        return cast(Context, weakref.proxy(context))
    except TypeError:  # a stand-in that takes no weak references (tests' namespaces)
        return context


class Context:
    """What resolvers see as ``info.context``.

    One instance serves one operation: its loaders, memos and the viewer's access profile
    are never reused by another operation, so a grant revoked between two subscription
    events is seen by the second one (a stream renews its context for every event).
    """

    def __init__(
        self,
        services: Services,
        *,
        viewer_id: int | None,
        claims: Claims | None,
        request_id: str,
        request: Any = None,
    ) -> None:
        self.services = services
        self.viewer_id = viewer_id
        self.claims = claims
        self.request_id = request_id
        self.request = request
        self.connection_params: dict[str, Any] | None = None
        self.now = services.clock()
        self.loaders: dict[type, Any] = {}
        """The operation's loaders, one per class (see :meth:`Loader.of`)."""
        self.shield_loads = True
        """Whether loads are shielded from their callers' cancellation (graphql-core
        cancels parts of a result; a compiled run never does, see ``Loader.load``)."""
        self.memo: dict[Hashable, Any] = {}
        """Per-operation answers of gatekeepers (e.g. whether a chat is readable), so that
        the objects of one page are decided once, not once each."""
        self.gate: AccessGate = services.access.gate(self)

    def for_operation(self) -> Context:
        """A fresh context for the next operation or event of the same connection."""
        fresh = Context(
            self.services,
            viewer_id=self.viewer_id,
            claims=self.claims,
            request_id=self.request_id,
            request=self.request,
        )
        fresh.connection_params = self.connection_params
        return fresh

    def renew(self) -> None:
        """Start over for the next event of a long-lived subscription: fresh loaders, access
        profile, decisions, memos and time (nothing read for an earlier event is reused)."""
        self.now = self.services.clock()
        self.loaders.clear()
        self.memo.clear()
        self.gate = self.services.access.gate(self)

    def after_write(self) -> Context:
        """This context, renewed after a mutation has committed: the payload is read and
        decided on as things are now (a residency just confirmed gives its tier), never
        with a profile or decision made before the change."""
        self.renew()
        return self

    @property
    def db(self) -> Database:
        return self.services.db

    def token_expired(self) -> bool:
        """The viewer's access token has expired by the server's clock."""
        claims = self.claims
        return claims is not None and claims.expires_at <= self.services.clock()

    def require_viewer(self) -> int:
        if self.viewer_id is None:
            raise Unauthenticated()
        return self.viewer_id

    # -- access decisions, made by the gate ---------------------------------------------

    @property
    def loaded_profile(self) -> AccessProfile | None:
        """The viewer's access profile if it has been read already (no I/O)."""
        return self.gate.loaded_profile

    def prefetch_profile(self) -> None:
        """Start reading the viewer's access profile now, alongside the first reads."""
        self.gate.prefetch_profile()

    async def profile(self) -> AccessProfile:
        return await self.gate.profile()

    def use_profile(self, profile: AccessProfile) -> None:
        """Decide with a profile read just now for this viewer (a live stream reads the
        profiles of all its subscribers woken by one event in one statement)."""
        self.gate.use_profile(profile)

    async def profile_of(self, user_id: int) -> AccessProfile:
        """Another user's access profile, for rules about two people (direct chats)."""
        return await self.gate.profile_of(user_id)

    async def can(
        self,
        capability: Capability,
        *,
        building_id: int | None = None,
        premise_id: int | None = None,
        user_id: int | None = None,
        organisation_id: int | None = None,
    ) -> bool:
        return await self.gate.can(
            capability,
            building_id=building_id,
            premise_id=premise_id,
            user_id=user_id,
            organisation_id=organisation_id,
        )

    def allows(
        self,
        capability: Capability,
        *,
        building_id: int | None = None,
        premise_id: int | None = None,
        user_id: int | None = None,
        organisation_id: int | None = None,
    ) -> bool | Awaitable[bool]:
        """Like :meth:`can`, but answers at once (without awaiting) when the decision is
        already made in this operation: gatekeepers stay synchronous on a page of objects."""
        return self.gate.allows(
            capability,
            building_id=building_id,
            premise_id=premise_id,
            user_id=user_id,
            organisation_id=organisation_id,
        )

    def decided(self, capability: Capability, target: Any) -> bool | None:
        """A decision already made in this operation, or None."""
        return self.gate.decided(capability, target)

    def remember(
        self,
        capability: Capability,
        allowed: bool,
        *,
        building_id: int | None = None,
        premise_id: int | None = None,
        user_id: int | None = None,
        organisation_id: int | None = None,
    ) -> None:
        """Record a decision a parent made for its children (see :func:`requires`)."""
        self.gate.remember(
            capability,
            allowed,
            building_id=building_id,
            premise_id=premise_id,
            user_id=user_id,
            organisation_id=organisation_id,
        )


AppInfo = Info[Context, None]
