from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ListParams
from inbox.core.principal import Principal
from inbox.core.schemas import PageOut
from inbox.templates import service
from inbox.templates.models import Tone
from inbox.templates.repository import TemplateRepository
from inbox.templates.schemas import RenderedTemplate, TemplateCreate, TemplateOut, TemplatePreview, TemplateUpdate


class TemplateController(Controller):
    path = "/templates"
    tags = ["templates"]

    @get()
    async def list_templates(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        page: NamedDependency[ListParams],
        category: Annotated[str | None, QueryParameter(max_length=64, description="lower-cased like on write")] = None,
        tone: FromQuery[Tone | None] = None,
        is_default: FromQuery[bool | None] = None,
        q: Annotated[str | None, QueryParameter(max_length=200, description="name contains")] = None,
    ) -> PageOut[TemplateOut]:
        """The workspace's templates. Sort by name (default), created_at or updated_at."""
        result = await TemplateRepository(db_session, principal).list(
            category=category,
            tone=tone,
            is_default=is_default,
            q=q,
            sort=page.sort,
            limit=page.limit,
            cursor=page.cursor,
        )
        return PageOut[TemplateOut].model_validate(result, from_attributes=True)

    @post()
    async def create_template(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        data: JSONBody[TemplateCreate],
    ) -> TemplateOut:
        return TemplateOut.model_validate(await service.create_template(db_session, principal, data))

    @get("/{template_id:uuid}")
    async def get_template(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        template_id: FromPath[uuid.UUID],
    ) -> TemplateOut:
        return TemplateOut.model_validate(await TemplateRepository(db_session, principal).get(template_id))

    @patch("/{template_id:uuid}")
    async def update_template(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        template_id: FromPath[uuid.UUID],
        data: JSONBody[TemplateUpdate],
    ) -> TemplateOut:
        """Change a template: its creator, a manager or an admin."""
        return TemplateOut.model_validate(await service.update_template(db_session, principal, template_id, data))

    @delete("/{template_id:uuid}")
    async def delete_template(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        template_id: FromPath[uuid.UUID],
    ) -> None:
        """Delete a template: its creator, a manager or an admin."""
        await service.delete_template(db_session, principal, template_id)

    @post("/{template_id:uuid}/preview", status_code=HTTP_200_OK)
    async def preview_template(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        template_id: FromPath[uuid.UUID],
        data: JSONBody[TemplatePreview],
    ) -> RenderedTemplate:
        """Render subject and body with a context; 400 lists every variable without a value or fallback."""
        return await service.preview_template(db_session, principal, template_id, data.context)
