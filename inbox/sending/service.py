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

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.db import Database, utcnow
from inbox.core.errors import Conflict, InvalidInput
from inbox.core.principal import Principal
from inbox.core.repository import aware
from inbox.core.secrets import SecretBox, UndecryptableSecret
from inbox.mailboxes.models import EmailAccount, MailboxProvider
from inbox.sending import repository
from inbox.sending.smtp import DeliveryError, PermanentFailure, SmtpLogin, SmtpPool, TransientFailure
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus, Direction, Email
from inbox.threads.repository import EmailRepository

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
    domain = address.rpartition("@")[2].strip().lower() or "localhost"
    return f"<{uuid.uuid4()}@{domain}>"


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
    await emails.flush()
    return email


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


def build_message(email: Email, account: EmailAccount, now: datetime) -> Message:
    """The message as sent. Built with the ``email.mime`` classes (the compat32 policy): the
    ``EmailMessage`` API parses every header it is given and cost a quarter of a worker's CPU per send."""
    text = _text(email.body_text or "", "plain")
    message: Message
    if email.body_html:
        message = MIMEMultipart("alternative")
        message.attach(text)
        message.attach(_text(email.body_html, "html"))
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
    message["Message-ID"] = email.message_id or ""
    if email.in_reply_to:
        message["In-Reply-To"] = email.in_reply_to
    if email.references:
        message["References"] = " ".join(email.references)
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
                elif account.provider is MailboxProvider.GMAIL:
                    problem = "sending through the Gmail API is not implemented yet; give the mailbox SMTP settings"
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
        # The claim is committed: from here on no other worker will send this email.
        try:
            login = smtp_login(account, self.settings)
            message = build_message(email, account, now)
            recipients = [_bare(a) for a in (*email.to_addresses, *email.cc_addresses, *email.bcc_addresses)]
            await self.pool.send(login, message, account.email_address, recipients)
        except (DeliveryError, UndecryptableSecret) as exc:
            return await self._failed(email, account, now, exc)
        sent_at = utcnow()
        async with self.database.transaction() as session:
            if await repository.mark_sent(session, email_id, sent_at):
                await repository.add_sent_event(session, email, "smtp", sent_at)
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
