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


@dataclass(frozen=True, slots=True)
class FileRule:
    """What a kind of upload may be: how many files, how large, of which sniffed types,
    and the codes of its refusals."""

    max_files: int
    max_bytes: int
    sniff: Callable[[bytes], str | None]
    kinds: str
    """The accepted types, for messages ("a JPEG, PNG or WebP image")."""
    too_many: str
    too_large: str
    unsupported: str


PHOTO_RULE = FileRule(
    MAX_PHOTOS,
    MAX_PHOTO_BYTES,
    sniff,
    "a JPEG, PNG or WebP image",
    "TOO_MANY_PHOTOS",
    "PHOTO_TOO_LARGE",
    "UNSUPPORTED_PHOTO",
)

MAX_DOCUMENT_BYTES = MAX_PHOTO_BYTES
"""A PDF or a scan: as large as a photo, so that a multipart request of as many stays
within the server's limit on uploads."""


def sniff_pdf(data: bytes) -> str | None:
    return "application/pdf" if data.startswith(b"%PDF-") else None


def sniff_scan(data: bytes) -> str | None:
    """A scanned document: a PDF or an image."""
    return sniff_pdf(data) or sniff(data)


def document_error_codes(rule: FileRule) -> dict[str, str]:
    """The refusals of :func:`read_files` under ``rule``, for an error-code enum."""
    return {
        rule.too_many: f"More than {rule.max_files} files.",
        rule.too_large: f"A file is larger than {rule.max_bytes} bytes.",
        rule.unsupported: f"A file is not {rule.kinds} (judged by its content).",
    }


async def read_files(
    uploads: Sequence[Any], rule: FileRule, *, owner: str, field_name: str
) -> list[Photo]:
    """The uploaded files, checked by ``rule``: count, size and sniffed type."""
    if len(uploads) > rule.max_files:
        raise ServiceError(
            rule.too_many, f"{owner} has at most {rule.max_files} files.", [field_name]
        )
    files: list[Photo] = []
    for index, upload in enumerate(uploads):
        field = [field_name, str(index)] if rule.max_files > 1 else [field_name]
        read = getattr(upload, "read", None)
        if read is None:  # not a file part (e.g. a string in a JSON request)
            raise ServiceError(rule.unsupported, "Send the file as a file.", field)
        data = await read(rule.max_bytes + 1)
        if not isinstance(data, bytes):
            raise ServiceError(rule.unsupported, "Send the file as a file.", field)
        if len(data) > rule.max_bytes:
            raise ServiceError(rule.too_large, f"A file has at most {rule.max_bytes} bytes.", field)
        content_type = rule.sniff(data)
        if content_type is None:
            raise ServiceError(rule.unsupported, f"The file must be {rule.kinds}.", field)
        files.append(Photo(data, content_type))
    return files


async def read_photos(
    uploads: Sequence[Any], *, owner: str, field_name: str = "photos"
) -> list[Photo]:
    """The uploaded photos, checked: count, size and sniffed type.

    ``owner`` names what carries them in messages ("A listing", "A repair request");
    ``field_name`` is the input field they came in.
    """
    return await read_files(uploads, PHOTO_RULE, owner=owner, field_name=field_name)


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
