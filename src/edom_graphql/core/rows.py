"""Objects made of rows: a type's ``from_row`` fills its fields directly.

A page of twenty premises with their owners makes about a hundred objects of Strawberry
types, each a dataclass whose generated ``__init__`` takes every field by keyword; the
keyword call costs about as much as the object itself. :func:`made` gives the object
its fields' values as one dictionary instead. The dictionary must name every field of
the type, defaults included: the first object of each type is checked against the
type's fields (a ``from_row`` spells its dictionary with the same keys every time).
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")

_new = object.__new__
_CHECKED: set[type] = set()


def made(cls: type[T], fields: dict[str, Any]) -> T:
    """An object of ``cls`` whose fields hold ``fields`` (every field of the type)."""
    if cls not in _CHECKED:
        _check(cls, fields)
    made_object: T = _new(cls)
    made_object.__dict__ = fields
    return made_object


def _check(cls: type, fields: dict[str, Any]) -> None:
    # What the dataclass __init__ sets: every init field, and the others with a default
    # (a resolver's field is neither).
    names = {
        field.name
        for field in dataclasses.fields(cls)
        if field.init
        or field.default is not dataclasses.MISSING
        or field.default_factory is not dataclasses.MISSING
    }
    if fields.keys() != names:
        missing, unknown = sorted(names - fields.keys()), sorted(fields.keys() - names)
        raise TypeError(f"{cls.__name__} made without {missing}, with unknown {unknown}")
    _CHECKED.add(cls)
