"""``inbox ingest``: one long-lived task per active mailbox.

An IMAP mailbox's task holds its connection (sync, then IDLE or polling). A
Gmail mailbox's task syncs it every ``ingest.gmail_poll_seconds``: pushes
(``/webhooks/gmail``) bring mail sooner through the workers; this pass is the
fallback for missed pushes and renews ``users.watch`` before it lapses.

The set of mailboxes is re-read every ``ingest.refresh_seconds``: a mailbox added
through the API starts syncing within that time, one deactivated or put in
error stops. A task that ends (auth failure) is not restarted until its
mailbox is active again.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid

import sqlalchemy as sa

from inbox.core.db import Database
from inbox.ingest.blobs import BlobStore
from inbox.ingest.imap_sync import OnStored, run_mailbox
from inbox.mailboxes.models import EmailAccount, MailboxProvider, MailboxStatus
from inbox.settings import Settings

log = logging.getLogger(__name__)


async def active_mailboxes(database: Database) -> dict[uuid.UUID, MailboxProvider]:
    async with database.transaction() as session:
        rows = await session.execute(
            sa.select(EmailAccount.id, EmailAccount.provider).where(
                EmailAccount.provider.in_([MailboxProvider.IMAP, MailboxProvider.GMAIL]),
                EmailAccount.is_active.is_(True),
                EmailAccount.status == MailboxStatus.ACTIVE,
            )
        )
        return {row.id: row.provider for row in rows}


async def run_gmail_mailbox(
    database: Database,
    account_id: uuid.UUID,
    settings: Settings,
    *,
    blobs: BlobStore,
    stop: threading.Event,
    on_stored: OnStored | None = None,
) -> None:
    """Sync a Gmail mailbox now and every ``gmail_poll_seconds`` until stopped or in error."""
    from inbox.ingest.gmail import sync_gmail_mailbox

    loop = asyncio.get_running_loop()
    backoff = settings.ingest.backoff_initial_seconds
    while not stop.is_set():
        try:
            report = await sync_gmail_mailbox(database, account_id, settings, blobs=blobs, on_stored=on_stored)
        except Exception as exc:  # transient (network, 5xx, quota): recorded by the sync; try again later
            log.warning("gmail mailbox %s: %s; retrying in %.0fs", account_id, exc, backoff)
            await loop.run_in_executor(None, stop.wait, backoff)
            backoff = min(backoff * 2, settings.ingest.backoff_max_seconds)
            continue
        if report.error is not None:  # only a person can fix it (revoked grant, scopes): stop
            return
        backoff = settings.ingest.backoff_initial_seconds
        await loop.run_in_executor(None, stop.wait, settings.ingest.gmail_poll_seconds)


async def run_ingest(
    database: Database,
    settings: Settings,
    *,
    blobs: BlobStore,
    stop: threading.Event,
    on_stored: OnStored | None = None,
) -> None:
    tasks: dict[uuid.UUID, asyncio.Task[None]] = {}
    loop = asyncio.get_running_loop()
    try:
        while not stop.is_set():
            wanted = await active_mailboxes(database)
            for account_id in wanted.keys() - tasks.keys():
                provider = wanted[account_id]
                log.info("mailbox %s (%s): starting", account_id, provider)
                run = run_gmail_mailbox if provider == MailboxProvider.GMAIL else run_mailbox
                tasks[account_id] = asyncio.create_task(
                    run(database, account_id, settings, blobs=blobs, stop=stop, on_stored=on_stored),
                    name=f"{provider}-{account_id}",
                )
            for account_id, task in list(tasks.items()):
                if task.done():
                    del tasks[account_id]
                    if not task.cancelled() and (error := task.exception()) is not None:
                        log.error("mailbox %s: task failed: %r", account_id, error)
            await loop.run_in_executor(None, stop.wait, settings.ingest.refresh_seconds)
    finally:
        stop.set()
        if tasks:
            await asyncio.wait(tasks.values(), timeout=settings.ingest.timeout_seconds)
            for task in tasks.values():
                task.cancel()
