"""Everything triage reads about one inbound email, in three queries.

The email with its mailbox, rep, contact and company (one joined row), the
last few messages of its thread, and the workspace's templates. The prompt
builder trims the history to its token budget; this module only bounds it.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ai.schemas import AccountInfo, ContactInfo, RepInfo, TemplateInfo, ThreadMessage, TriageInput
from inbox.accounts.models import Account
from inbox.contacts.models import Contact
from inbox.core.db import utcnow
from inbox.mailboxes.models import EmailAccount
from inbox.templates.models import EmailTemplate
from inbox.threads.models import Direction, Email
from inbox.users.models import User

HISTORY_MESSAGES = 6  # at most this many earlier messages; the token budget trims further
HISTORY_CHARS = 4_000  # per earlier message, before token trimming
NEW_TEXT_CHARS = 20_000
TEMPLATES = 50

# Bind parameters of id columns say their type: a foreign-key column's own type is only known
# once its table's metadata is complete, after these statements are built.
UUID_TYPE = sa.Uuid()


@dataclass(frozen=True, slots=True)
class EmailFacts:
    """What the writes need to know about the email, beside the provider's input."""

    email_id: uuid.UUID
    workspace_id: uuid.UUID
    thread_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    account_id: uuid.UUID | None  # the contact's company
    email_account_id: uuid.UUID | None
    mailbox_address: str | None
    rep_user_id: uuid.UUID | None
    contact_owner_id: uuid.UUID | None
    contact_status: str | None
    contact_temperature: str | None
    from_address: str | None
    subject: str | None
    message_id: str | None
    references: list[str]
    received_at: datetime | None
    triaged_at: datetime | None
    direction: str
    is_bounce: bool
    is_auto_reply: bool

    @property
    def assignee_id(self) -> uuid.UUID | None:
        return self.contact_owner_id or self.rep_user_id


# Core statements over the tables, built once with bind parameters: an ORM statement built per
# call costs more to compile-check than to run (triage reads context for 100 emails a second).
_E = Email.__table__.c
_MB = EmailAccount.__table__.c
_U = User.__table__.c
_C = Contact.__table__.c
_A = Account.__table__.c
_T = EmailTemplate.__table__.c

_EMAIL_ROW = sa.select(
    _E.id,
    _E.workspace_id,
    _E.thread_id,
    _E.contact_id,
    _E.email_account_id,
    _E.direction,
    _E.from_address,
    _E.from_name,
    _E.to_addresses,
    _E.cc_addresses,
    _E.subject,
    _E.body_text,
    _E.reply_text,
    _E.message_id,
    _E.references,
    _E.received_at,
    _E.sent_at,
    _E.created_at,
    _E.triaged_at,
    _E.is_bounce,
    _E.is_auto_reply,
    _MB.email_address.label("mailbox_address"),
    _MB.display_name.label("mailbox_name"),
    _MB.user_id.label("rep_user_id"),
    _U.first_name.label("rep_first_name"),
    _U.last_name.label("rep_last_name"),
    _U.email_signature.label("rep_signature"),
    _C.email.label("contact_email"),
    _C.first_name.label("contact_first_name"),
    _C.last_name.label("contact_last_name"),
    _C.title.label("contact_title"),
    _C.status.label("contact_status"),
    _C.temperature.label("contact_temperature"),
    _C.owner_id.label("contact_owner_id"),
    _C.account_id.label("account_id"),
    _A.name.label("account_name"),
    _A.domain.label("account_domain"),
    _A.industry.label("account_industry"),
).select_from(
    Email.__table__.outerjoin(EmailAccount.__table__, _MB.id == _E.email_account_id)
    .outerjoin(User.__table__, _U.id == _MB.user_id)
    .outerjoin(Contact.__table__, _C.id == _E.contact_id)
    .outerjoin(Account.__table__, _A.id == _C.account_id)
)
_EMAIL_BY_ID = _EMAIL_ROW.where(_E.id == sa.bindparam("email_id", type_=UUID_TYPE))
_EMAIL_BY_ID_IN_WORKSPACE = _EMAIL_BY_ID.where(_E.workspace_id == sa.bindparam("workspace_id", type_=UUID_TYPE))

_WHEN = sa.func.coalesce(_E.received_at, _E.sent_at, _E.created_at)
_HISTORY = (
    sa.select(_E.direction, _E.from_address, _E.from_name, _WHEN.label("at"), _E.reply_text, _E.body_text)
    .where(
        _E.workspace_id == sa.bindparam("workspace_id", type_=UUID_TYPE),
        _E.thread_id == sa.bindparam("thread_id", type_=UUID_TYPE),
        _E.id != sa.bindparam("email_id", type_=UUID_TYPE),
        sa.bindparam("at", type_=_E.received_at.type) >= _WHEN,
        # A draft or a scheduled email was never read by the lead.
        sa.or_(_E.direction == Direction.INBOUND, _E.sent_at.is_not(None)),
    )
    .order_by(_WHEN.desc())
    .limit(HISTORY_MESSAGES)
)
_TEMPLATES = (
    sa.select(_T.name, _T.category, _T.tone, _T.subject, _T.body)
    .where(_T.workspace_id == sa.bindparam("workspace_id", type_=UUID_TYPE))
    .order_by(_T.is_default.desc(), _T.name)
    .limit(TEMPLATES)
)


async def load_context(
    session: AsyncSession, email_id: uuid.UUID, *, workspace_id: uuid.UUID | None = None
) -> tuple[TriageInput, EmailFacts] | None:
    """The provider's input and the writes' facts for ``email_id``, or None when there is no such email.

    ``workspace_id`` scopes the lookup for callers acting for a user (the API)."""
    if workspace_id is None:
        found = await session.execute(_EMAIL_BY_ID, {"email_id": email_id})
    else:
        found = await session.execute(_EMAIL_BY_ID_IN_WORKSPACE, {"email_id": email_id, "workspace_id": workspace_id})
    row = found.one_or_none()
    if row is None:
        return None
    facts = EmailFacts(
        email_id=row.id,
        workspace_id=row.workspace_id,
        thread_id=row.thread_id,
        contact_id=row.contact_id,
        account_id=row.account_id,
        email_account_id=row.email_account_id,
        mailbox_address=row.mailbox_address,
        rep_user_id=row.rep_user_id,
        contact_owner_id=row.contact_owner_id,
        contact_status=str(row.contact_status) if row.contact_status else None,
        contact_temperature=str(row.contact_temperature) if row.contact_temperature else None,
        from_address=row.from_address,
        subject=row.subject,
        message_id=row.message_id,
        references=list(row.references or []),
        received_at=row.received_at,
        triaged_at=row.triaged_at,
        direction=str(row.direction),
        is_bounce=row.is_bounce,
        is_auto_reply=row.is_auto_reply,
    )
    at = row.received_at or row.sent_at or row.created_at
    history = await _history(session, row.workspace_id, row.thread_id, row.id, at)
    templates = await _templates(session, row.workspace_id)
    body = (row.body_text or "")[:NEW_TEXT_CHARS]
    new_text = (row.reply_text or row.body_text or "")[:NEW_TEXT_CHARS]
    item = TriageInput(
        email_id=str(row.id),
        from_address=row.from_address or "",
        from_name=row.from_name,
        to_addresses=list(row.to_addresses or []),
        cc_addresses=list(row.cc_addresses or []),
        subject=row.subject or "",
        received_at=at,
        new_text=new_text,
        body_text=body,
        now=utcnow(),
        is_auto_reply=row.is_auto_reply,
        is_bounce=row.is_bounce,
        classification_reason=None,
        history=history,
        contact=ContactInfo(
            email=row.contact_email,
            first_name=row.contact_first_name,
            last_name=row.contact_last_name,
            title=row.contact_title,
            status=facts.contact_status,
            temperature=facts.contact_temperature,
        )
        if row.contact_email
        else None,
        account=AccountInfo(name=row.account_name, domain=row.account_domain, industry=row.account_industry)
        if row.account_name
        else None,
        rep=_rep(row._mapping),
        templates=templates,
    )
    return item, facts


def _rep(mapping: sa.RowMapping) -> RepInfo | None:
    name = " ".join(part for part in (mapping["rep_first_name"], mapping["rep_last_name"]) if part)
    name = name or mapping["mailbox_name"] or ""
    if not name and not mapping["mailbox_address"]:
        return None
    return RepInfo(name=name, email=mapping["mailbox_address"], signature=mapping["rep_signature"])


async def _history(
    session: AsyncSession,
    workspace_id: uuid.UUID,
    thread_id: uuid.UUID | None,
    email_id: uuid.UUID,
    at: datetime,
) -> list[ThreadMessage]:
    """The thread's messages before this one, oldest first (at most HISTORY_MESSAGES)."""
    if thread_id is None:
        return []
    rows = (
        await session.execute(
            _HISTORY, {"workspace_id": workspace_id, "thread_id": thread_id, "email_id": email_id, "at": at}
        )
    ).all()
    return [
        ThreadMessage(
            direction=str(row.direction),
            from_address=row.from_address,
            from_name=row.from_name,
            at=row.at,
            text=(row.reply_text or row.body_text or "")[:HISTORY_CHARS],
        )
        for row in reversed(rows)
    ]


_TEMPLATE_CACHE: dict[uuid.UUID, tuple[float, list[TemplateInfo]]] = {}
TEMPLATE_CACHE_SECONDS = 30.0


async def _templates(session: AsyncSession, workspace_id: uuid.UUID) -> list[TemplateInfo]:
    """The workspace's templates, read at most every TEMPLATE_CACHE_SECONDS per process
    (a busy worker triages many emails of one workspace a second; templates change rarely)."""
    cached = _TEMPLATE_CACHE.get(workspace_id)
    if cached is not None and cached[0] > time.monotonic():
        return cached[1]
    templates = await _read_templates(session, workspace_id)
    if len(_TEMPLATE_CACHE) > 10_000:
        _TEMPLATE_CACHE.clear()
    _TEMPLATE_CACHE[workspace_id] = (time.monotonic() + TEMPLATE_CACHE_SECONDS, templates)
    return templates


async def _read_templates(session: AsyncSession, workspace_id: uuid.UUID) -> list[TemplateInfo]:
    rows = (await session.execute(_TEMPLATES, {"workspace_id": workspace_id})).all()
    return [
        TemplateInfo(name=row.name, category=row.category, tone=str(row.tone), subject=row.subject, body=row.body)
        for row in rows
    ]
