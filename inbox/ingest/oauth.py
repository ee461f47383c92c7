"""Google OAuth for Gmail mailboxes: the tokens at rest and their refresh.

A mailbox's tokens are one Fernet-encrypted JSON document in
``email_accounts.encrypted_oauth_tokens`` (the shape the mailbox API writes,
plus ``scope``). An access token is refreshed shortly before it expires, or
when Gmail answers 401, and the new one is saved at once in its own
transaction, so a crash after a refresh does not throw it away.

``invalid_grant`` means the user revoked access or the refresh token
expired: only the user can fix that, so the mailbox is marked ``error`` with
a message the API shows, and the sync stops instead of retrying.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from inbox.core.db import Database, utcnow
from inbox.core.errors import InboxError
from inbox.core.secrets import SecretBox
from inbox.mailboxes.models import EmailAccount, MailboxStatus
from inbox.settings import GmailSettings

logger = logging.getLogger(__name__)

# Refresh this long before the access token expires, so a request never carries a dying token.
REFRESH_MARGIN = timedelta(minutes=5)


class OAuthError(InboxError):
    """Google's token endpoint could not give a token for a reason that may pass
    (network, 5xx, the service's client credentials): the sync is retried later."""

    status_code = 502
    code = "OAUTH_ERROR"


class RefreshTokenRevoked(InboxError):
    """Google refused the refresh token (``invalid_grant``): the user must reconnect."""

    status_code = 409
    code = "OAUTH_REVOKED"


@dataclass(frozen=True, slots=True)
class GoogleTokens:
    access_token: str
    refresh_token: str | None
    expires_at: datetime | None
    scope: str | None = None

    def expires_soon(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at - REFRESH_MARGIN <= now


def load_tokens(account: EmailAccount, box: SecretBox) -> GoogleTokens | None:
    """The mailbox's tokens in clear, for the code that calls Google; never for an API answer."""
    if account.encrypted_oauth_tokens is None:
        return None
    raw: dict[str, Any] = json.loads(box.decrypt(account.encrypted_oauth_tokens))
    expires_at = raw.get("expires_at")
    expiry = datetime.fromisoformat(expires_at) if expires_at else None
    if expiry is not None and expiry.tzinfo is None:
        expiry = expiry.replace(tzinfo=UTC)
    return GoogleTokens(
        access_token=raw["access_token"],
        refresh_token=raw.get("refresh_token"),
        expires_at=expiry,
        scope=raw.get("scope"),
    )


def store_tokens(account: EmailAccount, tokens: GoogleTokens, box: SecretBox) -> None:
    account.encrypted_oauth_tokens = box.encrypt(
        json.dumps(
            {
                "access_token": tokens.access_token,
                "refresh_token": tokens.refresh_token,
                "expires_at": tokens.expires_at.isoformat() if tokens.expires_at else None,
                "scope": tokens.scope,
            }
        )
    )


async def request_refresh(http: httpx.AsyncClient, settings: GmailSettings, tokens: GoogleTokens) -> GoogleTokens:
    """Trade the refresh token for a new access token at Google's token endpoint (RFC 6749 §6)."""
    if tokens.refresh_token is None:
        raise RefreshTokenRevoked("the stored OAuth tokens have no refresh_token: connect the mailbox again")
    if settings.client_id is None or settings.client_secret is None:
        raise OAuthError("INBOX_GMAIL__CLIENT_ID and INBOX_GMAIL__CLIENT_SECRET must be set to refresh Gmail tokens")
    form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens.refresh_token,
        "client_id": settings.client_id,
        "client_secret": settings.client_secret.get_secret_value(),
    }
    try:
        response = await http.post(settings.token_url, data=form, headers={"Accept": "application/json"})
    except httpx.HTTPError as exc:
        raise OAuthError(f"Google's token endpoint could not be reached: {type(exc).__name__}") from None
    body = _json_object(response)
    if response.is_success and isinstance(body.get("access_token"), str):
        return GoogleTokens(
            access_token=body["access_token"],
            # Google sends a new refresh token only sometimes; the old one stays valid otherwise.
            refresh_token=body.get("refresh_token") or tokens.refresh_token,
            expires_at=_expiry(body.get("expires_in")),
            scope=body.get("scope") or tokens.scope,
        )
    error = str(body.get("error") or f"HTTP {response.status_code}")
    description = body.get("error_description")
    detail = f"{error}: {description}" if description else error
    if error == "invalid_grant":
        raise RefreshTokenRevoked(
            f"Google refused the mailbox's refresh token ({detail}); access was revoked or expired: "
            "connect the mailbox again"
        )
    raise OAuthError(f"Google's token endpoint refused the refresh ({detail})")


def _expiry(expires_in: object) -> datetime | None:
    """``expires_in`` seconds from now; without a usable one, the token is refreshed when Gmail refuses it."""
    try:
        seconds = int(str(expires_in))
    except ValueError:
        return None
    return utcnow() + timedelta(seconds=seconds)


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


class MailboxCredentials:
    """The access token of one Gmail mailbox while a sync runs.

    Concurrent requests share one refresh: a caller whose token was rejected
    passes it to :meth:`refresh`, and if another caller already replaced it,
    the new token is returned without asking Google again.
    """

    def __init__(
        self,
        database: Database,
        account_id: uuid.UUID,
        tokens: GoogleTokens,
        *,
        http: httpx.AsyncClient,
        settings: GmailSettings,
        box: SecretBox,
    ) -> None:
        self._database = database
        self._account_id = account_id
        self._tokens = tokens
        self._http = http
        self._settings = settings
        self._box = box
        self._lock = asyncio.Lock()
        self._revoked: RefreshTokenRevoked | None = None

    @property
    def tokens(self) -> GoogleTokens:
        return self._tokens

    async def access_token(self) -> str:
        if self._revoked is not None:
            raise self._revoked
        if self._tokens.expires_soon(utcnow()):
            return await self.refresh(self._tokens.access_token)
        return self._tokens.access_token

    async def refresh(self, rejected: str) -> str:
        """A fresh access token in place of ``rejected`` (expired, or refused with 401)."""
        async with self._lock:
            if self._revoked is not None:
                raise self._revoked
            if self._tokens.access_token != rejected and not self._tokens.expires_soon(utcnow()):
                return self._tokens.access_token
            previous = self._tokens
            try:
                fresh = await request_refresh(self._http, self._settings, previous)
            except RefreshTokenRevoked as exc:
                self._revoked = exc
                await self._mark_revoked(previous, exc.message)
                raise
            self._tokens = fresh
            await self._save(previous, fresh)
            return fresh.access_token

    async def _save(self, previous: GoogleTokens, fresh: GoogleTokens) -> None:
        async with self._database.transaction() as session:
            account = await session.get(EmailAccount, self._account_id, with_for_update=True)
            if account is None or not self._unchanged(account, previous):
                return  # deleted, or reconnected with new tokens meanwhile: those win
            store_tokens(account, fresh, self._box)
        logger.info("refreshed the Gmail access token of mailbox %s", self._account_id)

    async def _mark_revoked(self, previous: GoogleTokens, message: str) -> None:
        async with self._database.transaction() as session:
            account = await session.get(EmailAccount, self._account_id, with_for_update=True)
            if account is None or not self._unchanged(account, previous):
                return
            account.status = MailboxStatus.ERROR
            account.last_error = message
        logger.warning("Gmail mailbox %s needs reconnecting: %s", self._account_id, message)

    def _unchanged(self, account: EmailAccount, previous: GoogleTokens) -> bool:
        stored = load_tokens(account, self._box)
        return stored is not None and stored.refresh_token == previous.refresh_token
