"""Parsing fetched mail in other processes, so parsing (CPU-bound) runs beside storing.

The worker processes are forked by a forkserver that has imported this module,
and with it only the parser and the blob store (no SQLAlchemy, no models), so
they start ready to parse. multiprocessing would also run the parent's
``__main__`` again in each of them (so that what it defines can be unpickled
there); the parser processes need nothing from it, and for the ``inbox`` CLI
or a benchmark that meant importing the whole application: ~1.4 s of CPU per
process. The workers are therefore all started at once, while ``__main__`` is
hidden.
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import os
import sys
import types
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from inbox.ingest.blobs import BlobStore, LocalBlobStore, put_blobs
from inbox.ingest.parser import parse_message
from inbox.ingest.types import ParsedMessage

# Batches smaller than this are parsed in-process: shipping them to another process costs more.
POOL_THRESHOLD = 16
POOL_WORKERS = max(1, min(4, os.cpu_count() or 1))
_pool: ProcessPoolExecutor | None = None


def _parser_pool() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        context = multiprocessing.get_context("forkserver")
        # Takes effect when the forkserver starts (the first pool of the process); it serves every later one.
        context.set_forkserver_preload([__name__])
        pool = ProcessPoolExecutor(max_workers=POOL_WORKERS, mp_context=context)
        with _main_module_hidden():
            # Each task submitted while no worker is idle starts one: this starts them all, now.
            for _ in range(POOL_WORKERS):
                pool.submit(os.getpid)
        _pool = pool
    return _pool


@contextlib.contextmanager
def _main_module_hidden() -> Iterator[None]:
    """``__main__`` as an empty module meanwhile: processes started now do not run it again."""
    main = sys.modules["__main__"]
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        sys.modules["__main__"] = main


def shutdown_parser_pool() -> None:
    """Stop the parser processes (they start again on the next big batch)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None


def parse_chunk(raws: list[bytes], blob_root: Path | None = None) -> list[ParsedMessage]:
    """Parse messages and, given the blob store's folder, store their bytes there too."""
    if blob_root is None:
        return [parse_message(raw) for raw in raws]
    blobs = LocalBlobStore(blob_root)
    return [put_blobs(raw, parse_message(raw), blobs) for raw in raws]


async def parse_all(raws: list[bytes], blobs: BlobStore | None = None) -> list[ParsedMessage]:
    """Parse a batch, split over the parser processes when it is big enough to be worth it.

    With a local blob store the parser processes also write the raw messages
    and attachments, so only keys come back.
    """
    if len(raws) < POOL_THRESHOLD:
        return parse_chunk(raws)
    pool = _parser_pool()
    loop = asyncio.get_running_loop()
    parts = max(1, min(POOL_WORKERS, len(raws) // POOL_THRESHOLD))
    chunks = [raws[n::parts] for n in range(parts)]
    root = blobs.root if isinstance(blobs, LocalBlobStore) else None
    results = await asyncio.gather(*(loop.run_in_executor(pool, parse_chunk, chunk, root) for chunk in chunks))
    parsed: list[ParsedMessage] = [None] * len(raws)  # type: ignore[list-item]
    for n, chunk_result in enumerate(results):
        parsed[n::parts] = chunk_result
    return parsed
