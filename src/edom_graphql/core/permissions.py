"""The ``@requires(capability: …)`` directive and the guard that enforces it.

A guarded field declares its capability and how to find the object in scope (a
building, a premise or a user); the decision is made by :meth:`Context.can` from
the capability matrix, once per object and operation. When the decision is
already known (a parent decided it for a whole list), the guarded resolver runs
synchronously, so a list of guarded objects costs no extra awaits.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import strawberry
from strawberry.schema_directive import Location

from edom_graphql.core.capabilities import Capability
from edom_graphql.core.context import AppInfo, Context
from edom_graphql.core.errors import Forbidden, Unauthenticated
from edom_graphql.core.ratelimit import RateLimit


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
    organisation_id: int | None = None


SourceScope = Callable[[Any, dict[str, Any]], Target | None]
"""Finds the object in scope from the field's parent object and arguments, without I/O."""
LoadingScope = Callable[[Any, AppInfo, dict[str, Any]], Awaitable[Target | None]]
"""Finds the object in scope when that needs loading (e.g. from a mutation's input)."""


def source_building(source: Any, kwargs: dict[str, Any]) -> Target | None:
    """The building the field hangs on (its ``building_pk``)."""
    building_id = getattr(source, "building_pk", None)
    return Target(building_id=building_id) if building_id is not None else None


def source_user(source: Any, kwargs: dict[str, Any]) -> Target | None:
    """The user the field hangs on."""
    return Target(user_id=source.pk)


def source_organisation(source: Any, kwargs: dict[str, Any]) -> Target | None:
    """The management organisation the field hangs on."""
    return Target(organisation_id=source.pk)


def _denied(capability: Capability) -> Forbidden:
    return Forbidden(
        f"This requires the {capability.value} capability here.", capability=capability.value
    )


async def _decide(context: Context, capability: Capability, target: Target | None) -> None:
    if target is None or not await context.can(
        capability,
        building_id=target.building_id,
        premise_id=target.premise_id,
        user_id=target.user_id,
        organisation_id=target.organisation_id,
    ):
        raise _denied(capability)


F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class Prefetched:
    """Where a guarded field's value may already sit on its parent object.

    When ``get(source)`` is not None and the decision for the scope is already made
    (a parent decided it for a whole page), the executor completes that value
    without calling the resolver (see :mod:`edom_graphql.core.execution`).
    """

    get: Callable[[Any], Any]
    capability: Capability
    scope: SourceScope


def guard(
    capability: Capability,
    scope: SourceScope | LoadingScope,
    prefetched: Callable[[Any], Any] | None = None,
) -> Callable[[F], F]:
    """Wrap a resolver so that it runs only for viewers with ``capability`` in scope.

    The resolver must take ``info``. Anonymous viewers get ``UNAUTHENTICATED``, others
    without the capability ``FORBIDDEN`` (the field's value is then null).
    """
    loading = inspect.iscoroutinefunction(scope)
    source_scope = cast(SourceScope, scope)
    loading_scope = cast(LoadingScope, scope)

    def decorate(resolver: F) -> F:
        if "info" not in inspect.signature(resolver).parameters:
            raise TypeError(f"{resolver.__qualname__}: a guarded resolver must take `info`")

        async def target_of(source: Any, info: AppInfo, kwargs: dict[str, Any]) -> Target | None:
            if loading:
                return await loading_scope(source, info, kwargs)
            return source_scope(source, kwargs)

        if inspect.iscoroutinefunction(resolver):

            @functools.wraps(resolver)
            async def guarded_async(*args: Any, **kwargs: Any) -> Any:
                info: AppInfo = kwargs["info"]
                info.context.require_viewer()
                source = args[0] if args else None
                await _decide(info.context, capability, await target_of(source, info, kwargs))
                return await resolver(*args, **kwargs)

            return guarded_async  # type: ignore[return-value]

        async def decide_then_resolve(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
            info: AppInfo = kwargs["info"]
            source = args[0] if args else None
            await _decide(info.context, capability, await target_of(source, info, kwargs))
            result = resolver(*args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        @functools.wraps(resolver)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            context: Context = kwargs["info"].context
            if context.viewer_id is None:
                raise Unauthenticated()
            if not loading:
                target = source_scope(args[0] if args else None, kwargs)
                if target is None:
                    raise _denied(capability)
                decided = context.decided(capability, target)
                if decided is True:
                    return resolver(*args, **kwargs)
                if decided is False:
                    raise _denied(capability)
            return decide_then_resolve(args, kwargs)

        if prefetched is not None:
            if loading:
                raise TypeError("a prefetched value needs a scope found without I/O")
            guarded.prefetched = Prefetched(prefetched, capability, source_scope)  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def requires(
    capability: Capability,
    scope: SourceScope | LoadingScope = source_building,
    *,
    mutation: bool = False,
    prefetched: Callable[[Any], Any] | None = None,
    rate_limit: RateLimit | None = None,
    **options: Any,
) -> Callable[[Callable[..., Any]], Any]:
    """A field (or mutation) guarded by ``capability``; the SDL prints ``@requires``.

    ``prefetched`` reads the value a parent may have attached to the object (see
    :class:`Prefetched`); ``rate_limit`` limits calls per user once the capability is
    decided (the SDL prints ``@rateLimit``).
    """
    make = strawberry.mutation if mutation else strawberry.field
    directives: list[object] = [RequiresDirective(capability=capability)]
    if rate_limit is not None:
        directives.extend(rate_limit.directives)

    def decorate(resolver: Callable[..., Any]) -> Any:
        inner = rate_limit(resolver) if rate_limit is not None else resolver
        return make(directives=directives, **options)(guard(capability, scope, prefetched)(inner))

    return decorate


__all__ = [
    "Prefetched",
    "RequiresDirective",
    "Target",
    "guard",
    "requires",
    "source_building",
    "source_organisation",
    "source_user",
]
