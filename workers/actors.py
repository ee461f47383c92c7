"""The Dramatiq actors. Import this module only after ``install_broker``:
actors bind to the broker that is global when they are declared.

Async actors run on the AsyncIO middleware's one event loop, so one
:class:`Database` (and its pool) serves all of them in a process.
"""

from __future__ import annotations

import logging
import uuid
from functools import lru_cache

import dramatiq

from inbox.core.db import Database
from inbox.ingest.blobs import LocalBlobStore
from inbox.settings import Settings, get_settings
from workers.queue import INGEST_QUEUE, TRIAGE_QUEUE, enqueue_triage

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _runtime() -> tuple[Settings, Database]:
    settings = get_settings()
    return settings, Database(settings.resolved_database_url, pool_size=settings.database_pool_size)


@dramatiq.actor(queue_name=TRIAGE_QUEUE, actor_name="triage_email")
async def triage_email(email_id: str) -> None:
    """AI triage of one inbound email: the triage issue fills this in; the sweeper re-finds untriaged mail."""
    log.info("email %s is waiting for triage (no triage provider yet)", email_id)


@dramatiq.actor(queue_name=INGEST_QUEUE, actor_name="sync_gmail_mailbox", max_retries=5)
async def sync_gmail_mailbox(email_account_id: str) -> None:
    """An incremental Gmail sync after a push notification (idempotent: dedupe makes reruns safe)."""
    from inbox.ingest.gmail import sync_gmail_mailbox as sync

    settings, database = _runtime()
    report = await sync(
        database,
        uuid.UUID(email_account_id),
        settings,
        blobs=LocalBlobStore(settings.blob_dir),
        on_stored=enqueue_triage,
    )
    log.info("gmail mailbox %s: %s", email_account_id, report)
