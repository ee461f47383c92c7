from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ListParams
from inbox.contacts import service
from inbox.contacts.models import ContactStatus, Temperature
from inbox.contacts.repository import ContactRepository
from inbox.contacts.schemas import ContactCreate, ContactOut, ContactTagsChange, ContactUpdate
from inbox.core.principal import Principal
from inbox.core.schemas import PageOut


class ContactController(Controller):
    path = "/contacts"
    tags = ["contacts"]

    @get()
    async def list_contacts(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        page: NamedDependency[ListParams],
        q: Annotated[str | None, QueryParameter(max_length=200, description="name or email contains")] = None,
        status: Annotated[
            list[ContactStatus] | None, QueryParameter(description="lifecycle status; repeatable")
        ] = None,
        temperature: Annotated[list[Temperature] | None, QueryParameter(description="repeatable")] = None,
        tag: Annotated[list[str] | None, QueryParameter(description="repeatable; every tag must be present")] = None,
        account_id: FromQuery[uuid.UUID | None] = None,
        owner_id: FromQuery[uuid.UUID | None] = None,
        unsubscribed: FromQuery[bool | None] = None,
        bounced: FromQuery[bool | None] = None,
        has_ai_draft: FromQuery[bool | None] = None,
    ) -> PageOut[ContactOut]:
        """People. Sort by created_at (default -created_at), updated_at, last_name, email or last_contact_at."""
        result = await ContactRepository(db_session, principal).list(
            q=q,
            statuses=status or (),
            temperatures=temperature or (),
            tags=tag or (),
            account_id=account_id,
            owner_id=owner_id,
            unsubscribed=unsubscribed,
            bounced=bounced,
            has_ai_draft=has_ai_draft,
            sort=page.sort,
            limit=page.limit,
            cursor=page.cursor,
        )
        return PageOut[ContactOut].model_validate(result, from_attributes=True)

    @post()
    async def create_contact(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        data: JSONBody[ContactCreate],
    ) -> ContactOut:
        return ContactOut.model_validate(await service.create_contact(db_session, principal, data))

    @get("/{contact_id:uuid}")
    async def get_contact(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        contact_id: FromPath[uuid.UUID],
    ) -> ContactOut:
        return ContactOut.model_validate(await ContactRepository(db_session, principal).get(contact_id))

    @patch("/{contact_id:uuid}")
    async def update_contact(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        contact_id: FromPath[uuid.UUID],
        data: JSONBody[ContactUpdate],
    ) -> ContactOut:
        return ContactOut.model_validate(await service.update_contact(db_session, principal, contact_id, data))

    @post("/{contact_id:uuid}/tags", status_code=200)
    async def change_tags(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        contact_id: FromPath[uuid.UUID],
        data: JSONBody[ContactTagsChange],
    ) -> ContactOut:
        """Remove then add tags, leaving the others as they are."""
        return ContactOut.model_validate(await service.change_tags(db_session, principal, contact_id, data))

    @delete("/{contact_id:uuid}")
    async def delete_contact(
        self,
        db_session: NamedDependency[AsyncSession],
        principal: NamedDependency[Principal],
        contact_id: FromPath[uuid.UUID],
    ) -> None:
        await service.delete_contact(db_session, principal, contact_id)
