"""Queries over ingested mail: threads, emails and their attachments.

Who sees what. Every query is scoped to the principal's workspace; managers
and admins see all of it. A sales rep sees a conversation when

- its mailbox is one they see: their own or an unowned (shared) one, as
  ``EmailAccountRepository`` lists mailboxes, or
- its contact is one they see: their own or an unowned one, as
  ``ContactRepository`` lists contacts (whose ``last_message`` already shows
  that contact's mail).

Visibility belongs to the conversation, decided by the thread's mailbox and
contact, so a rep who sees a thread sees every email in it; an email outside
any thread is judged by its own mailbox and contact. Mail with neither (a
teammate's mailbox and a teammate's contact, or no contact at all: bounces,
unparseable bytes) stays with the mailbox's owner and the managers. Reps change
(status, read/unread) what they see. Anything else is 404, as everywhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.orm import defer, selectinload

from inbox.contacts.models import Contact
from inbox.contacts.repository import like_pattern
from inbox.core.errors import NotFound
from inbox.core.pagination import Page, Sort, SortField, paginate
from inbox.core.principal import Principal
from inbox.core.repository import WorkspaceRepository, aware
from inbox.mailboxes.models import EmailAccount
from inbox.threads.models import (
    DeliveryStatus,
    Direction,
    Email,
    EmailAttachment,
    EmailThread,
    InboxStatus,
    ThreadStatus,
)
from inbox.threads.schemas import PREVIEW_CHARS, EmailSummary

# When a message happened: received for inbound mail, sent for outbound, created for a draft.
EMAIL_DATE: ColumnElement[datetime] = func.coalesce(Email.received_at, Email.sent_at, Email.created_at)
# The start of a message's new text (its reply without quotes, else its whole text), for lists.
EMAIL_PREVIEW: ColumnElement[str] = func.substr(
    func.coalesce(func.nullif(Email.reply_text, ""), Email.body_text), 1, PREVIEW_CHARS
)

THREAD_SORTS = {
    "last_message_at": SortField(func.coalesce(EmailThread.last_message_at, EmailThread.created_at), datetime),
    "created_at": SortField(EmailThread.created_at, datetime),
}
EMAIL_SORTS = {
    "date": SortField(EMAIL_DATE, datetime),
    "created_at": SortField(Email.created_at, datetime),
}
# The columns of an email list's rows (EmailSummary's fields, preview computed).
_SUMMARY_COLUMNS = [getattr(Email, name) for name in EmailSummary.model_fields if name != "preview"]


def _visible_mailboxes(principal: Principal) -> Select[Any]:
    return select(EmailAccount.id).where(
        EmailAccount.workspace_id == principal.workspace_id,
        or_(EmailAccount.user_id == principal.user_id, EmailAccount.user_id.is_(None)),
    )


def _visible_contacts(principal: Principal) -> Select[Any]:
    return select(Contact.id).where(
        Contact.workspace_id == principal.workspace_id,
        or_(Contact.owner_id == principal.user_id, Contact.owner_id.is_(None)),
    )


def _thread_visibility(principal: Principal) -> ColumnElement[bool]:
    return or_(
        EmailThread.email_account_id.in_(_visible_mailboxes(principal)),
        EmailThread.contact_id.in_(_visible_contacts(principal)),
    )


class ThreadRepository(WorkspaceRepository[EmailThread]):
    model = EmailThread
    label = "thread"

    def visibility(self) -> ColumnElement[bool] | None:
        return None if self.principal.sees_whole_workspace else _thread_visibility(self.principal)

    async def list(
        self,
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
    ) -> Page[EmailThread]:
        stmt = self.where_equal(
            self.scoped(), {EmailThread.contact_id: contact_id, EmailThread.email_account_id: email_account_id}
        )
        if statuses:
            stmt = stmt.where(EmailThread.status.in_(list(statuses)))
        if q:
            stmt = stmt.where(func.lower(EmailThread.subject).like(like_pattern(q), escape="\\"))
        if (start := aware(since, "since")) is not None:
            stmt = stmt.where(EmailThread.last_message_at >= start)
        if (end := aware(until, "until")) is not None:
            stmt = stmt.where(EmailThread.last_message_at < end)
        return await paginate(
            self.session,
            stmt,
            id_column=EmailThread.id,
            sort=Sort.parse(sort, THREAD_SORTS, default="-last_message_at"),
            limit=limit,
            cursor=cursor,
        )

    async def latest_messages(self, thread_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Row[Any]]:
        """The newest message of each thread, drafts aside (``from_address``, ``from_name``, ``preview``), in one
        query."""
        if not thread_ids:
            return {}
        rank = func.row_number().over(partition_by=Email.thread_id, order_by=(EMAIL_DATE.desc(), Email.id.desc()))
        ranked = (
            select(
                Email.thread_id,
                Email.from_address,
                Email.from_name,
                EMAIL_PREVIEW.label("preview"),
                rank.label("rank"),
            )
            .where(
                Email.workspace_id == self.workspace_id,
                Email.thread_id.in_(list(thread_ids)),
                # A draft is not a message of the conversation yet.
                or_(Email.direction == Direction.INBOUND, Email.delivery_status != DeliveryStatus.DRAFT),
            )
            .subquery()
        )
        rows = await self.session.execute(select(ranked).where(ranked.c.rank == 1))
        return {row.thread_id: row for row in rows}


class EmailRepository(WorkspaceRepository[Email]):
    model = Email
    label = "email"

    def visibility(self) -> ColumnElement[bool] | None:
        principal = self.principal
        if principal.sees_whole_workspace:
            return None
        visible_threads = select(EmailThread.id).where(
            EmailThread.workspace_id == principal.workspace_id, _thread_visibility(principal)
        )
        unthreaded = and_(
            Email.thread_id.is_(None),
            or_(
                Email.email_account_id.in_(_visible_mailboxes(principal)),
                Email.contact_id.in_(_visible_contacts(principal)),
            ),
        )
        return or_(Email.thread_id.in_(visible_threads), unthreaded)

    async def list(
        self,
        *,
        thread_id: uuid.UUID | None = None,
        contact_id: uuid.UUID | None = None,
        email_account_id: uuid.UUID | None = None,
        direction: Direction | None = None,
        parse_error: bool | None = None,
        is_bounce: bool | None = None,
        is_auto_reply: bool | None = None,
        inbox_status: InboxStatus | None = None,
        sort: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[Row[Any]]:
        """A page of rows holding EmailSummary's fields: a list never reads whole bodies."""
        stmt: Select[Any] = self.scoped().with_only_columns(*_SUMMARY_COLUMNS, EMAIL_PREVIEW.label("preview"))
        stmt = self.where_equal(
            stmt,
            {
                Email.thread_id: thread_id,
                Email.contact_id: contact_id,
                Email.email_account_id: email_account_id,
                Email.direction: direction,
                Email.inbox_status: inbox_status,
            },
        )
        if parse_error is not None:
            stmt = stmt.where(Email.parse_error.is_not(None) if parse_error else Email.parse_error.is_(None))
        for column, value in ((Email.is_bounce, is_bounce), (Email.is_auto_reply, is_auto_reply)):
            if value is not None:
                stmt = stmt.where(column.is_(value))
        return await paginate(
            self.session,
            stmt,
            id_column=Email.id,
            sort=Sort.parse(sort, EMAIL_SORTS, default="-date"),
            limit=limit,
            cursor=cursor,
        )

    async def get_full(self, email_id: uuid.UUID) -> Email:
        """The email with its attachments."""
        stmt = self.scoped().where(Email.id == email_id).options(selectinload(Email.attachments))
        email: Email | None = (await self.session.execute(stmt)).scalar_one_or_none()
        if email is None:
            raise NotFound.of(self.label)
        return email

    async def in_thread(self, thread_id: uuid.UUID) -> Sequence[Email]:
        """A thread's emails, oldest first, with attachments and without ``body_html`` (never loaded).
        The caller has checked that the thread is visible: all of its emails are."""
        stmt = (
            select(Email)
            .where(Email.workspace_id == self.workspace_id, Email.thread_id == thread_id)
            .options(defer(Email.body_html, raiseload=True), selectinload(Email.attachments))
            .order_by(EMAIL_DATE, Email.id)
        )
        return (await self.session.execute(stmt)).scalars().all()

    async def raw_storage_key(self, email_id: uuid.UUID) -> str | None:
        stmt = self.scoped().where(Email.id == email_id).with_only_columns(Email.id, Email.raw_storage_key)
        row = (await self.session.execute(stmt)).one_or_none()
        if row is None:
            raise NotFound.of(self.label)
        key: str | None = row.raw_storage_key
        return key

    async def attachment(self, email_id: uuid.UUID, attachment_id: uuid.UUID) -> EmailAttachment:
        """One attachment of an email the principal sees."""
        email = self.scoped().where(Email.id == email_id).with_only_columns(Email.id)
        stmt = select(EmailAttachment).where(
            EmailAttachment.workspace_id == self.workspace_id,
            EmailAttachment.id == attachment_id,
            EmailAttachment.email_id == email_id,
            EmailAttachment.email_id.in_(email),
        )
        attachment: EmailAttachment | None = (await self.session.execute(stmt)).scalar_one_or_none()
        if attachment is None:
            raise NotFound.of("attachment")
        return attachment
