"""Reading ingested mail and the two changes a client may make to it.

Raw messages and attachment bytes come from the blob store, read in a worker
thread: a large attachment must not stall the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.errors import InvalidInput, NotFound
from inbox.core.pagination import Page
from inbox.core.principal import Principal
from inbox.ingest.blobs import BlobStore
from inbox.threads.models import Direction, Email, EmailAttachment, EmailThread, InboxStatus, ThreadStatus
from inbox.threads.repository import EmailRepository, ThreadRepository
from inbox.threads.schemas import EmailUpdate, ThreadDetail, ThreadEmail, ThreadOut, ThreadSummary, ThreadUpdate
from inbox.threads.state import refresh_threads

logger = logging.getLogger(__name__)


async def list_threads(
    session: AsyncSession,
    principal: Principal,
    *,
    contact_id: uuid.UUID | None = None,
    email_account_id: uuid.UUID | None = None,
    statuses: Sequence[ThreadStatus] = (),
    q: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    sort: str | None,
    limit: int,
    cursor: str | None,
) -> Page[ThreadSummary]:
    """A page of threads, each with its latest message's sender and preview (one more query per page)."""
    repository = ThreadRepository(session, principal)
    page = await repository.list(
        contact_id=contact_id,
        email_account_id=email_account_id,
        statuses=statuses,
        q=q,
        since=since,
        until=until,
        sort=sort,
        limit=limit,
        cursor=cursor,
    )
    latest = await repository.latest_messages([thread.id for thread in page.items])
    items = []
    for thread in page.items:
        message = latest.get(thread.id)
        items.append(
            ThreadSummary(
                **ThreadOut.model_validate(thread).model_dump(),
                last_from_address=message.from_address if message else None,
                last_from_name=message.from_name if message else None,
                preview=message.preview if message else None,
            )
        )
    return Page(items=items, total=page.total, next_cursor=page.next_cursor, limit=page.limit)


async def get_thread(session: AsyncSession, principal: Principal, thread_id: uuid.UUID) -> ThreadDetail:
    thread = await ThreadRepository(session, principal).get(thread_id)
    emails = await EmailRepository(session, principal).in_thread(thread.id)
    return ThreadDetail(
        **ThreadOut.model_validate(thread).model_dump(),
        emails=[ThreadEmail.model_validate(email) for email in emails],
    )


async def update_thread(
    session: AsyncSession, principal: Principal, thread_id: uuid.UUID, data: ThreadUpdate
) -> EmailThread:
    repository = ThreadRepository(session, principal)
    thread = await repository.get(thread_id)
    repository.apply(thread, data.model_dump(exclude_unset=True))
    await repository.flush()
    await refresh_threads(session, [thread.id])
    return thread


async def update_email(session: AsyncSession, principal: Principal, email_id: uuid.UUID, data: EmailUpdate) -> Email:
    repository = EmailRepository(session, principal)
    email = await repository.get_full(email_id)
    if email.direction is not Direction.INBOUND:
        raise InvalidInput("inbox_status: only inbound mail has an inbox status", field="inbox_status")
    repository.apply(email, {"inbox_status": InboxStatus(data.inbox_status)})
    await repository.flush()
    if email.thread_id is not None:
        await refresh_threads(session, [email.thread_id])
    return email


async def raw_message(session: AsyncSession, principal: Principal, email_id: uuid.UUID, blobs: BlobStore) -> bytes:
    """The message's bytes as they were received (what ingestion kept, parsed or not)."""
    key = await EmailRepository(session, principal).raw_storage_key(email_id)
    if key is None:
        raise NotFound("this email has no raw message: it was not received")
    return await _read_blob(blobs, key, what=f"raw message of email {email_id}")


async def attachment_content(
    session: AsyncSession, principal: Principal, email_id: uuid.UUID, attachment_id: uuid.UUID, blobs: BlobStore
) -> tuple[EmailAttachment, bytes]:
    attachment = await EmailRepository(session, principal).attachment(email_id, attachment_id)
    if attachment.storage_key is None:
        raise NotFound("the bytes of this attachment were not stored")
    return attachment, await _read_blob(blobs, attachment.storage_key, what=f"attachment {attachment_id}")


async def _read_blob(blobs: BlobStore, key: str, *, what: str) -> bytes:
    try:
        return await asyncio.to_thread(blobs.get, key)
    except (KeyError, ValueError):
        # The row outlived its bytes (a lost blob folder, a restore without it): an operator's problem.
        logger.warning("the %s is missing from the blob store (key %s)", what, key)
        raise NotFound("the stored bytes are missing from the blob store") from None
