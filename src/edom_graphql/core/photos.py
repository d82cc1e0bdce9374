"""Photos uploaded with a mutation (GraphQL multipart request): checked, stored, and
forgotten again when the mutation is refused.

Listings and repair requests take photos the same way: at most :data:`MAX_PHOTOS`
files of at most :data:`MAX_PHOTO_BYTES` each, their type sniffed from the content
(never the declared one). Everything is checked before a byte is stored, and what was
stored is deleted when the transaction that would reference it does not commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Self, TypeVar

import strawberry

from edom_graphql.core.errors import ServiceError
from edom_graphql.core.storage import Storage

MAX_PHOTOS = 5
MAX_PHOTO_BYTES = 5 * 1024 * 1024

PHOTO_ERROR_CODES = {
    "TOO_MANY_PHOTOS": f"More than {MAX_PHOTOS} photos.",
    "PHOTO_TOO_LARGE": f"A photo is larger than {MAX_PHOTO_BYTES} bytes.",
    "UNSUPPORTED_PHOTO": "A photo is not a JPEG, PNG or WebP image (judged by its content).",
}
"""The refusals of :func:`read_photos`, described for a mutation's error-code enum."""

PHOTOS_DESCRIPTION = (
    f"Up to {MAX_PHOTOS} JPEG, PNG or WebP images of at most {MAX_PHOTO_BYTES} bytes each, "
    "sent as files of a multipart request (GraphQL multipart request specification)."
)

SIGNATURES = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)

T = TypeVar("T")


def sniff(data: bytes) -> str | None:
    """The image type ``data`` starts like (JPEG, PNG or WebP); never the declared one."""
    for magic, content_type in SIGNATURES:
        if data.startswith(magic):
            return content_type
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True, slots=True)
class Photo:
    data: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class StoredPhoto:
    key: str
    content_type: str
    size_bytes: int


async def read_photos(
    uploads: Sequence[Any], *, owner: str, field_name: str = "photos"
) -> list[Photo]:
    """The uploaded photos, checked: count, size and sniffed type.

    ``owner`` names what carries them in messages ("A listing", "A repair request");
    ``field_name`` is the input field they came in.
    """
    if len(uploads) > MAX_PHOTOS:
        raise ServiceError(
            "TOO_MANY_PHOTOS", f"{owner} has at most {MAX_PHOTOS} photos.", [field_name]
        )
    photos: list[Photo] = []
    for index, upload in enumerate(uploads):
        field = [field_name, str(index)]
        read = getattr(upload, "read", None)
        if read is None:  # not a file part (e.g. a string in a JSON request)
            raise ServiceError("UNSUPPORTED_PHOTO", "Send the photo as a file.", field)
        data = await read(MAX_PHOTO_BYTES + 1)
        if not isinstance(data, bytes):
            raise ServiceError("UNSUPPORTED_PHOTO", "Send the photo as a file.", field)
        if len(data) > MAX_PHOTO_BYTES:
            raise ServiceError(
                "PHOTO_TOO_LARGE", f"A photo has at most {MAX_PHOTO_BYTES} bytes.", field
            )
        content_type = sniff(data)
        if content_type is None:
            raise ServiceError(
                "UNSUPPORTED_PHOTO", "A photo must be a JPEG, PNG or WebP image.", field
            )
        photos.append(Photo(data, content_type))
    return photos


async def discard(storage: Storage, stored: Sequence[StoredPhoto]) -> None:
    for photo in stored:
        await storage.delete(photo.key)


async def with_stored_photos(
    storage: Storage,
    photos: Sequence[Photo],
    work: Callable[[list[StoredPhoto]], Awaitable[T | ServiceError]],
) -> T | ServiceError:
    """Store ``photos``, then run ``work`` (the transaction that references them).

    If ``work`` refuses (returns a :class:`ServiceError`) or fails, the stored files are
    deleted again: no file outlives a mutation that did not commit.
    """
    stored: list[StoredPhoto] = []
    try:
        for photo in photos:
            key = await storage.save(photo.data, photo.content_type)
            stored.append(StoredPhoto(key, photo.content_type, len(photo.data)))
        result = await work(stored)
    except BaseException:
        await discard(storage, stored)
        raise
    if isinstance(result, ServiceError):
        await discard(storage, stored)
    return result


@strawberry.type
class PhotoBase:
    """The fields of every photo type (``ListingPhoto``, ``RepairRequestPhoto``): a domain
    names its own type, ``@strawberry.type(description=…) class ListingPhoto(PhotoBase)``."""

    key: strawberry.Private[str]
    content_type: str = strawberry.field(
        description="Media type, as read from the file's content: image/jpeg, image/png or "
        "image/webp."
    )
    size_bytes: int = strawberry.field(description="Size of the file in bytes.")

    @strawberry.field(
        description="Where to fetch it (a path on this server); send the same Authorization "
        "header as to the API."
    )
    def url(self) -> str:
        return f"/media/{self.key}"

    @classmethod
    def from_row(cls, row: Sequence[Any]) -> Self:
        """Of ``(storage_key, content_type, size_bytes, …)``."""
        return cls(key=row[0], content_type=row[1], size_bytes=row[2])
