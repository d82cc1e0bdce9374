"""The per-operation context: who is asking, their access profile, and fresh loaders."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from strawberry.types import Info

from edom_graphql.core.access import (
    AccessProfile,
    allows_at_premise,
    allows_in_building,
    allows_in_organisation,
    load_profile,
)
from edom_graphql.core.capabilities import MATRIX, Capability
from edom_graphql.core.errors import Unauthenticated

if TYPE_CHECKING:
    from edom_graphql.core.auth import Claims, TokenVerifier
    from edom_graphql.core.db import Database
    from edom_graphql.core.live import LiveReads
    from edom_graphql.core.pubsub import PubSub
    from edom_graphql.core.storage import Storage
    from edom_graphql.loaders import Loaders
    from edom_graphql.settings import Settings


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
    """Process-wide collaborators, created once at start-up."""

    settings: Settings
    db: Database
    pubsub: PubSub
    verifier: TokenVerifier
    clock: Callable[[], datetime]
    live: LiveReads = field(init=False)
    subjects: SubjectCache = field(default_factory=SubjectCache)

    def __post_init__(self) -> None:
        from edom_graphql.core.live import LiveReads

        self.live = LiveReads(self.db, self.clock)

    @property
    def storage(self) -> Storage:
        from edom_graphql.core.storage import LocalStorage

        return LocalStorage(self.settings.uploads_path)


class Context:
    """What resolvers see as ``info.context``.

    One instance serves one operation: its loaders and the viewer's access
    profile are never reused by another operation, so a grant revoked between
    two subscription events is seen by the second one.
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
        self._profile: AccessProfile | None = None
        self._profile_task: asyncio.Future[AccessProfile] | None = None
        self._decisions: dict[
            tuple[Capability, int | None, int | None, int | None, int | None], bool
        ] = {}
        self.organisations: dict[int, int] = {}
        """The managing organisation of buildings read with another statement in this
        operation (a live stream reads them for all its subscribers at once), by building."""
        self.memo: dict[Hashable, Any] = {}
        """Per-operation answers of gatekeepers (e.g. whether a chat is readable), so that
        the objects of one page are decided once, not once each."""

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
        profile, decisions and time (nothing read for an earlier event is reused)."""
        self.__dict__.pop("loaders", None)
        self.now = self.services.clock()
        self._profile = None
        self._profile_task = None
        self._decisions.clear()
        self.organisations.clear()
        self.memo.clear()

    def after_write(self) -> Context:
        """This context, renewed after a mutation has committed: the payload is read and
        decided on as things are now (a residency just confirmed gives its tier), never
        with a profile or decision made before the change."""
        self.renew()
        return self

    @property
    def db(self) -> Database:
        return self.services.db

    @cached_property
    def loaders(self) -> Loaders:
        from edom_graphql.loaders import Loaders

        return Loaders(self, self.services.db, now=self.now)

    def token_expired(self) -> bool:
        """The viewer's access token has expired by the server's clock."""
        claims = self.claims
        return claims is not None and claims.expires_at <= self.services.clock()

    def require_viewer(self) -> int:
        if self.viewer_id is None:
            raise Unauthenticated()
        return self.viewer_id

    def prefetch_profile(self) -> None:
        """Start reading the viewer's access profile now, so that it travels alongside
        the operation's first reads instead of after them."""
        if self.viewer_id is not None and self._profile_task is None:
            self._profile_task = asyncio.ensure_future(
                load_profile(self.db, user_id=self.viewer_id, now=self.now)
            )
            self._profile_task.add_done_callback(_retrieve_exception)

    async def profile(self) -> AccessProfile:
        if self._profile is None:
            self.require_viewer()
            self.prefetch_profile()
            assert self._profile_task is not None
            profile = await self._profile_task
            if not profile.exists:
                # The user was deleted while their id was remembered for the token's
                # subject: forget it, so the next request signs them up afresh.
                if self.claims is not None:
                    self.services.subjects.forget(self.claims.subject)
                raise Unauthenticated("This account no longer exists; sign in again.")
            self._profile = profile
        return self._profile

    @property
    def loaded_profile(self) -> AccessProfile | None:
        """The viewer's access profile if it has been read already (no I/O)."""
        return self._profile

    def use_profile(self, profile: AccessProfile) -> None:
        """Decide with a profile read just now for this viewer (a live stream reads the
        profiles of all its subscribers woken by one event in one statement)."""
        assert profile.user_id == self.viewer_id
        self._profile = profile

    async def profile_of(self, user_id: int) -> AccessProfile:
        """Another user's access profile, for rules about two people (direct chats)."""
        if user_id == self.viewer_id:
            return await self.profile()
        return await self.loaders.access_profile.load(user_id)

    # -- the permission mechanism: every access decision goes through these ----------

    async def organisation_of(self, building_id: int) -> int | None:
        """The organisation managing the building; None for no such building."""
        known = self.organisations.get(building_id)
        if known is not None:
            return known
        building = await self.loaders.building.load(building_id)
        return building.organisation_id if building is not None else None

    async def can_in_building(self, capability: Capability, building_id: int) -> bool:
        organisation_id = await self.organisation_of(building_id)
        if organisation_id is None:
            return False
        profile = await self.profile()
        return allows_in_building(
            profile, capability, building_id=building_id, organisation_id=organisation_id
        )

    async def can_at_premise(self, capability: Capability, premise_id: int) -> bool:
        premise = await self.loaders.premise.load(premise_id)
        if premise is None:
            return False
        organisation_id = await self.organisation_of(premise.building_pk)
        if organisation_id is None:
            return False
        profile = await self.profile()
        return allows_at_premise(
            profile,
            capability,
            premise_id=premise_id,
            building_id=premise.building_pk,
            organisation_id=organisation_id,
        )

    async def can_on_user(self, capability: Capability, user_id: int) -> bool:
        """Capabilities about a person (personal data): the user, their building's staff."""
        profile = await self.profile()
        if user_id == profile.user_id:
            return True
        rule = MATRIX[capability]
        if rule.admin and profile.is_admin:
            return True
        if not profile.staff_roles:
            return False
        organisations = await self.loaders.organisations_of_user.load(user_id)
        return any(profile.roles_in(org) & rule.staff for org in organisations)

    async def can_in_organisation(self, capability: Capability, organisation_id: int) -> bool:
        """Capabilities over all of an organisation's buildings (staff desks and boards)."""
        profile = await self.profile()
        return allows_in_organisation(profile, capability, organisation_id=organisation_id)

    def decided(self, capability: Capability, target: Any) -> bool | None:
        """A decision already made in this operation, or None."""
        return self._decisions.get(
            (
                capability,
                target.building_id,
                target.premise_id,
                target.user_id,
                target.organisation_id,
            )
        )

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
        self._decisions[(capability, building_id, premise_id, user_id, organisation_id)] = allowed

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
        decided = self._decisions.get(
            (capability, building_id, premise_id, user_id, organisation_id)
        )
        if decided is not None:
            return decided
        return self.can(
            capability,
            building_id=building_id,
            premise_id=premise_id,
            user_id=user_id,
            organisation_id=organisation_id,
        )

    async def can(
        self,
        capability: Capability,
        *,
        building_id: int | None = None,
        premise_id: int | None = None,
        user_id: int | None = None,
        organisation_id: int | None = None,
    ) -> bool:
        key = (capability, building_id, premise_id, user_id, organisation_id)
        decided = self._decisions.get(key)
        if decided is None:
            if organisation_id is not None:
                decided = await self.can_in_organisation(capability, organisation_id)
            elif user_id is not None:
                decided = await self.can_on_user(capability, user_id)
            elif premise_id is not None:
                decided = await self.can_at_premise(capability, premise_id)
            elif building_id is not None:
                decided = await self.can_in_building(capability, building_id)
            else:
                decided = False
            self._decisions[key] = decided
        return decided


def _retrieve_exception(task: asyncio.Future[Any]) -> None:
    # An operation that never asked for the profile must not leave its failure unread.
    if not task.cancelled():
        task.exception()


AppInfo = Info[Context, None]
