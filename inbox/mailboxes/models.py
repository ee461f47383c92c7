"""Connected mailboxes and their per-folder sync progress."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from inbox.core.db import Base, Timestamps, UUIDPrimaryKey


class MailboxProvider(StrEnum):
    GMAIL = "gmail"
    OUTLOOK = "outlook"
    IMAP = "imap"


class MailboxStatus(StrEnum):
    ACTIVE = "active"
    ERROR = "error"
    DISCONNECTED = "disconnected"
    PAUSED = "paused"


class FolderSyncStatus(StrEnum):
    """Where a folder's sync stands: a first full download, incremental
    polling, a full re-download after a UIDVALIDITY change, or failing."""

    INITIAL = "initial"
    POLL = "poll"
    RESYNC = "resync"
    ERROR = "error"


class EmailAccount(UUIDPrimaryKey, Timestamps, Base):
    """A connected mailbox. Credentials are Fernet tokens, never plain text."""

    __tablename__ = "email_accounts"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "email_address"),
        sa.CheckConstraint("daily_send_limit >= 0", name="daily_send_limit_non_negative"),
        sa.CheckConstraint("sent_today >= 0", name="sent_today_non_negative"),
        sa.CheckConstraint("imap_port IS NULL OR imap_port BETWEEN 1 AND 65535", name="imap_port_range"),
        sa.CheckConstraint("smtp_port IS NULL OR smtp_port BETWEEN 1 AND 65535", name="smtp_port_range"),
    )

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    email_address: Mapped[str] = mapped_column(sa.String(320))
    display_name: Mapped[str | None]
    provider: Mapped[MailboxProvider] = mapped_column(
        sa.Enum(
            MailboxProvider,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="email_accounts_provider",
        )
    )
    imap_host: Mapped[str | None]
    imap_port: Mapped[int | None]
    imap_use_ssl: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    smtp_host: Mapped[str | None]
    smtp_port: Mapped[int | None]
    smtp_use_ssl: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    smtp_starttls: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    username: Mapped[str | None]
    encrypted_password: Mapped[str | None] = mapped_column(sa.Text)
    encrypted_oauth_tokens: Mapped[str | None] = mapped_column(sa.Text)
    daily_send_limit: Mapped[int] = mapped_column(default=200, server_default=sa.text("200"))
    sent_today: Mapped[int] = mapped_column(default=0, server_default=sa.text("0"))
    sent_today_date: Mapped[date | None]
    status: Mapped[MailboxStatus] = mapped_column(
        sa.Enum(
            MailboxStatus,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="email_accounts_status",
        ),
        default=MailboxStatus.ACTIVE,
        server_default=MailboxStatus.ACTIVE.value,
    )
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    last_synced_at: Mapped[datetime | None]
    # Gmail push notifications (users.watch) expire and must be renewed.
    push_expires_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())


class MailboxSyncState(UUIDPrimaryKey, Timestamps, Base):
    """How far one folder of one mailbox has been read, so a restart resumes."""

    __tablename__ = "mailbox_sync_state"
    __table_args__ = (sa.UniqueConstraint("email_account_id", "folder"),)

    workspace_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    email_account_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("email_accounts.id", ondelete="CASCADE"))
    folder: Mapped[str]
    uidvalidity: Mapped[int | None] = mapped_column(sa.BigInteger)
    last_uid: Mapped[int | None] = mapped_column(sa.BigInteger)
    highest_modseq: Mapped[int | None] = mapped_column(sa.BigInteger)
    gmail_history_id: Mapped[str | None] = mapped_column(sa.String(32))
    last_synced_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    status: Mapped[FolderSyncStatus] = mapped_column(
        sa.Enum(
            FolderSyncStatus,
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda e: [m.value for m in e],
            name="mailbox_sync_state_status",
        ),
        default=FolderSyncStatus.INITIAL,
        server_default=FolderSyncStatus.INITIAL.value,
    )
