"""A rep's changes to a draft before it is sent: edit, discard.

The AI's draft is kept as first written (``ai_draft_subject``, ``ai_draft_body``)
the first time a rep changes it, so that at approval the edit distance between
what the AI wrote and what was sent can be stored (``draft_edit_distance``).
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from inbox.actions.models import Action, ActionStatus
from inbox.contacts.models import Contact
from inbox.core.db import utcnow
from inbox.core.errors import Conflict, InvalidInput
from inbox.core.principal import Principal
from inbox.threads.models import DeliveryStatus, Direction, Email
from inbox.threads.repository import EmailRepository
from inbox.threads.state import refresh_threads

MAX_SUBJECT = 998
MAX_BODY = 100_000


async def editable_draft(session: AsyncSession, principal: Principal, email_id: uuid.UUID) -> Email:
    """The draft ``email_id`` if the principal sees it (404 otherwise) and it is still a draft (409 otherwise)."""
    email = await EmailRepository(session, principal).get(email_id)
    if email.direction is not Direction.OUTBOUND or email.delivery_status is not DeliveryStatus.DRAFT:
        raise Conflict(f"only a draft can be changed; this email is {email.delivery_status or email.direction}")
    return email


def set_text(email: Email, subject: str, body: str, *, by_ai: bool = False) -> None:
    """Replace the draft's text. A rep's first change to an AI draft keeps the AI's text; a new AI text
    (``by_ai``, a regeneration) becomes the baseline that later edits are measured against."""
    subject, body = subject.strip(), body.rstrip()
    if "\n" in subject or "\r" in subject:
        raise InvalidInput("the subject must be one line", field="subject")
    if len(subject) > MAX_SUBJECT:
        raise InvalidInput(f"the subject is longer than {MAX_SUBJECT} characters", field="subject")
    if len(body) > MAX_BODY:
        raise InvalidInput(f"the body is longer than {MAX_BODY} characters", field="body")
    if "\x00" in subject or "\x00" in body:
        raise InvalidInput("the draft must not contain NUL characters", field="body")
    if by_ai:
        email.ai_generated, email.ai_draft_subject, email.ai_draft_body = True, None, None
    elif email.ai_generated and email.ai_draft_body is None and (subject, body) != (email.subject, email.body_text):
        email.ai_draft_subject, email.ai_draft_body = email.subject, email.body_text or ""
    email.subject, email.body_text, email.body_html = subject, body, None


async def edit_draft(
    session: AsyncSession, principal: Principal, email_id: uuid.UUID, *, subject: str, body: str
) -> Email:
    email = await editable_draft(session, principal, email_id)
    set_text(email, subject, body)
    await session.flush()
    return email


async def discard_draft(session: AsyncSession, principal: Principal, email_id: uuid.UUID) -> uuid.UUID | None:
    """Delete the draft; the reply actions it belonged to are dismissed. Returns the draft's thread."""
    email = await editable_draft(session, principal, email_id)
    thread_id, contact_id = email.thread_id, email.contact_id
    now = utcnow()
    await session.execute(
        sa.update(Action)
        .where(
            Action.workspace_id == principal.workspace_id,
            Action.draft_email_id == email.id,
            Action.status == ActionStatus.PENDING,
        )
        .values(status=ActionStatus.DISMISSED, completed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.expunge(email)
    await session.execute(
        sa.delete(Email)
        .where(Email.id == email_id, Email.workspace_id == principal.workspace_id)
        .execution_options(synchronize_session=False)
    )
    if contact_id is not None:
        still_drafted = sa.exists(
            sa.select(Email.id).where(
                Email.contact_id == contact_id,
                Email.direction == Direction.OUTBOUND,
                Email.delivery_status == DeliveryStatus.DRAFT,
                Email.ai_generated.is_(True),
            )
        )
        await session.execute(
            sa.update(Contact)
            .where(Contact.id == contact_id, Contact.workspace_id == principal.workspace_id)
            .values(has_ai_draft=still_drafted)
            .execution_options(synchronize_session=False)
        )
    if thread_id is not None:
        await refresh_threads(session, [thread_id])
    return thread_id
