"""Gmail sync against a local server speaking Gmail's and Google's token endpoint wire protocol."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.db import Database
from inbox.core.principal import Role
from inbox.core.secrets import SecretBox
from inbox.ingest.blobs import LocalBlobStore
from inbox.ingest.gmail import GmailApiError, GmailSyncReport, SyncMode, sync_gmail_mailbox
from inbox.ingest.oauth import GoogleTokens, load_tokens, store_tokens
from inbox.ingest.parser import parse_message
from inbox.ingest.store import stable_message_id
from inbox.mailboxes.models import EmailAccount, FolderSyncStatus, MailboxProvider, MailboxStatus, MailboxSyncState
from inbox.settings import GmailSettings, IngestSettings, Settings
from inbox.threads.models import Direction, Email, InboxStatus
from tests.factories import Member
from tests.ingest import corpus
from tests.ingest.factories import message
from tests.ingest.fake_gmail import FakeGmail

ADDRESS = "rep@ourco.example"
TOPIC = "projects/inbox-test/topics/gmail"


def corpus_messages() -> list[bytes]:
    """Every raw RFC 5322 message of the shared corpus."""
    return [entry.data for entry in corpus.corpus_messages()]


@pytest.fixture
def fake() -> Iterator[FakeGmail]:
    with FakeGmail(email_address=ADDRESS) as server:
        yield server


@pytest.fixture
def gmail_settings(settings: Settings, fake: FakeGmail) -> Settings:
    return settings.model_copy(
        update={
            "gmail": GmailSettings(
                api_base_url=fake.base_url,
                token_url=fake.token_url,
                client_id=fake.state.client_id,
                client_secret=SecretStr(fake.state.client_secret),
            ),
            "ingest": IngestSettings(initial_days=30, batch_size=10),
        }
    )


@pytest.fixture
def blobs(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


@pytest.fixture
async def mailbox(
    session: AsyncSession, gmail_settings: Settings, team: dict[Role, Member], fake: FakeGmail
) -> EmailAccount:
    rep = team[Role.SALES_REP]
    account = EmailAccount(
        workspace_id=rep.workspace_id, user_id=rep.user.id, email_address=ADDRESS, provider=MailboxProvider.GMAIL
    )
    tokens = GoogleTokens(
        access_token=fake.issue_access_token(),
        refresh_token=fake.issue_refresh_token(),
        expires_at=datetime.now(UTC) + timedelta(hours=1),
        scope="https://www.googleapis.com/auth/gmail.modify",
    )
    store_tokens(account, tokens, SecretBox.from_settings(gmail_settings))
    session.add(account)
    await session.commit()
    return account


class Sync:
    """Runs syncs and collects what they hand to triage."""

    def __init__(self, db: Database, settings: Settings, blobs: LocalBlobStore, account: EmailAccount) -> None:
        self.db, self.settings, self.blobs, self.account = db, settings, blobs, account
        self.triaged: list[uuid.UUID] = []

    async def __call__(self, settings: Settings | None = None) -> GmailSyncReport:
        return await sync_gmail_mailbox(
            self.db, self.account.id, settings or self.settings, blobs=self.blobs, on_stored=self.triaged.extend
        )


@pytest.fixture
def sync(db: Database, gmail_settings: Settings, blobs: LocalBlobStore, mailbox: EmailAccount) -> Sync:
    return Sync(db, gmail_settings, blobs, mailbox)


async def stored(db: Database, account: EmailAccount) -> list[Email]:
    async with db.sessionmaker() as session:
        query = sa.select(Email).where(Email.email_account_id == account.id)
        return list(await session.scalars(query))


async def reload(db: Database, account: EmailAccount) -> tuple[EmailAccount, MailboxSyncState | None]:
    async with db.sessionmaker() as session:
        fresh = await session.get(EmailAccount, account.id)
        assert fresh is not None
        state = await session.scalar(sa.select(MailboxSyncState).where(MailboxSyncState.email_account_id == account.id))
        return fresh, state


def deliver(fake: FakeGmail, count: int, **kwargs: object) -> list[str]:
    return [
        fake.add_message(message(subject=f"Question {n}", sender=f"Buyer {n} <buyer{n}@acme-{n}.example>"), **kwargs)  # type: ignore[arg-type]
        for n in range(count)
    ]


async def test_initial_sync_stores_every_corpus_message_once(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount
) -> None:
    raws = corpus_messages()
    assert len(raws) > 300
    now = datetime.now(UTC)
    ids = [fake.add_message(raw, received_at=now - timedelta(minutes=n)) for n, raw in enumerate(raws)]
    old = fake.add_message(message(subject="From last year"), received_at=now - timedelta(days=90))
    history_before_listing = fake.state.history_id

    report = await sync()

    # The store keeps one email per Message-ID (or per content, for mail without one).
    keys = {parse_message(raw).message_id or stable_message_id(raw) for raw in raws}
    rows = await stored(db, mailbox)
    assert report.mode is SyncMode.INITIAL
    assert report.fetched == len(raws)
    assert report.stored == len(rows) == len(keys)
    assert report.duplicates == len(raws) - len(keys)
    gmail_ids = [row.gmail_message_id for row in rows]
    assert len(set(gmail_ids)) == len(gmail_ids)
    assert set(gmail_ids) <= set(ids)
    assert old not in gmail_ids  # outside the initial window
    assert sorted(sync.triaged) == sorted(row.id for row in rows if row.direction == Direction.INBOUND)
    _, state = await reload(db, mailbox)
    assert state is not None
    assert state.folder == "gmail"
    assert state.gmail_history_id == str(history_before_listing)
    assert state.status == FolderSyncStatus.POLL
    # Pages of at most batch_size, newest first.
    listings = fake.calls("/messages")
    assert len(listings) == -(-len(raws) // 10)
    assert all(call.query["maxResults"] == ["10"] for call in listings)

    again = await sync()
    assert again.mode is SyncMode.INCREMENTAL
    assert again.stored == 0
    assert again.fetched == 0
    assert len(await stored(db, mailbox)) == len(rows)


async def test_labels_give_direction_and_read_state_and_skip_drafts(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount
) -> None:
    unread = fake.add_message(message(subject="Unread"), labels=["INBOX", "UNREAD"])
    read = fake.add_message(message(subject="Read"), labels=["INBOX"])
    sent = fake.add_message(message(subject="Our offer", sender=ADDRESS, to="jane@acme-corp.example"), labels=["SENT"])
    draft = fake.add_message(message(subject="Unfinished", sender=ADDRESS), labels=["DRAFT"])

    report = await sync()

    rows = {row.gmail_message_id: row for row in await stored(db, mailbox)}
    assert set(rows) == {unread, read, sent}
    assert draft not in rows
    assert report.skipped == 1
    assert rows[unread].inbox_status == InboxStatus.UNREAD
    assert rows[read].inbox_status == InboxStatus.READ
    assert rows[sent].direction == Direction.OUTBOUND
    assert sorted(sync.triaged) == sorted([rows[unread].id, rows[read].id])


async def test_incremental_sync_stores_exactly_the_new_message(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount
) -> None:
    deliver(fake, 3)
    await sync()
    _, state = await reload(db, mailbox)
    assert state is not None
    previous = state.gmail_history_id
    listings = len(fake.calls("/messages"))
    sync.triaged.clear()

    new = fake.add_message(message(subject="A new question"))
    fake.add_message(message(subject="Buy now"), labels=["SPAM"])
    vanished = fake.add_message(message(subject="Deleted at once"))
    fake.delete_message(vanished)

    report = await sync()

    assert report.mode is SyncMode.INCREMENTAL
    assert report.stored == 1
    assert report.gone == 1  # named by history, 404 on messages.get: skipped
    assert report.skipped == 1
    assert len(fake.calls("/messages")) == listings  # no listing: history only
    rows = await stored(db, mailbox)
    assert len(rows) == 4
    (fresh,) = [row for row in rows if row.gmail_message_id == new]
    assert sync.triaged == [fresh.id]
    _, state = await reload(db, mailbox)
    assert state is not None and state.gmail_history_id == str(fake.state.history_id)
    assert fake.calls("/history")[-1].query["startHistoryId"] == [previous]


async def test_incremental_sync_pages_history_in_batches(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount, gmail_settings: Settings
) -> None:
    await sync()  # an empty mailbox: only the historyId
    deliver(fake, 25)

    report = await sync(gmail_settings.model_copy(update={"ingest": IngestSettings(batch_size=4)}))

    assert report.mode is SyncMode.INCREMENTAL
    assert report.stored == 25
    assert len(await stored(db, mailbox)) == 25


async def test_expired_history_id_triggers_a_full_resync_without_duplicates(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount
) -> None:
    deliver(fake, 12)
    first = await sync()
    assert first.stored == 12
    new = fake.add_message(message(subject="While we were away"))
    fake.expire_history()

    report = await sync()

    assert fake.calls("/history")[-1].status == 404
    assert report.mode is SyncMode.RESYNC
    assert report.stored == 1
    assert report.duplicates == 12
    assert report.fetched == 1  # the stored twelve are listed, not downloaded again
    rows = await stored(db, mailbox)
    assert len(rows) == 13
    assert new in {row.gmail_message_id for row in rows}
    _, state = await reload(db, mailbox)
    assert state is not None and state.gmail_history_id == str(fake.state.history_id)
    assert (await sync()).mode is SyncMode.INCREMENTAL


async def test_rate_limit_is_waited_out_as_retry_after_says(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount
) -> None:
    deliver(fake, 2)
    retry_at = datetime.now(UTC) + timedelta(seconds=2)
    fake.fail_next(1, retry_after="1")
    fake.fail_next(1, retry_after=format_datetime(retry_at, usegmt=True))

    report = await sync()

    assert report.stored == 2
    calls = fake.calls()
    assert [call.status for call in calls[:3]] == [429, 429, 200]
    assert calls[1].at - calls[0].at >= 0.95  # Retry-After: 1
    # Retry-After as an HTTP date, which has whole seconds: not before that second.
    assert calls[2].at >= int(retry_at.timestamp()) - 0.05


async def test_rate_limit_that_does_not_pass_fails_the_sync_and_is_recorded(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount
) -> None:
    await sync()
    fake.fail_next(50, retry_after="0")

    with pytest.raises(GmailApiError, match="429"):
        await sync()

    assert sum(1 for call in fake.calls("/history") if call.status == 429) == 5  # capped attempts
    account, state = await reload(db, mailbox)
    assert state is not None and state.status == FolderSyncStatus.ERROR
    assert state.last_error and "429" in state.last_error
    assert account.status == MailboxStatus.ACTIVE  # may pass: the worker retries


async def test_fetches_run_concurrently_within_a_bound(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount, gmail_settings: Settings
) -> None:
    deliver(fake, 40)
    fake.latency = 0.02

    report = await sync(gmail_settings.model_copy(update={"ingest": IngestSettings(batch_size=40)}))

    assert report.stored == 40
    assert 2 <= fake.state.max_in_flight <= 8


async def test_expired_access_token_is_refreshed_and_stored_encrypted(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount, gmail_settings: Settings
) -> None:
    deliver(fake, 1)
    box = SecretBox.from_settings(gmail_settings)
    before = load_tokens(mailbox, box)
    assert before is not None and before.refresh_token is not None
    fake.expire_access_tokens()  # Google's clock disagrees with the stored expires_at

    report = await sync()

    assert report.stored == 1
    assert [call.status for call in fake.calls()[:3]] == [401, 200, 200]  # profile refused, token, profile again
    assert fake.calls()[1].path == "/token"
    account, _ = await reload(db, mailbox)
    after = load_tokens(account, box)
    assert after is not None
    assert after.access_token != before.access_token
    assert fake.state.access_tokens[after.access_token] > datetime.now(UTC).timestamp()
    assert after.refresh_token == before.refresh_token
    assert after.expires_at is not None and after.expires_at > datetime.now(UTC) + timedelta(minutes=50)
    async with db.sessionmaker() as session:
        column = await session.scalar(
            sa.select(EmailAccount.encrypted_oauth_tokens).where(EmailAccount.id == account.id)
        )
    assert isinstance(column, str)
    assert after.access_token not in column and before.refresh_token not in column
    assert json.loads(box.decrypt(column))["access_token"] == after.access_token


async def test_access_token_expiring_soon_is_refreshed_before_the_first_call(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount, gmail_settings: Settings
) -> None:
    box = SecretBox.from_settings(gmail_settings)
    async with db.transaction() as session:
        account = await session.get(EmailAccount, mailbox.id)
        assert account is not None
        tokens = load_tokens(account, box)
        assert tokens is not None
        store_tokens(account, GoogleTokens(tokens.access_token, tokens.refresh_token, datetime.now(UTC)), box)

    await sync()

    assert fake.calls()[0].path == "/token"
    assert all(call.status != 401 for call in fake.calls())


async def test_revoked_refresh_token_marks_the_mailbox_in_error_once(
    sync: Sync,
    fake: FakeGmail,
    db: Database,
    mailbox: EmailAccount,
    gmail_settings: Settings,
    client: httpx.AsyncClient,
    team: dict[Role, Member],
) -> None:
    tokens = load_tokens(mailbox, SecretBox.from_settings(gmail_settings))
    assert tokens is not None and tokens.refresh_token is not None
    fake.revoke(tokens.refresh_token)

    report = await sync()

    assert report.error is not None and "invalid_grant" in report.error
    assert len(fake.calls("/token")) == 1  # no loop
    response = await client.get(f"/api/email-accounts/{mailbox.id}", headers=team[Role.ADMIN].headers)
    assert response.status_code == 200
    assert response.json()["status"] == "error"
    assert "invalid_grant" in response.json()["last_error"]
    assert "connect the mailbox again" in response.json()["last_error"]

    again = await sync()
    assert again.mode is SyncMode.SKIPPED
    assert len(fake.calls("/token")) == 1
    assert len(fake.calls()) == 2  # the refused profile call and the token request, nothing since


async def test_watch_is_renewed_when_it_expires_within_a_day(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount, gmail_settings: Settings
) -> None:
    with_topic = gmail_settings.model_copy(
        update={"gmail": gmail_settings.gmail.model_copy(update={"pubsub_topic": TOPIC})}
    )
    async with db.transaction() as session:
        account = await session.get(EmailAccount, mailbox.id)
        assert account is not None
        account.push_expires_at = datetime.now(UTC) + timedelta(hours=20)

    report = await sync(with_topic)

    assert report.watch_renewed
    assert fake.state.watches == [{"topicName": TOPIC, "labelIds": ["INBOX", "SENT"], "labelFilterBehavior": "include"}]
    account, _ = await reload(db, mailbox)
    assert account.push_expires_at is not None
    assert timedelta(days=6) < account.push_expires_at - datetime.now(UTC) <= timedelta(days=7)

    again = await sync(with_topic)  # a week ahead: nothing to do
    assert not again.watch_renewed
    assert len(fake.state.watches) == 1


async def test_no_watch_without_a_topic(sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount) -> None:
    report = await sync()
    assert not report.watch_renewed
    assert fake.calls("/watch") == []


async def test_interrupted_initial_sync_resumes_without_downloading_again(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount
) -> None:
    deliver(fake, 25)
    # profile, page 1, 10 gets, page 2, 3 gets: then Gmail fails for good.
    fake.fail_next(100, status=503, retry_after="0", after=16)

    with pytest.raises(GmailApiError, match="503"):
        await sync()

    assert len(await stored(db, mailbox)) == 10  # the first batch was committed
    _, state = await reload(db, mailbox)
    assert state is not None
    assert state.gmail_history_id is None  # not reached: the next sync is initial again
    assert state.status == FolderSyncStatus.ERROR
    fake.state.failures.clear()

    report = await sync()

    assert report.mode is SyncMode.INITIAL
    assert report.fetched == 15
    assert report.duplicates == 10
    assert len(await stored(db, mailbox)) == 25
    _, state = await reload(db, mailbox)
    assert state is not None and state.gmail_history_id is not None and state.status == FolderSyncStatus.POLL
    assert state.last_error is None


async def test_access_denied_by_scope_marks_the_mailbox_in_error(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount
) -> None:
    fake.fail_next(1, status=403, retry_after=None, reason="insufficientPermissions")

    report = await sync()

    assert report.error is not None and "insufficient authentication scopes" in report.error
    assert len(fake.calls()) == 1  # not retried
    account, _ = await reload(db, mailbox)
    assert account.status == MailboxStatus.ERROR
    assert account.last_error == report.error


async def test_a_failing_watch_leaves_the_sync_standing(
    sync: Sync, fake: FakeGmail, db: Database, mailbox: EmailAccount, gmail_settings: Settings
) -> None:
    deliver(fake, 1)
    bad_topic = gmail_settings.model_copy(
        update={"gmail": gmail_settings.gmail.model_copy(update={"pubsub_topic": "not-a-topic"})}
    )

    report = await sync(bad_topic)

    assert report.stored == 1
    assert not report.watch_renewed
    assert report.watch_error is not None and "topicName" in report.watch_error
    account, _ = await reload(db, mailbox)
    assert account.push_expires_at is None
    assert account.status == MailboxStatus.ACTIVE


async def test_the_ingest_process_syncs_a_gmail_mailbox_and_keeps_polling(
    db: Database, gmail_settings: Settings, blobs: LocalBlobStore, mailbox: EmailAccount, fake: FakeGmail
) -> None:
    from inbox.ingest.runner import run_gmail_mailbox

    settings = gmail_settings.model_copy(
        update={"ingest": gmail_settings.ingest.model_copy(update={"gmail_poll_seconds": 0.3})}
    )
    deliver(fake, 2)
    stop = threading.Event()
    stored_ids: list[uuid.UUID] = []
    arrived = asyncio.Event()

    def on_stored(ids: list[uuid.UUID]) -> None:
        stored_ids.extend(ids)
        if len(stored_ids) >= 3:
            arrived.set()

    task = asyncio.create_task(run_gmail_mailbox(db, mailbox.id, settings, blobs=blobs, stop=stop, on_stored=on_stored))
    try:
        await asyncio.sleep(0.5)
        fake.add_message(message(subject="Later", sender="late@acme-late.example"))  # no push: found by polling
        await asyncio.wait_for(arrived.wait(), timeout=10)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert len(stored_ids) == 3
    assert len(await stored(db, mailbox)) == 3
