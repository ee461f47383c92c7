"""Gmail ingestion through its REST API: initial sync, history, push notifications.

A mailbox has one ``mailbox_sync_state`` row (folder ``"gmail"``) holding the
Gmail historyId it has been read up to:

- no historyId: the initial sync lists the last ``initial_days`` of mail
  (``messages.list``, newest first). The historyId is read from the profile
  *before* listing, so a message that arrives meanwhile is found again by the
  next incremental sync instead of falling in the gap;
- a historyId: ``history.list`` from it returns the messages added since;
- a historyId Gmail no longer keeps (404): a full resync, which the store's
  dedupe on Message-ID makes safe.

Messages are fetched concurrently (``format=raw``) outside any transaction;
each batch is stored in one transaction together with the historyId it
reached, and its new inbound emails go to ``on_stored`` (the worker enqueues
triage) after that commit. A sync that dies half way resumes from the last
committed batch, and a message the mailbox already stored is not downloaded
again, so resuming (or a resync) costs a listing, not a download. Drafts,
spam, trash and chats are not mail the team received or sent: skipped.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import email.utils
import hmac
import logging
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import httpx
import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic.alias_generators import to_camel
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.db import Database, utcnow
from inbox.core.errors import InboxError
from inbox.core.secrets import SecretBox
from inbox.ingest.blobs import BlobStore
from inbox.ingest.oauth import MailboxCredentials, OAuthError, RefreshTokenRevoked, load_tokens
from inbox.ingest.store import ingest_messages
from inbox.ingest.types import IncomingMessage
from inbox.ingest.webhooks import MalformedPayload, SignatureMissing, TokenInvalid, WebhookNotConfigured
from inbox.mailboxes.models import EmailAccount, FolderSyncStatus, MailboxProvider, MailboxStatus, MailboxSyncState
from inbox.settings import Settings
from inbox.threads.models import Email

logger = logging.getLogger(__name__)

STATE_FOLDER = "gmail"
SKIPPED_LABELS = frozenset({"DRAFT", "SPAM", "TRASH", "CHAT"})
# users.watch: notify on new mail in these labels only (not on every read or label change).
WATCH_LABELS = ("INBOX", "SENT")
WATCH_RENEW_BEFORE = timedelta(days=1)
# A resync after an expired historyId reaches back to the last sync, with this margin.
RESYNC_MARGIN = timedelta(days=1)
MAX_PAGE_SIZE = 500  # Gmail's largest maxResults
FETCH_CONCURRENCY = 8
RETRY_ATTEMPTS = 5
RETRY_MAX_DELAY = 60.0
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded"})

# Called with the new inbound email ids after each committed batch (the worker passes enqueue_triage;
# ``inbox`` does not import ``workers``).
OnStored = Callable[[list[uuid.UUID]], None]


# --- Errors -------------------------------------------------------------------------------------------------------


class GmailApiError(InboxError):
    """Gmail answered with an error that retrying did not cure (or that no retry cures)."""

    status_code = 502
    code = "GMAIL_API_ERROR"

    def __init__(self, message: str, *, http_status: int | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.reason = reason


class GmailAccessDenied(GmailApiError):
    """401 with a freshly refreshed token, or a 403 that is not a rate limit: the grant lacks
    Gmail access (scope, or Gmail disabled for the account). Only the user can fix it."""


class HistoryTooOld(GmailApiError):
    """history.list answered 404: Gmail no longer keeps history from that startHistoryId."""


class MessageGone(GmailApiError):
    """messages.get answered 404: the message was deleted after it was listed."""


# --- Gmail's JSON ---------------------------------------------------------------------------------------------------


class _Wire(BaseModel):
    # Gmail writes camelCase and sends int64 values as JSON strings (pydantic converts them).
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class MessageRef(_Wire):
    id: str
    thread_id: str | None = None
    label_ids: tuple[str, ...] = ()


class MessagePage(_Wire):
    messages: list[MessageRef] = Field(default_factory=list)
    next_page_token: str | None = None


class AddedMessage(_Wire):
    message: MessageRef


class HistoryRecord(_Wire):
    id: int
    messages_added: list[AddedMessage] = Field(default_factory=list)


class HistoryPage(_Wire):
    history: list[HistoryRecord] = Field(default_factory=list)
    next_page_token: str | None = None
    history_id: int


class Profile(_Wire):
    email_address: str
    history_id: int


class WatchResponse(_Wire):
    history_id: int
    expiration: int  # milliseconds since the epoch

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expiration / 1000, UTC)


class _RawMessage(_Wire):
    id: str
    thread_id: str | None = None
    label_ids: tuple[str, ...] = ()
    internal_date: int | None = None
    history_id: int | None = None
    raw: str


@dataclass(frozen=True, slots=True)
class GmailMessage:
    id: str
    thread_id: str | None
    label_ids: frozenset[str]
    received_at: datetime | None
    history_id: int | None
    raw: bytes

    def incoming(self) -> IncomingMessage:
        return IncomingMessage(
            raw=self.raw,
            gmail_message_id=self.id,
            gmail_thread_id=self.thread_id,
            received_at=self.received_at,
            outbound="SENT" in self.label_ids,
            seen="UNREAD" not in self.label_ids,
        )


def _decode_base64url(data: str) -> bytes:
    """Gmail's base64url, with or without its padding."""
    return base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))


# --- The client -----------------------------------------------------------------------------------------------------


class GmailClient:
    """The calls a sync makes, over one ``httpx.AsyncClient`` whose base URL is ``gmail.api_base_url``.

    429, 5xx and Gmail's 403 rate-limit answers are retried with backoff that
    honours ``Retry-After`` (capped at ``max_retry_delay``); a 401 refreshes the
    access token once and retries.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        credentials: MailboxCredentials,
        *,
        max_attempts: int = RETRY_ATTEMPTS,
        max_retry_delay: float = RETRY_MAX_DELAY,
        concurrency: int = FETCH_CONCURRENCY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = http
        self._credentials = credentials
        self._max_attempts = max_attempts
        self._max_retry_delay = max_retry_delay
        self._concurrency = concurrency
        self._sleep = sleep

    async def get_profile(self) -> Profile:
        return Profile.model_validate(await self._call("GET", "users/me/profile"))

    async def list_messages(self, query: str, page_token: str | None = None, *, page_size: int = 100) -> MessagePage:
        params: dict[str, str | int] = {"q": query, "maxResults": min(page_size, MAX_PAGE_SIZE)}
        if page_token:
            params["pageToken"] = page_token
        return MessagePage.model_validate(await self._call("GET", "users/me/messages", params=params))

    async def iter_messages(self, query: str, *, page_size: int = 100) -> AsyncIterator[MessageRef]:
        """Every message matching ``query``, newest first, across all pages."""
        page_token: str | None = None
        while True:
            page = await self.list_messages(query, page_token, page_size=page_size)
            for message in page.messages:
                yield message
            if not page.next_page_token:
                return
            page_token = page.next_page_token

    async def list_history(self, start_history_id: int, page_token: str | None = None) -> HistoryPage:
        params: dict[str, str | int] = {
            "startHistoryId": start_history_id,
            "historyTypes": "messageAdded",
            "maxResults": MAX_PAGE_SIZE,
        }
        if page_token:
            params["pageToken"] = page_token
        try:
            body = await self._call("GET", "users/me/history", params=params)
        except GmailApiError as exc:
            if exc.http_status == 404:
                raise HistoryTooOld(
                    f"Gmail keeps no history from historyId {start_history_id}", http_status=404, reason=exc.reason
                ) from None
            raise
        return HistoryPage.model_validate(body)

    async def iter_history(self, start_history_id: int) -> AsyncIterator[HistoryPage]:
        page_token: str | None = None
        while True:
            page = await self.list_history(start_history_id, page_token)
            yield page
            if not page.next_page_token:
                return
            page_token = page.next_page_token

    async def get_raw(self, message_id: str) -> GmailMessage:
        try:
            body = await self._call("GET", f"users/me/messages/{message_id}", params={"format": "raw"})
        except GmailApiError as exc:
            if exc.http_status == 404:
                raise MessageGone(f"Gmail message {message_id} no longer exists", http_status=404) from None
            raise
        wire = _RawMessage.model_validate(body)
        try:
            raw = _decode_base64url(wire.raw)
        except (binascii.Error, ValueError):
            raise GmailApiError(f"Gmail sent message {message_id} with a raw field that is not base64url") from None
        return GmailMessage(
            id=wire.id,
            thread_id=wire.thread_id,
            label_ids=frozenset(wire.label_ids),
            received_at=datetime.fromtimestamp(wire.internal_date / 1000, UTC) if wire.internal_date else None,
            history_id=wire.history_id,
            raw=raw,
        )

    async def get_raw_many(self, message_ids: Sequence[str]) -> tuple[list[GmailMessage], int]:
        """The messages in the order asked, a few at a time; returns them and how many were gone."""
        limit = asyncio.Semaphore(self._concurrency)

        async def fetch(message_id: str) -> GmailMessage | None:
            async with limit:
                try:
                    return await self.get_raw(message_id)
                except MessageGone:
                    return None

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(fetch(message_id)) for message_id in message_ids]
        except BaseExceptionGroup as failed:
            # The first failure (the others were cancelled), as a call made one by one would raise it.
            raise failed.exceptions[0] from None
        found = [message for task in tasks if (message := task.result()) is not None]
        return found, len(message_ids) - len(found)

    async def watch(self, topic: str, label_ids: Sequence[str] = WATCH_LABELS) -> WatchResponse:
        body = {"topicName": topic, "labelIds": list(label_ids), "labelFilterBehavior": "include"}
        return WatchResponse.model_validate(await self._call("POST", "users/me/watch", json=body))

    async def stop(self) -> None:
        await self._call("POST", "users/me/stop")

    async def _call(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json: Any = None
    ) -> dict[str, Any]:
        url = f"gmail/v1/{path}"
        attempt = 0
        refreshed = False
        while True:
            token = await self._credentials.access_token()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            try:
                response = await self._http.request(method, url, params=params, json=json, headers=headers)
            except httpx.TransportError as exc:
                attempt += 1
                if attempt >= self._max_attempts:
                    raise GmailApiError(f"Gmail could not be reached: {type(exc).__name__}") from None
                await self._sleep(self._backoff(attempt))
                continue
            if response.status_code == 401 and not refreshed:
                refreshed = True
                await self._credentials.refresh(token)
                continue
            if response.is_success:
                return _json_object(response)
            error = _error_of(response)
            attempt += 1
            if _retryable(response.status_code, error.reason):
                if attempt < self._max_attempts:
                    await self._sleep(self._retry_delay(response, attempt))
                    continue
            elif response.status_code in (401, 403):
                raise GmailAccessDenied(error.message, http_status=response.status_code, reason=error.reason)
            raise error

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float:
        after = _retry_after_seconds(response.headers.get("retry-after"), utcnow())
        return min(after, self._max_retry_delay) if after is not None else self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._max_retry_delay, 2.0 ** (attempt - 1))
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not a secret


def _retryable(status: int, reason: str | None) -> bool:
    return status == 429 or status >= 500 or (status == 403 and reason in _RATE_LIMIT_REASONS)


def _retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def _json_object(response: httpx.Response) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        raise GmailApiError("Gmail answered with a body that is not JSON", http_status=response.status_code) from None
    if not isinstance(body, dict):
        raise GmailApiError("Gmail answered with JSON that is not an object", http_status=response.status_code)
    return body


def _error_of(response: httpx.Response) -> GmailApiError:
    """Google's error body: ``{"error": {"code", "message", "errors": [{"reason"}], "status"}}``."""
    message, reason = response.reason_phrase, None
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = str(error.get("message") or message)
        details = error.get("errors")
        if isinstance(details, list) and details and isinstance(details[0], dict):
            reason = details[0].get("reason")
        reason = reason or error.get("status")
    return GmailApiError(
        f"Gmail answered {response.status_code}: {message}", http_status=response.status_code, reason=reason
    )


# --- The sync -------------------------------------------------------------------------------------------------------


class SyncMode(StrEnum):
    INITIAL = "initial"
    INCREMENTAL = "incremental"
    RESYNC = "resync"
    SKIPPED = "skipped"


@dataclass(slots=True)
class GmailSyncReport:
    account_id: uuid.UUID
    mode: SyncMode = SyncMode.SKIPPED
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    gone: int = 0  # listed, then deleted before it could be fetched
    skipped: int = 0  # drafts, spam, trash, chats
    history_id: int | None = None
    watch_renewed: bool = False
    watch_error: str | None = None
    error: str | None = None


class _MailboxVanished(Exception):
    """The mailbox was deleted while it was being synced."""


async def sync_gmail_mailbox(
    database: Database,
    account_id: uuid.UUID,
    settings: Settings,
    *,
    blobs: BlobStore,
    on_stored: OnStored | None = None,
) -> GmailSyncReport:
    """Bring one Gmail mailbox up to date; safe to run again at any time.

    A mailbox that cannot be synced until a person acts (revoked access, no
    tokens, paused) is reported, not raised, so a worker does not retry it;
    a Gmail or token-endpoint failure that may pass is recorded on the sync
    state and raised, so the worker retries with backoff.
    """
    report = GmailSyncReport(account_id=account_id)
    box = SecretBox.from_settings(settings)
    async with database.transaction() as session:
        account = await session.get(EmailAccount, account_id)
        reason = _not_syncable(account)
        if account is None or reason is not None:
            report.error = reason
            return report
        tokens = load_tokens(account, box)
        if tokens is None:
            account.status = MailboxStatus.ERROR
            account.last_error = report.error = "the mailbox has no OAuth tokens: connect it again"
            return report
        state = await _sync_state(session, account)
        start_history_id = int(state.gmail_history_id) if state.gmail_history_id else None
        last_synced_at = state.last_synced_at
        push_expires_at = account.push_expires_at

    timeout = settings.gmail.timeout_seconds
    async with httpx.AsyncClient(base_url=settings.gmail.api_base_url, timeout=timeout) as http:
        credentials = MailboxCredentials(database, account_id, tokens, http=http, settings=settings.gmail, box=box)
        sync = _Sync(database, account_id, GmailClient(http, credentials), settings, blobs, report, on_stored)
        try:
            if start_history_id is None:
                await sync.full(SyncMode.INITIAL, since=utcnow() - timedelta(days=settings.ingest.initial_days))
            else:
                try:
                    await sync.incremental(start_history_id)
                except HistoryTooOld:
                    logger.info("Gmail history of mailbox %s expired: full resync", account_id)
                    await sync.full(SyncMode.RESYNC, since=_resync_since(settings, last_synced_at))
            await sync.renew_watch_if_due(push_expires_at)
        except RefreshTokenRevoked as exc:
            report.error = exc.message  # the credentials marked the mailbox
        except GmailAccessDenied as exc:
            report.error = f"{exc.message}: connect the mailbox again and allow access to Gmail"
            await _mark_mailbox_error(database, account_id, report.error)
        except _MailboxVanished:
            report.error = "the mailbox was deleted during the sync"
        except (GmailApiError, OAuthError) as exc:
            await _record_failure(database, account_id, exc.message)
            raise
    return report


def _not_syncable(account: EmailAccount | None) -> str | None:
    if account is None:
        return "the mailbox does not exist"
    if account.provider != MailboxProvider.GMAIL:
        return f"the mailbox is a {account.provider.value} mailbox, not a Gmail one"
    if not account.is_active or account.status != MailboxStatus.ACTIVE:
        return f"the mailbox is not active (status {account.status.value})"
    return None


def _resync_since(settings: Settings, last_synced_at: datetime | None) -> datetime:
    """The initial window, or back to the last sync when that is older (mail of the gap is not lost)."""
    window = utcnow() - timedelta(days=settings.ingest.initial_days)
    if last_synced_at is None:
        return window
    return min(window, last_synced_at - RESYNC_MARGIN)


class _Sync:
    def __init__(
        self,
        database: Database,
        account_id: uuid.UUID,
        client: GmailClient,
        settings: Settings,
        blobs: BlobStore,
        report: GmailSyncReport,
        on_stored: OnStored | None,
    ) -> None:
        self.database = database
        self.account_id = account_id
        self.client = client
        self.settings = settings
        self.blobs = blobs
        self.report = report
        self.on_stored = on_stored
        self.batch_size = settings.ingest.batch_size

    async def full(self, mode: SyncMode, *, since: datetime) -> None:
        self.report.mode = mode
        profile = await self.client.get_profile()  # before listing: nothing falls in the gap
        status = FolderSyncStatus.INITIAL if mode is SyncMode.INITIAL else FolderSyncStatus.RESYNC
        batch: list[str] = []
        async for message in self.client.iter_messages(f"after:{int(since.timestamp())}", page_size=self.batch_size):
            batch.append(message.id)
            if len(batch) >= self.batch_size:
                await self._store(batch, history_id=None, status=status)
                batch = []
        await self._store(batch, history_id=profile.history_id, status=FolderSyncStatus.POLL)

    async def incremental(self, start_history_id: int) -> None:
        self.report.mode = SyncMode.INCREMENTAL
        pending: list[str] = []
        seen: set[str] = set()
        reached = start_history_id
        async for page in self.client.iter_history(start_history_id):
            for record in page.history:
                for added in record.messages_added:
                    message = added.message
                    if SKIPPED_LABELS.intersection(message.label_ids):
                        self.report.skipped += 1
                    elif message.id not in seen:
                        seen.add(message.id)
                        pending.append(message.id)
                # Batches end on a whole record, so the historyId stored with one is fully read.
                if len(pending) >= self.batch_size:
                    await self._store(pending, history_id=record.id, status=FolderSyncStatus.POLL)
                    pending = []
            reached = max(reached, page.history_id)
        await self._store(pending, history_id=reached, status=FolderSyncStatus.POLL)

    async def _store(self, message_ids: list[str], *, history_id: int | None, status: FolderSyncStatus) -> None:
        """Fetch ``message_ids`` and store them in one transaction with the historyId they reach."""
        known = await self._already_stored(message_ids)
        self.report.duplicates += len(known)
        fetched, gone = await self.client.get_raw_many([i for i in message_ids if i not in known])
        wanted = [message.incoming() for message in fetched if not SKIPPED_LABELS & message.label_ids]
        self.report.fetched += len(fetched)
        self.report.gone += gone
        self.report.skipped += len(fetched) - len(wanted)
        now = utcnow()
        async with self.database.transaction() as session:
            # The state row first: two syncs of one mailbox commit one after the other.
            state = await _locked_state(session, self.account_id)
            account = await session.get(EmailAccount, self.account_id)
            if account is None or state is None:
                raise _MailboxVanished
            triage: list[uuid.UUID] = []
            if wanted:
                result = await ingest_messages(session, account, wanted, blobs=self.blobs)
                self.report.stored += len(result.stored)
                self.report.duplicates += result.duplicates
                triage = result.triage
            if history_id is not None:
                if state.gmail_history_id is None or history_id > int(state.gmail_history_id):
                    state.gmail_history_id = str(history_id)
                self.report.history_id = int(state.gmail_history_id)
            state.status = status
            state.last_synced_at = now
            state.last_error = None
            account.last_synced_at = now
        if triage and self.on_stored is not None:
            self.on_stored(triage)

    async def _already_stored(self, message_ids: list[str]) -> set[str]:
        """Messages of this mailbox stored before: not downloaded again (a resync, or an
        initial sync resumed after it was interrupted, costs a listing, not a download)."""
        if not message_ids:
            return set()
        async with self.database.sessionmaker() as session:
            found = await session.scalars(
                sa.select(Email.gmail_message_id).where(
                    Email.email_account_id == self.account_id, Email.gmail_message_id.in_(message_ids)
                )
            )
            return {message_id for message_id in found if message_id is not None}

    async def renew_watch_if_due(self, expires_at: datetime | None) -> None:
        topic = self.settings.gmail.pubsub_topic
        if topic is None or (expires_at is not None and expires_at - utcnow() > WATCH_RENEW_BEFORE):
            return
        try:
            watch = await self.client.watch(topic)
        except GmailApiError as exc:
            # Often the topic's setup (Gmail may not publish to it), not the mailbox: the sync stands,
            # polling still finds new mail, and the next sync tries again.
            logger.warning("users.watch failed for Gmail mailbox %s: %s", self.account_id, exc.message)
            self.report.watch_error = exc.message
            return
        async with self.database.transaction() as session:
            account = await session.get(EmailAccount, self.account_id)
            if account is None:
                raise _MailboxVanished
            account.push_expires_at = watch.expires_at
        self.report.watch_renewed = True


def _insert(session: AsyncSession) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(MailboxSyncState)
    return sqlite.insert(MailboxSyncState)


async def _sync_state(session: AsyncSession, account: EmailAccount) -> MailboxSyncState:
    """The mailbox's one state row, created on first use (two first syncs racing make one)."""
    await session.execute(
        _insert(session)
        .values(id=uuid.uuid4(), workspace_id=account.workspace_id, email_account_id=account.id, folder=STATE_FOLDER)
        .on_conflict_do_nothing(index_elements=["email_account_id", "folder"])
    )
    state = await _locked_state(session, account.id, lock=False)
    if state is None:  # pragma: no cover - just inserted or already there
        raise _MailboxVanished
    return state


async def _locked_state(session: AsyncSession, account_id: uuid.UUID, *, lock: bool = True) -> MailboxSyncState | None:
    stmt = sa.select(MailboxSyncState).where(
        MailboxSyncState.email_account_id == account_id, MailboxSyncState.folder == STATE_FOLDER
    )
    if lock:
        stmt = stmt.with_for_update()
    result: MailboxSyncState | None = (await session.execute(stmt)).scalar_one_or_none()
    return result


async def _mark_mailbox_error(database: Database, account_id: uuid.UUID, message: str) -> None:
    async with database.transaction() as session:
        account = await session.get(EmailAccount, account_id)
        if account is not None:
            account.status = MailboxStatus.ERROR
            account.last_error = message
    logger.warning("Gmail mailbox %s needs reconnecting: %s", account_id, message)


async def _record_failure(database: Database, account_id: uuid.UUID, message: str) -> None:
    async with database.transaction() as session:
        state = await _locked_state(session, account_id)
        if state is not None:
            state.status = FolderSyncStatus.ERROR
            state.last_error = message


# --- Push notifications ---------------------------------------------------------------------------------------------


class _PubSubMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    data: str = Field(min_length=1, max_length=10_000)
    message_id: str | None = Field(default=None, alias="messageId")


class _PushEnvelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    message: _PubSubMessage
    subscription: str | None = None


class GmailPushNotification(BaseModel):
    """What Gmail publishes: the mailbox and its historyId after the change."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    email_address: str = Field(alias="emailAddress", min_length=3, max_length=320)
    history_id: int = Field(alias="historyId", ge=1)


def check_push_token(settings: Settings, given: str | None) -> None:
    """The secret of the push URL, compared in constant time (401 missing, 403 wrong, 503 not configured)."""
    expected = settings.gmail.push_token
    if expected is None or not expected.get_secret_value():
        raise WebhookNotConfigured("Gmail push is not configured on this server: set INBOX_GMAIL__PUSH_TOKEN")
    if not given:
        raise SignatureMissing("the push URL must carry the secret: /webhooks/gmail?token=...", field="token")
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise TokenInvalid("the token in the push URL is not this server's Gmail push token", field="token")


def parse_push_notification(body: bytes) -> GmailPushNotification:
    """A Pub/Sub push request body, ``{"message": {"data": base64(JSON)}, "subscription"}``, decoded."""
    try:
        envelope = _PushEnvelope.model_validate_json(body)
    except ValidationError as exc:
        raise MalformedPayload(f"not a Pub/Sub push envelope: {_first_error(exc)}") from None
    try:
        data = base64.b64decode(envelope.message.data, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise MalformedPayload("message.data is not base64", field="message.data") from None
    try:
        return GmailPushNotification.model_validate_json(data)
    except ValidationError as exc:
        raise MalformedPayload(
            f"message.data is not a Gmail notification: {_first_error(exc)}", field="message.data"
        ) from None


def _first_error(exc: ValidationError) -> str:
    error = exc.errors(include_url=False)[0]
    where = ".".join(str(part) for part in error["loc"])
    return f"{where}: {error['msg']}" if where else str(error["msg"])


async def mailboxes_to_sync(session: AsyncSession, notification: GmailPushNotification) -> list[uuid.UUID]:
    """The active Gmail mailboxes of ``emailAddress``, in any workspace, not yet synced up to its historyId.

    Gmail sends a notification per change, often several per message: one
    whose historyId a sync already reached needs no new sync.
    """
    rows = await session.execute(
        sa.select(EmailAccount.id, MailboxSyncState.gmail_history_id)
        .outerjoin(
            MailboxSyncState,
            sa.and_(MailboxSyncState.email_account_id == EmailAccount.id, MailboxSyncState.folder == STATE_FOLDER),
        )
        .where(
            EmailAccount.email_address == notification.email_address.strip().lower(),
            EmailAccount.provider == MailboxProvider.GMAIL,
            EmailAccount.status == MailboxStatus.ACTIVE,
            EmailAccount.is_active.is_(True),
        )
    )
    return [
        row.id for row in rows if row.gmail_history_id is None or int(row.gmail_history_id) < notification.history_id
    ]
