"""Ingested mail: conversations (``/threads``) and messages (``/emails``).

Downloads (raw messages, attachments) carry bytes from strangers: they are
always served as attachments under ``nosniff`` and a sandboxing CSP, never
rendered inline by the browser, whatever content type the sender claimed.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from litestar import Controller, Response, get, patch
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ListParams
from inbox.core.principal import Principal
from inbox.core.schemas import PageOut
from inbox.ingest.blobs import LocalBlobStore
from inbox.settings import Settings
from inbox.threads import service
from inbox.threads.models import Direction, InboxStatus, ThreadStatus
from inbox.threads.repository import EmailRepository
from inbox.threads.schemas import (
    EmailOut,
    EmailSummary,
    EmailUpdate,
    ThreadDetail,
    ThreadOut,
    ThreadSummary,
    ThreadUpdate,
)

_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$")
_UNSAFE_IN_NAME = re.compile(r"[\x00-\x1f\x7f/\\]")
_NOT_PLAIN_ASCII = re.compile(r"[^A-Za-z0-9 !#$&'()+,.;=@\[\]^_`{}~-]")
MAX_FILENAME_CHARS = 200


def download_headers(filename: str | None, fallback: str) -> dict[str, str]:
    """Headers that make a browser save untrusted bytes, never display or sniff them.

    The filename comes from the sender: path separators and control characters
    are replaced, and it travels both RFC 6266-style (``filename*``, UTF-8,
    percent-encoded) and as a plain-ASCII ``filename`` for old clients."""
    name = _UNSAFE_IN_NAME.sub("_", filename or "").strip().lstrip(".")[:MAX_FILENAME_CHARS] or fallback
    plain = _NOT_PLAIN_ASCII.sub("_", name)
    return {
        "Content-Disposition": f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
    }


def safe_media_type(claimed: str) -> str:
    """The sender's content type when it is a plain ``type/subtype``, else octet-stream."""
    value = claimed.strip().lower()
    return value if _MEDIA_TYPE.match(value) else "application/octet-stream"


class ThreadController(Controller):
    path = "/threads"
    tags = ["threads"]

    @get()
    async def list_threads(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        page: NamedDependency[ListParams],
        contact_id: FromQuery[uuid.UUID | None] = None,
        email_account_id: FromQuery[uuid.UUID | None] = None,
        status: Annotated[list[ThreadStatus] | None, QueryParameter(description="repeatable")] = None,
        q: Annotated[str | None, QueryParameter(max_length=200, description="subject contains")] = None,
        since: Annotated[
            datetime | None, QueryParameter(description="last message at or after; timezone-aware ISO 8601")
        ] = None,
        until: Annotated[
            datetime | None, QueryParameter(description="last message before; timezone-aware ISO 8601")
        ] = None,
    ) -> PageOut[ThreadSummary]:
        """Conversations, each with its latest message's sender and preview (a sales rep sees those of their
        own or shared mailboxes and of their own or unowned contacts). Sort by last_message_at (default
        -last_message_at, newest first) or created_at."""
        result = await service.list_threads(
            db_session,
            principal,
            contact_id=contact_id,
            email_account_id=email_account_id,
            statuses=status or (),
            q=q,
            since=since,
            until=until,
            sort=page.sort,
            limit=page.limit,
            cursor=page.cursor,
        )
        return PageOut[ThreadSummary](
            items=result.items, total=result.total, next_cursor=result.next_cursor, limit=result.limit
        )

    @get("/{thread_id:uuid}")
    async def get_thread(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        thread_id: FromPath[uuid.UUID],
    ) -> ThreadDetail:
        """The thread and its emails, oldest first, without body_html (read it from GET /api/emails/{id})."""
        return await service.get_thread(db_session, principal, thread_id)

    @patch("/{thread_id:uuid}")
    async def update_thread(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        thread_id: FromPath[uuid.UUID],
        data: JSONBody[ThreadUpdate],
    ) -> ThreadOut:
        """Archive, close or reopen a conversation."""
        return ThreadOut.model_validate(await service.update_thread(db_session, principal, thread_id, data))


class EmailController(Controller):
    path = "/emails"
    tags = ["emails"]

    @get()
    async def list_emails(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        page: NamedDependency[ListParams],
        thread_id: FromQuery[uuid.UUID | None] = None,
        contact_id: FromQuery[uuid.UUID | None] = None,
        email_account_id: FromQuery[uuid.UUID | None] = None,
        direction: FromQuery[Direction | None] = None,
        parse_error: Annotated[
            bool | None, QueryParameter(description="true: only messages that could not be parsed; false: none")
        ] = None,
        is_bounce: FromQuery[bool | None] = None,
        is_auto_reply: FromQuery[bool | None] = None,
        inbox_status: FromQuery[InboxStatus | None] = None,
    ) -> PageOut[EmailSummary]:
        """Messages in either direction, bounces, auto-replies and unparseable ones included. Sort by date
        (default -date, newest first: received_at, else sent_at, else created_at) or created_at."""
        result = await EmailRepository(db_session, principal).list(
            thread_id=thread_id,
            contact_id=contact_id,
            email_account_id=email_account_id,
            direction=direction,
            parse_error=parse_error,
            is_bounce=is_bounce,
            is_auto_reply=is_auto_reply,
            inbox_status=inbox_status,
            sort=page.sort,
            limit=page.limit,
            cursor=page.cursor,
        )
        return PageOut[EmailSummary].model_validate(result, from_attributes=True)

    @get("/{email_id:uuid}")
    async def get_email(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        email_id: FromPath[uuid.UUID],
    ) -> EmailOut:
        """The whole message: bodies (body_html sanitised when stored), parse_error, attachments' metadata."""
        return EmailOut.model_validate(await EmailRepository(db_session, principal).get_full(email_id))

    @patch("/{email_id:uuid}")
    async def update_email(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        email_id: FromPath[uuid.UUID],
        data: JSONBody[EmailUpdate],
    ) -> EmailOut:
        """Mark an inbound message read, unread or archived."""
        return EmailOut.model_validate(await service.update_email(db_session, principal, email_id, data))

    @get("/{email_id:uuid}/raw", media_type="message/rfc822")
    async def download_raw(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        app_settings: NamedDependency[Settings],
        email_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """The message byte for byte as received, parsed or not (404 when its bytes are missing)."""
        content = await service.raw_message(db_session, principal, email_id, LocalBlobStore(app_settings.blob_dir))
        return Response(content, media_type="message/rfc822", headers=download_headers(None, f"{email_id}.eml"))

    @get("/{email_id:uuid}/attachments/{attachment_id:uuid}", media_type="application/octet-stream")
    async def download_attachment(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        app_settings: NamedDependency[Settings],
        email_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
    ) -> Response[bytes]:
        """An attachment's bytes under its content type, always as a download."""
        attachment, content = await service.attachment_content(
            db_session, principal, email_id, attachment_id, LocalBlobStore(app_settings.blob_dir)
        )
        return Response(
            content,
            media_type=safe_media_type(attachment.content_type),
            headers=download_headers(attachment.filename, f"attachment-{attachment.id}"),
        )
