from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.errors import InvalidInput
from inbox.core.principal import Principal
from inbox.core.secrets import SecretBox, UndecryptableSecret
from inbox.mailboxes.models import EmailAccount, MailboxProvider, MailboxStatus
from inbox.mailboxes.repository import EmailAccountRepository, accounts_with_secrets
from inbox.mailboxes.schemas import EmailAccountCreate, EmailAccountUpdate, OAuthTokensIn
from inbox.users.ownership import check_owner

ROTATION_BATCH = 500


@dataclass(frozen=True, slots=True)
class OAuthTokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None


async def create_mailbox(
    session: AsyncSession, principal: Principal, data: EmailAccountCreate, box: SecretBox
) -> EmailAccount:
    values = data.model_dump(exclude={"password", "oauth_tokens"})
    owner = data.user_id if "user_id" in data.model_fields_set else principal.user_id
    values["user_id"] = await check_owner(session, principal, owner, field="user_id")
    if data.smtp_starttls is None:
        values["smtp_starttls"] = not data.smtp_use_ssl
    account = EmailAccount(workspace_id=principal.workspace_id, **values)
    _set_credentials(account, data, box)
    _check_connection(account)
    return await EmailAccountRepository(session, principal).add(account)


async def update_mailbox(
    session: AsyncSession, principal: Principal, mailbox_id: uuid.UUID, data: EmailAccountUpdate, box: SecretBox
) -> EmailAccount:
    repository = EmailAccountRepository(session, principal)
    account = await repository.get(mailbox_id)
    values = data.model_dump(exclude_unset=True, exclude={"password", "oauth_tokens"})
    if "user_id" in values:
        values["user_id"] = await check_owner(session, principal, values["user_id"], field="user_id")
    if values.get("smtp_use_ssl") is not None and "smtp_starttls" not in values:
        values["smtp_starttls"] = not values["smtp_use_ssl"]
    repository.apply(
        account,
        values,
        not_null=(
            "email_address",
            "provider",
            "imap_use_ssl",
            "smtp_use_ssl",
            "smtp_starttls",
            "daily_send_limit",
            "is_active",
        ),
    )
    _set_credentials(account, data, box)
    connection_fields = {"password", "oauth_tokens", "username", "imap_host", "imap_port", "imap_use_ssl"}
    if account.status == MailboxStatus.ERROR and data.model_fields_set & connection_fields:
        # New credentials or server: let ingestion try again (it puts the mailbox back in error if they fail).
        account.status = MailboxStatus.ACTIVE
        account.last_error = None
    _check_connection(account)
    await repository.flush()
    return account


async def delete_mailbox(session: AsyncSession, principal: Principal, mailbox_id: uuid.UUID) -> None:
    repository = EmailAccountRepository(session, principal)
    await repository.delete(await repository.get(mailbox_id))


def _set_credentials(account: EmailAccount, data: EmailAccountCreate | EmailAccountUpdate, box: SecretBox) -> None:
    """Encrypt the credentials the request names; null removes one, absence keeps it."""
    if "password" in data.model_fields_set:
        password = data.password
        account.encrypted_password = None if password is None else box.encrypt(password.get_secret_value())
    if "oauth_tokens" in data.model_fields_set:
        tokens = data.oauth_tokens
        account.encrypted_oauth_tokens = None if tokens is None else box.encrypt(_tokens_json(tokens))


def _tokens_json(tokens: OAuthTokensIn) -> str:
    return json.dumps(
        {
            "access_token": tokens.access_token.get_secret_value(),
            "refresh_token": tokens.refresh_token.get_secret_value() if tokens.refresh_token else None,
            "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
        }
    )


def _check_connection(account: EmailAccount) -> None:
    if account.provider == MailboxProvider.IMAP:
        for field in ("imap_host", "smtp_host"):
            if not getattr(account, field):
                raise InvalidInput(f"{field} is required for provider imap", field=field)
    if account.smtp_use_ssl and account.smtp_starttls:
        raise InvalidInput(
            "smtp_starttls cannot be true together with smtp_use_ssl: choose implicit TLS or STARTTLS",
            field="smtp_starttls",
        )


def mailbox_password(account: EmailAccount, box: SecretBox) -> str | None:
    """The IMAP/SMTP password in clear, for the code that connects; never for an API answer."""
    if account.encrypted_password is None:
        return None
    return box.decrypt(account.encrypted_password)


def mailbox_oauth_tokens(account: EmailAccount, box: SecretBox) -> OAuthTokens | None:
    """The OAuth tokens in clear, for the code that connects; never for an API answer."""
    if account.encrypted_oauth_tokens is None:
        return None
    raw: dict[str, Any] = json.loads(box.decrypt(account.encrypted_oauth_tokens))
    expires_at = raw.get("expires_at")
    return OAuthTokens(
        access_token=raw["access_token"],
        refresh_token=raw.get("refresh_token"),
        expires_at=datetime.fromisoformat(expires_at) if expires_at else None,
    )


async def rotate_mailbox_secrets(session: AsyncSession, box: SecretBox) -> int:
    """Re-encrypt, under the newest key, every mailbox credential of every
    workspace that is under an older key; returns how many credentials
    (passwords and token sets) were rewritten. One that no key opens stops
    the run with UndecryptableSecret naming the mailbox, and the caller's
    transaction must then be rolled back."""
    rotated = 0
    after: uuid.UUID | None = None
    while batch := await accounts_with_secrets(session, after=after, limit=ROTATION_BATCH):
        for account in batch:
            try:
                if account.encrypted_password and box.needs_rotation(account.encrypted_password):
                    account.encrypted_password = box.rotate(account.encrypted_password)
                    rotated += 1
                if account.encrypted_oauth_tokens and box.needs_rotation(account.encrypted_oauth_tokens):
                    account.encrypted_oauth_tokens = box.rotate(account.encrypted_oauth_tokens)
                    rotated += 1
            except UndecryptableSecret as exc:
                where = {"email_account_id": str(account.id), "workspace_id": str(account.workspace_id)}
                raise UndecryptableSecret(**where) from exc
        await session.flush()
        after = batch[-1].id
    return rotated
