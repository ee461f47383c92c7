"""Delivery through the Gmail API (``users.messages.send``) for Gmail mailboxes.

The message is the one SMTP would send (``build_message``), posted as
``{"raw": base64url(bytes), "threadId": ...}``. ``threadId`` is given when the
email's thread was filed by Gmail's own threadId (ingestion keys those threads
``gmail:<threadId>`` in ``email_threads.thread_identifier``) in the same
mailbox, so the reply lands in the rep's Gmail conversation too. Gmail takes the
recipients from the headers, so Bcc travels as a header (Gmail removes it from
the copies it delivers).

The access token comes from the mailbox's stored OAuth tokens through
``inbox.ingest.oauth.MailboxCredentials``: refreshed shortly before it expires,
or once when Gmail answers 401, and saved at once; a refresh token Google
refuses marks the mailbox ``error``.

Failures are classified like SMTP's (``inbox.sending.smtp``), by whether a
retry could send the message twice (``messages.send`` has no idempotency key):

- ``TransientFailure``: 429, 5xx, Gmail's 403 rate limits, the token endpoint
  unreachable, or no connection made: nothing was sent, retrying is safe;
- ``PermanentFailure``: any other 4xx (Google's message kept), a 401 that a
  fresh token does not cure, revoked or missing tokens;
- ``UncertainDelivery``: the request went out and no answer came back
  (read timeout, dropped connection): Gmail may have sent it, so no retry.
"""

from __future__ import annotations

import base64
import logging
import uuid
from dataclasses import dataclass
from email.message import Message
from email.utils import formataddr, parseaddr
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.db import Database
from inbox.core.secrets import SecretBox
from inbox.ingest.gmail import _error_of, _retryable
from inbox.ingest.oauth import MailboxCredentials, OAuthError, RefreshTokenRevoked, load_tokens
from inbox.mailboxes.models import EmailAccount
from inbox.sending.smtp import DeliveryError, PermanentFailure, TransientFailure, UncertainDelivery
from inbox.settings import Settings
from inbox.threads.models import Email, EmailThread

logger = logging.getLogger(__name__)

SEND_PATH = "gmail/v1/users/me/messages/send"
THREAD_KEY_PREFIX = "gmail:"  # how ingestion keys a thread filed by Gmail's threadId


@dataclass(frozen=True, slots=True)
class GmailSent:
    """What Gmail answered: the id of the sent message in the mailbox, and its thread."""

    message_id: str | None
    thread_id: str | None


def raw_message(message: Message) -> str:
    """The message's bytes in base64url, as ``messages.send`` takes them (padding left off, as Gmail writes it)."""
    return base64.urlsafe_b64encode(message.as_bytes()).decode("ascii").rstrip("=")


async def gmail_thread_id(session: AsyncSession, email: Email, account: EmailAccount) -> str | None:
    """Gmail's threadId of the email's thread, when that thread was filed by Gmail in this mailbox."""
    if email.thread_id is None:
        return None
    identifier = await session.scalar(
        sa.select(EmailThread.thread_identifier).where(
            EmailThread.id == email.thread_id,
            EmailThread.workspace_id == email.workspace_id,
            EmailThread.email_account_id == account.id,
        )
    )
    if identifier is None or not identifier.startswith(THREAD_KEY_PREFIX):
        return None
    return identifier.removeprefix(THREAD_KEY_PREFIX) or None


async def store_gmail_message_id(session: AsyncSession, email_id: uuid.UUID, gmail_message_id: str) -> None:
    """Record Gmail's id of the sent message (the sync of the SENT label then skips downloading it)."""
    await session.execute(
        sa.update(Email)
        .where(Email.id == email_id)
        .values(gmail_message_id=gmail_message_id[:64])
        .execution_options(synchronize_session=False)
    )


class GmailSender:
    """Sends messages through the Gmail API of ``settings.gmail.api_base_url``."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings

    async def send(
        self, account: EmailAccount, message: Message, *, bcc: list[str], thread_id: str | None
    ) -> GmailSent:
        """Send ``message`` from ``account``; raises a :class:`DeliveryError` saying whether a retry is safe."""
        box = SecretBox.from_settings(self.settings)
        tokens = load_tokens(account, box)
        if tokens is None:
            raise PermanentFailure("the Gmail mailbox has no OAuth tokens: connect it again")
        if bcc:
            message["Bcc"] = ", ".join(formataddr(parseaddr(address)) for address in bcc)
        body: dict[str, Any] = {"raw": raw_message(message)}
        if thread_id:
            body["threadId"] = thread_id
        gmail = self.settings.gmail
        async with httpx.AsyncClient(base_url=gmail.api_base_url, timeout=gmail.timeout_seconds) as http:
            credentials = MailboxCredentials(self.database, account.id, tokens, http=http, settings=gmail, box=box)
            try:
                response = await self._post(http, credentials, body)
            except RefreshTokenRevoked as exc:
                raise PermanentFailure(exc.message) from None  # the credentials marked the mailbox
            except OAuthError as exc:
                raise TransientFailure(exc.message) from None
        try:
            answer = response.json() if response.content else {}
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            answer = {}
        gmail_id, gmail_thread = answer.get("id"), answer.get("threadId")
        if not isinstance(gmail_id, str):
            logger.warning("Gmail accepted a message from mailbox %s without saying its id", account.id)
        return GmailSent(
            message_id=gmail_id if isinstance(gmail_id, str) else None,
            thread_id=gmail_thread if isinstance(gmail_thread, str) else None,
        )

    async def _post(
        self, http: httpx.AsyncClient, credentials: MailboxCredentials, body: dict[str, Any]
    ) -> httpx.Response:
        refreshed = False
        while True:
            token = await credentials.access_token()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            try:
                response = await http.post(SEND_PATH, json=body, headers=headers)
            except (
                httpx.ConnectError,
                httpx.ConnectTimeout,
                httpx.PoolTimeout,
                httpx.WriteError,
                httpx.WriteTimeout,
            ) as exc:
                # No request reached Gmail whole: nothing can have been sent.
                raise TransientFailure(f"Gmail could not be reached: {type(exc).__name__}") from None
            except httpx.TransportError as exc:
                raise UncertainDelivery(
                    f"the connection to Gmail failed after the message was sent ({type(exc).__name__}); "
                    "Gmail may have sent it: check the mailbox's Sent folder before sending again"
                ) from None
            if response.status_code == 401 and not refreshed:
                refreshed = True
                await credentials.refresh(token)
                continue
            if response.is_success:
                return response
            raise _failure(response)


def _failure(response: httpx.Response) -> DeliveryError:
    error = _error_of(response)  # Google's error body: "Gmail answered <status>: <message>"
    if _retryable(response.status_code, error.reason):
        return TransientFailure(error.message, code=response.status_code)
    if response.status_code == 401:
        return PermanentFailure(
            f"{error.message} (even with a fresh access token): connect the mailbox again", code=401
        )
    return PermanentFailure(error.message, code=response.status_code)
