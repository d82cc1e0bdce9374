"""``core.rows.made``: an object as its dataclass constructor would make it, checked
against the type's fields on first use."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import strawberry

from edom_graphql.core.rows import made


def flat_type() -> type:
    """A fresh type each time: :func:`made` checks a type on its first object only."""

    @strawberry.type
    class Flat:
        number: str
        floor: int | None = None
        notes: strawberry.Private[dict[str, Any]] = dataclasses.field(default_factory=dict)

        @strawberry.field
        def label(self) -> str:
            return f"№{self.number}"

    return Flat


@strawberry.type
class Door:
    code: str


def test_an_object_made_is_the_one_its_constructor_makes() -> None:
    flat = flat_type()
    fast = made(flat, {"number": "12А", "floor": 3, "notes": {}})
    slow = flat(number="12А", floor=3)
    assert type(fast) is flat
    assert vars(fast) == vars(slow)
    assert fast == slow
    assert fast.label() == "№12А"


@pytest.mark.parametrize(
    "fields",
    [
        {"number": "1", "floor": None},  # a default_factory field left out
        {"number": "1", "floor": None, "notes": {}, "label": "x"},  # a resolver's field
        {"number": "1", "floor": None, "notes": {}, "colour": "red"},
    ],
)
def test_fields_that_are_not_the_types_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(TypeError, match="Flat made without"):
        made(flat_type(), fields)


def test_a_type_is_checked_once() -> None:
    made(Door, {"code": "1234"})
    # Checked on the first object only: later ones are trusted to spell the same keys.
    assert vars(made(Door, {"code": "5678"})) == {"code": "5678"}
