"""The committed SDL is the schema the code builds, and every part of it is described."""

from __future__ import annotations

from pathlib import Path

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
)

from edom_graphql.schema import build_schema
from edom_graphql.settings import Settings

SDL_PATH = Path(__file__).parents[2] / "schema" / "schema.graphql"


def test_committed_sdl_is_current() -> None:
    built = build_schema(Settings(introspection=True)).as_str() + "\n"
    committed = SDL_PATH.read_text(encoding="utf-8")
    assert committed == built, (
        "schema/schema.graphql is stale: run `edom-graphql export-schema` and commit it"
    )


def test_every_type_field_argument_and_enum_value_is_described() -> None:
    schema = build_schema(Settings(introspection=True))._schema
    missing: list[str] = []
    for name, type_ in schema.type_map.items():
        if name.startswith("__") or name in ("String", "Int", "Float", "Boolean", "ID"):
            continue
        if not type_.description:
            missing.append(name)
        if isinstance(type_, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in type_.fields.items():
                if not field.description:
                    missing.append(f"{name}.{field_name}")
                for arg_name, arg in getattr(field, "args", {}).items():
                    if not arg.description:
                        missing.append(f"{name}.{field_name}({arg_name})")
        if isinstance(type_, GraphQLEnumType):
            for value_name, value in type_.values.items():
                if not value.description:
                    missing.append(f"{name}.{value_name}")
    assert missing == []


def test_guarded_fields_print_the_directive() -> None:
    sdl = build_schema(Settings(introspection=True)).as_str()
    for line in (
        "@requires(capability: NEIGHBOURS_DIRECTORY)",
        "@requires(capability: OWNERS_REGISTER)",
        "@requires(capability: PERSONAL_DATA)",
        "@requires(capability: GUEST_ACCESS_MANAGE)",
    ):
        assert line in sdl


def test_field_suggestions_only_where_introspection_is_allowed() -> None:
    hidden = build_schema(Settings(introspection=False)).execute_sync("{ viewr { id } }")
    assert hidden.errors is not None
    assert "Did you mean" not in hidden.errors[0].message
    shown = build_schema(Settings(introspection=True)).execute_sync("{ viewr { id } }")
    assert shown.errors is not None
    assert "Did you mean 'viewer'" in shown.errors[0].message
