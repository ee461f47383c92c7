"""Builders for the sending tests: a mailbox that sends to the test SMTP server, and a draft reply."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.db import utcnow
from inbox.core.secrets import SecretBox
from inbox.mailboxes.models import EmailAccount, MailboxProvider
from inbox.settings import Settings
from inbox.threads.models import DeliveryStatus, Direction, Email, EmailThread
from tests.sending.smtp_server import PASSWORD, USERNAME

ROOT_ID = "root-1@acme-corp.example"  # stored as ingestion stores them: no angle brackets
PARENT_ID = "reply-1@acme-corp.example"


def mailbox_values(settings: Settings, host: str, port: int, **values: object) -> dict[str, object]:
    return {
        "email_address": USERNAME,
        "display_name": "Rita Rep",
        "provider": MailboxProvider.IMAP,
        "smtp_host": host,
        "smtp_port": port,
        "smtp_use_ssl": False,
        "smtp_starttls": False,
        "username": USERNAME,
        "encrypted_password": SecretBox.from_settings(settings).encrypt(PASSWORD),
        **values,
    }


async def make_draft(
    session: AsyncSession,
    mailbox: EmailAccount,
    *,
    to: list[str] | None = None,
    html: str | None = None,
    key: str | None = None,
) -> Email:
    """A thread whose latest message is the lead's reply, and the rep's draft answering it (no reply headers yet).
    With ``key="1"`` the thread's Message-IDs are ROOT_ID and PARENT_ID."""
    key = key or uuid.uuid4().hex
    root_id, parent_id = f"root-{key}@acme-corp.example", f"reply-{key}@acme-corp.example"
    thread = EmailThread(
        workspace_id=mailbox.workspace_id,
        email_account_id=mailbox.id,
        subject="Pricing",
        thread_identifier=root_id,
    )
    session.add(thread)
    await session.flush()
    now = utcnow()
    session.add(
        Email(
            workspace_id=mailbox.workspace_id,
            thread_id=thread.id,
            email_account_id=mailbox.id,
            direction=Direction.INBOUND,
            from_address="jane@acme-corp.example",
            subject="Re: Pricing",
            message_id=parent_id,
            references=[root_id],
            in_reply_to=root_id,
            received_at=now - timedelta(hours=1),
        )
    )
    draft = Email(
        workspace_id=mailbox.workspace_id,
        thread_id=thread.id,
        email_account_id=mailbox.id,
        direction=Direction.OUTBOUND,
        delivery_status=DeliveryStatus.DRAFT,
        to_addresses=["Jane Buyer <jane@acme-corp.example>"] if to is None else to,
        cc_addresses=["boss@acme-corp.example"] if to is None else [],
        bcc_addresses=["crm@ourco.example"] if to is None else [],
        subject="Re: Pricing",
        body_text="Hi Jane,\n\nThe team plan is $30 per seat.\n",
        body_html=html,
        ai_generated=True,
    )
    session.add(draft)
    await session.commit()
    return draft
