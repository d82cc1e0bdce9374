"""The gate behind ``@requires`` and every gatekeeper: one operation's access decisions.

A decision takes the viewer's access profile (read once per operation, alongside its
first reads) and the capability matrix; where it concerns a building or a premise it also
needs the organisation that manages it. Decisions are remembered for the operation, so
the objects of a page are decided once, and a guarded field under a page of parents is
resolved without awaiting (:meth:`Gate.allows`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Any

from edom_graphql.access.live import Standings
from edom_graphql.access.profiles import (
    AccessProfileLoader,
    OrganisationsOfUserLoader,
    load_profile,
    premise_occupants,
)
from edom_graphql.buildings.types import BuildingByIdLoader, PremiseByIdLoader
from edom_graphql.core.capabilities import MATRIX, Capability, Tier
from edom_graphql.core.context import Context, weakly
from edom_graphql.core.db import Database
from edom_graphql.core.errors import Unauthenticated
from edom_graphql.core.profile import (
    AccessProfile,
    allows_at_premise,
    allows_in_building,
    allows_in_organisation,
)

DecisionKey = tuple[Capability, int | None, int | None, int | None, int | None]


class Access:
    """The access layer of one process: makes each operation's :class:`Gate`."""

    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.standings = Standings(db, clock)

    def gate(self, context: Context) -> Gate:
        return Gate(context, self)


class Gate:
    """One operation's access decisions (see the module's docstring)."""

    def __init__(self, context: Context, access: Access) -> None:
        self._context = weakly(context)
        self._access = access
        self._profile: AccessProfile | None = None
        self._profile_task: asyncio.Future[AccessProfile] | None = None
        self._decisions: dict[DecisionKey, bool] = {}
        self._deciding: dict[DecisionKey, asyncio.Future[bool]] = {}
        self.organisations: dict[int, int] = {}

    # -- the viewer's profile ---------------------------------------------------------

    @property
    def loaded_profile(self) -> AccessProfile | None:
        return self._profile

    def prefetch_profile(self) -> None:
        context = self._context
        if context.viewer_id is not None and self._profile_task is None:
            self._profile_task = asyncio.ensure_future(
                load_profile(context.db, user_id=context.viewer_id, now=context.now)
            )
            self._profile_task.add_done_callback(_retrieve_exception)

    async def profile(self) -> AccessProfile:
        if self._profile is None:
            context = self._context
            context.require_viewer()
            self.prefetch_profile()
            assert self._profile_task is not None
            # shielded: shared by every field of the operation (see Loader.load)
            profile = await asyncio.shield(self._profile_task)
            if not profile.exists:
                # The user was deleted while their id was remembered for the token's
                # subject: forget it, so the next request signs them up afresh.
                if context.claims is not None:
                    context.services.subjects.forget(context.claims.subject)
                raise Unauthenticated("This account no longer exists; sign in again.")
            self._know(profile)
            return profile
        return self._profile

    def use_profile(self, profile: AccessProfile) -> None:
        assert profile.user_id == self._context.viewer_id
        self._know(profile)

    def _know(self, profile: AccessProfile) -> None:
        self._profile = profile
        # The viewer's own buildings' organisations came with it: decisions there need
        # no read of the building.
        for building_id, organisation_id in profile.building_organisations.items():
            self.organisations.setdefault(building_id, organisation_id)

    async def profile_of(self, user_id: int) -> AccessProfile:
        if user_id == self._context.viewer_id:
            return await self.profile()
        return await AccessProfileLoader.of(self._context).load(user_id)

    # -- what decisions need to know ----------------------------------------------------

    async def organisation_of(self, building_id: int) -> int | None:
        known = self.organisations.get(building_id)
        if known is not None:
            return known
        building = await BuildingByIdLoader.of(self._context).load(building_id)
        if building is None:
            return None
        self.organisations[building_id] = building.organisation_id
        return building.organisation_id

    async def learn_organisations(self, building_ids: Iterable[int]) -> None:
        """Read the organisations of these buildings at once (one batched statement),
        so that decisions about a page of their objects are made without waiting."""
        known = self.organisations
        unknown = [pk for pk in dict.fromkeys(building_ids) if pk not in known]
        if not unknown:
            return
        for building in await BuildingByIdLoader.of(self._context).load_many(unknown):
            if building is not None:
                known[building.pk] = building.organisation_id

    async def occupants(self, premise_id: int) -> dict[int, Tier]:
        context = self._context
        return await premise_occupants(context.db, premise_id=premise_id, now=context.now)

    def standing(
        self, user_id: int, building_id: int
    ) -> asyncio.Future[tuple[AccessProfile, int | None]]:
        return self._access.standings.of(user_id, building_id)

    # -- decisions ----------------------------------------------------------------------

    async def _in_building(self, capability: Capability, building_id: int) -> bool:
        organisation_id = await self.organisation_of(building_id)
        if organisation_id is None:
            return False
        profile = await self.profile()
        return allows_in_building(
            profile, capability, building_id=building_id, organisation_id=organisation_id
        )

    async def _at_premise(self, capability: Capability, premise_id: int) -> bool:
        premise = await PremiseByIdLoader.of(self._context).load(premise_id)
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

    async def _on_user(self, capability: Capability, user_id: int) -> bool:
        """Capabilities about a person (personal data): the user, their building's staff."""
        profile = await self.profile()
        if user_id == profile.user_id:
            return True
        rule = MATRIX[capability]
        if rule.admin and profile.is_admin:
            return True
        if not profile.staff_roles:
            return False
        organisations = await OrganisationsOfUserLoader.of(self._context).load(user_id)
        return any(profile.roles_in(org) & rule.staff for org in organisations)

    async def _in_organisation(self, capability: Capability, organisation_id: int) -> bool:
        """Capabilities over all of an organisation's buildings (staff desks and boards)."""
        profile = await self.profile()
        return allows_in_organisation(profile, capability, organisation_id=organisation_id)

    def decided(self, capability: Capability, target: Any) -> bool | None:
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
        key = (capability, building_id, premise_id, user_id, organisation_id)
        decided = self._decisions.get(key)
        if decided is not None:
            return decided
        profile = self._profile
        if profile is not None:
            # What can() would decide, decided now where nothing needs reading.
            if organisation_id is not None:
                decided = allows_in_organisation(
                    profile, capability, organisation_id=organisation_id
                )
            elif user_id is None and premise_id is None and building_id is not None:
                organisation = self.organisations.get(building_id)
                if organisation is not None:
                    decided = allows_in_building(
                        profile, capability, building_id=building_id, organisation_id=organisation
                    )
            if decided is not None:
                self._decisions[key] = decided
                return decided
        # One decision under way per key, whoever else asks meanwhile; each asker awaits
        # it shielded, so that one asker's cancellation leaves it to the others.
        deciding = self._deciding.get(key)
        if deciding is None:
            deciding = asyncio.ensure_future(
                self.can(
                    capability,
                    building_id=building_id,
                    premise_id=premise_id,
                    user_id=user_id,
                    organisation_id=organisation_id,
                )
            )
            deciding.add_done_callback(_retrieve_exception)
            self._deciding[key] = deciding
        return asyncio.shield(deciding)

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
                decided = await self._in_organisation(capability, organisation_id)
            elif user_id is not None:
                decided = await self._on_user(capability, user_id)
            elif premise_id is not None:
                decided = await self._at_premise(capability, premise_id)
            elif building_id is not None:
                decided = await self._in_building(capability, building_id)
            else:
                decided = False
            self._decisions[key] = decided
        return decided


def _retrieve_exception(task: asyncio.Future[Any]) -> None:
    # An operation that never asked for the profile must not leave its failure unread.
    if not task.cancelled():
        task.exception()


__all__ = ["Access", "Gate"]
