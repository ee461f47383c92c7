"""Mail in the web inbox the way it arrives: ingested from raw bytes, then triaged by the offline provider."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from ai.offline import OfflineProvider
from ai.triage import Triager
from inbox.core.db import Database
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.store import ingest_messages
from inbox.ingest.types import IncomingMessage
from inbox.mailboxes.models import EmailAccount
from inbox.settings import AiSettings

ORIGIN = {"Origin": "http://testserver.local"}


async def receive(session: AsyncSession, mailbox: EmailAccount, blob_dir: Path, *raws: bytes) -> list[uuid.UUID]:
    stored = await ingest_messages(
        session, mailbox, [IncomingMessage(raw=raw, outbound=False) for raw in raws], blobs=LocalBlobStore(blob_dir)
    )
    await session.commit()
    assert len(stored.stored) == len(raws)
    return list(stored.stored)


async def triage(db: Database, *email_ids: uuid.UUID) -> None:
    offline = OfflineProvider()
    triager = Triager(db, AiSettings(), offline, offline)
    for email_id in email_ids:
        outcome = await triager.triage(email_id)
        assert outcome.status == "triaged", outcome
