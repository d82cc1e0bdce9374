"""The GraphQL operations the listings tests send, and the calls that send them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from tests.factories import Api, GraphQLResult, Person, World

JPEG = b"\xff\xd8\xff\xe0" + b"jpeg body" * 10
PNG = b"\x89PNG\r\n\x1a\n" + b"png body" * 10
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"webp body" * 10

LISTING_FIELDS = """
id category title body priceKopecks status createdAt closedAt viewerIsAuthor
author { displayName }
photos { url contentType sizeBytes }
"""
CREATE = f"""
mutation ($input: ListingCreateInput!) {{
  listingCreate(input: $input) {{
    listing {{ {LISTING_FIELDS} }} userErrors {{ code field message }}
  }}
}}
"""
UPDATE = """
mutation ($input: ListingUpdateInput!) {
  listingUpdate(input: $input) {
    listing { id title body category priceKopecks status } userErrors { code field }
  }
}
"""
CLOSE = """
mutation ($input: ListingCloseInput!) {
  listingClose(input: $input) { listing { id status closedAt } userErrors { code field } }
}
"""
REMOVE = """
mutation ($input: ListingRemoveInput!) {
  listingRemove(input: $input) { listing { id status } userErrors { code field } }
}
"""
NODE = "query ($id: ID!) { node(id: $id) { ... on Listing { id title status } } }"
LIST = """
query ($id: ID!, $first: Int!, $after: String, $category: ListingCategory,
       $status: ListingStatus! = ACTIVE) {
  building(id: $id) {
    listings(first: $first, after: $after, category: $category, status: $status) {
      nodes { id title }
      pageInfo { hasNextPage hasPreviousPage endCursor }
    }
  }
}
"""


def listing_input(world: World, **overrides: Any) -> dict[str, Any]:
    return {
        "buildingId": world.building_id,
        "category": "SELL",
        "title": "Продам велосипед",
        "body": "Почти новый, синий.",
        "priceKopecks": 1_500_000,
        **overrides,
    }


async def create(api: Api, world: World, as_: str = "owner", **overrides: Any) -> dict[str, Any]:
    data = await api.gql(CREATE, {"input": listing_input(world, **overrides)}, as_=world[as_])
    payload: dict[str, Any] = data["listingCreate"]
    assert payload["userErrors"] == [], payload
    listing: dict[str, Any] = payload["listing"]
    return listing


async def upload(
    api: Api,
    person: Person,
    variables: dict[str, Any],
    photos: list[tuple[str, bytes, str]],
    *,
    query: str = CREATE,
    field: str = "photos",
) -> GraphQLResult:
    """A multipart request: `operations`, `map`, then one file part per photo."""
    variables["input"][field] = [None] * len(photos)
    operations = {"query": query, "variables": variables}
    mapping = {str(i): [f"variables.input.{field}.{i}"] for i in range(len(photos))}
    files = {str(i): photo for i, photo in enumerate(photos)}
    response = await api.client.post(
        "/graphql",
        data={"operations": json.dumps(operations), "map": json.dumps(mapping)},
        files=files,
        headers=person.headers,
    )
    return GraphQLResult(response)


def stored_files(api: Api) -> set[str]:
    root: Path = api.settings.uploads_path
    return {path.name for path in root.iterdir()} if root.exists() else set()


async def count(api: Api, model: Any, **where: Any) -> int:
    async with api.db.transaction() as (session, _):
        statement = select(func.count()).select_from(model)
        for name, value in where.items():
            statement = statement.where(getattr(model, name) == value)
        return int((await session.execute(statement)).scalar_one())
