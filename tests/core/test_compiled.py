"""Compiled query plans answer exactly as graphql-core does, errors included.

Each query runs twice on the same schema, once compiled and once by graphql-core, and
the two serialised responses (key order included) must be equal. The suite as a whole
runs in differential mode (tests/conftest.py), so every query of every test is checked
the same way; these tests cover the shapes one by one and that the compiled path, not
the fallback, answered.
"""

from __future__ import annotations

import asyncio
import json
import operator
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import pytest
import strawberry
from bench.operations import BUILDING_PREMISES_OWNERS_USERS
from graphql import GraphQLError
from graphql.type.scalars import serialize_float, serialize_int
from strawberry.extensions import ParserCache
from strawberry.types import Info

from edom_graphql.core import compiled
from edom_graphql.core.compiled import ExecutionMode, Run, _coerce_float, _coerce_int
from edom_graphql.core.execution import (
    MISMATCHES,
    NEEDLESS,
    PlainLeafExecutor,
    install_execution,
    use_plain_attribute_resolvers,
)
from edom_graphql.core.metrics import Metrics
from tests.factories import Api, make_world


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Dog(Named):
    barks: bool


@strawberry.type
class Cat(Named):
    lives: int


Pet = Annotated[Dog | Cat, strawberry.union("Pet")]


@strawberry.type
class Owner:
    name: str
    nickname: str | None
    pets_value: strawberry.Private[list[Any]]

    @strawberry.field
    def pets(self) -> list[Pet]:
        return self.pets_value

    @strawberry.field
    async def first_pet(self) -> Named | None:
        await asyncio.sleep(0)
        return self.pets_value[0] if self.pets_value else None

    @strawberry.field
    def pet_futures(self) -> list[Named]:
        loop = asyncio.get_running_loop()
        futures = []
        for pet in self.pets_value:
            future: asyncio.Future[Any] = loop.create_future()
            loop.call_soon(future.set_result, pet)
            futures.append(future)
        return futures  # type: ignore[return-value]

    @strawberry.field
    def pet_futures_one_failing(self) -> list[Named | None]:
        """Futures only (one wave of them), the second failing."""
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[Any]] = [loop.create_future() for _ in range(3)]
        loop.call_soon(futures[0].set_result, Dog(name="Rex", barks=True))
        loop.call_soon(futures[1].set_exception, ValueError("this pet failed"))
        loop.call_soon(futures[2].set_result, Cat(name="Tom", lives=9))
        return futures  # type: ignore[return-value]

    @strawberry.field
    async def must_name(self) -> str:
        return self.nickname  # type: ignore[return-value]  # None reaches a non-null field

    @strawberry.field
    def greeting(self, word: str = "hello", times: int = 1) -> str:
        return " ".join([f"{word} {self.name}"] * times)

    @strawberry.field
    def whereabouts(self, info: Info) -> str:
        """Reads the resolve info beyond the context."""
        return (
            f"{info.field_name} {info.path.as_list()} {info.python_name} "
            f"{sorted(info.variable_values)} {info.return_type} {info.operation.operation}"
        )

    @strawberry.field
    def neighbours(self, info: Info) -> int:
        """Reads the context alone."""
        return len(info.context["owners"]) - 1


@strawberry.type
class Query:
    @strawberry.field
    async def owners(self, info: Info, first: int = 10) -> list[Owner]:
        await asyncio.sleep(0)
        owners: list[Owner] = info.context["owners"]
        return owners[:first]

    @strawberry.field
    def initials(self, info: Info) -> list[str]:
        owners: list[Owner] = info.context["owners"]
        return (owner.name[0] for owner in owners)  # type: ignore[return-value]

    @strawberry.field
    def failing(self) -> str | None:
        raise ValueError("this field fails")

    @strawberry.field
    def misfiled(self) -> Dog:
        """A Dog cast to Cat: Dog's is_type_of refuses it although it is a Dog."""
        return strawberry.cast(Cat, Dog(name="Rex", barks=True))

    @strawberry.field
    async def failing_later(self) -> Owner:
        await asyncio.sleep(0)
        raise ValueError("this one fails after a wait")


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def owner_changed(self, info: Info) -> AsyncGenerator[Owner, None]:
        for owner in info.context["owners"]:
            await asyncio.sleep(0)
            yield owner


def _schema(mode: ExecutionMode, metrics: Metrics) -> strawberry.Schema:
    schema = strawberry.Schema(
        query=Query,
        subscription=Subscription,
        types=[Dog, Cat],
        execution_context_class=PlainLeafExecutor,
        extensions=[lambda: ParserCache(maxsize=16)],  # the same text, the same document
    )
    use_plain_attribute_resolvers(schema._schema)
    install_execution(schema._schema, mode, metrics)
    return schema


def _owners() -> list[Owner]:
    return [
        Owner(name="Anna", nickname="Anya", pets_value=[Dog(name="Rex", barks=True)]),
        Owner(name="Boris", nickname=None, pets_value=[]),
        Owner(
            name="Vera",
            nickname="Verochka",
            pets_value=[Cat(name="Murka", lives=9), Dog(name="Sharik", barks=False)],
        ),
    ]


def _count(metrics: Metrics, path: str) -> float:
    return float(metrics.query_execution.labels(path)._value.get())


async def _both(query: str, variables: dict[str, Any] | None = None) -> tuple[str, str, str]:
    """(compiled answer, graphql-core answer, the path the compiled schema took)."""
    answers = []
    paths = []
    for mode in (ExecutionMode.COMPILED, ExecutionMode.GRAPHQL_CORE):
        metrics = Metrics()
        result = await _schema(mode, metrics).execute(
            query, variable_values=variables, context_value={"owners": _owners()}
        )
        errors = [
            {"message": e.message, "path": e.path, "locations": e.locations}
            for e in result.errors or []
        ]
        answers.append(json.dumps({"data": result.data, "errors": errors}, default=str))
        paths.append(
            next(p for p in ("compiled", "gave_way", "graphql_core") if _count(metrics, p))
        )
    return answers[0], answers[1], paths[0]


FULL = """
query ($word: String!, $withPets: Boolean!) {
  everyone: owners {
    __typename
    name
    nickname
    hi: greeting(word: $word, times: 2)
    hello: greeting
    pets @include(if: $withPets) {
      __typename
      ... on Dog { name barks }
      ... on Cat { lives name }
    }
    firstPet { __typename name ... on Cat { lives } }
    petFutures { name ...DogBits }
  }
  two: owners(first: 2) { name }
}
fragment DogBits on Dog { barks }
"""


@pytest.mark.parametrize("with_pets", [True, False])
async def test_a_full_query_is_compiled_and_identical(with_pets: bool) -> None:
    compiled, reference, path = await _both(FULL, {"word": "привет", "withPets": with_pets})
    assert path == "compiled"
    assert compiled == reference
    assert ('"pets"' in compiled) is with_pets


@pytest.mark.parametrize(
    "query",
    [
        "{ owners { name mustName } }",  # a null in a non-null field, after a wait
        "{ failing owners { name } }",  # a resolver raises: null and an error
        "{ owners { name } failingLater { name } }",  # non-null root field fails: data null
        '{ owners { greeting(word: "a", times: 3) } failing }',
        "{ owners { petFuturesOneFailing { name } } }",  # a wave of futures, one fails
    ],
)
async def test_errors_give_way_to_graphql_core(query: str) -> None:
    compiled, reference, path = await _both(query)
    assert path == "gave_way"
    assert compiled == reference
    assert '"errors": []' not in compiled


@pytest.mark.parametrize(
    "selection",
    [
        "name nickname pets { __typename ... on Dog { barks } } firstPet { name }",
        "name mustName",  # the second owner's event errs: that event gives way
    ],
)
async def test_subscription_events_are_compiled_and_identical(selection: str) -> None:
    answers = []
    counts = []
    for mode in (ExecutionMode.COMPILED, ExecutionMode.GRAPHQL_CORE):
        metrics = Metrics()
        stream = await _schema(mode, metrics).subscribe(
            f"subscription {{ ownerChanged {{ {selection} }} }}",
            context_value={"owners": _owners()},
        )
        events = [
            {"data": event.data, "errors": [(e.message, e.path) for e in event.errors or []]}
            async for event in stream  # type: ignore[union-attr]
        ]
        answers.append(json.dumps(events))
        counts.append({path: _count(metrics, path) for path in ("compiled", "gave_way")})
    assert answers[0] == answers[1]
    assert len(json.loads(answers[0])) == 3
    errs = "mustName" in selection
    assert counts[0] == {"compiled": 2.0 if errs else 3.0, "gave_way": 1.0 if errs else 0.0}


async def test_a_needless_give_way_is_reported_in_differential_mode() -> None:
    metrics = Metrics()
    schema = _schema(ExecutionMode.DIFFERENTIAL, metrics)
    # A generator is iterable for graphql-core; plans take lists and tuples only.
    result = await schema.execute("{ initials }", context_value={"owners": _owners()})
    assert result.data == {"initials": ["A", "B", "V"]}
    assert result.errors is None
    assert _count(metrics, "gave_way_needlessly") == 1
    assert len(NEEDLESS) == 1
    assert NEEDLESS[0]["query"] == "{ initials }"
    NEEDLESS.clear()


async def test_introspection_is_left_to_graphql_core() -> None:
    compiled, reference, path = await _both("{ __schema { queryType { name } } }")
    assert path == "graphql_core"
    assert compiled == reference


async def test_a_plan_is_compiled_once_per_operation_and_directive_values() -> None:
    metrics = Metrics()
    schema = _schema(ExecutionMode.COMPILED, metrics)
    plans = schema._schema.extensions["edom_graphql.plans"]
    for with_pets in (True, False, True, False):
        result = await schema.execute(
            FULL,
            variable_values={"word": "x", "withPets": with_pets},
            context_value={"owners": _owners()},
        )
        assert result.errors is None
    assert len(plans._plans) == 2
    assert _count(metrics, "compiled") == 4


async def test_loads_of_one_level_are_one_wave(monkeypatch: pytest.MonkeyPatch) -> None:
    waves: list[int] = []
    original = asyncio.gather

    def counting_gather(*awaitables: Any, **kwargs: Any) -> Any:
        waves.append(len(awaitables))
        return original(*awaitables, **kwargs)

    monkeypatch.setattr("edom_graphql.core.compiled.asyncio.gather", counting_gather)
    schema = _schema(ExecutionMode.COMPILED, Metrics())
    result = await schema.execute(
        "{ owners { firstPet { name } petFutures { name } } }", context_value={"owners": _owners()}
    )
    assert result.errors is None
    # the root field alone is awaited directly; then every owner's firstPet and every
    # pet future are one wave
    assert waves == [3 + 3]


async def test_differential_mode_reports_a_different_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    metrics = Metrics()
    schema = _schema(ExecutionMode.DIFFERENTIAL, metrics)
    original = compiled.object_builder

    def wrong_builder(plan: Any) -> Any:
        build = original(plan)

        def wrong(run: Run, source: Any, path: Any) -> dict[str, Any]:
            out = build(run, source, path)
            if "name" in out:
                out["name"] = out["name"].upper()
            return out

        return wrong

    monkeypatch.setattr(compiled, "object_builder", wrong_builder)
    result = await schema.execute("{ owners { name } }", context_value={"owners": _owners()})
    assert result.data == {"owners": [{"name": "ANNA"}, {"name": "BORIS"}, {"name": "VERA"}]}
    assert _count(metrics, "mismatch") == 1
    assert len(MISMATCHES) == 1
    assert "Anna" in MISMATCHES[0]["graphql_core"]
    MISMATCHES.clear()


def _metric(text: str, path: str) -> float:
    for line in text.splitlines():
        if line.startswith(f'edom_graphql_query_execution_total{{path="{path}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


async def test_the_budgeted_read_is_compiled_over_http(api: Api) -> None:
    world = await make_world(api, premises=6)
    owner = world.people["owner"]
    building = (await api.gql("{ viewer { buildings(first: 1) { nodes { id } } } }", as_=owner))[
        "viewer"
    ]["buildings"]["nodes"][0]["id"]
    paths = ("compiled", "gave_way", "graphql_core")
    text = (await api.client.get("/metrics")).text
    before = {path: _metric(text, path) for path in paths}
    data = await api.gql(BUILDING_PREMISES_OWNERS_USERS, {"id": building}, as_=owner)
    text = (await api.client.get("/metrics")).text
    after = {path: _metric(text, path) for path in paths}
    # the read and the visibility check that Api runs after every response
    assert after == {**before, "compiled": before["compiled"] + 2}
    premises = data["building"]["premises"]["edges"]
    assert len(premises) == len(world.premises)
    assert any(edge["node"]["owners"] for edge in premises)


async def test_a_resolvers_info_is_graphql_cores_and_made_only_when_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []
    raw_info = Run.raw_info

    def counted(self: Run, step: Any, path: Any) -> Any:
        made.append(step.key)
        return raw_info(self, step, path)

    monkeypatch.setattr(Run, "raw_info", counted)
    query = "query ($n: Int!) { owners(first: $n) { name whereabouts neighbours } }"
    compiled, reference, path = await _both(query, {"n": 3})
    assert path == "compiled"
    assert compiled == reference
    assert "whereabouts ['owners', 0, 'whereabouts'] whereabouts ['n']" in compiled
    assert made == ["whereabouts"] * 3  # none for the resolver that reads the context alone


async def test_an_object_cast_to_another_type_is_checked_as_graphql_core_does() -> None:
    """An instance of the type's own class skips is_type_of only when not cast."""
    compiled, reference, path = await _both("{ misfiled { name } }")
    assert compiled == reference
    assert "Expected value of type" in compiled
    assert path == "gave_way"


def _outcome(coerce: Any, value: Any) -> tuple[str, Any]:
    try:
        result = coerce(value)
    except GraphQLError as error:
        return "error", error.message
    return type(result).__name__, result


@pytest.mark.parametrize(
    "value",
    [0, 7, -(2**31), 2**31 - 1, 2**31, -(2**31) - 1, True, False, 3.0, 3.5, "12", "x", None],
)
def test_int_output_coercion_is_graphql_cores(value: Any) -> None:
    assert _outcome(_coerce_int, value) == _outcome(serialize_int, value)


@pytest.mark.parametrize(
    "value", [0.0, -2.5, 1e308, float("inf"), float("-inf"), 3, True, "2.5", "x", None]
)
def test_float_output_coercion_is_graphql_cores(value: Any) -> None:
    assert _outcome(_coerce_float, value) == _outcome(serialize_float, value)


@pytest.mark.parametrize(
    ("get", "name"),
    [
        (operator.attrgetter("name"), "name"),
        (operator.attrgetter("pets_value"), "pets_value"),
        (operator.attrgetter("a.b"), None),  # dotted: not one attribute
        (operator.attrgetter("x", "y"), None),
        (operator.attrgetter("class"), None),  # a keyword cannot be written as source.class
        (operator.attrgetter("__class__"), None),
        (lambda source: source.name, None),
        (None, None),
    ],
)
def test_a_plan_reads_by_name_only_a_plain_attribute(get: Any, name: str | None) -> None:
    assert compiled._attribute_name(get) == name
