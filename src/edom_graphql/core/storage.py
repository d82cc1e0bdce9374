"""Where uploaded files live: a small interface and a local-disk implementation.

Keys are made here (random, with an extension from the sniffed media type), never from
a client's file name, so a key can be checked by shape before it touches the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import tempfile
import uuid
from pathlib import Path
from typing import Protocol

EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
KEY = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|webp)")


class Storage(Protocol):
    async def save(self, data: bytes, content_type: str) -> str:
        """Store ``data``; its new key."""
        ...

    async def read(self, key: str) -> bytes | None:
        """The bytes stored under ``key``; ``None`` if there are none."""
        ...

    async def delete(self, key: str) -> None:
        """Forget ``key`` (nothing happens if it is unknown)."""
        ...


def is_key(key: str) -> bool:
    return KEY.fullmatch(key) is not None


class LocalStorage:
    """Files in one directory; each written to a temporary file, then renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not is_key(key):
            raise ValueError("not a storage key")
        return self.root / key

    def _write(self, key: str, data: bytes) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self._path(key))
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise

    async def save(self, data: bytes, content_type: str) -> str:
        key = uuid.uuid4().hex + EXTENSIONS[content_type]
        await asyncio.to_thread(self._write, key, data)
        return key

    def _read(self, key: str) -> bytes | None:
        if not is_key(key):
            return None
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None

    async def read(self, key: str) -> bytes | None:
        return await asyncio.to_thread(self._read, key)

    def _delete(self, key: str) -> None:
        if is_key(key):
            with contextlib.suppress(FileNotFoundError):
                self._path(key).unlink()

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._delete, key)
