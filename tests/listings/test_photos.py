"""Photos of listings: uploaded with `listingCreate` and `listingUpdate` (GraphQL
multipart request spec), checked before a byte is stored, served at `/media/{key}` to
whoever may see the listing, and the local storage they are kept in."""

from __future__ import annotations

from pathlib import Path

import pytest

from edom_graphql.core.storage import LocalStorage, is_key
from edom_graphql.listings.models import MAX_PHOTO_BYTES, Listing, ListingPhoto
from tests.factories import ANONYMOUS, Api, make_world
from tests.listings.operations import (
    CREATE,
    JPEG,
    PNG,
    REMOVE,
    WEBP,
    count,
    listing_input,
    stored_files,
    upload,
)


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
