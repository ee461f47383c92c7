"""Mailboxes and messages for the ingestion tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.db import Database
from inbox.core.secrets import SecretBox
from inbox.mailboxes.models import EmailAccount, MailboxProvider
from inbox.settings import Settings
from inbox.workspaces.models import Workspace
from tests.ingest.dovecot import ImapUser


async def make_mailbox(
    session: AsyncSession,
    settings: Settings,
    *,
    workspace_id: uuid.UUID,
    user_id: uuid.UUID | None = None,
    address: str | None = None,
    host: str = "127.0.0.1",
    port: int = 143,
    username: str | None = None,
    password: str = "secret",
    provider: MailboxProvider = MailboxProvider.IMAP,
) -> EmailAccount:
    address = address or f"rep-{uuid.uuid4().hex[:8]}@ourco.example"
    account = EmailAccount(
        workspace_id=workspace_id,
        user_id=user_id,
        email_address=address,
        provider=provider,
        imap_host=host if provider == MailboxProvider.IMAP else None,
        imap_port=port if provider == MailboxProvider.IMAP else None,
        imap_use_ssl=False,
        username=username or address,
        encrypted_password=SecretBox.from_settings(settings).encrypt(password),
    )
    session.add(account)
    await session.flush()
    return account


async def seed_imap_mailbox(url: str, key: str, user: ImapUser) -> uuid.UUID:
    """A new workspace with one IMAP mailbox for ``user``, committed at ``url``: for a process a test starts
    (the CLI, a benchmark's sync), which can't see a test's uncommitted rows."""
    database = Database(url)
    try:
        async with database.transaction() as session:
            workspace = Workspace(name="Mail", slug=f"mail-{uuid.uuid4().hex[:8]}")
            session.add(workspace)
            await session.flush()
            account = EmailAccount(
                workspace_id=workspace.id,
                email_address=user.address,
                provider=MailboxProvider.IMAP,
                imap_host=user.host,
                imap_port=user.port,
                imap_use_ssl=False,
                smtp_host=user.host,
                username=user.username,
                encrypted_password=SecretBox([key]).encrypt(user.password),
            )
            session.add(account)
            await session.flush()
            return account.id
    finally:
        await database.dispose()


def message(
    *,
    sender: str = "Jane Buyer <jane@acme-corp.example>",
    to: str = "rep@ourco.example",
    subject: str = "Pricing question",
    body: str = "Hi, what does the team plan cost?\n",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    date: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """A small, valid RFC 5322 message."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 11, 1, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = message_id or make_msgid(domain="test.example")
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg.as_bytes()
