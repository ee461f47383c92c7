"""Threads and emails as the API shows them.

Ingestion is the only writer of their content: a client may change a thread's
``status`` and an inbound email's ``inbox_status``, nothing else. Email text is
untrusted; ``body_html`` was sanitised when the message was stored.

Three weights of an email: ``EmailSummary`` in lists (a short ``preview``
instead of bodies), ``ThreadEmail`` inside a thread (text bodies and
attachments, no ``body_html``: a thread of long HTML mails would weigh
megabytes; the client fetches the one it renders from ``GET /api/emails/{id}``)
and ``EmailOut``, everything.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from inbox.core.schemas import InputModel, OutputModel
from inbox.threads.models import DeliveryStatus, Direction, InboxStatus, ThreadStatus

# Characters of text a list shows for a message.
PREVIEW_CHARS = 200


def _one_line(text: str | None) -> str | None:
    if text is None:
        return None
    return " ".join(text.split()) or None


# A message's first characters on one line, for a list.
Preview = Annotated[str | None, AfterValidator(_one_line)]


class ThreadUpdate(InputModel):
    status: ThreadStatus


class EmailUpdate(InputModel):
    inbox_status: Literal["read", "unread", "archived"] = Field(
        description="inbound mail only; replied is set by sending a reply"
    )


class ThreadOut(OutputModel):
    id: uuid.UUID
    subject: str | None
    status: ThreadStatus
    contact_id: uuid.UUID | None
    email_account_id: uuid.UUID | None
    message_count: int
    last_message_at: datetime | None
    created_at: datetime
    updated_at: datetime


class ThreadSummary(ThreadOut):
    """A thread in a list, with its latest message's sender and text."""

    last_from_address: str | None = None
    last_from_name: str | None = None
    preview: Preview = Field(default=None, description=f"the latest message's first {PREVIEW_CHARS} characters")


class AttachmentOut(OutputModel):
    id: uuid.UUID
    filename: str | None
    content_type: str
    size_bytes: int
    is_inline: bool
    content_id: str | None


class EmailBase(OutputModel):
    id: uuid.UUID
    thread_id: uuid.UUID | None
    email_account_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    user_id: uuid.UUID | None
    direction: Direction
    from_address: str | None
    from_name: str | None
    to_addresses: list[str]
    cc_addresses: list[str]
    subject: str | None
    delivery_status: DeliveryStatus | None = Field(description="outbound mail")
    inbox_status: InboxStatus | None = Field(description="inbound mail")
    is_bounce: bool
    is_auto_reply: bool
    parse_error: str | None = Field(
        description="why the message could not be fully parsed; its raw bytes are at /api/emails/{id}/raw"
    )
    received_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EmailSummary(EmailBase):
    preview: Preview = Field(description=f"the first {PREVIEW_CHARS} characters of the new text")


class ThreadEmail(EmailBase):
    body_text: str | None
    reply_text: str | None = Field(description="the new text, without quoted history or signature")
    attachments: list[AttachmentOut]
    retry_count: int = Field(description="outbound mail: send attempts that failed and were retried")
    last_error: str | None = Field(description="outbound mail: the mail server's answer to the last failed attempt")


class EmailOut(ThreadEmail):
    body_html: str | None = Field(description="sanitised when stored")
    bcc_addresses: list[str]
    reply_to: str | None
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    folder: str | None
    raw_size: int | None
    scheduled_at: datetime | None
    open_count: int
    click_count: int
    sequence_id: uuid.UUID | None
    ai_generated: bool


class ThreadDetail(ThreadOut):
    emails: list[ThreadEmail] = Field(description="oldest first; without body_html (see GET /api/emails/{id})")
