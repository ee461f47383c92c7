"""IMAP sync against the real Dovecot: the whole corpus, re-runs, UIDVALIDITY, broken connections, IDLE."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.db import Database
from inbox.core.principal import Role
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.imap import ImapAuthError, ImapConnectionError
from inbox.ingest.imap_sync import run_mailbox, sync_mailbox
from inbox.ingest.parser import parse_message
from inbox.ingest.store import stable_message_id
from inbox.mailboxes.models import EmailAccount, FolderSyncStatus, MailboxStatus, MailboxSyncState
from inbox.settings import IngestSettings, Settings
from inbox.threads.models import Direction, Email
from tests.factories import Member
from tests.ingest.corpus import corpus_entries
from tests.ingest.dovecot import DovecotServer, FaultyProxy, ImapUser, served_bytes
from tests.ingest.factories import make_mailbox, message


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
def sync_settings(settings: Settings) -> Settings:
    fast = IngestSettings(batch_size=50, poll_seconds=0.3, backoff_initial_seconds=0.05, timeout_seconds=5)
    return settings.model_copy(update={"ingest": fast})


async def connect_mailbox(
    session: AsyncSession, settings: Settings, team: dict[Role, Member], user: ImapUser
) -> EmailAccount:
    rep = team[Role.SALES_REP]
    account = await make_mailbox(
        session,
        settings,
        workspace_id=rep.workspace_id,
        user_id=rep.user.id,
        address=user.address,
        host=user.host,
        port=user.port,
        username=user.username,
        password=user.password,
    )
    await session.commit()
    return account


async def stored(db: Database, account: EmailAccount) -> list[Email]:
    async with db.transaction() as session:
        return list(await session.scalars(sa.select(Email).where(Email.email_account_id == account.id)))


def expected_id(raw: bytes) -> str:
    served = served_bytes(raw)
    return parse_message(served).message_id or stable_message_id(served)


async def test_every_corpus_message_is_stored_once_across_reruns_and_a_uidvalidity_change(
    db: Database,
    session: AsyncSession,
    sync_settings: Settings,
    team: dict[Role, Member],
    dovecot: DovecotServer,
    imap_user: ImapUser,
    blobs: LocalBlobStore,
) -> None:
    entries = corpus_entries()
    uids = dovecot.append(imap_user, [entry.data for entry in entries])
    assert len(uids) == len(entries)
    account = await connect_mailbox(session, sync_settings, team, imap_user)

    report = await sync_mailbox(db, account.id, sync_settings, blobs=blobs)

    rows = await stored(db, account)
    by_id = {row.message_id: row for row in rows}
    # Fixtures that share a Message-ID are one message to a mailbox: stored once, the rest counted as duplicates.
    expected = {expected_id(entry.data) for entry in entries}
    assert set(by_id) == expected
    assert len(rows) == len(expected)
    (inbox_report, sent_report) = report.folders
    assert inbox_report.fetched == len(entries)
    assert inbox_report.stored + inbox_report.duplicates == len(entries)
    assert sent_report.stored == 0
    for entry, uid in zip(entries, uids, strict=True):
        row = by_id[expected_id(entry.data)]
        assert row.raw_storage_key is not None
        if row.uid == uid:  # the copy that was stored: its bytes are exactly what the server holds
            assert blobs.get(row.raw_storage_key) == served_bytes(entry.data)
    assert all(row.direction == Direction.INBOUND and row.folder == "INBOX" for row in rows)
    unparsed = [row for row in rows if row.parse_error]
    assert all(row.raw_size and row.raw_size > 0 for row in unparsed)

    async with db.transaction() as s:
        state = await s.scalar(
            sa.select(MailboxSyncState).where(
                MailboxSyncState.email_account_id == account.id, MailboxSyncState.folder == "INBOX"
            )
        )
    assert state is not None
    assert state.last_uid == max(uids)
    assert state.status == FolderSyncStatus.POLL
    assert state.uidvalidity and state.highest_modseq

    # Running again stores nothing.
    again = await sync_mailbox(db, account.id, sync_settings, blobs=blobs)
    assert again.stored == 0
    assert len(await stored(db, account)) == len(expected)

    # A new UIDVALIDITY (the folder rebuilt): a full resync that stores nothing twice.
    dovecot.recreate_folder(imap_user, "INBOX")
    resync = await sync_mailbox(db, account.id, sync_settings, blobs=blobs)
    assert resync.folders[0].resynced
    assert resync.stored == 0
    assert len(await stored(db, account)) == len(expected)
    async with db.transaction() as s:
        uidvalidity = await s.scalar(sa.select(MailboxSyncState.uidvalidity).where(MailboxSyncState.id == state.id))
    assert uidvalidity == resync.folders[0].uidvalidity


async def test_a_connection_killed_mid_sync_loses_nothing_on_the_next_run(
    db: Database,
    session: AsyncSession,
    sync_settings: Settings,
    team: dict[Role, Member],
    dovecot: DovecotServer,
    imap_user: ImapUser,
    blobs: LocalBlobStore,
) -> None:
    raws = [message(message_id=f"<kill-{n}@test.example>", body="x" * 2000 + "\n") for n in range(120)]
    dovecot.append(imap_user, raws)
    with FaultyProxy(imap_user, after_bytes=60_000) as proxy:
        account = await connect_mailbox(session, sync_settings, team, proxy.user)
        with pytest.raises(ImapConnectionError):
            await sync_mailbox(db, account.id, sync_settings, blobs=blobs)
        assert proxy.faults_done == 1
        partial = len(await stored(db, account))
        assert partial < len(raws)

        # Mail that arrived since is picked up too.
        dovecot.append(imap_user, [message(message_id="<kill-late@test.example>")])
        report = await sync_mailbox(db, account.id, sync_settings, blobs=blobs)
    assert report.stored == len(raws) + 1 - partial
    ids = {row.message_id for row in await stored(db, account)}
    assert ids == {f"kill-{n}@test.example" for n in range(120)} | {"kill-late@test.example"}


async def test_sent_mail_is_filed_as_outbound_in_the_leads_thread(
    db: Database,
    session: AsyncSession,
    sync_settings: Settings,
    team: dict[Role, Member],
    dovecot: DovecotServer,
    imap_user: ImapUser,
    blobs: LocalBlobStore,
) -> None:
    dovecot.append(imap_user, [message(message_id="<ask@test.example>", to=imap_user.address)])
    answer = message(
        sender=imap_user.address,
        to="Jane <jane@acme-corp.example>",
        subject="Re: Pricing question",
        message_id="<answer@test.example>",
        in_reply_to="<ask@test.example>",
    )
    dovecot.append(imap_user, [answer], folder="Sent")
    account = await connect_mailbox(session, sync_settings, team, imap_user)
    await sync_mailbox(db, account.id, sync_settings, blobs=blobs)
    rows = {row.message_id: row for row in await stored(db, account)}
    assert rows["answer@test.example"].direction == Direction.OUTBOUND
    assert rows["answer@test.example"].folder == "Sent"
    assert rows["answer@test.example"].thread_id == rows["ask@test.example"].thread_id
    assert rows["answer@test.example"].contact_id == rows["ask@test.example"].contact_id is not None


async def test_a_refused_login_marks_the_mailbox_in_error_without_looping(
    db: Database,
    session: AsyncSession,
    sync_settings: Settings,
    team: dict[Role, Member],
    dovecot: DovecotServer,
    imap_user: ImapUser,
    blobs: LocalBlobStore,
    client: object,
) -> None:
    wrong = ImapUser(imap_user.host, imap_user.port, imap_user.username, "not-the-password", imap_user.address)
    account = await connect_mailbox(session, sync_settings, team, wrong)
    with pytest.raises(ImapAuthError):
        await sync_mailbox(db, account.id, sync_settings, blobs=blobs)
    # The long-lived loop ends at once instead of retrying a refused password.
    stop = threading.Event()
    async with db.transaction() as s:
        await s.execute(
            sa.update(EmailAccount).where(EmailAccount.id == account.id).values(status=MailboxStatus.ACTIVE)
        )
    await asyncio.wait_for(run_mailbox(db, account.id, sync_settings, blobs=blobs, stop=stop), timeout=10)
    async with db.transaction() as s:
        refreshed = await s.get(EmailAccount, account.id)
    assert refreshed is not None
    assert refreshed.status == MailboxStatus.ERROR
    assert refreshed.last_error and "login failed" in refreshed.last_error.lower()

    # ...and the admin sees why through the API.
    import httpx

    assert isinstance(client, httpx.AsyncClient)
    response = await client.get(f"/api/email-accounts/{account.id}", headers=team[Role.ADMIN].headers)
    assert response.status_code == 200
    assert response.json()["status"] == "error"
    assert "login failed" in response.json()["last_error"].lower()


async def wait_for_mail(
    db: Database,
    settings: Settings,
    account: EmailAccount,
    blobs: LocalBlobStore,
    deliver: list[bytes],
    dovecot: DovecotServer,
    user: ImapUser,
    before_each: Callable[[], object] | None = None,
) -> list[float]:
    """Run the long-lived loop, append ``deliver`` one by one once it is idle; the seconds each took to commit."""
    stop = threading.Event()
    committed: asyncio.Queue[float] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def on_stored(ids: list[uuid.UUID]) -> None:
        for _ in ids:
            loop.call_soon_threadsafe(committed.put_nowait, time.monotonic())

    task = asyncio.create_task(run_mailbox(db, account.id, settings, blobs=blobs, stop=stop, on_stored=on_stored))
    try:
        await asyncio.sleep(1.0)  # the first full pass is done and the loop waits
        latencies = []
        for raw in deliver:
            if before_each is not None:
                await asyncio.to_thread(before_each)
                await asyncio.sleep(0.3)
            sent = time.monotonic()
            await asyncio.to_thread(dovecot.append, user, [raw])
            latencies.append(await asyncio.wait_for(committed.get(), timeout=30) - sent)
        return latencies
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)


async def test_idle_delivers_new_mail_within_two_seconds(
    db: Database,
    session: AsyncSession,
    sync_settings: Settings,
    team: dict[Role, Member],
    dovecot: DovecotServer,
    imap_user: ImapUser,
    blobs: LocalBlobStore,
) -> None:
    account = await connect_mailbox(session, sync_settings, team, imap_user)
    raws = [message(message_id=f"<idle-{n}@test.example>") for n in range(7)]
    latencies = await wait_for_mail(db, sync_settings, account, blobs, raws, dovecot, imap_user)
    # Within 2 s: the median of seven, so a delivery or two delayed (a loaded machine, a wake-up the
    # server never sent, caught by the 10 s recheck) does not decide; bench/ingest.py measures the
    # distribution (p95 over 100 messages). Every message arrives within one recheck.
    assert sorted(latencies)[3] < 2.0, latencies
    assert max(latencies) < 12.0, latencies
    assert {row.message_id for row in await stored(db, account)} == {f"idle-{n}@test.example" for n in range(7)}


async def test_a_server_without_idle_is_polled(
    db: Database,
    session: AsyncSession,
    sync_settings: Settings,
    team: dict[Role, Member],
    dovecot: DovecotServer,
    imap_user: ImapUser,
    blobs: LocalBlobStore,
) -> None:
    legacy = dovecot.legacy(imap_user)
    account = await connect_mailbox(session, sync_settings, team, legacy)
    latencies = await wait_for_mail(
        db, sync_settings, account, blobs, [message(message_id="<polled@test.example>")], dovecot, imap_user
    )
    assert latencies[0] < sync_settings.ingest.poll_seconds + 2.0
    assert [row.message_id for row in await stored(db, account)] == ["polled@test.example"]


async def test_a_dropped_connection_reconnects_and_carries_on(
    db: Database,
    session: AsyncSession,
    sync_settings: Settings,
    team: dict[Role, Member],
    dovecot: DovecotServer,
    imap_user: ImapUser,
    blobs: LocalBlobStore,
) -> None:
    account = await connect_mailbox(session, sync_settings, team, imap_user)
    latencies = await wait_for_mail(
        db,
        sync_settings,
        account,
        blobs,
        [message(message_id="<after-kick@test.example>")],
        dovecot,
        imap_user,
        before_each=lambda: dovecot.kick(imap_user),
    )
    assert latencies[0] < 5.0
    assert [row.message_id for row in await stored(db, account)] == ["after-kick@test.example"]
    async with db.transaction() as s:
        refreshed = await s.get(EmailAccount, account.id)
    assert refreshed is not None and refreshed.status == MailboxStatus.ACTIVE
