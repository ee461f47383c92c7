"""Conversations, messages in either direction, their attachments and events."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from inbox.core.db import Base, Timestamps, UUIDPrimaryKey, sql_now

# The words of an email the inbox searches. Migration 0005 builds the GIN index ix_emails_search on exactly
# this expression (PostgreSQL only, so not declared here).
SEARCH_DOCUMENT = (
    "to_tsvector('simple'::regconfig, coalesce(subject, '') || ' ' || coalesce(from_name, '') || ' ' "
    "|| coalesce(from_address, '') || ' ' || coalesce(body_text, ''))"
)


class ThreadStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    CLOSED = "closed"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class DeliveryStatus(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    REPLIED = "replied"
    BOUNCED = "bounced"
    FAILED = "failed"


class InboxStatus(StrEnum):
    UNREAD = "unread"
    READ = "read"
    REPLIED = "replied"
    ARCHIVED = "archived"


class EmailEventType(StrEnum):
    SENT = "sent"
    DELIVERED = "delivered"
    OPENED = "opened"
    CLICKED = "clicked"
    BOUNCED = "bounced"
    REPLIED = "replied"
    UNSUBSCRIBED = "unsubscribed"
    SPAM_COMPLAINT = "spam_complaint"
    DEFERRED = "deferred"


class EmailThread(UUIDPrimaryKey, Timestamps, Base):
    """A conversation in one mailbox, keyed by Gmail's threadId or the root Message-ID."""

    __tablename__ = "email_threads"
    __table_args__ = (
        sa.UniqueConstraint("email_account_id", "thread_identifier"),
        sa.Index(None, "workspace_id", "last_message_at"),
        sa.Index(None, "workspace_id", "contact_id"),
        # The inbox's first page: active threads by attention, then newest (migration 0005).
        sa.Index(
            "ix_email_threads_inbox",
            "workspace_id",
            "attention",
            "last_message_at",
            "id",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        ),
        sa.CheckConstraint("message_count >= 0", name="message_count_non_negative"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    email_account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("email_accounts.id", ondelete="SET NULL"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"))
    subject: Mapped[str | None]
    normalized_subject: Mapped[str | None]
    thread_identifier: Mapped[str]
    status: Mapped[ThreadStatus] = mapped_column(
        sa.Enum(
            ThreadStatus,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="email_threads_status",
        ),
        default=ThreadStatus.ACTIVE,
        server_default=ThreadStatus.ACTIVE.value,
    )
    last_message_at: Mapped[datetime | None]
    message_count: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    # What the inbox sorts and filters by, kept by inbox.threads.state.refresh_threads.
    unread_count: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    needs_reply: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    has_draft: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    attention: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default=sa.text("0"))
    intent: Mapped[str | None] = mapped_column(sa.String(32))
    urgency: Mapped[str | None] = mapped_column(sa.String(16))

    emails: Mapped[list[Email]] = relationship(back_populates="thread", lazy="raise", passive_deletes=True)


class Email(UUIDPrimaryKey, Timestamps, Base):
    """One message, inbound or outbound.

    ``delivery_status`` is set for outbound mail, ``inbox_status`` for inbound.
    ``body_html`` is stored already sanitised. Re-ingesting the same message
    is a no-op thanks to the (mailbox, folder, uidvalidity, uid) and
    (workspace, Message-ID) keys; a sequence step is sent at most once per
    enrollment thanks to (enrollment_id, sequence_step_id).
    """

    __tablename__ = "emails"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "message_id"),
        sa.UniqueConstraint("email_account_id", "folder", "uidvalidity", "uid"),
        sa.UniqueConstraint("enrollment_id", "sequence_step_id"),
        sa.Index(
            "ix_emails_scheduled_due",
            "scheduled_at",
            postgresql_where=sa.text("delivery_status = 'scheduled'"),
            sqlite_where=sa.text("delivery_status = 'scheduled'"),
        ),
        # The sweeper's view: inbound mail that no triage has read yet.
        sa.Index(
            "ix_emails_untriaged",
            "created_at",
            postgresql_where=sa.text("direction = 'inbound' AND triaged_at IS NULL"),
            sqlite_where=sa.text("direction = 'inbound' AND triaged_at IS NULL"),
        ),
        # The send sweeper's view: mail queued or being sent (migration 0004).
        sa.Index(
            "ix_emails_outbox",
            "delivery_status",
            "updated_at",
            postgresql_where=sa.text("delivery_status IN ('queued', 'sending')"),
            sqlite_where=sa.text("delivery_status IN ('queued', 'sending')"),
        ),
        sa.Index(None, "thread_id", "received_at"),
        # The metrics rollup's days of sent and received mail (migration 0006).
        sa.Index(
            "ix_emails_outbound_sent_at",
            "sent_at",
            postgresql_where=sa.text("direction = 'outbound'"),
            sqlite_where=sa.text("direction = 'outbound'"),
        ),
        sa.Index(
            "ix_emails_inbound_received_at",
            "received_at",
            postgresql_where=sa.text("direction = 'inbound'"),
            sqlite_where=sa.text("direction = 'inbound'"),
        ),
        sa.Index(None, "workspace_id", "contact_id"),
        sa.Index(None, "sequence_id"),
        sa.Index(None, "sequence_step_id"),
        sa.CheckConstraint("open_count >= 0", name="open_count_non_negative"),
        sa.CheckConstraint("click_count >= 0", name="click_count_non_negative"),
        sa.CheckConstraint("retry_count >= 0", name="retry_count_non_negative"),
        sa.CheckConstraint("raw_size IS NULL OR raw_size >= 0", name="raw_size_non_negative"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    thread_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("email_threads.id", ondelete="CASCADE"))
    email_account_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("email_accounts.id", ondelete="SET NULL"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    direction: Mapped[Direction] = mapped_column(
        sa.Enum(
            Direction,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="emails_direction",
        )
    )
    from_address: Mapped[str | None] = mapped_column(sa.String(320))
    from_name: Mapped[str | None]
    to_addresses: Mapped[list[str]] = mapped_column(default=list, server_default=sa.text("'[]'"))
    cc_addresses: Mapped[list[str]] = mapped_column(default=list, server_default=sa.text("'[]'"))
    bcc_addresses: Mapped[list[str]] = mapped_column(default=list, server_default=sa.text("'[]'"))
    reply_to: Mapped[str | None]
    subject: Mapped[str | None]
    body_text: Mapped[str | None] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    reply_text: Mapped[str | None] = mapped_column(sa.Text)
    message_id: Mapped[str | None]
    in_reply_to: Mapped[str | None]
    references: Mapped[list[str]] = mapped_column(default=list, server_default=sa.text("'[]'"))
    delivery_status: Mapped[DeliveryStatus | None] = mapped_column(
        sa.Enum(
            DeliveryStatus,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="emails_delivery_status",
        )
    )
    inbox_status: Mapped[InboxStatus | None] = mapped_column(
        sa.Enum(
            InboxStatus,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="emails_inbox_status",
        )
    )
    is_auto_reply: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    is_bounce: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    parse_error: Mapped[str | None] = mapped_column(sa.Text)
    raw_size: Mapped[int | None]
    raw_storage_key: Mapped[str | None]
    folder: Mapped[str | None]
    uidvalidity: Mapped[int | None] = mapped_column(sa.BigInteger)
    uid: Mapped[int | None] = mapped_column(sa.BigInteger)
    gmail_message_id: Mapped[str | None] = mapped_column(sa.String(64))
    received_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    scheduled_at: Mapped[datetime | None]
    open_count: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    click_count: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    sequence_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("sequences.id", ondelete="SET NULL"))
    sequence_step_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("sequence_steps.id", ondelete="SET NULL"))
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(
        sa.ForeignKey("sequence_enrollments.id", ondelete="SET NULL")
    )
    retry_count: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    ai_generated: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # The AI's draft as first written, kept when a rep edits it; at approval, the edit distance to what is sent.
    ai_draft_subject: Mapped[str | None] = mapped_column(sa.Text)
    ai_draft_body: Mapped[str | None] = mapped_column(sa.Text)
    draft_edit_distance: Mapped[int | None]
    # Set in the transaction that writes the email's triage (inbound mail only).
    triaged_at: Mapped[datetime | None]

    thread: Mapped[EmailThread | None] = relationship(back_populates="emails", lazy="raise")
    attachments: Mapped[list[EmailAttachment]] = relationship(
        back_populates="email", lazy="raise", cascade="all, delete-orphan", passive_deletes=True
    )


class EmailAttachment(UUIDPrimaryKey, Timestamps, Base):
    """Attachment metadata; the bytes are in the blob store under ``storage_key``."""

    __tablename__ = "email_attachments"
    __table_args__ = (sa.CheckConstraint("size_bytes >= 0", name="size_bytes_non_negative"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("emails.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str | None]
    content_type: Mapped[str] = mapped_column(
        sa.String(255), default="application/octet-stream", server_default="application/octet-stream"
    )
    size_bytes: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    content_id: Mapped[str | None]
    is_inline: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    storage_key: Mapped[str | None]
    sha256: Mapped[str | None] = mapped_column(sa.String(64))

    email: Mapped[Email] = relationship(back_populates="attachments", lazy="raise")


class EmailEvent(UUIDPrimaryKey, Timestamps, Base):
    """Something that happened to a message: from tracking, webhooks or ingestion."""

    __tablename__ = "email_events"
    __table_args__ = (
        sa.UniqueConstraint("provider", "provider_event_id"),
        sa.Index("ix_email_events_workspace_type_occurred", "workspace_id", "event_type", "occurred_at"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    email_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("emails.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("contacts.id", ondelete="SET NULL"))
    event_type: Mapped[EmailEventType] = mapped_column(
        sa.Enum(
            EmailEventType,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="email_events_event_type",
        )
    )
    occurred_at: Mapped[datetime] = mapped_column(server_default=sql_now())
    url: Mapped[str | None] = mapped_column(sa.Text)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.Text)
    is_machine: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    provider: Mapped[str | None] = mapped_column(sa.String(32))
    provider_event_id: Mapped[str | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default=sa.text("'{}'"))
