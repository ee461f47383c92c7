"""The blob store: raw messages and attachment bytes, addressed by content.

A key is the SHA-256 of the bytes, so storing the same attachment twice
(a re-sync, the same logo in every mail) writes it once, and a crash between
writing a blob and committing its row leaves at worst an orphan file, never a
row without its bytes. The default store is a local folder; an object store
with the same three methods can replace it.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from inbox.ingest.types import ParsedMessage

_KEY = re.compile(r"^[0-9a-f]{64}$")


class BlobStore(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...


def blob_key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class LocalBlobStore:
    """Blobs as files under ``root/ab/cd/<sha256>``, written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        key = blob_key(data)
        path = self._path(key)
        if path.exists():
            return key
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).exists()


def put_blobs(raw: bytes, parsed: ParsedMessage, blobs: BlobStore) -> ParsedMessage:
    """Write the raw message and the attachments to the blob store; the result carries keys, not bytes.

    Done where the message was parsed (a parser process, for big batches), so
    the bytes never travel back to the process that writes the rows.
    """
    if parsed.raw_storage_key is None:
        parsed.raw_storage_key = blobs.put(raw)
    parsed.attachments = [
        attachment
        if attachment.storage_key is not None
        else replace(attachment, content=b"", storage_key=blobs.put(attachment.content), stored_size=attachment.size)
        for attachment in parsed.attachments
    ]
    return parsed
