"""The executor passes every object of a node type through its type's gatekeeper, on every
path: a field with a resolver, a plain attribute, a list, an abstract type, an awaited
verdict. A refused object is null where the field may be null and a FORBIDDEN error
(bubbling to the nearest nullable field) where it may not; it never becomes data."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import strawberry

from edom_graphql.core.execution import (
    PlainLeafExecutor,
    install_node_types,
    use_plain_attribute_resolvers,
)
from edom_graphql.core.nodes import Node, NodeTypes, Verdict, either, remembered


class FakeContext:
    """Only what the gatekeepers below use of a context."""

    def __init__(self, viewer: str) -> None:
        self.viewer = viewer
        self.memo: dict[Any, Any] = {}
        self.asked = 0


@strawberry.type
class Secret(Node):
    owner: strawberry.Private[str]
    text: str

    @classmethod
    async def load_nodes(cls, context: Any, pks: Sequence[int]) -> Sequence[Secret | None]:
        return [None for _ in pks]

    @classmethod
    def is_visible(cls, context: Any, node: Secret) -> Verdict:
        context.asked += 1
        if node.owner == "later":
            return _later(context.viewer == "alice")
        return context.viewer == node.owner


async def _later(answer: bool) -> bool:
    await asyncio.sleep(0)
    return answer


@strawberry.type
class Holder:
    plain: Secret | None
    plain_required: Secret
    many: list[Secret | None]

    @strawberry.field
    def resolved(self) -> Secret | None:
        return self.plain

    @strawberry.field
    def as_node(self) -> Node | None:
        return self.plain

    @strawberry.field
    def required(self) -> Secret:
        return self.plain_required


@strawberry.type
class Query:
    @strawberry.field
    def holder(self) -> Holder | None:
        return self.value  # type: ignore[attr-defined,no-any-return]


def schema() -> strawberry.Schema:
    built = strawberry.Schema(query=Query, execution_context_class=PlainLeafExecutor)
    use_plain_attribute_resolvers(built._schema)
    install_node_types(built._schema, NodeTypes([Secret]))
    return built


def secret(owner: str, text: str = "s") -> Secret:
    return Secret(id=strawberry.ID(f"S:{text}"), owner=owner, text=text)


async def run(query: str, holder: Holder, viewer: str) -> Any:
    root = Query()
    root.value = holder  # type: ignore[attr-defined]
    result = await schema().execute(query, root_value=root, context_value=FakeContext(viewer))
    codes = [
        (".".join(map(str, error.path or ())), (error.extensions or {}).get("code"))
        for error in result.errors or ()
    ]
    return result.data, codes


async def test_a_visible_object_is_data_on_every_path() -> None:
    holder = Holder(plain=secret("alice"), plain_required=secret("alice"), many=[secret("alice")])
    data, errors = await run(
        "{ holder { plain { text } resolved { text } asNode { id } required { text } "
        "many { text } plainRequired { text } } }",
        holder,
        "alice",
    )
    assert errors == []
    assert data == {
        "holder": {
            "plain": {"text": "s"},
            "resolved": {"text": "s"},
            "asNode": {"id": "S:s"},
            "required": {"text": "s"},
            "many": [{"text": "s"}],
            "plainRequired": {"text": "s"},
        }
    }


async def test_a_refused_object_is_null_where_the_field_may_be() -> None:
    holder = Holder(
        plain=secret("bob"), plain_required=secret("alice"), many=[secret("bob"), secret("alice")]
    )
    data, errors = await run(
        "{ holder { plain { text } resolved { text } asNode { id } many { text } } }",
        holder,
        "alice",
    )
    assert errors == []
    assert data == {
        "holder": {"plain": None, "resolved": None, "asNode": None, "many": [None, {"text": "s"}]}
    }


async def test_a_refused_object_in_a_non_null_field_is_forbidden() -> None:
    holder = Holder(plain=None, plain_required=secret("bob"), many=[])
    for field in ("required", "plainRequired"):
        data, errors = await run(f"{{ holder {{ {field} {{ text }} }} }}", holder, "alice")
        assert data == {"holder": None}
        assert errors == [(f"holder.{field}", "FORBIDDEN")]


async def test_an_awaited_verdict_is_awaited_on_every_path() -> None:
    holder = Holder(plain=secret("later"), plain_required=secret("later"), many=[secret("later")])
    query = "{ holder { plain { text } resolved { text } asNode { id } plainRequired { text } } }"
    data, errors = await run(query, holder, "alice")
    assert errors == []
    assert data["holder"]["plain"] == {"text": "s"}
    assert data["holder"]["plainRequired"] == {"text": "s"}
    data, errors = await run(query, holder, "bob")
    assert data == {"holder": None}
    assert errors == [("holder.plainRequired", "FORBIDDEN")]


async def test_either_is_synchronous_while_its_checks_are() -> None:
    assert either(lambda: False, lambda: True) is True
    assert either(lambda: False, lambda: False) is False
    pending = either(lambda: False, lambda: _later(True), lambda: False)
    assert not isinstance(pending, bool)
    assert await pending is True


async def test_remembered_decides_once_per_key() -> None:
    context = FakeContext("alice")
    calls = []

    def decide() -> Verdict:
        calls.append(1)
        return _later(True)

    first, second = remembered(context, "k", decide), remembered(context, "k", decide)  # type: ignore[arg-type]
    assert await first is True
    assert await second is True  # type: ignore[misc]
    assert remembered(context, "k", decide) is True  # type: ignore[arg-type]
    assert len(calls) == 1
