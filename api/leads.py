from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ListParams
from inbox.core.pagination import Page
from inbox.core.principal import Principal
from inbox.leads.repository import LeadRepository
from inbox.leads.schemas import LeadOut, lead_page, parse_temperatures


class LeadController(Controller):
    path = "/leads"
    tags = ["leads"]

    @get()
    async def list_leads(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        page: NamedDependency[ListParams],
        status: Annotated[
            list[str] | None,
            QueryParameter(description="temperature: hot, warm or cold; repeatable or comma-separated"),
        ] = None,
        q: Annotated[
            str | None, QueryParameter(max_length=200, description="contact name, company or email contains")
        ] = None,
        has_ai_draft: FromQuery[bool | None] = None,
        owner_id: FromQuery[uuid.UUID | None] = None,
    ) -> Page[LeadOut]:
        """Contacts in the AI inbox's shape. Sort by last_contact_at (default -last_contact_at: most recent
        first, never contacted last), created_at, company or contact_name."""
        result = await LeadRepository(db_session, principal).list(
            statuses=parse_temperatures(status or ()),
            q=q,
            has_ai_draft=has_ai_draft,
            owner_id=owner_id,
            sort=page.sort,
            limit=page.limit,
            cursor=page.cursor,
        )
        return lead_page(result)

    @get("/{lead_id:uuid}")
    async def get_lead(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        lead_id: FromPath[uuid.UUID],
    ) -> LeadOut:
        return LeadOut.of(await LeadRepository(db_session, principal).get(lead_id))
