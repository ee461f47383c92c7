from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.exc import IntegrityError

from inbox.core.pagination import Page, Sort, SortField, paginate
from inbox.core.repository import WorkspaceRepository
from inbox.templates.models import EmailTemplate, Tone
from inbox.templates.schemas import normalise_category

SORTS = {
    "name": SortField(func.lower(EmailTemplate.name)),
    "created_at": SortField(EmailTemplate.created_at, datetime),
    "updated_at": SortField(EmailTemplate.updated_at, datetime),
}


class TemplateRepository(WorkspaceRepository[EmailTemplate]):
    """Templates are shared by the whole workspace: everyone reads all of them."""

    model = EmailTemplate
    label = "template"
    owner_attribute = None

    async def list(
        self,
        *,
        category: str | None,
        tone: Tone | None,
        is_default: bool | None,
        q: str | None,
        sort: str | None,
        limit: int,
        cursor: str | None,
    ) -> Page[EmailTemplate]:
        stmt = self.scoped()
        if category is not None:
            stmt = stmt.where(EmailTemplate.category == normalise_category(category))
        if tone is not None:
            stmt = stmt.where(EmailTemplate.tone == tone)
        if is_default is not None:
            stmt = stmt.where(EmailTemplate.is_default.is_(is_default))
        if q:
            stmt = stmt.where(func.lower(EmailTemplate.name).contains(q.lower(), autoescape=True))
        return await paginate(
            self.session,
            stmt,
            id_column=EmailTemplate.id,
            sort=Sort.parse(sort, SORTS, default="name"),
            limit=limit,
            cursor=cursor,
        )

    async def clear_default(self, category: str, *, keep: uuid.UUID | None) -> None:
        """Unset the default of ``category``, except on ``keep``; runs at once,
        so the partial unique index sees it before a new default is written."""
        stmt = update(EmailTemplate).where(
            EmailTemplate.workspace_id == self.workspace_id,
            EmailTemplate.category == category,
            EmailTemplate.is_default.is_(True),
        )
        if keep is not None:
            stmt = stmt.where(EmailTemplate.id != keep)
        await self.session.execute(stmt.values(is_default=False), execution_options={"synchronize_session": "fetch"})

    def conflict_message(self, exc: IntegrityError) -> str:
        message = str(exc.orig)
        if "uq_email_templates_default_category" in message or "email_templates.category" in message:
            return "another template became this category's default at the same time; try again"
        return "a template with this name already exists in the workspace"
