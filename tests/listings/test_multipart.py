"""Malformed multipart requests: coded 4xx, never 500; multipart needs authorization
and has a body limit of its own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from edom_graphql.server.http import MAX_MULTIPART_BYTES
from tests.factories import Api, World, make_world
from tests.listings.operations import CREATE, JPEG, listing_input


def _operations(world: World) -> str:
    variables = {"input": {**listing_input(world), "photos": [None]}}
    return json.dumps({"query": CREATE, "variables": variables})


@pytest.mark.parametrize(
    "case", ["no-map", "no-operations", "bad-json", "bad-map", "missing-file", "bad-path"]
)
async def test_malformed_multipart_is_400(api: Api, case: str) -> None:
    world = await make_world(api)
    operations = _operations(world)
    form: dict[str, str] = {
        "operations": operations,
        "map": json.dumps({"0": ["variables.input.photos.0"]}),
    }
    files: dict[str, Any] | None = {"0": ("a.jpg", JPEG, "image/jpeg")}
    if case == "no-map":
        del form["map"]
    elif case == "no-operations":
        del form["operations"]
    elif case == "bad-json":
        form["operations"] = "{not json"
    elif case == "bad-map":
        form["map"] = json.dumps(["variables.input.photos.0"])
    elif case == "missing-file":
        files = {"1": ("a.jpg", JPEG, "image/jpeg")}
    elif case == "bad-path":
        form["map"] = json.dumps({"0": ["variables.input.title.nested"]})
    response = await api.client.post(
        "/graphql", data=form, files=files, headers=world["owner"].headers
    )
    assert response.status_code == 400, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_garbled_multipart_body_is_400(api: Api) -> None:
    world = await make_world(api)
    response = await api.client.post(
        "/graphql",
        content=b"--b\r\nnot a part",
        headers={**world["owner"].headers, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_multipart_needs_authorization(api: Api) -> None:
    world = await make_world(api)
    response = await api.client.post(
        "/graphql",
        data={"operations": _operations(world), "map": "{}"},
        files={"x": ("a.jpg", JPEG, "image/jpeg")},
    )
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_body_limits(api: Api) -> None:
    world = await make_world(api)
    # JSON keeps its 1 MiB limit ...
    response = await api.client.post(
        "/graphql",
        json={"query": "{ __typename }", "pad": "x" * 1_100_000},
        headers=world["owner"].headers,
    )
    assert response.status_code == 413
    # ... multipart bodies have a larger one, but a limit all the same
    response = await api.client.post(
        "/graphql",
        data={"operations": _operations(world), "map": "{}"},
        files={"0": ("a.jpg", JPEG + b"0" * MAX_MULTIPART_BYTES, "image/jpeg")},
        headers=world["owner"].headers,
    )
    assert response.status_code == 413
