from __future__ import annotations

import uuid
from datetime import datetime
from operator import itemgetter
from typing import Annotated, Any

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from sqlalchemy.ext.asyncio import AsyncSession

from api.deps import ListParams
from inbox.contacts import service
from inbox.contacts.models import ContactStatus, Temperature
from inbox.contacts.repository import LIST_COLUMNS, ContactRepository
from inbox.contacts.schemas import ContactCreate, ContactOut, ContactTagsChange, ContactUpdate
from inbox.core.db import utcnow
from inbox.core.pagination import Page
from inbox.core.principal import Principal


class ContactListItem(msgspec.Struct):
    """``ContactOut``'s fields, as a msgspec Struct: a list page builds one per
    row from the row's values and msgspec encodes them, where Pydantic would
    validate every field of every item again (tests/api/test_list_pages.py
    checks that both give the same JSON)."""

    id: uuid.UUID
    email: str
    first_name: str | None
    last_name: str | None
    title: str | None
    phone: str | None
    linkedin_url: str | None
    timezone: str | None
    account_id: uuid.UUID | None
    owner_id: uuid.UUID | None
    status: ContactStatus
    temperature: Temperature
    tags: list[str]
    custom_fields: dict[str, Any]
    source: str | None
    unsubscribed: bool
    unsubscribed_at: datetime | None
    bounced: bool
    bounced_at: datetime | None
    last_message: str | None
    ai_suggestion: str | None
    has_ai_draft: bool
    last_contact_at: datetime | None
    created_at: datetime
    updated_at: datetime
    full_name: str | None
    days_since_contact: Annotated[int | None, msgspec.Meta(description="whole days since last_contact_at")]


_STORED = ContactListItem.__struct_fields__[:-2]
# A row's values in the Struct's field order.
_pick = itemgetter(*(LIST_COLUMNS.index(name) for name in _STORED))
_FIRST, _LAST, _CONTACTED = (_STORED.index(name) for name in ("first_name", "last_name", "last_contact_at"))


def _contact_page(page: Page[Any]) -> Page[ContactListItem]:
    now = utcnow()
    items = []
    for row in page.items:
        values = _pick(row)
        full_name = " ".join(part for part in (values[_FIRST], values[_LAST]) if part) or None
        contacted = values[_CONTACTED]
        days = None if contacted is None else max((now - contacted).days, 0)
        items.append(ContactListItem(*[*values, full_name, days]))
    return Page(items=items, total=page.total, next_cursor=page.next_cursor, limit=page.limit)


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
    ) -> Page[ContactListItem]:
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
        return _contact_page(result)

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
