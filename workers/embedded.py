"""The embedded mode's background services, inside the web process.

With no ``INBOX_REDIS_URL`` there is no separate worker or ingestor: the
``serve`` process drains Dramatiq's in-process broker with a worker of its own
and keeps the IMAP connections of every active mailbox. With Redis, the web
process only installs the broker, so webhooks can enqueue work for
``inbox worker``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator

import dramatiq

from inbox.core.db import Database
from inbox.ingest.blobs import LocalBlobStore
from inbox.settings import Settings
from workers.broker import install_broker

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def background_services(settings: Settings, database: Database) -> AsyncIterator[None]:
    broker = install_broker(settings)
    if settings.redis_url:
        yield
        return
    import workers.actors  # noqa: F401  (declares the actors on the in-process broker)
    from inbox.ingest.runner import run_ingest
    from workers.queue import enqueue_triage
    from workers.scheduler import run_scheduler

    worker = dramatiq.Worker(broker, worker_threads=2)
    worker.start()
    stop = threading.Event()
    ingest = asyncio.create_task(
        run_ingest(database, settings, blobs=LocalBlobStore(settings.blob_dir), stop=stop, on_stored=enqueue_triage),
        name="embedded-ingest",
    )
    scheduler = asyncio.create_task(run_scheduler(database, settings, stop), name="embedded-scheduler")
    log.info("embedded mode: in-process worker, scheduler and IMAP ingestion started")
    try:
        yield
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(ingest, timeout=settings.ingest.timeout_seconds)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(scheduler, timeout=5)
        worker.stop(timeout=5_000)
