from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from inbox.core.errors import Forbidden
from inbox.core.principal import Principal
from inbox.templates import rendering
from inbox.templates.models import EmailTemplate
from inbox.templates.repository import TemplateRepository
from inbox.templates.schemas import RenderedTemplate, TemplateCreate, TemplateUpdate


async def create_template(session: AsyncSession, principal: Principal, data: TemplateCreate) -> EmailTemplate:
    repository = TemplateRepository(session, principal)
    if data.is_default:
        await repository.clear_default(data.category, keep=None)
    template = EmailTemplate(workspace_id=principal.workspace_id, created_by_id=principal.user_id, **data.model_dump())
    return await repository.add(template)


async def update_template(
    session: AsyncSession, principal: Principal, template_id: uuid.UUID, data: TemplateUpdate
) -> EmailTemplate:
    repository = TemplateRepository(session, principal)
    template = await repository.get(template_id)
    _check_may_change(principal, template)
    values = data.model_dump(exclude_unset=True)
    category = values.get("category") or template.category
    becomes_default = values.get("is_default", template.is_default)
    if becomes_default and (category != template.category or not template.is_default):
        await repository.clear_default(category, keep=template.id)
    repository.apply(template, values, not_null=("name", "subject", "body", "tone", "category", "is_default"))
    await repository.flush()
    return template


async def delete_template(session: AsyncSession, principal: Principal, template_id: uuid.UUID) -> None:
    repository = TemplateRepository(session, principal)
    template = await repository.get(template_id)
    _check_may_change(principal, template)
    await repository.delete(template)


async def preview_template(
    session: AsyncSession, principal: Principal, template_id: uuid.UUID, context: Mapping[str, object]
) -> RenderedTemplate:
    template = await TemplateRepository(session, principal).get(template_id)
    subject, body = rendering.render_all([template.subject, template.body], context)
    return RenderedTemplate(subject=subject, body=body)


def _check_may_change(principal: Principal, template: EmailTemplate) -> None:
    if principal.sees_whole_workspace or template.created_by_id == principal.user_id:
        return
    raise Forbidden("a sales rep can change or delete only the templates they created")
