"""The listings board: `listingCreate` (with photos over the GraphQL multipart request
spec), its rules, editing and closing by the author, removal by staff, `Building.listings`,
`node`, and the photos served at `/media/{key}`, through the served API. (The capability
matrix cells are in test_access_matrix.py.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from edom_graphql.core.ids import encode_id
from edom_graphql.core.storage import LocalStorage, is_key
from edom_graphql.listings.models import MAX_PHOTO_BYTES, Listing, ListingPhoto
from edom_graphql.server.http import MAX_MULTIPART_BYTES
from tests.factories import ANONYMOUS, Api, World, make_world
from tests.listings.helpers import (
    CLOSE,
    CREATE,
    JPEG,
    LIST,
    NODE,
    PNG,
    REMOVE,
    UPDATE,
    WEBP,
    count,
    create,
    listing_input,
    stored_files,
    upload,
)

# -- creating, with photos ---------------------------------------------------------------


async def test_create_with_photos_served_with_access_checks(api: Api) -> None:
    world = await make_world(api)
    before = stored_files(api)
    result = await upload(
        api,
        world["owner"],
        {"input": listing_input(world, title="  Продам комод  ")},
        [
            # the declared type and the file name are ignored: the content decides
            ("../../evil.exe", JPEG, "application/octet-stream"),
            ("b.png", PNG, "image/png"),
            ("c.webp", WEBP, "image/jpeg"),
        ],
    )
    payload = result.ok()["listingCreate"]
    assert payload["userErrors"] == []
    listing = payload["listing"]
    assert listing["title"] == "Продам комод"
    assert listing["status"] == "ACTIVE"
    assert listing["priceKopecks"] == 1_500_000
    assert listing["viewerIsAuthor"] is True
    assert listing["author"]["displayName"]
    photos = listing["photos"]
    assert [(p["contentType"], p["sizeBytes"]) for p in photos] == [
        ("image/jpeg", len(JPEG)),
        ("image/png", len(PNG)),
        ("image/webp", len(WEBP)),
    ]
    new_files = stored_files(api) - before
    assert len(new_files) == 3
    assert all(".." not in name and "evil" not in name for name in new_files)
    for photo, data in zip(photos, (JPEG, PNG, WEBP), strict=True):
        assert photo["url"].startswith("/media/")
        assert photo["url"].removeprefix("/media/") in new_files
        # a neighbour and the building's staff see it, byte for byte
        for key in ("resident", "guest_initial", "dispatcher"):
            response = await api.client.get(photo["url"], headers=world[key].headers)
            assert response.status_code == 200
            assert response.content == data
            assert response.headers["content-type"] == photo["contentType"]
            assert response.headers["cache-control"].startswith("private")
        # nobody else: not signed in, another building's people, the admin, a bad token
        for person in (ANONYMOUS, world["stranger"], world["other_staff"], world["admin"]):
            response = await api.client.get(photo["url"], headers=person.headers)
            assert response.status_code == 404
        response = await api.client.get(photo["url"], headers={"Authorization": "Bearer x"})
        assert response.status_code == 404
    # unknown and malformed keys
    for url in ("/media/" + "0" * 32 + ".jpg", "/media/..%2Fsecret", "/media/x.jpg"):
        response = await api.client.get(url, headers=world["owner"].headers)
        assert response.status_code == 404


UPDATE_PHOTOS = """
mutation ($input: ListingUpdateInput!) {
  listingUpdate(input: $input) {
    listing { id photos { url contentType } } userErrors { code field }
  }
}
"""


async def test_update_removes_and_adds_photos(api: Api) -> None:
    world = await make_world(api)
    owner = world["owner"]
    created = await upload(
        api, owner, {"input": listing_input(world)}, [("a", JPEG, "image/jpeg"), ("b", PNG, "")]
    )
    listing = created.ok()["listingCreate"]["listing"]
    first, second = listing["photos"]
    before = stored_files(api)

    changed = await upload(
        api,
        owner,
        {"input": {"listingId": listing["id"], "removePhotos": [first["url"]]}},
        [("c", WEBP, ""), ("d", JPEG, "")],
        query=UPDATE_PHOTOS,
        field="addPhotos",
    )
    payload = changed.ok()["listingUpdate"]
    assert payload["userErrors"] == []
    photos = payload["listing"]["photos"]
    assert [p["contentType"] for p in photos] == ["image/png", "image/webp", "image/jpeg"]
    assert photos[0]["url"] == second["url"]
    after = stored_files(api)
    assert first["url"].removeprefix("/media/") not in after  # the dropped file is gone
    assert len(after - before) == 2
    gone = await api.client.get(first["url"], headers=owner.headers)
    assert gone.status_code == 404

    # more than five in all: refused, nothing stored, nothing changed
    too_many = await upload(
        api,
        owner,
        {"input": {"listingId": listing["id"]}},
        [("e", JPEG, ""), ("f", JPEG, ""), ("g", JPEG, "")],
        query=UPDATE_PHOTOS,
        field="addPhotos",
    )
    assert too_many.ok()["listingUpdate"]["userErrors"] == [
        {"code": "TOO_MANY_PHOTOS", "field": ["addPhotos"]}
    ]
    assert stored_files(api) == after
    # a photo of another listing (or none) cannot be removed; the new upload is discarded
    other = await upload(api, owner, {"input": listing_input(world)}, [("h", PNG, "")])
    foreign = other.ok()["listingCreate"]["listing"]["photos"][0]["url"]
    files = stored_files(api)
    for reference in (foreign, "/media/" + "0" * 32 + ".jpg", "garbage"):
        refused = await upload(
            api,
            owner,
            {"input": {"listingId": listing["id"], "removePhotos": [reference]}},
            [("i", JPEG, "")],
            query=UPDATE_PHOTOS,
            field="addPhotos",
        )
        result = refused.ok()["listingUpdate"]
        assert result["userErrors"] == [{"code": "UNKNOWN_PHOTO", "field": ["removePhotos", "0"]}]
        assert result["listing"]["photos"] == photos
        assert stored_files(api) == files
    # only the author changes photos
    foreign_edit = await upload(
        api,
        world["co_owner"],
        {"input": {"listingId": listing["id"], "removePhotos": [photos[0]["url"]]}},
        [("j", JPEG, "")],
        query=UPDATE_PHOTOS,
        field="addPhotos",
    )
    assert foreign_edit.ok()["listingUpdate"]["userErrors"] == [
        {"code": "NOT_AUTHOR", "field": None}
    ]
    assert stored_files(api) == files


async def test_removed_listing_photos_only_for_staff_and_author(api: Api) -> None:
    world = await make_world(api)
    result = await upload(
        api, world["registered"], {"input": listing_input(world)}, [("a.jpg", JPEG, "image/jpeg")]
    )
    listing = result.ok()["listingCreate"]["listing"]
    url = listing["photos"][0]["url"]
    await api.gql(
        REMOVE, {"input": {"listingId": listing["id"], "reason": "Спам"}}, as_=world["manager"]
    )
    for key, status in (("registered", 200), ("engineer", 200), ("owner", 404)):
        response = await api.client.get(url, headers=world[key].headers)
        assert response.status_code == status, key


@pytest.mark.parametrize(
    ("photos", "code", "field"),
    [
        ([("a.jpg", JPEG, "image/jpeg")] * 6, "TOO_MANY_PHOTOS", ["photos"]),
        (
            [
                ("a.jpg", JPEG, "image/jpeg"),
                ("big.jpg", JPEG + b"0" * MAX_PHOTO_BYTES, "image/jpeg"),
            ],
            "PHOTO_TOO_LARGE",
            ["photos", "1"],
        ),
        (
            [("a.jpg", JPEG, "image/jpeg"), ("fake.jpg", b"GIF89a" + b"0" * 50, "image/jpeg")],
            "UNSUPPORTED_PHOTO",
            ["photos", "1"],
        ),
        ([("x.png", b"<svg></svg>", "image/png")], "UNSUPPORTED_PHOTO", ["photos", "0"]),
        (
            [("x.webp", b"RIFF\x00\x00\x00\x00WAVE", "image/webp")],
            "UNSUPPORTED_PHOTO",
            ["photos", "0"],
        ),
    ],
    ids=["too-many", "too-large", "gif", "svg", "riff-not-webp"],
)
async def test_bad_photos_are_refused_and_nothing_is_stored(
    api: Api, photos: list[tuple[str, bytes, str]], code: str, field: list[str]
) -> None:
    world = await make_world(api)
    before = stored_files(api)
    result = await upload(api, world["owner"], {"input": listing_input(world)}, photos)
    payload = result.ok()["listingCreate"]
    assert payload["listing"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert stored_files(api) == before
    assert await count(api, Listing, building_id=world.building_pk) == 0
    assert await count(api, ListingPhoto, building_id=world.building_pk) == 0


async def test_text_errors_with_photos_store_nothing(api: Api) -> None:
    world = await make_world(api)
    before = stored_files(api)
    result = await upload(
        api, world["owner"], {"input": listing_input(world, title=" ")}, [("a.jpg", JPEG, "i/j")]
    )
    assert [e["code"] for e in result.ok()["listingCreate"]["userErrors"]] == ["BLANK"]
    assert stored_files(api) == before
    assert await count(api, ListingPhoto, building_id=world.building_pk) == 0


async def test_a_string_is_no_photo(api: Api) -> None:
    world = await make_world(api)
    data = await api.gql(
        CREATE, {"input": listing_input(world, photos=["not a file"])}, as_=world["owner"]
    )
    assert [e["code"] for e in data["listingCreate"]["userErrors"]] == ["UNSUPPORTED_PHOTO"]


async def test_guard_runs_before_uploads_are_read(api: Api) -> None:
    world = await make_world(api)
    before = stored_files(api)
    result = await upload(
        api, world["guest_initial"], {"input": listing_input(world)}, [("a.jpg", JPEG, "i/j")]
    )
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"]
    assert stored_files(api) == before


# -- malformed multipart requests: coded 4xx, never 500 ------------------------------------


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


# -- input rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"title": "   "}, "BLANK", ["title"]),
        ({"body": ""}, "BLANK", ["body"]),
        ({"title": "т" * 121}, "TOO_LONG", ["title"]),
        ({"body": "т" * 4001}, "TOO_LONG", ["body"]),
        ({"priceKopecks": -1}, "NEGATIVE_PRICE", ["priceKopecks"]),
        ({"priceKopecks": 10**11 + 1}, "PRICE_TOO_HIGH", ["priceKopecks"]),
        ({"category": "GIVE_AWAY", "priceKopecks": 0}, "PRICE_NOT_ALLOWED", ["priceKopecks"]),
        ({"category": "LOST_PET", "priceKopecks": 100}, "PRICE_NOT_ALLOWED", ["priceKopecks"]),
        ({"category": "FOUND_PET", "priceKopecks": 100}, "PRICE_NOT_ALLOWED", ["priceKopecks"]),
    ],
)
async def test_create_rules(
    api: Api, overrides: dict[str, Any], code: str, field: list[str]
) -> None:
    world = await make_world(api)
    data = await api.gql(CREATE, {"input": listing_input(world, **overrides)}, as_=world["owner"])
    payload = data["listingCreate"]
    assert payload["listing"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [(code, field)]
    assert await count(api, Listing, building_id=world.building_pk) == 0


async def test_limits_are_inclusive_and_prices_are_large(api: Api) -> None:
    world = await make_world(api)
    listing = await create(api, world, title="т" * 120, body="т" * 4000, priceKopecks=10**11)
    assert listing["priceKopecks"] == 10**11
    free = await create(api, world, category="GIVE_AWAY", priceKopecks=None)
    assert free["priceKopecks"] is None
    result = await api.post(
        CREATE, {"input": listing_input(world, priceKopecks=1.5)}, as_=world["owner"]
    )
    assert result.errors
    assert result.data is None


# -- editing, closing, removing ----------------------------------------------------------


async def test_update_by_author_only(api: Api) -> None:
    world = await make_world(api)
    listing = await create(api, world)
    data = await api.gql(
        UPDATE,
        {"input": {"listingId": listing["id"], "title": " Продам самокат ", "priceKopecks": 5}},
        as_=world["owner"],
    )
    assert data["listingUpdate"] == {
        "listing": {
            "id": listing["id"],
            "title": "Продам самокат",
            "body": "Почти новый, синий.",
            "category": "SELL",
            "priceKopecks": 5,
            "status": "ACTIVE",
        },
        "userErrors": [],
    }
    # a free category drops the price; null clears it
    data = await api.gql(
        UPDATE, {"input": {"listingId": listing["id"], "category": "GIVE_AWAY"}}, as_=world["owner"]
    )
    assert data["listingUpdate"]["listing"]["priceKopecks"] is None
    data = await api.gql(
        UPDATE,
        {"input": {"listingId": listing["id"], "priceKopecks": 10}},
        as_=world["owner"],
    )
    assert [e["code"] for e in data["listingUpdate"]["userErrors"]] == ["PRICE_NOT_ALLOWED"]
    data = await api.gql(
        UPDATE, {"input": {"listingId": listing["id"], "body": " "}}, as_=world["owner"]
    )
    assert [(e["code"], e["field"]) for e in data["listingUpdate"]["userErrors"]] == [
        ("BLANK", ["body"])
    ]
    # a neighbour may not edit it
    data = await api.gql(
        UPDATE, {"input": {"listingId": listing["id"], "title": "Моё"}}, as_=world["resident"]
    )
    assert [e["code"] for e in data["listingUpdate"]["userErrors"]] == ["NOT_AUTHOR"]
    assert data["listingUpdate"]["listing"]["title"] == "Продам самокат"
    # nor may someone who cannot see the building learn anything
    result = await api.post(
        UPDATE, {"input": {"listingId": listing["id"], "title": "Моё"}}, as_=world["stranger"]
    )
    assert [(e["extensions"]["code"], e["path"]) for e in result.errors] == [
        ("FORBIDDEN", ["listingUpdate"])
    ]
    assert result.data == {"listingUpdate": None}


async def test_close_by_author_only(api: Api) -> None:
    world = await make_world(api)
    listing = await create(api, world)
    data = await api.gql(CLOSE, {"input": {"listingId": listing["id"]}}, as_=world["resident"])
    assert [e["code"] for e in data["listingClose"]["userErrors"]] == ["NOT_AUTHOR"]
    data = await api.gql(CLOSE, {"input": {"listingId": listing["id"]}}, as_=world["owner"])
    assert data["listingClose"]["userErrors"] == []
    assert data["listingClose"]["listing"]["status"] == "CLOSED"
    assert data["listingClose"]["listing"]["closedAt"] is not None
    data = await api.gql(CLOSE, {"input": {"listingId": listing["id"]}}, as_=world["owner"])
    assert [e["code"] for e in data["listingClose"]["userErrors"]] == ["NOT_ACTIVE"]
    data = await api.gql(
        UPDATE, {"input": {"listingId": listing["id"], "title": "Ещё"}}, as_=world["owner"]
    )
    assert [e["code"] for e in data["listingUpdate"]["userErrors"]] == ["NOT_ACTIVE"]
    # a closed listing is still readable, under status CLOSED
    for key in ("owner", "resident"):
        assert (await api.gql(NODE, {"id": listing["id"]}, as_=world[key]))["node"]["status"] == (
            "CLOSED"
        )


async def test_remove_by_staff(api: Api) -> None:
    world = await make_world(api)
    listing = await create(api, world, as_="resident")
    result = await api.post(
        REMOVE, {"input": {"listingId": listing["id"], "reason": "Спам"}}, as_=world["owner"]
    )
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"]
    data = await api.gql(
        REMOVE, {"input": {"listingId": listing["id"], "reason": " "}}, as_=world["engineer"]
    )
    assert [(e["code"], e["field"]) for e in data["listingRemove"]["userErrors"]] == [
        ("BLANK", ["reason"])
    ]
    data = await api.gql(
        REMOVE, {"input": {"listingId": listing["id"], "reason": "Спам"}}, as_=world["engineer"]
    )
    assert data["listingRemove"] == {
        "listing": {"id": listing["id"], "status": "REMOVED"},
        "userErrors": [],
    }
    data = await api.gql(
        REMOVE, {"input": {"listingId": listing["id"], "reason": "Спам"}}, as_=world["manager"]
    )
    assert [e["code"] for e in data["listingRemove"]["userErrors"]] == ["ALREADY_REMOVED"]
    # staff of another organisation may not
    result = await api.post(
        REMOVE, {"input": {"listingId": listing["id"], "reason": "x"}}, as_=world["other_staff"]
    )
    assert [e["extensions"]["code"] for e in result.errors] == ["FORBIDDEN"]
    # removed: the author and staff still see it, neighbours no longer
    for key, visible in (("resident", True), ("dispatcher", True), ("owner", False)):
        node = (await api.gql(NODE, {"id": listing["id"]}, as_=world[key]))["node"]
        assert (node is not None) is visible, key
        removed = await api.gql(
            LIST, {"id": world.building_id, "first": 10, "status": "REMOVED"}, as_=world[key]
        )
        ids = [n["id"] for n in removed["building"]["listings"]["nodes"]]
        assert ids == ([listing["id"]] if visible else []), key
    active = await api.gql(LIST, {"id": world.building_id, "first": 10}, as_=world["resident"])
    assert active["building"]["listings"]["nodes"] == []


# -- the board -------------------------------------------------------------------------


async def test_board_newest_first_with_keyset_pages_and_filters(api: Api) -> None:
    world = await make_world(api)
    made = [
        await create(api, world, title=f"Объявление {i}", category=category, priceKopecks=None)
        for i, category in enumerate(["SELL", "LEND", "SELL", "OTHER", "SELL"])
    ]
    newest_first = [listing["id"] for listing in reversed(made)]
    seen: list[str] = []
    after = None
    while True:
        data = await api.gql(
            LIST, {"id": world.building_id, "first": 2, "after": after}, as_=world["guest_basic"]
        )
        page = data["building"]["listings"]
        seen += [node["id"] for node in page["nodes"]]
        assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert seen == newest_first
    data = await api.gql(
        LIST, {"id": world.building_id, "first": 10, "category": "SELL"}, as_=world["owner"]
    )
    assert [n["id"] for n in data["building"]["listings"]["nodes"]] == [
        made[4]["id"],
        made[2]["id"],
        made[0]["id"],
    ]
    await api.gql(CLOSE, {"input": {"listingId": made[2]["id"]}}, as_=world["owner"])
    data = await api.gql(
        LIST, {"id": world.building_id, "first": 10, "status": "CLOSED"}, as_=world["owner"]
    )
    assert [n["id"] for n in data["building"]["listings"]["nodes"]] == [made[2]["id"]]
    data = await api.gql(
        LIST, {"id": world.building_id, "first": 10, "category": "SELL"}, as_=world["owner"]
    )
    assert [n["id"] for n in data["building"]["listings"]["nodes"]] == [
        made[4]["id"],
        made[0]["id"],
    ]


async def test_a_building_sees_only_its_own_board(api: Api) -> None:
    world = await make_world(api)
    mine = await create(api, world)
    theirs = await create(api, world, as_="stranger", buildingId=world.other_building_id)
    data = await api.gql(LIST, {"id": world.building_id, "first": 10}, as_=world["owner"])
    assert [n["id"] for n in data["building"]["listings"]["nodes"]] == [mine["id"]]
    data = await api.gql(LIST, {"id": world.other_building_id, "first": 10}, as_=world["stranger"])
    assert [n["id"] for n in data["building"]["listings"]["nodes"]] == [theirs["id"]]
    assert (await api.gql(NODE, {"id": theirs["id"]}, as_=world["owner"]))["node"] is None
    assert (await api.gql(NODE, {"id": mine["id"]}, as_=world["stranger"]))["node"] is None


async def test_unknown_listing_is_forbidden_like_an_invisible_one(api: Api) -> None:
    world = await make_world(api)
    for listing_id in (encode_id("Listing", 2**62), encode_id("Poll", 1)):
        result = await api.post(CLOSE, {"input": {"listingId": listing_id}}, as_=world["owner"])
        assert result.data == {"listingClose": None}
        assert len(result.errors) == 1


# -- storage -----------------------------------------------------------------------------


async def test_local_storage(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "uploads")
    key = await storage.save(PNG, "image/png")
    assert is_key(key)
    assert key.endswith(".png")
    assert await storage.read(key) == PNG
    assert [path.name for path in (tmp_path / "uploads").iterdir()] == [key]  # no temp files
    assert await storage.read("../" + key) is None
    assert await storage.read("0" * 32 + ".png") is None
    await storage.delete(key)
    await storage.delete(key)  # idempotent
    await storage.delete("../../etc/passwd")  # refused by shape, nothing happens
    assert await storage.read(key) is None
    other = await storage.save(JPEG, "image/jpeg")
    assert other != key
    assert other.endswith(".jpg")
