"""The schema's abstract types and the concrete types behind each, as clients with a
normalised cache need them (Apollo Client's ``possibleTypes``, urql Graphcache's
``schema``): ``{"Node": ["Building", ...], "UserError": [...]}``."""

from __future__ import annotations

import json

from graphql import GraphQLInterfaceType, GraphQLSchema, GraphQLUnionType


def possible_types(schema: GraphQLSchema) -> dict[str, list[str]]:
    """Every interface and union (introspection's own aside) with the names of the object
    types it may be, both sorted."""
    found: dict[str, list[str]] = {}
    for name, type_ in schema.type_map.items():
        if name.startswith("__"):
            continue
        if isinstance(type_, (GraphQLInterfaceType, GraphQLUnionType)):
            found[name] = sorted(object_.name for object_ in schema.get_possible_types(type_))
    return dict(sorted(found.items()))


def possible_types_json(schema: GraphQLSchema) -> str:
    """:func:`possible_types` as a stable JSON document with a trailing newline."""
    return json.dumps(possible_types(schema), indent=2, ensure_ascii=False) + "\n"
