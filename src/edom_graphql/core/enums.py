"""Exposing Python enums as GraphQL enums with a description on every value."""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import strawberry

E = TypeVar("E", bound=type[enum.Enum])
M = TypeVar("M", bound=enum.Enum)


def by_value(cls: type[M]) -> Callable[[Any], M]:
    """``cls(value)`` as one dictionary lookup, for the enum columns of rows read by the
    thousand (``cls(value)`` goes through the enum metaclass's call each time); a value
    that is no member raises KeyError."""
    return {member.value: member for member in cls}.__getitem__


def graphql_enum(cls: E, description: str, values: Mapping[enum.Enum, str]) -> E:
    """Register ``cls`` as a GraphQL enum named like the class; every value described."""
    missing = [member.name for member in cls if member not in values]
    if missing:
        raise ValueError(f"{cls.__name__}: values without a description: {missing}")
    strawberry.enum(cls, description=description)
    for value in cls.__strawberry_definition__.values:  # type: ignore[attr-defined]
        value.description = values[cls[value.name]]
    return cls
