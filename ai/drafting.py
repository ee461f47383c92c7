"""A draft reply on a rep's request: regenerated in a tone, or filled from a template.

Both start from the inbound email the draft answers (the reply action's email,
else the thread's newest inbound message) and the same context triage reads.
Regeneration is one provider call, like triage, and keeps only the draft:
the insights of the email stay what triage said. What the model writes is
data: it replaces the draft's text and is sent only when a person approves.
"""

from __future__ import annotations

import dataclasses
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from ai.context import load_context
from ai.offline.drafts import draft_context, reply_subject
from ai.providers import TriageProvider
from ai.schemas import DRAFT_TONES, TriageInput
from inbox.actions.models import Action
from inbox.core.errors import InvalidInput, NotFound
from inbox.core.principal import Principal
from inbox.sending.drafts import editable_draft, set_text
from inbox.templates.models import EmailTemplate
from inbox.templates.rendering import render_all
from inbox.threads.models import Direction, Email


async def _answered(session: AsyncSession, draft: Email) -> uuid.UUID:
    """The inbound email the draft replies to."""
    from_action = await session.scalar(
        sa.select(Action.email_id).where(
            Action.workspace_id == draft.workspace_id, Action.draft_email_id == draft.id, Action.email_id.is_not(None)
        )
    )
    if from_action is not None:
        return from_action
    if draft.thread_id is not None:
        newest = await session.scalar(
            sa.select(Email.id)
            .where(
                Email.workspace_id == draft.workspace_id,
                Email.thread_id == draft.thread_id,
                Email.direction == Direction.INBOUND,
            )
            .order_by(sa.func.coalesce(Email.received_at, Email.created_at).desc())
            .limit(1)
        )
        if newest is not None:
            return newest
    raise InvalidInput("this draft answers no inbound email: nothing to draft a reply from", field="email_id")


async def _input(session: AsyncSession, draft: Email) -> TriageInput:
    loaded = await load_context(session, await _answered(session, draft), workspace_id=draft.workspace_id)
    if loaded is None:
        raise NotFound("the email this draft answers no longer exists")
    return loaded[0]


async def regenerate_draft(
    session: AsyncSession, principal: Principal, provider: TriageProvider, email_id: uuid.UUID, tone: str
) -> Email:
    """Write the draft ``email_id`` again in ``tone`` (one of DRAFT_TONES)."""
    if tone not in DRAFT_TONES:
        raise InvalidInput(f"tone must be one of {', '.join(DRAFT_TONES)}", field="tone")
    draft = await editable_draft(session, principal, email_id)
    item = dataclasses.replace(await _input(session, draft), tone=tone)
    answer = await provider.triage(item)
    reply = answer.result.draft
    if reply is None:
        raise InvalidInput("the model found no reply to write for this email; edit the draft by hand", field="tone")
    set_text(draft, reply.subject or draft.subject or reply_subject(item.subject), reply.body, by_ai=True)
    await session.flush()
    return draft


async def template_text(
    session: AsyncSession, principal: Principal, email_id: uuid.UUID, template_id: uuid.UUID
) -> tuple[str, str]:
    """The template ``template_id`` rendered for the draft's recipient: (subject, body). A variable without a
    value is a 400 naming it (never a blank in the text)."""
    draft = await editable_draft(session, principal, email_id)
    template = await session.scalar(
        sa.select(EmailTemplate).where(
            EmailTemplate.id == template_id, EmailTemplate.workspace_id == principal.workspace_id
        )
    )
    if template is None:
        raise NotFound.of("template")
    item = await _input(session, draft)
    subject, body = render_all([template.subject or "", template.body or ""], draft_context(item))
    return subject, body
