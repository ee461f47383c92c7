"""A draft reply through the API: edit it, have the AI write it again in a tone, discard it.

Sending it is ``POST /api/emails/{id}/send`` (api/sending.py). The web inbox's
draft form calls the same service functions.
"""

from __future__ import annotations

import uuid

from litestar import Controller, delete, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from sqlalchemy.ext.asyncio import AsyncSession

from ai.drafting import regenerate_draft
from ai.providers import build_providers
from inbox.core.principal import Principal
from inbox.sending.drafts import discard_draft, edit_draft
from inbox.sending.schemas import DraftOut, DraftRegenerate, DraftUpdate
from inbox.settings import Settings
from inbox.threads.repository import EmailRepository


class DraftController(Controller):
    path = "/emails/{email_id:uuid}/draft"
    tags = ["emails"]

    @patch()
    async def update_draft(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        email_id: FromPath[uuid.UUID],
        data: JSONBody[DraftUpdate],
    ) -> DraftOut:
        """Replace the draft's subject and body. The AI's text is kept the first time a rep changes it, and the
        edit distance to what is sent is stored at approval. 409 when the email is no longer a draft."""
        await edit_draft(db_session, principal, email_id, subject=data.subject, body=data.body)
        return DraftOut.model_validate(await EmailRepository(db_session, principal).get_full(email_id))

    @post("/regenerate", status_code=200)
    async def regenerate(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        app_settings: NamedDependency[Settings],
        email_id: FromPath[uuid.UUID],
        data: JSONBody[DraftRegenerate],
    ) -> DraftOut:
        """Have the triage provider write the draft again, in ``tone``; one model call, nothing sent."""
        provider, _ = build_providers(app_settings.ai)
        await regenerate_draft(db_session, principal, provider, email_id, data.tone)
        return DraftOut.model_validate(await EmailRepository(db_session, principal).get_full(email_id))

    @delete(status_code=204)
    async def discard(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        email_id: FromPath[uuid.UUID],
    ) -> None:
        """Delete the draft; the reply action it belonged to is dismissed."""
        await discard_draft(db_session, principal, email_id)
