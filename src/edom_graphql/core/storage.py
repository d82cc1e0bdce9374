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
from datetime import datetime
from pathlib import Path
from typing import Protocol

EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
}
KEY = re.compile(r"[0-9a-f]{32}\.(?:jpg|png|webp|pdf)")
PARTIAL_PREFIX = ".upload-"
"""Files being written; renamed to their key once complete."""


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

    async def saved_before(self, moment: datetime) -> list[str]:
        """Keys of the files stored before ``moment`` (for the sweep of orphans); partial
        writes left by a crash before then are removed on the way."""
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
        fd, temporary = tempfile.mkstemp(dir=self.root, prefix=PARTIAL_PREFIX)
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

    def _saved_before(self, moment: datetime) -> list[str]:
        cutoff = moment.timestamp()
        keys = []
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return []
        for entry in entries:
            try:
                modified = entry.stat().st_mtime
            except FileNotFoundError:
                continue
            if modified >= cutoff:
                continue
            if is_key(entry.name):
                keys.append(entry.name)
            elif entry.name.startswith(PARTIAL_PREFIX):
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(entry.path)
        return keys

    async def saved_before(self, moment: datetime) -> list[str]:
        return await asyncio.to_thread(self._saved_before, moment)
