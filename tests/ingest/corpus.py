"""The shared mail corpus (``<repo>/../shared/corpus/mail``), read through its MANIFEST.tsv.

Tests find fixtures here, never by globbing. ``INBOX_CORPUS_DIR`` points at another
``corpus`` folder (the one holding ``mail/``). A missing corpus is an error, not a skip:
every message in it must ingest.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class CorpusEntry:
    path: str  # relative to the mail folder, as in MANIFEST.tsv: also a stable test id
    category: str  # bounce, autoreply, charset, ... (see the corpus README)
    format: str  # message, body-text or body-html
    data: bytes


def corpus_dir() -> Path:
    """The ``corpus`` folder: ``$INBOX_CORPUS_DIR`` or ``<repo>/../shared/corpus``."""
    configured = os.environ.get("INBOX_CORPUS_DIR")
    return Path(configured) if configured else _REPO.parent / "shared" / "corpus"


def mail_dir() -> Path:
    return corpus_dir() / "mail"


@cache
def _entries() -> tuple[CorpusEntry, ...]:
    manifest = mail_dir() / "MANIFEST.tsv"
    if not manifest.is_file():
        raise FileNotFoundError(f"mail corpus not found at {manifest} (set INBOX_CORPUS_DIR)")
    with manifest.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    return tuple(
        CorpusEntry(row["path"], row["category"], row["format"], (mail_dir() / row["path"]).read_bytes())
        for row in rows
    )


def corpus_entries(category: str | None = None, format: str | None = None) -> list[CorpusEntry]:
    """Every fixture, optionally of one category and/or format."""
    return [
        entry
        for entry in _entries()
        if (category is None or entry.category == category) and (format is None or entry.format == format)
    ]


def corpus_messages(category: str | None = None) -> list[CorpusEntry]:
    """The raw RFC 5322 messages (``format=message``), optionally of one category."""
    return corpus_entries(category, "message")


def corpus_message(path: str) -> bytes:
    """One message's bytes by its manifest path; a path not in the manifest is an error."""
    for entry in _entries():
        if entry.path == path:
            return entry.data
    raise KeyError(f"{path} is not in the corpus manifest")
