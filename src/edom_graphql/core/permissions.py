"""The ``@requires(capability: …)`` directive and the permission that enforces it.

A guarded field declares its capability and how to find the object in scope
(a building, a premise or a user); the decision itself is made by
:meth:`Context.can` from the capability matrix.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.extensions import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.schema_directive import Location

from edom_graphql.core.capabilities import MATRIX, Capability
from edom_graphql.core.context import AppInfo
from edom_graphql.core.enums import graphql_enum
from edom_graphql.core.errors import Forbidden

CapabilityEnum = graphql_enum(
    Capability,
    "Something a viewer may do in a building, as listed in the capability matrix.",
    {capability: MATRIX[capability].description for capability in Capability},
)


@strawberry.schema_directive(
    locations=[Location.FIELD_DEFINITION],
    name="requires",
    description="The field or mutation is allowed only to viewers who have this capability "
    "for the object in scope (the building, premise or user it concerns).",
)
class RequiresDirective:
    capability: Capability = strawberry.field(description="The capability required.")


@dataclass(frozen=True, slots=True)
class Target:
    building_id: int | None = None
    premise_id: int | None = None
    user_id: int | None = None


ScopeResolver = Callable[[Any, AppInfo, dict[str, Any]], Awaitable[Target | None]]


async def source_building(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    """The building the field hangs on (``source.building_pk``, or ``source.pk`` of a building)."""
    building_id = getattr(source, "building_pk", None)
    return Target(building_id=building_id) if building_id is not None else None


async def source_user(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
    return Target(user_id=source.pk)


class Requires(BasePermission):
    """Allows the field when the viewer has ``capability`` for the object in scope."""

    def __init__(self, capability: Capability, scope: ScopeResolver = source_building) -> None:
        self.capability = capability
        self.scope = scope
        self.message = f"This requires the {capability.value} capability here."

    async def has_permission(self, source: Any, info: AppInfo, **kwargs: Any) -> bool:
        context = info.context
        context.require_viewer()
        target = await self.scope(source, info, kwargs)
        if target is None:
            return False
        return await context.can(
            self.capability,
            building_id=target.building_id,
            premise_id=target.premise_id,
            user_id=target.user_id,
        )

    def on_unauthorized(self) -> None:
        raise Forbidden(self.message or "", capability=self.capability.value)

    @property
    def schema_directive(self) -> object:
        return RequiresDirective(capability=self.capability)


def requires(
    capability: Capability, scope: ScopeResolver = source_building
) -> list[FieldExtension]:
    """Field extensions that guard a field with a capability and print ``@requires``."""
    return [PermissionExtension(permissions=[Requires(capability, scope)], use_directives=True)]


__all__ = ["CapabilityEnum", "Requires", "RequiresDirective", "Target", "requires"]
