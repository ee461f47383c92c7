"""Approving and sending outbound mail, at most once per email.

An email's ``delivery_status`` is the one truth about its send:

    DRAFT --approve--> QUEUED / SCHEDULED --claim--> SENDING --> SENT
                            ^                          |  \\--> FAILED (5xx, retries spent,
                            +---- transient failure ---+         uncertain delivery)
                                  (backoff) / daily limit (next UTC midnight)

The claim is a conditional UPDATE committed *before* the server is contacted:
of two workers given the same email, one gets the row and the other returns
"skipped". The Message-ID is assigned at approval and stored before any send.

A worker killed after the server accepted the message leaves the row in
SENDING. Nothing in the database can tell whether the server had the message,
and SMTP has no idempotency key, so resending could deliver it twice (many
receiving systems, Outlook among them, do not merge copies by Message-ID).
The recovery (``recover_interrupted``, run by the scheduler) therefore moves a
row left SENDING past the lease to FAILED with a message that says why, and
never resends it on its own; a rep who has checked may approve it again, and
the second attempt reuses the same Message-ID, so clients that do merge by
Message-ID (Gmail) show one copy. The lease is far longer than any attempt
can last (the SMTP timeout and the actor's time limit are minutes), so a live
worker's row is never taken for a dead one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.charset import QP, Charset
from email.header import Header
from email.headerregistry import Address
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, parseaddr
from typing import Literal

import sqlalchemy as sa
from rapidfuzz.distance import Levenshtein
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.actions.models import Action, ActionStatus
from inbox.core.db import Database, utcnow
from inbox.core.errors import Conflict, InvalidInput
from inbox.core.principal import Principal
from inbox.core.repository import aware
from inbox.core.secrets import SecretBox, UndecryptableSecret
from inbox.mailboxes.models import EmailAccount, MailboxProvider
from inbox.sending import repository
from inbox.sending.gmail import GmailSender, gmail_thread_id, store_gmail_message_id
from inbox.sending.smtp import DeliveryError, PermanentFailure, SmtpLogin, SmtpPool, TransientFailure
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus, Direction, Email
from inbox.threads.repository import EmailRepository
from inbox.threads.state import refresh_threads
from inbox.tracking.rewrite import TrackedContent
from inbox.tracking.service import OutboundTracking

MAX_RETRIES = 5  # transient failures before an email is FAILED
BACKOFF_SECONDS = 30.0  # the n-th retry waits BACKOFF_SECONDS * 2**(n-1)
LEASE_SECONDS = 10 * 60  # a SENDING row older than this was left by a dead worker
MAX_REFERENCES = 20
DAILY_LIMIT_REACHED = "daily send limit reached"
INTERRUPTED = (
    "interrupted during delivery (the worker stopped after contacting the mail server); "
    "not resent automatically to avoid a duplicate: check the recipient's copy before sending again"
)

SendStatus = Literal["sent", "skipped", "retry", "deferred", "failed"]


@dataclass(frozen=True, slots=True)
class SendOutcome:
    status: SendStatus
    email_id: uuid.UUID
    error: str | None = None
    # When the email is due again ("retry", "deferred"): the actor may enqueue it with that delay.
    retry_at: datetime | None = None


# --- Approval (the web request) -------------------------------------------------------------------------------


def new_message_id(address: str) -> str:
    """A Message-ID of the sending mailbox's domain, stored as ingestion stores them: without angle brackets,
    so that our own copy synced back from the Sent folder and the lead's replies find it."""
    domain = address.rpartition("@")[2].strip().lower() or "localhost"
    return f"{uuid.uuid4()}@{domain}"


def msg_id(value: str) -> str:
    """A stored Message-ID as a header's msg-id: in angle brackets."""
    return f"<{value.strip().strip('<>')}>"


async def approve_send(
    session: AsyncSession, principal: Principal, email_id: uuid.UUID, send_at: datetime | None
) -> Email:
    """A rep approves a draft: QUEUED (or SCHEDULED for a future ``send_at``),
    with its Message-ID and reply headers fixed now. A FAILED email may be
    approved again (after a person checked it did not arrive); it keeps its
    Message-ID. The caller commits, then enqueues ``send_email``."""
    send_at = aware(send_at, "send_at")
    emails = EmailRepository(session, principal)
    email = await emails.get(email_id)
    if email.direction is not Direction.OUTBOUND or email.delivery_status not in (
        DeliveryStatus.DRAFT,
        DeliveryStatus.FAILED,
    ):
        raise Conflict(f"only a draft can be sent; this email is {email.delivery_status or email.direction}")
    if not (email.to_addresses or email.cc_addresses or email.bcc_addresses):
        raise InvalidInput("the draft has no recipients", field="to_addresses")
    if email.email_account_id is None:
        raise InvalidInput("the draft has no mailbox to send from", field="email_account_id")
    account = await repository.mailbox(session, email.email_account_id)
    if account is None or account.workspace_id != principal.workspace_id:
        raise InvalidInput("the draft's mailbox no longer exists", field="email_account_id")
    if email.message_id is None:
        email.message_id = new_message_id(account.email_address)
    if email.in_reply_to is None:
        parent = await repository.thread_parent(session, email)
        if parent is not None and parent.message_id is not None:
            email.in_reply_to = parent.message_id
            email.references = [*parent.references, parent.message_id][-MAX_REFERENCES:]
    email.from_address = email.from_address or account.email_address
    email.from_name = email.from_name or account.display_name
    email.user_id = email.user_id or principal.user_id
    now = utcnow()
    if send_at is not None and send_at > now:
        email.delivery_status, email.scheduled_at = DeliveryStatus.SCHEDULED, send_at
    else:
        email.delivery_status, email.scheduled_at = DeliveryStatus.QUEUED, None
    email.retry_count, email.last_error = 0, None
    if email.ai_generated:
        email.draft_edit_distance = draft_edit_distance(email)
    await emails.flush()
    await complete_reply_actions(session, email, now)
    if email.thread_id is not None:
        await refresh_threads(session, [email.thread_id])
    return email


def draft_edit_distance(email: Email) -> int:
    """Characters changed between the AI's draft (subject and body) and what the rep approved: 0 untouched."""
    if email.ai_draft_body is None and email.ai_draft_subject is None:
        return 0  # never edited: the draft is the AI's text
    before = f"{email.ai_draft_subject if email.ai_draft_subject is not None else email.subject or ''}\n" + (
        email.ai_draft_body if email.ai_draft_body is not None else email.body_text or ""
    )
    after = f"{email.subject or ''}\n{email.body_text or ''}"
    return int(Levenshtein.distance(before, after))


async def complete_reply_actions(session: AsyncSession, email: Email, now: datetime) -> None:
    """The reply actions whose draft this is are done once the draft is approved."""
    await session.execute(
        sa.update(Action)
        .where(
            Action.workspace_id == email.workspace_id,
            Action.draft_email_id == email.id,
            Action.status == ActionStatus.PENDING,
        )
        .values(status=ActionStatus.COMPLETED, completed_at=now)
        .execution_options(synchronize_session=False)
    )


# --- Sending (the worker) -------------------------------------------------------------------------------------


def next_utc_midnight(now: datetime) -> datetime:
    return datetime(now.year, now.month, now.day, tzinfo=UTC) + timedelta(days=1)


def backoff(retry: int) -> timedelta:
    """The wait before the ``retry``-th retry (1-based)."""
    return timedelta(seconds=BACKOFF_SECONDS * 2 ** (retry - 1))


def _header(value: str) -> str:
    """A header value as it goes on the wire: RFC 2047-encoded when it is not ASCII."""
    return value if value.isascii() else Header(value, "utf-8").encode()


def _addresses(addresses: list[str]) -> str:
    return ", ".join(formataddr(parseaddr(address)) for address in addresses)


def _text(content: str, subtype: str) -> Message:
    """7bit when it can be (ASCII, lines SMTP accepts), else UTF-8 quoted-printable: readable either way."""
    if content.isascii() and all(len(line) <= 998 for line in content.splitlines()):
        return MIMEText(content, subtype, "us-ascii")
    part = MIMENonMultipart("text", subtype)
    part.set_payload(content, _UTF8_QP)
    return part


_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP


def build_message(email: Email, account: EmailAccount, now: datetime, tracked: TrackedContent | None = None) -> Message:
    """The message as sent. Built with the ``email.mime`` classes (the compat32 policy): the
    ``EmailMessage`` API parses every header it is given and cost a quarter of a worker's CPU per send.
    ``tracked`` (``inbox.tracking``) replaces the bodies and adds its headers (List-Unsubscribe)."""
    body_text, body_html = (tracked.body_text, tracked.body_html) if tracked else (email.body_text, email.body_html)
    text = _text(body_text or "", "plain")
    message: Message
    if body_html:
        message = MIMEMultipart("alternative")
        message.attach(text)
        message.attach(_text(body_html, "html"))
    else:
        message = text
    message["From"] = formataddr((account.display_name or "", account.email_address))
    if email.to_addresses:
        message["To"] = _addresses(email.to_addresses)
    if email.cc_addresses:
        message["Cc"] = _addresses(email.cc_addresses)
    if email.reply_to:
        message["Reply-To"] = _addresses([email.reply_to])
    message["Subject"] = _header(email.subject or "")
    message["Date"] = format_datetime(now)
    message["Message-ID"] = msg_id(email.message_id or "")
    if email.in_reply_to:
        message["In-Reply-To"] = msg_id(email.in_reply_to)
    if email.references:
        message["References"] = " ".join(msg_id(reference) for reference in email.references)
    for name, value in tracked.headers if tracked else ():
        message[name] = value
    return message


def _bare(address: str) -> str:
    """The addr-spec of ``Name <a@b>`` or ``a@b``."""
    try:
        return Address(addr_spec=address.strip()).addr_spec
    except (ValueError, IndexError):
        _, _, rest = address.rpartition("<")
        return rest.rstrip(">").strip() or address.strip()


def smtp_login(account: EmailAccount, settings: Settings) -> SmtpLogin:
    if not account.smtp_host:
        raise PermanentFailure("the mailbox has no SMTP server configured")
    password = None
    if account.encrypted_password:
        password = SecretBox.from_settings(settings).decrypt(account.encrypted_password)
    return SmtpLogin(
        host=account.smtp_host,
        port=account.smtp_port or (465 if account.smtp_use_ssl else 587),
        use_tls=account.smtp_use_ssl,
        start_tls=account.smtp_starttls and not account.smtp_use_ssl,
        username=account.username or account.email_address,
        password=password,
    )


class Sender:
    """The send path of one worker process: the database and an SMTP connection pool."""

    def __init__(self, database: Database, settings: Settings, pool: SmtpPool | None = None) -> None:
        self.database = database
        self.settings = settings
        self.pool = pool or SmtpPool()
        self.gmail = GmailSender(database, settings)
        self.tracking = OutboundTracking(settings)

    async def send(self, email_id: uuid.UUID) -> SendOutcome:
        now = utcnow()
        async with self.database.transaction() as session:
            email = await repository.claim(session, email_id, now)
            if email is None:
                return SendOutcome("skipped", email_id)
            problem = _not_sendable(email)
            account = None
            if problem is None and email.email_account_id is not None:
                account = await repository.count_send(session, email.email_account_id, now.date())
                if account is None:
                    if await repository.mailbox(session, email.email_account_id) is not None:
                        due = next_utc_midnight(now)
                        await repository.finish(
                            session,
                            email_id,
                            delivery_status=DeliveryStatus.QUEUED,
                            scheduled_at=due,
                            last_error=DAILY_LIMIT_REACHED,
                            updated_at=now,
                        )
                        return SendOutcome("deferred", email_id, DAILY_LIMIT_REACHED, retry_at=due)
                    problem = "the mailbox to send from no longer exists"
                elif not account.is_active:
                    problem = "the mailbox is disconnected"
            if problem is not None or account is None:
                error = problem or "the email has no mailbox to send from"
                if account is not None:
                    await repository.uncount_send(session, account.id, now.date())
                await repository.finish(
                    session, email_id, delivery_status=DeliveryStatus.FAILED, last_error=error, updated_at=now
                )
                return SendOutcome("failed", email_id, error)
            via_gmail = account.provider is MailboxProvider.GMAIL
            gmail_thread = await gmail_thread_id(session, email, account) if via_gmail else None
            tracking = await self.tracking.options(session, email.workspace_id)
        # The claim is committed: from here on no other worker will send this email.
        gmail_sent = None
        try:
            message = build_message(email, account, now, self.tracking.content(email, tracking, account.email_address))
            if via_gmail:
                gmail_sent = await self.gmail.send(account, message, bcc=email.bcc_addresses, thread_id=gmail_thread)
            else:
                login = smtp_login(account, self.settings)
                recipients = [_bare(a) for a in (*email.to_addresses, *email.cc_addresses, *email.bcc_addresses)]
                await self.pool.send(login, message, account.email_address, recipients)
        except (DeliveryError, UndecryptableSecret) as exc:
            return await self._failed(email, account, now, exc)
        sent_at = utcnow()
        async with self.database.transaction() as session:
            if await repository.mark_sent(session, email_id, sent_at):
                if gmail_sent is not None and gmail_sent.message_id is not None:
                    await store_gmail_message_id(session, email_id, gmail_sent.message_id)
                await repository.add_sent_event(session, email, "gmail" if via_gmail else "smtp", sent_at)
        return SendOutcome("sent", email_id)

    async def _failed(
        self, email: Email, account: EmailAccount, claimed_at: datetime, exc: DeliveryError | UndecryptableSecret
    ) -> SendOutcome:
        error = exc.message
        now = utcnow()
        retries = email.retry_count + 1
        async with self.database.transaction() as session:
            await repository.uncount_send(session, account.id, claimed_at.date())
            if isinstance(exc, TransientFailure) and retries <= MAX_RETRIES:
                due = now + backoff(retries)
                await repository.finish(
                    session,
                    email.id,
                    delivery_status=DeliveryStatus.QUEUED,
                    retry_count=retries,
                    scheduled_at=due,
                    last_error=error,
                    updated_at=now,
                )
                return SendOutcome("retry", email.id, error, retry_at=due)
            if isinstance(exc, TransientFailure):
                error = f"gave up after {MAX_RETRIES} retries: {error}"
            await repository.finish(
                session,
                email.id,
                delivery_status=DeliveryStatus.FAILED,
                retry_count=retries if isinstance(exc, TransientFailure) else email.retry_count,
                last_error=error,
                updated_at=now,
            )
        return SendOutcome("failed", email.id, error)


def _not_sendable(email: Email) -> str | None:
    if email.email_account_id is None:
        return "the email has no mailbox to send from"
    if not (email.to_addresses or email.cc_addresses or email.bcc_addresses):
        return "the email has no recipients"
    if email.message_id is None:
        return "the email has no Message-ID (it was not approved through approve_send)"
    return None


async def send_email(
    database: Database, email_id: uuid.UUID, settings: Settings, *, pool: SmtpPool | None = None
) -> SendOutcome:
    """Send one QUEUED/SCHEDULED-and-due email once (see the module docstring)."""
    return await Sender(database, settings, pool).send(email_id)


# --- The sweeper's side ---------------------------------------------------------------------------------------


async def due_for_sending(database: Database, *, hint_grace_seconds: float, limit: int) -> list[uuid.UUID]:
    now = utcnow()
    async with database.read_sessionmaker() as session:
        return await repository.due_emails(
            session, now, unhinted_before=now - timedelta(seconds=hint_grace_seconds), limit=limit
        )


async def recover_interrupted(database: Database, *, lease_seconds: float = LEASE_SECONDS) -> list[uuid.UUID]:
    """Rows left SENDING past the lease (a worker died mid-delivery) → FAILED, never resent."""
    now = utcnow()
    async with database.transaction() as session:
        return list(await repository.interrupted(session, now, now - timedelta(seconds=lease_seconds), INTERRUPTED))
