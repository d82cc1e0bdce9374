"""The plain-field fast path gives exactly graphql-core's results, errors included."""

from __future__ import annotations

import enum
import json
from typing import Any

import strawberry

from edom_graphql.core.execution import PlainLeafExecutor, use_plain_attribute_resolvers


@strawberry.enum
class Colour(enum.Enum):
    RED = "RED"


@strawberry.type
class Inner:
    value: int


@strawberry.type
class Thing:
    name: str
    maybe: str | None
    count: int
    colour: Colour
    inner: Inner
    optional_inner: Inner | None


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return self.things_value  # type: ignore[attr-defined,no-any-return]


QUERY = "{ things { name inner { value } maybe count optionalInner { value } colour } }"


def _run(things: list[Any], fast: bool) -> Any:
    schema = strawberry.Schema(
        query=Query, execution_context_class=PlainLeafExecutor if fast else None
    )
    if fast:
        use_plain_attribute_resolvers(schema._schema)
    root = Query()
    root.things_value = things  # type: ignore[attr-defined]
    result = schema.execute_sync(QUERY, root_value=root)
    errors = [(e.message, e.path) for e in result.errors or []]
    # Serialised, so that the order of the response's keys is compared too.
    return json.dumps(result.data), errors


def _thing(**overrides: Any) -> Thing:
    values: dict[str, Any] = {
        "name": "a",
        "maybe": None,
        "count": 1,
        "colour": Colour.RED,
        "inner": Inner(value=2),
        "optional_inner": None,
    }
    values.update(overrides)
    return Thing(**values)


def test_same_data_and_errors_as_graphql_core() -> None:
    cases = [
        [_thing(), _thing(maybe="x", optional_inner=Inner(value=3))],
        [_thing(name=None)],  # null in a non-null field
        [_thing(count="not a number")],  # coercion fails
        [_thing(count=2**40)],  # outside GraphQL Int
        [_thing(colour="GREEN")],  # not an enum value
        [_thing(inner="not an object")],  # wrong object type
        [_thing(inner=None)],  # null object in a non-null field
        [_thing(maybe=ValueError("boom"))],  # an exception as a value
    ]
    for things in cases:
        assert _run(things, fast=True) == _run(things, fast=False), things


def test_errors_are_reported_and_plain_fields_skip_the_slow_path(monkeypatch: Any) -> None:
    from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

    slow_calls: list[str] = []
    original = StrawberryGraphQLCoreExecutionContext.execute_field

    def counting(self: Any, parent_type: Any, *args: Any) -> Any:
        slow_calls.append(parent_type.name)
        return original(self, parent_type, *args)

    monkeypatch.setattr(StrawberryGraphQLCoreExecutionContext, "execute_field", counting)
    data, errors = _run([_thing(), _thing()], fast=True)
    assert errors == []
    assert len(json.loads(data)["things"]) == 2
    assert slow_calls == ["Query"]  # only `things`, which has a resolver
    _, errors = _run([_thing(name=None)], fast=True)
    assert errors == [
        ("Cannot return null for non-nullable field Thing.name.", ["things", 0, "name"])
    ]
