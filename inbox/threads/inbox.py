"""The inbox list: a rep's threads, those that need a person first.

Order: ``attention`` (see :mod:`inbox.threads.state`), then the newest
message, then id, read through ``ix_email_threads_inbox`` for the first page
and paged by keyset (a cursor of the last row's three values), so a page costs
the same at any depth. Filters narrow that walk; the search goes through the
GIN index ``ix_emails_search`` on PostgreSQL (words, prefix-matched) and
``LIKE`` on SQLite.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.accounts.models import Account
from inbox.contacts.models import Contact, Temperature
from inbox.contacts.repository import like_pattern
from inbox.core.errors import InvalidInput
from inbox.core.principal import Principal
from inbox.mailboxes.models import EmailAccount
from inbox.threads.models import SEARCH_DOCUMENT, Direction, Email, EmailThread, ThreadStatus
from inbox.threads.repository import ThreadRepository

PAGE_SIZE = 50
_WORD = re.compile(r"[\w@.+-]+", re.UNICODE)
FOLDERS = ("inbox", "archived", "all")


@dataclass(slots=True)
class InboxFilters:
    folder: str = "inbox"  # inbox (active), archived, all
    needs_reply: bool = False
    unread: bool = False
    drafts: bool = False
    temperature: Temperature | None = None
    intent: str | None = None
    mailbox_id: uuid.UUID | None = None
    assignee_id: uuid.UUID | None = None
    q: str | None = None

    def query_items(self) -> list[tuple[str, str]]:
        """The filters as query-string pairs (for links that keep them)."""
        items: list[tuple[str, str]] = []
        if self.folder != "inbox":
            items.append(("folder", self.folder))
        for name in ("needs_reply", "unread", "drafts"):
            if getattr(self, name):
                items.append((name, "1"))
        for name in ("temperature", "intent", "mailbox_id", "assignee_id", "q"):
            value = getattr(self, name)
            if value:
                items.append((name, str(value)))
        return items


@dataclass(slots=True)
class InboxRow:
    id: uuid.UUID
    subject: str | None
    last_message_at: datetime | None
    message_count: int
    unread_count: int
    needs_reply: bool
    has_draft: bool
    attention: int
    intent: str | None
    urgency: str | None
    status: str
    contact_id: uuid.UUID | None
    contact_name: str | None
    contact_email: str | None
    temperature: str | None
    company: str | None
    mailbox: str | None
    preview: str | None = None
    from_name: str | None = None
    from_address: str | None = None


@dataclass(slots=True)
class InboxPage:
    rows: list[InboxRow]
    next_cursor: str | None
    counts: dict[str, int] = field(default_factory=dict)


def _cursor(row: InboxRow) -> str:
    raw = json.dumps([row.attention, row.last_message_at.isoformat() if row.last_message_at else None, str(row.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_cursor(cursor: str) -> tuple[int, datetime | None, uuid.UUID]:
    try:
        attention, at, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return int(attention), datetime.fromisoformat(at) if at else None, uuid.UUID(row_id)
    except (ValueError, TypeError, json.JSONDecodeError):
        raise InvalidInput("cursor: not a cursor this inbox gave", field="cursor") from None


def search_words(q: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(q)][:8]


def _search(stmt: sa.Select[Any], session: AsyncSession, principal: Principal, q: str) -> sa.Select[Any]:
    words = search_words(q)
    if not words:
        return stmt
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # Each word as a prefix, quoted as a tsquery lexeme (a _WORD holds no quote or backslash).
        query = " & ".join(f"'{word}':*" for word in words)
        matching = sa.select(Email.thread_id).where(
            Email.workspace_id == principal.workspace_id,
            Email.direction == Direction.INBOUND,
            sa.text(f"{SEARCH_DOCUMENT} @@ to_tsquery('simple'::regconfig, :inbox_q)").bindparams(inbox_q=query),
        )
    else:
        document = sa.func.lower(
            sa.func.coalesce(Email.subject, "")
            + " "
            + sa.func.coalesce(Email.from_name, "")
            + " "
            + sa.func.coalesce(Email.from_address, "")
            + " "
            + sa.func.coalesce(Email.body_text, "")
        )
        matching = sa.select(Email.thread_id).where(
            Email.workspace_id == principal.workspace_id,
            Email.direction == Direction.INBOUND,
            *(document.like(like_pattern(word), escape="\\") for word in words),
        )
    return stmt.where(EmailThread.id.in_(matching))


def _filtered(session: AsyncSession, principal: Principal, filters: InboxFilters) -> sa.Select[Any]:
    stmt = ThreadRepository(session, principal).scoped()
    if filters.folder == "inbox":
        stmt = stmt.where(EmailThread.status == ThreadStatus.ACTIVE)
    elif filters.folder == "archived":
        stmt = stmt.where(EmailThread.status == ThreadStatus.ARCHIVED)
    if filters.needs_reply:
        stmt = stmt.where(EmailThread.needs_reply.is_(True))
    if filters.unread:
        stmt = stmt.where(EmailThread.unread_count > 0)
    if filters.drafts:
        stmt = stmt.where(EmailThread.has_draft.is_(True))
    if filters.intent:
        stmt = stmt.where(EmailThread.intent == filters.intent)
    if filters.mailbox_id:
        stmt = stmt.where(EmailThread.email_account_id == filters.mailbox_id)
    if filters.temperature is not None:
        stmt = stmt.where(
            EmailThread.contact_id.in_(
                sa.select(Contact.id).where(
                    Contact.workspace_id == principal.workspace_id, Contact.temperature == filters.temperature
                )
            )
        )
    if filters.assignee_id:
        stmt = stmt.where(
            sa.or_(
                EmailThread.email_account_id.in_(
                    sa.select(EmailAccount.id).where(
                        EmailAccount.workspace_id == principal.workspace_id,
                        EmailAccount.user_id == filters.assignee_id,
                    )
                ),
                EmailThread.contact_id.in_(
                    sa.select(Contact.id).where(
                        Contact.workspace_id == principal.workspace_id, Contact.owner_id == filters.assignee_id
                    )
                ),
            )
        )
    if filters.q:
        stmt = _search(stmt, session, principal, filters.q)
    return stmt


async def inbox_page(
    session: AsyncSession,
    principal: Principal,
    filters: InboxFilters,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> InboxPage:
    threads = _filtered(session, principal, filters).subquery("t")
    # NULLS FIRST, as a backward walk of the index returns them on PostgreSQL, on SQLite too.
    order = (threads.c.attention.desc(), threads.c.last_message_at.desc().nulls_first(), threads.c.id.desc())
    stmt = (
        sa.select(
            threads.c.id,
            threads.c.subject,
            threads.c.last_message_at,
            threads.c.message_count,
            threads.c.unread_count,
            threads.c.needs_reply,
            threads.c.has_draft,
            threads.c.attention,
            threads.c.intent,
            threads.c.urgency,
            threads.c.status,
            threads.c.contact_id,
            sa.func.trim(
                sa.func.coalesce(Contact.first_name, "") + " " + sa.func.coalesce(Contact.last_name, "")
            ).label("contact_name"),
            Contact.email.label("contact_email"),
            Contact.temperature,
            Account.name.label("company"),
            EmailAccount.email_address.label("mailbox"),
        )
        .select_from(threads)
        .outerjoin(Contact, Contact.id == threads.c.contact_id)
        .outerjoin(Account, Account.id == Contact.account_id)
        .outerjoin(EmailAccount, EmailAccount.id == threads.c.email_account_id)
        .order_by(*order)
        .limit(limit + 1)
    )
    if cursor:
        attention, at, row_id = _read_cursor(cursor)
        if at is None:
            stmt = stmt.where(
                sa.or_(
                    threads.c.attention < attention,
                    sa.and_(threads.c.attention == attention, threads.c.last_message_at.is_not(None)),
                    sa.and_(
                        threads.c.attention == attention,
                        threads.c.last_message_at.is_(None),
                        threads.c.id < row_id,
                    ),
                )
            )
        else:
            stmt = stmt.where(
                sa.or_(
                    threads.c.attention < attention,
                    sa.and_(threads.c.attention == attention, threads.c.last_message_at < at),
                    sa.and_(threads.c.attention == attention, threads.c.last_message_at == at, threads.c.id < row_id),
                )
            )
    result = await session.execute(stmt)
    rows = [InboxRow(**{**row._mapping, "temperature": _str(row.temperature)}) for row in result]
    more = len(rows) > limit
    rows = rows[:limit]
    latest = await ThreadRepository(session, principal).latest_messages([row.id for row in rows])
    for row in rows:
        message = latest.get(row.id)
        if message is not None:
            row.preview, row.from_name, row.from_address = message.preview, message.from_name, message.from_address
    return InboxPage(rows=rows, next_cursor=_cursor(rows[-1]) if more and rows else None)


def _str(value: object) -> str | None:
    return None if value is None else str(value)


async def inbox_counts(session: AsyncSession, principal: Principal) -> dict[str, int]:
    """Threads in the inbox that need a reply, hold unread mail, or hold a draft (the navigation's badges)."""
    active = (
        ThreadRepository(session, principal)
        .scoped()
        .where(EmailThread.status == ThreadStatus.ACTIVE)
        .with_only_columns(
            sa.func.count().filter(EmailThread.needs_reply.is_(True)).label("needs_reply"),
            sa.func.count().filter(EmailThread.unread_count > 0).label("unread"),
            sa.func.count().filter(EmailThread.has_draft.is_(True)).label("drafts"),
        )
    )
    row = (await session.execute(active)).one()
    return {"needs_reply": row.needs_reply or 0, "unread": row.unread or 0, "drafts": row.drafts or 0}
