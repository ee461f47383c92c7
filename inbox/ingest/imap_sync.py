"""IMAP sync: one pass over a mailbox's folders, and the long-lived IDLE loop.

Per folder (INBOX, and the Sent folder found by SPECIAL-USE) the sync state
row keeps UIDVALIDITY, the last UID and the highest MODSEQ:

- no state yet, or UIDVALIDITY changed: an initial sync of the last
  ``initial_days``, newest first, in batches; UIDs stored already are skipped,
  so a sync cut off half-way resumes where it stopped and a UIDVALIDITY change
  stores nothing twice (dedupe on Message-ID does the rest);
- afterwards: the UIDs above the last one, oldest first, so the stored last
  UID only ever moves past messages that are committed.

Every batch is one transaction; triage is enqueued after it commits. The
connection is blocking (imapclient) and confined to one worker thread per
mailbox; the event loop only waits on it.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa

from inbox.core.db import Database, utcnow
from inbox.core.secrets import SecretBox
from inbox.ingest.blobs import BlobStore
from inbox.ingest.imap import ImapAuthError, ImapConnection, ImapConnectionError, ImapError
from inbox.ingest.parse_pool import parse_all
from inbox.ingest.store import IngestResult, ingest_parsed
from inbox.ingest.types import IncomingMessage, ParsedMessage
from inbox.mailboxes.models import EmailAccount, FolderSyncStatus, MailboxProvider, MailboxStatus, MailboxSyncState
from inbox.mailboxes.service import mailbox_oauth_tokens, mailbox_password
from inbox.settings import Settings
from inbox.threads.models import Email

log = logging.getLogger(__name__)

T = TypeVar("T")
# Progress of a folder: (folder, messages done, messages to do).
Progress = Callable[[str, int, int], None]
# Called with the ids of new inbound emails after each committed batch.
OnStored = Callable[[list[uuid.UUID]], None]


@dataclass(slots=True)
class FolderReport:
    folder: str
    uidvalidity: int
    # UIDNEXT when the pass began: mail at or above it arrived during or after the pass.
    uidnext: int = 0
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    parse_errors: int = 0
    resynced: bool = False


@dataclass(slots=True)
class SyncReport:
    email_account_id: uuid.UUID
    folders: list[FolderReport] = field(default_factory=list)

    @property
    def stored(self) -> int:
        return sum(folder.stored for folder in self.folders)


# Longest IDLE spell before the folder's UIDNEXT is looked at again (see run_mailbox).
IDLE_RECHECK_SECONDS = 10.0


class MailboxUnavailable(Exception):
    """The mailbox can't be synced as configured (not IMAP, no credentials, inactive)."""


class ImapSession:
    """An IMAP connection used from asyncio: every call runs on the connection's own thread."""

    def __init__(self, account: EmailAccount, box: SecretBox, settings: Settings) -> None:
        if account.provider != MailboxProvider.IMAP or not account.imap_host:
            raise MailboxUnavailable(f"mailbox {account.email_address} is not an IMAP mailbox")
        self._host = account.imap_host
        self._port = account.imap_port or (993 if account.imap_use_ssl else 143)
        self._ssl = account.imap_use_ssl
        self._username = account.username or account.email_address
        self._password = mailbox_password(account, box)
        tokens = mailbox_oauth_tokens(account, box)
        self._access_token = tokens.access_token if tokens else None
        if self._password is None and self._access_token is None:
            raise MailboxUnavailable(f"mailbox {account.email_address} has no password or OAuth token")
        self._timeout = settings.ingest.timeout_seconds
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"imap-{account.email_address}")
        self.connection: ImapConnection | None = None

    async def call(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    async def open(self) -> ImapConnection:
        await self.close()
        self.connection = await self.call(self._connect)
        return self.connection

    def _connect(self) -> ImapConnection:
        connection = ImapConnection.connect(self._host, self._port, ssl=self._ssl, timeout=self._timeout)
        try:
            if self._access_token is not None and self._password is None:
                connection.oauth2_login(self._username, self._access_token)
            else:
                connection.login(self._username, self._password or "")
        except BaseException:
            connection.logout()
            raise
        return connection

    async def close(self) -> None:
        if self.connection is not None:
            connection, self.connection = self.connection, None
            await self.call(connection.logout)

    async def shutdown(self) -> None:
        await self.close()
        self._executor.shutdown(wait=False, cancel_futures=True)


async def load_account(database: Database, account_id: uuid.UUID) -> EmailAccount:
    async with database.transaction() as session:
        account = await session.get(EmailAccount, account_id)
    if account is None:
        raise MailboxUnavailable(f"no mailbox {account_id}")
    return account


async def sync_mailbox(
    database: Database,
    account_id: uuid.UUID,
    settings: Settings,
    *,
    blobs: BlobStore,
    on_stored: OnStored | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Connect, sync INBOX and Sent once, disconnect. Auth failures mark the mailbox in error."""
    account = await load_account(database, account_id)
    imap = ImapSession(account, SecretBox.from_settings(settings), settings)
    try:
        try:
            connection = await imap.open()
        except ImapAuthError as exc:
            await mark_mailbox_error(database, account_id, f"IMAP login failed: {exc}")
            raise
        report = await sync_folders(database, account, imap, connection, settings, blobs, on_stored, progress)
        await mark_mailbox_ok(database, account_id)
        return report
    finally:
        await imap.shutdown()


async def sync_folders(
    database: Database,
    account: EmailAccount,
    imap: ImapSession,
    connection: ImapConnection,
    settings: Settings,
    blobs: BlobStore,
    on_stored: OnStored | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    folders = await imap.call(connection.find_folders)
    report = SyncReport(account.id)
    for folder, outbound in ((folders.inbox, False), (folders.sent, True)):
        if folder is None:
            continue
        report.folders.append(
            await sync_folder(
                database,
                account,
                imap,
                connection,
                folder,
                outbound=outbound,
                settings=settings,
                blobs=blobs,
                on_stored=on_stored,
                progress=progress,
            )
        )
    return report


async def sync_folder(
    database: Database,
    account: EmailAccount,
    imap: ImapSession,
    connection: ImapConnection,
    folder: str,
    *,
    outbound: bool,
    settings: Settings,
    blobs: BlobStore,
    on_stored: OnStored | None = None,
    progress: Progress | None = None,
) -> FolderReport:
    status = await imap.call(connection.select, folder)
    state = await _load_state(database, account, folder)
    report = FolderReport(folder, status.uidvalidity, status.uidnext)
    initial = state.last_uid is None or state.uidvalidity != status.uidvalidity
    if initial:
        report.resynced = state.uidvalidity is not None and state.uidvalidity != status.uidvalidity
        if report.resynced:
            log.warning("UIDVALIDITY of %s %s changed: resyncing", account.email_address, folder)
        uids = sorted(await imap.call(connection.search_since, settings.ingest.initial_days), reverse=True)
        # Everything below UIDNEXT at this point is covered by the search; newer mail by the next pass.
        high_water = status.uidnext - 1
    else:
        last_uid = state.last_uid or 0
        uids = sorted(await imap.call(connection.uids_after, last_uid))
        high_water = max(uids, default=last_uid)
    stored_uids = await _stored_uids(database, account, folder, status.uidvalidity, uids)
    todo = [uid for uid in uids if uid not in stored_uids]
    report.duplicates += len(uids) - len(todo)

    await _save_state(
        database,
        state.id,
        uidvalidity=status.uidvalidity,
        status=FolderSyncStatus.RESYNC if report.resynced else state.status,
        last_uid=None if initial else state.last_uid,
    )
    if progress:
        progress(folder, 0, len(todo))
    size = settings.ingest.batch_size
    batches = [todo[start : start + size] for start in range(0, len(todo), size)]
    # A pipeline: batch n+1 is fetched (on the connection's thread) and parsed (in the parser
    # processes) while batch n is stored; each batch is still one transaction, in UID order.
    fetching = asyncio.ensure_future(imap.call(connection.fetch, batches[0])) if batches else None
    parsed_batch: tuple[list[IncomingMessage], asyncio.Future[list[ParsedMessage]], list[int]] | None = None
    done = 0
    for index, batch in enumerate([*batches, []]):
        current = None
        if fetching is not None:
            fetched = await fetching
            fetching = (
                asyncio.ensure_future(imap.call(connection.fetch, batches[index + 1]))
                if index + 1 < len(batches)
                else None
            )
            messages = [
                IncomingMessage(
                    raw=message.raw,
                    folder=folder,
                    uidvalidity=status.uidvalidity,
                    uid=message.uid,
                    received_at=message.internal_date,
                    outbound=outbound,
                    seen=message.seen,
                )
                for message in fetched
            ]
            current = (messages, asyncio.ensure_future(parse_all([m.raw for m in messages], blobs)), batch)
        if parsed_batch is not None:
            messages, parsing, uids = parsed_batch
            result = await _store_batch(
                database,
                account,
                list(zip(messages, await parsing, strict=True)),
                blobs,
                state.id,
                None if initial else max(uids, default=None),
            )
            report.fetched += len(messages)
            report.stored += len(result.stored)
            report.duplicates += result.duplicates
            report.parse_errors += result.parse_errors
            done += len(uids)
            if on_stored and result.triage:
                on_stored(result.triage)
            if progress:
                progress(folder, done, len(todo))
        parsed_batch = current

    await _save_state(
        database,
        state.id,
        uidvalidity=status.uidvalidity,
        last_uid=max(high_water, state.last_uid or 0) if not initial else high_water,
        highest_modseq=status.highest_modseq,
        status=FolderSyncStatus.POLL,
        synced=True,
    )
    return report


async def _store_batch(
    database: Database,
    account: EmailAccount,
    batch: Sequence[tuple[IncomingMessage, ParsedMessage]],
    blobs: BlobStore,
    state_id: uuid.UUID,
    last_uid: int | None,
) -> IngestResult:
    async with database.transaction() as session:
        result = await ingest_parsed(session, account, batch, blobs=blobs)
        if last_uid is not None:
            await session.execute(
                sa.update(MailboxSyncState).where(MailboxSyncState.id == state_id).values(last_uid=last_uid)
            )
    return result


async def _load_state(database: Database, account: EmailAccount, folder: str) -> MailboxSyncState:
    async with database.transaction() as session:
        query = sa.select(MailboxSyncState).where(
            MailboxSyncState.email_account_id == account.id, MailboxSyncState.folder == folder
        )
        state = await session.scalar(query)
        if state is None:
            state = MailboxSyncState(workspace_id=account.workspace_id, email_account_id=account.id, folder=folder)
            session.add(state)
            await session.flush()
        return state


async def _save_state(database: Database, state_id: uuid.UUID, *, synced: bool = False, **values: Any) -> None:
    if synced:
        values["last_synced_at"] = utcnow()
        values["last_error"] = None
    async with database.transaction() as session:
        await session.execute(sa.update(MailboxSyncState).where(MailboxSyncState.id == state_id).values(**values))


async def _stored_uids(
    database: Database, account: EmailAccount, folder: str, uidvalidity: int, uids: list[int]
) -> set[int]:
    if not uids:
        return set()
    async with database.transaction() as session:
        found = await session.scalars(
            sa.select(Email.uid).where(
                Email.email_account_id == account.id,
                Email.folder == folder,
                Email.uidvalidity == uidvalidity,
                Email.uid.between(min(uids), max(uids)),
            )
        )
        return {uid for uid in found if uid is not None}


async def mark_mailbox_error(database: Database, account_id: uuid.UUID, message: str) -> None:
    """Stop retrying a mailbox whose credentials are refused; the API shows why."""
    log.error("mailbox %s: %s", account_id, message)
    async with database.transaction() as session:
        await session.execute(
            sa.update(EmailAccount)
            .where(EmailAccount.id == account_id)
            .values(status=MailboxStatus.ERROR, last_error=message[:2000])
        )


async def mark_mailbox_ok(database: Database, account_id: uuid.UUID) -> None:
    async with database.transaction() as session:
        await session.execute(
            sa.update(EmailAccount)
            .where(EmailAccount.id == account_id)
            .values(status=MailboxStatus.ACTIVE, last_error=None, last_synced_at=utcnow())
        )


async def run_mailbox(
    database: Database,
    account_id: uuid.UUID,
    settings: Settings,
    *,
    blobs: BlobStore,
    stop: threading.Event,
    on_stored: OnStored | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Keep one mailbox in sync until ``stop`` is set or its credentials are refused.

    After a full pass it waits in IDLE on INBOX (or polls, for servers
    without IDLE) and syncs again when mail arrives. Dropped connections and
    timeouts reconnect with exponential backoff; an auth failure marks the
    mailbox in error and ends the loop instead of retrying forever.
    """
    ingest = settings.ingest
    backoff = ingest.backoff_initial_seconds
    while not stop.is_set():
        account = await load_account(database, account_id)
        if not account.is_active or account.status in (MailboxStatus.ERROR, MailboxStatus.PAUSED):
            return
        imap = ImapSession(account, SecretBox.from_settings(settings), settings)
        try:
            connection = await imap.open()
            report = await sync_folders(database, account, imap, connection, settings, blobs, on_stored)
            await mark_mailbox_ok(database, account_id)
            backoff = ingest.backoff_initial_seconds
            folders = await imap.call(connection.find_folders)
            synced = {folder.folder: folder for folder in report.folders}
            full_pass_at = time.monotonic()
            while not stop.is_set():
                if connection.has_idle:
                    status = await imap.call(connection.select, folders.inbox)
                    last = synced.get(folders.inbox)
                    # Mail that came in after the last pass's SELECT is not announced by IDLE: sync it now.
                    arrived = last is None or (status.uidvalidity, status.uidnext) != (last.uidvalidity, last.uidnext)
                    if not arrived:
                        # IDLE in short spells: each ends with a SELECT that sees UIDNEXT, so a wake-up
                        # the server failed to send costs at most one spell.
                        spell = min(ingest.idle_seconds, IDLE_RECHECK_SECONDS)
                        arrived = await imap.call(connection.idle_wait, spell, stop)
                    if stop.is_set():
                        break
                    if not arrived and time.monotonic() - full_pass_at < ingest.idle_seconds:
                        continue
                    folder_names = [folders.inbox] if arrived else [folders.inbox, folders.sent]
                    if not arrived:
                        full_pass_at = time.monotonic()
                else:
                    await _sleep_unless_stopped(stop, ingest.poll_seconds)
                    folder_names = [folders.inbox, folders.sent]
                for folder in folder_names:
                    if folder is not None:
                        synced[folder] = await sync_folder(
                            database,
                            account,
                            imap,
                            connection,
                            folder,
                            outbound=folder != folders.inbox,
                            settings=settings,
                            blobs=blobs,
                            on_stored=on_stored,
                        )
        except ImapAuthError as exc:
            await mark_mailbox_error(database, account_id, f"IMAP login failed: {exc}")
            return
        except MailboxUnavailable as exc:
            await mark_mailbox_error(database, account_id, str(exc))
            return
        except (ImapConnectionError, ImapError, OSError) as exc:
            log.warning("mailbox %s: %s; reconnecting in %.0fs", account.email_address, exc, backoff)
            await _record_folder_error(database, account_id, str(exc))
            await sleep(backoff)
            backoff = min(backoff * 2, ingest.backoff_max_seconds)
        finally:
            await imap.shutdown()


async def _sleep_unless_stopped(stop: threading.Event, seconds: float) -> None:
    await asyncio.get_running_loop().run_in_executor(None, stop.wait, seconds)


async def _record_folder_error(database: Database, account_id: uuid.UUID, message: str) -> None:
    async with database.transaction() as session:
        await session.execute(
            sa.update(EmailAccount).where(EmailAccount.id == account_id).values(last_error=message[:2000])
        )
