"""The committed ``schema/possible-types.json`` is what the code builds, and it names
every interface and union with the object types that implement or belong to it."""

from __future__ import annotations

import json
from pathlib import Path

from graphql import GraphQLInterfaceType, GraphQLObjectType, GraphQLUnionType

from edom_graphql.schema import build_schema
from edom_graphql.server.cli import export_schema
from edom_graphql.server.possible_types import possible_types, possible_types_json
from edom_graphql.settings import Settings

COMMITTED = Path(__file__).parents[2] / "schema" / "possible-types.json"


def test_committed_possible_types_are_current() -> None:
    built = possible_types_json(build_schema(Settings(introspection=True))._schema)
    assert COMMITTED.read_text(encoding="utf-8") == built, (
        "schema/possible-types.json is stale: run `edom-graphql export-schema` and commit it"
    )


def test_every_abstract_type_lists_exactly_its_object_types() -> None:
    schema = build_schema(Settings(introspection=True))._schema
    found = possible_types(schema)
    assert {"Node", "UserError"} <= set(found)
    for name, type_ in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(type_, GraphQLUnionType):
            assert found[name] == sorted(member.name for member in type_.types)
        elif isinstance(type_, GraphQLInterfaceType):
            implementing = sorted(
                other.name
                for other in schema.type_map.values()
                if isinstance(other, GraphQLObjectType) and type_ in other.interfaces
            )
            assert found[name] == implementing, name
        else:
            assert name not in found
    assert list(found) == sorted(found)


def test_export_schema_writes_both_files(tmp_path: Path) -> None:
    sdl = tmp_path / "out" / "schema.graphql"
    export_schema(sdl)
    beside = json.loads((tmp_path / "out" / "possible-types.json").read_text(encoding="utf-8"))
    assert "Node" in beside
    elsewhere = tmp_path / "cache" / "types.json"
    export_schema(sdl, elsewhere)
    assert elsewhere.read_text(encoding="utf-8").endswith("]\n}\n")
