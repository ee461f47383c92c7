"""The parser processes: the same results as parsing in-process, with the bytes in the blob store."""

from __future__ import annotations

from pathlib import Path

from inbox.ingest.blobs import LocalBlobStore, put_blobs
from inbox.ingest.parse_pool import POOL_THRESHOLD, parse_all, shutdown_parser_pool
from inbox.ingest.parser import parse_message
from tests.ingest.corpus import corpus_messages


async def test_a_big_batch_parsed_by_the_pool_matches_the_parser_and_its_blobs_are_stored(tmp_path: Path) -> None:
    with_attachments = [entry.data for entry in corpus_messages() if parse_message(entry.data).attachments]
    raws = (with_attachments + [entry.data for entry in corpus_messages()])[: POOL_THRESHOLD * 4]
    assert len(raws) >= POOL_THRESHOLD * 2 and with_attachments
    pooled = LocalBlobStore(tmp_path / "pooled")
    try:
        parsed = await parse_all(raws, pooled)
        again = await parse_all(raws, pooled)  # a second batch is served by the same processes
    finally:
        shutdown_parser_pool()

    expected = [put_blobs(raw, parse_message(raw), LocalBlobStore(tmp_path / "local")) for raw in raws]
    assert parsed == expected
    assert again == expected
    for raw, message in zip(raws, parsed, strict=True):
        assert message.raw_storage_key is not None
        assert pooled.get(message.raw_storage_key) == raw
        for attachment in message.attachments:
            assert attachment.content == b""
            assert attachment.storage_key is not None
            assert len(pooled.get(attachment.storage_key)) == attachment.size
