"""Mailboxes in and out. Credentials are write-only: they arrive as
``password``/``oauth_tokens`` and leave only as ``has_password``/``has_oauth_tokens``."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field, SecretStr, StringConstraints, model_validator

from inbox.core.schemas import Email, InputModel, OutputModel, ShortText
from inbox.mailboxes.models import EmailAccount, FolderSyncStatus, MailboxProvider, MailboxStatus


def _no_nul_secret(value: SecretStr) -> SecretStr:
    if "\x00" in value.get_secret_value():
        raise ValueError("must not contain NUL characters")
    return value


Host = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=253, pattern=r"^[A-Za-z0-9._:\[\]-]+$"),
]
Port = Annotated[int, Field(ge=1, le=65535)]
Secret = Annotated[SecretStr, Field(min_length=1, max_length=10_000), AfterValidator(_no_nul_secret)]
SendLimit = Annotated[int, Field(ge=1, le=10_000)]


class OAuthTokensIn(InputModel):
    access_token: Secret
    refresh_token: Secret | None = None
    expires_at: datetime | None = None


class EmailAccountCreate(InputModel):
    email_address: Email
    display_name: ShortText | None = None
    provider: MailboxProvider
    imap_host: Host | None = Field(default=None, description="required for provider imap")
    imap_port: Port | None = None
    imap_use_ssl: bool = True
    smtp_host: Host | None = Field(default=None, description="required for provider imap")
    smtp_port: Port | None = None
    smtp_use_ssl: bool = False
    smtp_starttls: bool | None = Field(
        default=None, description="defaults to the opposite of smtp_use_ssl; both true is refused"
    )
    username: ShortText | None = None
    password: Secret | None = Field(default=None, description="write-only; stored encrypted")
    oauth_tokens: OAuthTokensIn | None = Field(default=None, description="write-only; stored encrypted")
    daily_send_limit: SendLimit = 200
    user_id: uuid.UUID | None = Field(default=None, description="the owner, a user of the workspace; defaults to you")
    is_active: bool = True


class EmailAccountUpdate(InputModel):
    """Fields left out are kept; ``password: null`` / ``oauth_tokens: null`` remove the credential."""

    email_address: Email | None = None
    display_name: ShortText | None = None
    provider: MailboxProvider | None = None
    imap_host: Host | None = None
    imap_port: Port | None = None
    imap_use_ssl: bool | None = None
    smtp_host: Host | None = None
    smtp_port: Port | None = None
    smtp_use_ssl: bool | None = None
    smtp_starttls: bool | None = Field(
        default=None, description="when smtp_use_ssl is set without it, defaults to the opposite of smtp_use_ssl"
    )
    username: ShortText | None = None
    password: Secret | None = None
    oauth_tokens: OAuthTokensIn | None = None
    daily_send_limit: SendLimit | None = None
    user_id: uuid.UUID | None = None
    is_active: bool | None = None


class EmailAccountOut(OutputModel):
    id: uuid.UUID
    user_id: uuid.UUID | None
    email_address: str
    display_name: str | None
    provider: MailboxProvider
    imap_host: str | None
    imap_port: int | None
    imap_use_ssl: bool
    smtp_host: str | None
    smtp_port: int | None
    smtp_use_ssl: bool
    smtp_starttls: bool
    username: str | None
    has_password: bool
    has_oauth_tokens: bool
    daily_send_limit: int
    sent_today: int
    status: MailboxStatus
    last_error: str | None
    last_synced_at: datetime | None
    is_active: bool
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="before")
    @classmethod
    def _from_account(cls, data: Any) -> Any:
        """Read an EmailAccount without ever touching its encrypted columns' values."""
        if not isinstance(data, EmailAccount):
            return data
        fields = {name: getattr(data, name) for name in cls.model_fields if not name.startswith("has_")}
        fields["has_password"] = data.encrypted_password is not None
        fields["has_oauth_tokens"] = data.encrypted_oauth_tokens is not None
        return fields


class MailboxSyncStateOut(OutputModel):
    """How far ingestion has read one folder (IMAP) or the mailbox's history (Gmail)."""

    folder: str
    uidvalidity: int | None
    last_uid: int | None
    highest_modseq: int | None
    gmail_history_id: str | None
    status: FolderSyncStatus
    last_synced_at: datetime | None
    last_error: str | None
