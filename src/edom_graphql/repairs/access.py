"""Who may see a repair request: the gatekeeper of RepairRequest and RepairRequestEvent.

- the staff of the building's organisation (REPAIR_REQUEST_HANDLE) see every request;
- whoever may file requests in the building now (REPAIR_REQUEST_CREATE: residents down
  to basic guests while their grant runs) sees its building and yard requests;
- an apartment request is seen by its author and followers while they still hold
  REPAIR_REQUEST_CREATE at that premise.

Having written or joined a request gives nothing by itself: a guest whose grant ended,
a resident who moved out and staff who left lose it with their tier or role. Lists
apply the same rule in SQL (:mod:`edom_graphql.repairs.reads`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.errors import Forbidden
from edom_graphql.core.ids import expect_id
from edom_graphql.core.nodes import Verdict, both, either, remembered
from edom_graphql.core.permissions import Target
from edom_graphql.core.profile import AccessProfile, allows_at_premise, allows_in_building
from edom_graphql.repairs.models import RepairRequestScope
from edom_graphql.repairs.reads import (
    FollowsLoader,
    RequestRef,
    RequestRefLoader,
    building_of_request,
)

if TYPE_CHECKING:
    from edom_graphql.repairs.types import RepairRequest


def request_visible(context: Context, request: RepairRequest | RequestRef) -> Verdict:
    return remembered(
        context, ("RepairRequest", request.pk), lambda: _request_visible(context, request)
    )


def _request_visible(context: Context, request: RepairRequest | RequestRef) -> Verdict:
    viewer_id = context.viewer_id
    if viewer_id is None:
        return False
    building_id = request.building_pk
    if request.scope is not RepairRequestScope.APARTMENT:
        return either(
            lambda: context.allows(Capability.REPAIR_REQUEST_HANDLE, building_id=building_id),
            lambda: context.allows(Capability.REPAIR_REQUEST_CREATE, building_id=building_id),
        )
    premise_id = request.premise_pk
    assert premise_id is not None
    return either(
        lambda: context.allows(Capability.REPAIR_REQUEST_HANDLE, building_id=building_id),
        lambda: both(
            context.allows(Capability.REPAIR_REQUEST_CREATE, premise_id=premise_id),
            lambda: (
                request.author_pk == viewer_id
                or FollowsLoader.of(context).load((request.pk, viewer_id))
            ),
        ),
    )


def may_see_request(
    profile: AccessProfile,
    *,
    building_id: int,
    organisation_id: int,
    scope: RepairRequestScope,
    premise_id: int | None,
    author_id: int,
    follower: bool,
) -> bool:
    """The rule of :func:`request_visible` for a profile read elsewhere (who of a
    request's author and followers is still told of its changes)."""
    if allows_in_building(
        profile,
        Capability.REPAIR_REQUEST_HANDLE,
        building_id=building_id,
        organisation_id=organisation_id,
    ):
        return True
    if scope is not RepairRequestScope.APARTMENT:
        return allows_in_building(
            profile,
            Capability.REPAIR_REQUEST_CREATE,
            building_id=building_id,
            organisation_id=organisation_id,
        )
    assert premise_id is not None
    return (profile.user_id == author_id or follower) and allows_at_premise(
        profile,
        Capability.REPAIR_REQUEST_CREATE,
        premise_id=premise_id,
        building_id=building_id,
        organisation_id=organisation_id,
    )


def event_visible(context: Context, request_pk: int) -> Verdict:
    """An event of a request is visible to whoever sees the request."""
    found = context.memo.get(("RepairRequest", request_pk))
    if isinstance(found, bool):
        return found
    return _request_pk_visible(context, request_pk)


async def _request_pk_visible(context: Context, request_pk: int) -> bool:
    request = await RequestRefLoader.of(context).load(request_pk)
    if request is None:
        return False
    verdict = request_visible(context, request)
    return verdict if isinstance(verdict, bool) else await verdict


async def visible_request_id(context: Context, global_id: str) -> int:
    """The pk of a request the viewer may see; FORBIDDEN otherwise."""
    request_id = expect_id(global_id, "RepairRequest", field="requestId")
    if not await _request_pk_visible(context, request_id):
        raise Forbidden("You may not see this repair request.")
    return request_id


async def input_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    """The scope of a mutation whose input names a building (``buildingId``)."""
    return Target(
        building_id=expect_id(kwargs["input"].building_id, "Building", field="buildingId")
    )


async def input_request_building(
    source: Any, info: AppInfo, kwargs: dict[str, Any]
) -> Target | None:
    """The scope of a mutation whose input names a request (``requestId``): its building."""
    request_id = expect_id(kwargs["input"].request_id, "RepairRequest", field="requestId")
    building_id = await building_of_request(info.context.db, request_id)
    return Target(building_id=building_id) if building_id is not None else None
